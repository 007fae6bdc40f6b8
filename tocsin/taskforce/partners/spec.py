"""What a user submits: partners, focal points and agreements."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PartnerSpec(_Spec):
    name: str = Field(max_length=300)
    acronym: str = Field(default="", max_length=30)
    #: ``national_institution`` | ``civil_society`` | ``private_sector`` |
    #: ``international_organization`` | ``structure``.
    kind: str
    country: str | None = None
    description: str = ""
    handling: str = "GREEN"
    owner_unit: str | None = None


class FocalPointSpec(_Spec):
    name: str = Field(max_length=200)
    role: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=60)


class AgreementSpec(_Spec):
    title: str = Field(max_length=500)
    #: ``memorandum_of_understanding`` | ``joint_action_plan`` | ``letter_of_intent`` |
    #: ``exchange_of_letters``.
    kind: str
    status: str = "in_force"
    signed_on: date | None = None
    valid_from: date | None = None
    expires_on: date | None = None
    scope: str = ""
    #: Partner ids or reference codes (``unodc``, ``tntd``) of the parties.
    parties: list[str] = []
    crime_areas: list[str] = []
    stages: list[str] = []
    activity_ids: list[int] = []
    event_ids: list[int] = []
    handling: str = "GREEN"
    owner_unit: str | None = None
