"""What a user submits: observations, after-action reviews, remedial actions, drafts."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ObservationSpec(_Spec):
    title: str = Field(max_length=300)
    observation: str
    #: ``worked`` | ``partly`` | ``did_not_work``.
    outcome: str
    tool_method: str = Field(default="", max_length=300)
    activity_id: int | None = None
    crime_areas: list[str] = []
    stages: list[str] = []
    countries: list[str] = []
    handling: str = "GREEN"
    #: Code of the owning unit; the submitter's unit when empty.
    owner_unit: str | None = None


class ReviewSpec(_Spec):
    """An after-action review: the four questions, plus what the observation concerns."""

    title: str = Field(max_length=300)
    activity_id: int | None = None
    held_on: date | None = None
    planned: str
    happened: str
    why_different: str
    next_time: str
    tool_method: str = Field(default="", max_length=300)
    outcome: str
    crime_areas: list[str] = []
    stages: list[str] = []
    countries: list[str] = []
    handling: str = "GREEN"
    owner_unit: str | None = None
    #: Further observations drawn from the review; one is always made from the answers.
    observations: list[ObservationSpec] = []


class ActionSpec(_Spec):
    """A remedial action for an identified lesson."""

    action_body: str  # unit code
    description: str
    due_on: date


class DesignDraft(_Spec):
    """A project being drafted, described enough to find the lessons that apply."""

    title: str = ""
    description: str = ""
    crime_areas: list[str] = []
    stages: list[str] = []
    countries: list[str] = []
