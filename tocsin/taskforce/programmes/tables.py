"""Tables of the programme hierarchy (programme → project → activity).

One table holds all three levels (``tf_activities``); the shares, finance,
partners, results and documents hang off it and follow its handling code.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tocsin.store.base import Base, Guarded, guarded_table_args, utcnow

LEVELS = ("programme", "project", "activity")
FINANCE_KINDS = ("budget", "commitment", "expenditure")

Amount = Numeric(18, 2)
Percentage = Numeric(5, 2)


class Activity(Guarded, Base):
    """A programme, project or activity; an IATI ``iati-activity``."""

    __tablename__ = "tf_activities"
    __table_args__ = guarded_table_args(
        CheckConstraint("level IN ('programme', 'project', 'activity')", name="level"),
        CheckConstraint("status BETWEEN 1 AND 6", name="status"),
    )
    record_type = "activity"

    #: IATI activity identifier, ``{reporting-org ref}-{own id}``.
    identifier: Mapped[str] = mapped_column(String(200), unique=True)
    level: Mapped[str] = mapped_column(String(12))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("tf_activities.id"), nullable=True, index=True
    )
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    implementing_structure: Mapped[str | None] = mapped_column(
        ForeignKey("ref_structures.code"), nullable=True, index=True
    )
    #: IATI ActivityStatus: 1 pipeline, 2 implementation, 3 finalisation,
    #: 4 closed, 5 cancelled, 6 suspended.
    status: Mapped[int] = mapped_column(Integer, default=1)
    planned_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    actual_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    planned_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    actual_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    reporting_org_ref: Mapped[str] = mapped_column(String(120))
    reporting_org_name: Mapped[str] = mapped_column(String(300), default="")
    reporting_org_type: Mapped[str] = mapped_column(String(4), default="40")
    #: A partner's activity imported from its IATI file, not the organization's own.
    is_external: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8), default="en")
    default_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)

    # A parent or child may be a record the reader may not see: never traversed, they
    # raise when touched; read the hierarchy with records.ancestors() and children_of().
    parent: Mapped[Activity | None] = relationship(
        remote_side="Activity.id", back_populates="children", lazy="raise"
    )
    children: Mapped[list[Activity]] = relationship(
        back_populates="parent", order_by="Activity.identifier", lazy="raise",
        passive_deletes="all",
    )
    finance: Mapped[list[Finance]] = relationship(
        cascade="all, delete-orphan", order_by="(Finance.kind, Finance.year, Finance.currency)"
    )
    countries: Mapped[list[ActivityCountry]] = relationship(
        cascade="all, delete-orphan", order_by="ActivityCountry.position"
    )
    regions: Mapped[list[ActivityRegion]] = relationship(
        cascade="all, delete-orphan", order_by="ActivityRegion.position"
    )
    crime_areas: Mapped[list[ActivityCrimeArea]] = relationship(
        cascade="all, delete-orphan", order_by="ActivityCrimeArea.position"
    )
    stages: Mapped[list[ActivityStage]] = relationship(
        cascade="all, delete-orphan", order_by="ActivityStage.position"
    )
    participants: Mapped[list[Participant]] = relationship(
        cascade="all, delete-orphan", order_by="Participant.position"
    )
    results: Mapped[list[Result]] = relationship(
        cascade="all, delete-orphan", order_by="Result.position"
    )
    documents: Mapped[list[Document]] = relationship(
        cascade="all, delete-orphan", order_by="Document.position"
    )


class Finance(Base):
    """Budget, commitments or expenditure of one activity in one year and currency."""

    __tablename__ = "tf_finance"
    __table_args__ = (
        UniqueConstraint("activity_id", "kind", "year", "currency", name="line"),
        CheckConstraint("kind IN ('budget', 'commitment', 'expenditure')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))


class _Share:
    """A percentage share (optional: IATI allows a share without a percentage)."""

    percentage: Mapped[Decimal | None] = mapped_column(Percentage, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ActivityCountry(_Share, Base):
    __tablename__ = "tf_activity_countries"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), primary_key=True
    )
    country_code: Mapped[str] = mapped_column(ForeignKey("ref_countries.code"), primary_key=True)


class ActivityRegion(_Share, Base):
    """A recipient region; vocabulary 1 is the OECD-DAC region list."""

    __tablename__ = "tf_activity_regions"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), primary_key=True
    )
    vocabulary: Mapped[str] = mapped_column(String(4), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)


class ActivityCrimeArea(_Share, Base):
    __tablename__ = "tf_activity_crime_areas"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), primary_key=True
    )
    crime_area_code: Mapped[str] = mapped_column(
        ForeignKey("ref_crime_areas.code"), primary_key=True, index=True
    )


class ActivityStage(_Share, Base):
    __tablename__ = "tf_activity_stages"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), primary_key=True
    )
    stage_code: Mapped[str] = mapped_column(
        ForeignKey("ref_stages.code"), primary_key=True, index=True
    )


class Participant(Base):
    """A partner of an activity in an IATI organisation role.

    Either a known partner organization (``organization_code``) or a free name
    with its IATI organisation identifier.
    """

    __tablename__ = "tf_activity_participants"
    __table_args__ = (CheckConstraint("role BETWEEN 1 AND 4", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: 1 funding, 2 accountable, 3 extending, 4 implementing.
    role: Mapped[int] = mapped_column(Integer)
    organization_code: Mapped[str | None] = mapped_column(
        ForeignKey("ref_organizations.code"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(300), default="")
    org_ref: Mapped[str] = mapped_column(String(120), default="")
    #: IATI OrganisationType code (10 government, 40 multilateral …).
    org_type: Mapped[str] = mapped_column(String(4), default="")


class Result(Base):
    """An expected or achieved result: 1 output, 2 outcome, 3 impact, 9 other."""

    __tablename__ = "tf_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    type: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    aggregation_status: Mapped[bool | None] = mapped_column(Boolean, nullable=True)

    indicators: Mapped[list[Indicator]] = relationship(
        cascade="all, delete-orphan", order_by="Indicator.position"
    )


class Indicator(Base):
    """How a result is measured, with its baseline and periodic targets and actuals."""

    __tablename__ = "tf_indicators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("tf_results.id", ondelete="CASCADE"),
                                           index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: IATI IndicatorMeasure: 1 unit, 2 percentage, 3 nominal, 4 ordinal, 5 qualitative.
    measure: Mapped[int] = mapped_column(Integer, default=1)
    ascending: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    baseline_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Values are text: IATI allows qualitative values, and sets no length on them (a
    #: qualitative indicator's value is often a sentence or a paragraph); the platform
    #: takes at most ``check.RESULT_VALUE_MAX`` characters, as for its other free text.
    baseline_value: Mapped[str | None] = mapped_column(Text, nullable=True)

    periods: Mapped[list[IndicatorPeriod]] = relationship(
        cascade="all, delete-orphan", order_by="IndicatorPeriod.position"
    )


class IndicatorPeriod(Base):
    __tablename__ = "tf_indicator_periods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("tf_indicators.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    #: Text, as the indicator's baseline value.
    target_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    actual_value: Mapped[str | None] = mapped_column(Text, nullable=True)


class Document(Base):
    """A document of an activity: a link (``url``) or a stored file (``stored_path``)."""

    __tablename__ = "tf_activity_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    #: Path relative to ``<data_dir>/documents/``, named by the content hash.
    stored_path: Mapped[str | None] = mapped_column(String(300), nullable=True)
    original_name: Mapped[str] = mapped_column(String(300), default="")
    mime_type: Mapped[str] = mapped_column(String(120), default="")
    #: IATI DocumentCategory code (A01 … B18).
    category: Mapped[str] = mapped_column(String(4), default="A01")
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    document_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
