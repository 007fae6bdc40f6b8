"""Tables of the data-protection safeguards.

* :class:`Statement`: a piece of information in a case, a fact or an assessment, with its
  source, its grading and the provider's handling code (H0-H3) and restrictions.
* :class:`Processing`: the data-subject category, purpose, legal basis and review date of
  a case, a transaction set or a person of a case (one row per record).
* :class:`Transmission`: which statements and persons an exchange passed on, so that a
  later correction or erasure reaches every recipient.
* :class:`Notification`: a correction or erasure to be sent to a recipient.

None of them is guarded on its own: each is read and written under the rule of the case
(or transaction set) it belongs to, through :mod:`tocsin.safeguards.records`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.i18n import N_
from tocsin.store.base import Base, utcnow

NATURES = ("fact", "assessment")
PROCESSED_KINDS = ("case", "transaction_set", "subject")
NOTIFICATION_KINDS = ("correction", "erasure")


class Statement(Base):
    __tablename__ = "sg_statements"
    __table_args__ = (CheckConstraint("nature IN ('fact', 'assessment')", name="nature"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_cases.id", ondelete="CASCADE"),
                                         index=True)
    #: The person or entity of the case the statement is about, if any.
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_subjects.id", ondelete="CASCADE"), nullable=True, index=True)
    text: Mapped[str] = mapped_column(Text)
    nature: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(300))
    scheme: Mapped[str] = mapped_column(String(20))
    grades: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    handling_code: Mapped[str] = mapped_column(String(2))
    provider: Mapped[str] = mapped_column(String(300), default="")
    provider_restrictions: Mapped[str] = mapped_column(Text, default="")
    provider_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    corrected_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Processing(Base):
    __tablename__ = "sg_processing"
    __table_args__ = (
        UniqueConstraint("record_type", "record_id", name="uq_sg_processing_record"),
        CheckConstraint("record_type IN ('case', 'transaction_set', 'subject')",
                        name="record_type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)
    #: For a person of a case: the case (its read rule applies).
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_cases.id", ondelete="CASCADE"), nullable=True, index=True)
    category: Mapped[str] = mapped_column(String(20), default="")
    purpose: Mapped[str] = mapped_column(String(40))
    legal_basis: Mapped[str] = mapped_column(String(40))
    review_on: Mapped[date] = mapped_column(Date, index=True)
    #: The justification of the last extension.
    justification: Mapped[str] = mapped_column(Text, default="")
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    anonymised: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str] = mapped_column(String(80), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Transmission(Base):
    __tablename__ = "sg_transmissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_cases.id", ondelete="CASCADE"),
                                         index=True)
    exchange_id: Mapped[int] = mapped_column(
        ForeignKey("case_exchanges.id", ondelete="CASCADE"), index=True)
    statement_id: Mapped[int | None] = mapped_column(
        ForeignKey("sg_statements.id", ondelete="SET NULL"), nullable=True, index=True)
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_subjects.id", ondelete="SET NULL"), nullable=True, index=True)
    as_evidence: Mapped[bool] = mapped_column(Boolean, default=False)


#: The kinds of notice to recipients as pages show them (``|term``), marked for the catalogs.
NOTICE_TERMS = (N_("correction"), N_("erasure"))


class Notification(Base):
    """Kept when the case itself is deleted at review (the recipients still must be told)."""

    __tablename__ = "sg_notifications"
    __table_args__ = (CheckConstraint("kind IN ('correction', 'erasure')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_cases.id", ondelete="SET NULL"), nullable=True, index=True)
    case_reference: Mapped[str] = mapped_column(String(60))
    #: The unit that owned the case: it sends the notice.
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    exchange_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_exchanges.id", ondelete="SET NULL"), nullable=True)
    recipient: Mapped[str] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    kind: Mapped[str] = mapped_column(String(12))
    #: What to tell the recipient; never the erased content.
    message: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class ActivityMarker(Base):
    """An IATI policy marker (or one of the organization's own) on a programme, project or
    activity, with its significance; read and written under the activity's rule. The
    coherence analysis reads it (its input version counts it as part of the portfolio)."""

    __tablename__ = "sg_activity_markers"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), primary_key=True)
    vocabulary: Mapped[str] = mapped_column(String(4), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    significance: Mapped[int] = mapped_column(Integer)
