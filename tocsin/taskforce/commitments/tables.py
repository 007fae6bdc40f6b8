"""Tables of the commitments, their links and the history of their assessments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tocsin.store.base import Base, Guarded, guarded_table_args, utcnow

#: Implementation statuses, in the order a page lists them.
STATUSES = ("not_started", "in_progress", "implemented", "ongoing", "not_applicable")
_STATUS_SQL = ", ".join(f"'{s}'" for s in STATUSES)


commitment_crime_areas = Table(
    "tf_commitment_crime_areas", Base.metadata,
    Column("commitment_id", ForeignKey("tf_commitments.id", ondelete="CASCADE"),
           primary_key=True),
    Column("crime_area_code", ForeignKey("ref_crime_areas.code"), primary_key=True, index=True),
)
commitment_stages = Table(
    "tf_commitment_stages", Base.metadata,
    Column("commitment_id", ForeignKey("tf_commitments.id", ondelete="CASCADE"),
           primary_key=True),
    Column("stage_code", ForeignKey("ref_stages.code"), primary_key=True, index=True),
)
commitment_structures = Table(
    "tf_commitment_structures", Base.metadata,
    Column("commitment_id", ForeignKey("tf_commitments.id", ondelete="CASCADE"),
           primary_key=True),
    Column("structure_code", ForeignKey("ref_structures.code"), primary_key=True, index=True),
)
#: Activities that implement a commitment (the "programme behind it").
commitment_activities = Table(
    "tf_commitment_activities", Base.metadata,
    Column("commitment_id", ForeignKey("tf_commitments.id", ondelete="CASCADE"),
           primary_key=True),
    Column("activity_id", ForeignKey("tf_activities.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)
assessment_activities = Table(
    "tf_assessment_activities", Base.metadata,
    Column("assessment_id", ForeignKey("tf_commitment_assessments.id", ondelete="CASCADE"),
           primary_key=True),
    Column("activity_id", ForeignKey("tf_activities.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)
assessment_documents = Table(
    "tf_assessment_documents", Base.metadata,
    Column("assessment_id", ForeignKey("tf_commitment_assessments.id", ondelete="CASCADE"),
           primary_key=True),
    Column("document_id", ForeignKey("tf_activity_documents.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)


class Commitment(Guarded, Base):
    """One commitment: an article or paragraph of an instrument of the acquis."""

    __tablename__ = "tf_commitments"
    __table_args__ = guarded_table_args(
        CheckConstraint("priority BETWEEN 1 AND 3", name="priority"),
        CheckConstraint(f"status IN ({_STATUS_SQL})", name="status"),
    )
    record_type = "commitment"

    #: Stable key, e.g. ``untoc:art13`` or ``mc-dec-3-05:op3``.
    code: Mapped[str] = mapped_column(String(120), unique=True)
    instrument_code: Mapped[str] = mapped_column(ForeignKey("ref_instruments.code"), index=True)
    provision_key: Mapped[str | None] = mapped_column(
        ForeignKey("ref_provisions.key"), nullable=True, index=True
    )
    #: Where in the instrument, e.g. "operative paragraph 3" or "article 13(1)".
    paragraph: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text)
    #: 1 high, 2 medium, 3 low.
    priority: Mapped[int] = mapped_column(Integer, default=2)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: The status of the latest assessment (kept in step by ``assess``).
    status: Mapped[str] = mapped_column(String(20), default="not_started", index=True)
    #: Demo or illustrative content, shown with a label.
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)

    assessments: Mapped[list[Assessment]] = relationship(
        cascade="all, delete-orphan", order_by="Assessment.id",
        back_populates="commitment",
    )


class Assessment(Base):
    """One assessment of a commitment; the latest one gives its current status."""

    __tablename__ = "tf_commitment_assessments"
    __table_args__ = (CheckConstraint(f"status IN ({_STATUS_SQL})", name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("tf_commitments.id", ondelete="CASCADE"), index=True
    )
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))
    rationale: Mapped[str] = mapped_column(Text, default="")

    commitment: Mapped[Commitment] = relationship(back_populates="assessments")
