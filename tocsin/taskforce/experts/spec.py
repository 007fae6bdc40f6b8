"""What a user submits: experts with their expertise, languages and availability; needs."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ExpertiseSpec(_Spec):
    crime_area: str | None = None
    stage: str | None = None
    #: ``working`` | ``advanced`` | ``expert``.
    level: str = "advanced"


class PeriodSpec(_Spec):
    starts_on: date
    ends_on: date


class ExpertSpec(_Spec):
    name: str = Field(max_length=200)
    organization: str = ""
    #: Partner id or reference code of the expert's organization, when known.
    partner: str | None = None
    email: str = ""
    phone: str = ""
    notes: str = ""
    expertise: list[ExpertiseSpec] = []
    #: ISO 639-1 codes, e.g. ``en``, ``ru``.
    languages: list[str] = []
    availability: list[PeriodSpec] = []
    handling: str = "AMBER"
    owner_unit: str | None = None


class AssignmentSpec(_Spec):
    activity_id: int
    role: str = ""
    starts_on: date
    ends_on: date


class Need(_Spec):
    """What an activity needs: each field given is a requirement an expert may match."""

    crime_area: str | None = None
    stage: str | None = None
    languages: list[str] = []
    available_from: date | None = None
    available_to: date | None = None
