"""What a user submits: events, panels, speakers, recommendations, follow-up actions."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EventSpec(_Spec):
    title: str = Field(max_length=500)
    #: ``conference`` | ``meeting`` | ``workshop`` | ``training``.
    kind: str = "conference"
    starts_on: date
    ends_on: date | None = None
    location: str = ""
    description: str = ""
    #: Partner ids or reference codes of the organizers.
    organizers: list[str] = []
    handling: str = "GREEN"
    owner_unit: str | None = None


class PanelSpec(_Spec):
    title: str = Field(max_length=500)
    theme: str = ""


class SpeakerSpec(_Spec):
    name: str = Field(max_length=200)
    organization: str = ""
    #: Partner id or reference code, when the speaker's organization is a known partner.
    partner: str | None = None
    topic: str = ""


class ParticipantSpec(_Spec):
    name: str = Field(max_length=200)
    organization: str = ""
    partner: str | None = None


class DocumentSpec(_Spec):
    title: str = Field(max_length=300)
    kind: str = "document"
    location: str = ""


class FollowUpSpec(_Spec):
    description: str
    #: Code of the unit that owns the action.
    owner: str
    due_on: date
