"""What a user submits: statements, processing records, transfers, corrections and
review decisions."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

TEXT_MAX = 20_000


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              str_max_length=TEXT_MAX)


class StatementSpec(_Spec):
    text: str = Field(max_length=TEXT_MAX)
    #: ``fact`` or ``assessment``.
    nature: str
    source: str = Field(max_length=300)
    #: A person or entity of the case the statement is about.
    subject_id: int | None = None
    #: A grading scheme of ``tocsin/access/data/grading.yaml`` (its default when empty).
    scheme: str = ""
    #: Dimension → grade, e.g. ``{"source": "B", "information": "2"}``.
    grades: dict[str, str] = Field(default_factory=dict, max_length=10)
    #: The provider's handling code, H0-H3.
    handling_code: str = "H0"
    provider: str = Field("", max_length=300)
    provider_restrictions: str = ""
    provider_consent: bool = False
    consent_note: str = ""


class ProcessingSpec(_Spec):
    #: For a person: a category of ``tocsin/safeguards/data/safeguards.yaml``.
    category: str = ""
    purpose: str
    legal_basis: str
    #: Earlier than the rule's date if the record should be reviewed sooner.
    review_on: date | None = None


class TransferSpec(_Spec):
    """Information of a case passed on to another authority (recorded as an exchange)."""

    statement_ids: list[int] = Field(default_factory=list, max_length=500)
    subject_ids: list[int] = Field(default_factory=list, max_length=500)
    counterpart: str = Field(max_length=300)
    country: str | None = None
    channel: str = ""
    #: For use as evidence in judicial proceedings (H1 needs the provider's consent).
    as_evidence: bool = False
    #: The sender confirms that the provider's restrictions (H3) are respected.
    restrictions_met: bool = False
    justification: str = Field(max_length=2000)


class CorrectionSpec(_Spec):
    text: str = Field(max_length=TEXT_MAX)
    reason: str = Field(max_length=2000)


class ExtensionSpec(_Spec):
    months: int = Field(ge=1, le=120)
    justification: str = Field(max_length=2000)


class ErasureSpec(_Spec):
    reason: str = Field(max_length=2000)
