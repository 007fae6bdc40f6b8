"""Tables of partner organizations, their focal points and co-operation agreements.

Reference organizations and the organization's own structures get a partner
row automatically (linked by code, see :func:`partners.records.sync_reference_partners`);
national institutions, civil-society organizations and companies are user records.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tocsin.i18n import N_
from tocsin.store.base import Base, Guarded, guarded_table_args

PARTNER_KINDS = ("structure", "international_organization", "national_institution",
                 "civil_society", "private_sector")
AGREEMENT_KINDS = ("memorandum_of_understanding", "joint_action_plan", "letter_of_intent",
                   "exchange_of_letters")
AGREEMENT_STATUSES = ("draft", "in_force", "expired", "terminated")
#: The codes above as pages show them (``|term``), marked for the catalogs.
TERMS = (N_("structure"), N_("international organization"), N_("national institution"),
         N_("civil society"), N_("private sector"), N_("memorandum of understanding"),
         N_("joint action plan"), N_("letter of intent"), N_("exchange of letters"),
         N_("draft"), N_("in force"), N_("expired"), N_("terminated"))


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Partner(Guarded, Base):
    """An organization the task force works with (or one of the organization's own)."""

    __tablename__ = "tf_partners"
    __table_args__ = guarded_table_args(CheckConstraint(_in("kind", PARTNER_KINDS), name="kind"))
    record_type = "partner"

    name: Mapped[str] = mapped_column(String(300))
    acronym: Mapped[str] = mapped_column(String(30), default="")
    kind: Mapped[str] = mapped_column(String(30))
    country_code: Mapped[str | None] = mapped_column(
        ForeignKey("ref_countries.code"), nullable=True)
    ref_organization_code: Mapped[str | None] = mapped_column(
        ForeignKey("ref_organizations.code"), nullable=True, unique=True)
    ref_structure_code: Mapped[str | None] = mapped_column(
        ForeignKey("ref_structures.code"), nullable=True, unique=True)
    description: Mapped[str] = mapped_column(Text, default="")

    focal_points: Mapped[list[FocalPoint]] = relationship(
        cascade="all, delete-orphan", order_by="FocalPoint.id", lazy="selectin")

    @property
    def label(self) -> str:
        return self.acronym or self.name

    @property
    def reference_code(self) -> str | None:
        return self.ref_organization_code or self.ref_structure_code


class FocalPoint(Base):
    """A contact person at a partner; shown with the partner's handling code."""

    __tablename__ = "tf_focal_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("tf_partners.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(60), default="")


class Agreement(Guarded, Base):
    """A memorandum of understanding, joint action plan, letter of intent or exchange of letters."""

    __tablename__ = "tf_agreements"
    __table_args__ = guarded_table_args(
        CheckConstraint(_in("kind", AGREEMENT_KINDS), name="kind"),
        CheckConstraint(_in("status", AGREEMENT_STATUSES), name="status"),
    )
    record_type = "agreement"

    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="in_force")
    signed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    scope: Mapped[str] = mapped_column(Text, default="")

    parties: Mapped[list[AgreementParty]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")
    crime_area_links: Mapped[list[AgreementCrimeArea]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")
    stage_links: Mapped[list[AgreementStage]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")
    activity_links: Mapped[list[AgreementActivity]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")
    event_links: Mapped[list[AgreementEvent]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")

    @property
    def crime_areas(self) -> list[str]:
        return sorted(link.crime_area_code for link in self.crime_area_links)

    @property
    def stages(self) -> list[str]:
        return sorted(link.stage_code for link in self.stage_links)


class AgreementParty(Base):
    __tablename__ = "tf_agreement_parties"

    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("tf_agreements.id", ondelete="CASCADE"), primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("tf_partners.id", ondelete="CASCADE"), primary_key=True, index=True)

    partner: Mapped[Partner] = relationship(lazy="joined")


class AgreementCrimeArea(Base):
    __tablename__ = "tf_agreement_crime_areas"

    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("tf_agreements.id", ondelete="CASCADE"), primary_key=True)
    crime_area_code: Mapped[str] = mapped_column(
        ForeignKey("ref_crime_areas.code"), primary_key=True, index=True)


class AgreementStage(Base):
    __tablename__ = "tf_agreement_stages"

    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("tf_agreements.id", ondelete="CASCADE"), primary_key=True)
    stage_code: Mapped[str] = mapped_column(
        ForeignKey("ref_stages.code"), primary_key=True, index=True)


class AgreementActivity(Base):
    """A joint activity carried out under an agreement."""

    __tablename__ = "tf_agreement_activities"

    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("tf_agreements.id", ondelete="CASCADE"), primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), primary_key=True, index=True)


class AgreementEvent(Base):
    """An event held under an agreement."""

    __tablename__ = "tf_agreement_events"

    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("tf_agreements.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("tf_events.id", ondelete="CASCADE"), primary_key=True, index=True)
