"""Tables of the coherence topic: threat indicators, organized crime group
profiles, workspace weights for scoring groups, and judgements of activity pairs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.i18n import N_
from tocsin.store.base import Base, Guarded, guarded_table_args, utcnow

VERDICTS = ("duplicate", "overlapping", "related", "distinct", "unsure")
#: The verdicts as pages show them (``|term``), marked for the catalogs.
VERDICT_TERMS = (N_("duplicate"), N_("overlapping"), N_("related"), N_("distinct"),
                 N_("unsure"))
_VERDICT_SQL = ", ".join(f"'{v}'" for v in VERDICTS)


class ThreatIndicator(Guarded, Base):
    """One measured indicator of a crime area in a country and year, with its grading."""

    __tablename__ = "coh_threat_indicators"
    __table_args__ = guarded_table_args(
        UniqueConstraint("crime_area_code", "country_code", "year", "kind", "source",
                         name="uq_coh_threat_indicators_key"),
        CheckConstraint("source_reliability IN ('A', 'B', 'C', 'D', 'E', 'F')",
                        name="reliability"),
        CheckConstraint("credibility BETWEEN 1 AND 6", name="credibility"),
    )
    record_type = "threat_indicator"

    crime_area_code: Mapped[str] = mapped_column(ForeignKey("ref_crime_areas.code"), index=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("ref_countries.code"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    #: A key of ``indicator_kinds`` in ``data/method.yaml``.
    kind: Mapped[str] = mapped_column(String(60))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(300))
    #: Admiralty grading: source reliability A-F, information credibility 1-6.
    source_reliability: Mapped[str] = mapped_column(String(1))
    credibility: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    #: Demo or illustrative content, shown with a label.
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)


class OcgProfile(Guarded, Base):
    """An organized crime group scored on the indicators of ``data/ocg_method.yaml``."""

    __tablename__ = "coh_ocg_profiles"
    record_type = "ocg_profile"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    #: Crime area codes the group is active in (JSON list).
    crime_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: ISO country codes the group is active in (JSON list).
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Indicator code → score on the method's scale, or null when unknown.
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    assessed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)


class OcgWeight(Base):
    """The workspace's own weight for one OCG indicator (overrides the shipped default)."""

    __tablename__ = "coh_ocg_weights"

    indicator: Mapped[str] = mapped_column(String(60), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PairJudgement(Base):
    """A person's judgement of a candidate pair; the latest one per pair counts.

    The fingerprints record both activities as they were when judged, so a later
    material change brings a pair judged distinct back for review.
    """

    __tablename__ = "coh_pair_judgements"
    __table_args__ = (
        CheckConstraint(f"verdict IN ({_VERDICT_SQL})", name="verdict"),
        CheckConstraint("activity_a_id < activity_b_id", name="ordered"),
        Index("ix_coh_pair_judgements_pair", "activity_a_id", "activity_b_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_a_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"))
    activity_b_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str] = mapped_column(String(80))
    judged_at: Mapped[datetime] = mapped_column(default=utcnow)
    fingerprint_a: Mapped[str] = mapped_column(String(64))
    fingerprint_b: Mapped[str] = mapped_column(String(64))


class InputVersion(Base):
    """A version of one input of the coherence analysis, changed by every write to it.

    The analysis is computed once per combination of versions and reused (see
    :mod:`tocsin.coherence.cache`); ``token`` is random, so a version written by a
    transaction that was rolled back is never seen again.
    """

    __tablename__ = "coh_input_versions"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    token: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


# Writes to the analysis's inputs bump their versions (registered with the tables,
# which every database connection imports).
from tocsin.coherence import versions as _versions  # noqa: E402,F401
