"""Tables of the expert roster: expertise, languages, availability, assignments."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tocsin.i18n import N_
from tocsin.store.base import Base, Guarded

#: Expertise levels, lowest first; the level is stored as its position (1-3). Pages name
#: them in the reader's language (the ``term`` filter), marked here for the catalogs.
LEVELS = ("working", "advanced", "expert")
LEVEL_WORDS = (N_("working"), N_("advanced"), N_("expert"))


class Expert(Guarded, Base):
    """A person the task force can call on; personal data, so a guarded record."""

    __tablename__ = "tf_experts"
    record_type = "expert"

    name: Mapped[str] = mapped_column(String(200))
    organization: Mapped[str] = mapped_column(String(300), default="")
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("tf_partners.id", ondelete="SET NULL"), nullable=True, index=True)
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(60), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    expertise: Mapped[list[Expertise]] = relationship(
        cascade="all, delete-orphan", order_by="Expertise.id", lazy="selectin")
    languages: Mapped[list[ExpertLanguage]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")
    availability: Mapped[list[Availability]] = relationship(
        cascade="all, delete-orphan", order_by="Availability.starts_on", lazy="selectin")
    assignments: Mapped[list[Assignment]] = relationship(
        cascade="all, delete-orphan", order_by="Assignment.starts_on", lazy="selectin")

    @property
    def language_codes(self) -> list[str]:
        return sorted(link.language for link in self.languages)


class Expertise(Base):
    """Expertise in a crime area, a justice-chain stage, or both, at a level."""

    __tablename__ = "tf_expert_expertise"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 3", name="level"),
        CheckConstraint("crime_area_code IS NOT NULL OR stage_code IS NOT NULL", name="subject"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_id: Mapped[int] = mapped_column(
        ForeignKey("tf_experts.id", ondelete="CASCADE"), index=True)
    crime_area_code: Mapped[str | None] = mapped_column(
        ForeignKey("ref_crime_areas.code"), nullable=True, index=True)
    stage_code: Mapped[str | None] = mapped_column(
        ForeignKey("ref_stages.code"), nullable=True, index=True)
    level: Mapped[int] = mapped_column(Integer, default=2)

    @property
    def level_name(self) -> str:
        return LEVELS[self.level - 1]


class ExpertLanguage(Base):
    """A working language (ISO 639-1 code, lower case)."""

    __tablename__ = "tf_expert_languages"

    expert_id: Mapped[int] = mapped_column(
        ForeignKey("tf_experts.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True, index=True)


class Availability(Base):
    """A period in which the expert said they can be deployed."""

    __tablename__ = "tf_expert_availability"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_id: Mapped[int] = mapped_column(
        ForeignKey("tf_experts.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class Assignment(Base):
    """The expert works on an activity in a role for a period."""

    __tablename__ = "tf_expert_assignments"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_id: Mapped[int] = mapped_column(
        ForeignKey("tf_experts.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
