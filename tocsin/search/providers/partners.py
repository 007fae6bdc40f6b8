"""Partners (with their focal points' names and roles) and co-operation agreements."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.search.registry import Provider, SearchDoc, join_text, register, shared, year_of
from tocsin.taskforce.partners.tables import (
    Agreement,
    AgreementCrimeArea,
    AgreementParty,
    AgreementStage,
    FocalPoint,
    Partner,
)


def words(code: str) -> str:
    return code.replace("_", " ")


def partner_countries(partners: Sequence[Partner]) -> tuple[str, ...]:
    return tuple(p.country_code for p in partners if p.country_code)


def partner_structures(partners: Sequence[Partner]) -> tuple[str, ...]:
    """The organization's own structures among some partners."""
    return tuple(p.ref_structure_code for p in partners if p.ref_structure_code)


class PartnerProvider(Provider):
    record_type = "partner"
    model = Partner

    def document(self, record: Partner) -> SearchDoc:
        # Names and roles of focal points, never their e-mail addresses or telephones.
        contacts = "; ".join(join_text(f.name, f.role).replace("\n\n", ", ")
                             for f in record.focal_points)
        return SearchDoc(
            record_type=self.record_type,
            record_id=str(record.id),
            title=f"{record.name} ({record.acronym})" if record.acronym else record.name,
            body=join_text(words(record.kind), record.reference_code, record.description,
                           contacts),
            handling=record.handling,
            owner_unit_id=record.owner_unit_id,
            url=f"/partners/{record.id}",
            countries=partner_countries([record]),
            structures=partner_structures([record]),
        )


class AgreementProvider(Provider):
    record_type = "agreement"
    model = Agreement

    def document(self, record: Agreement) -> SearchDoc:
        parties = shared((link.partner for link in record.parties), record)
        return SearchDoc(
            record_type=self.record_type,
            record_id=str(record.id),
            title=record.title,
            body=join_text(f"{words(record.kind).capitalize()}, {words(record.status)}",
                           ", ".join(p.label for p in parties), record.scope),
            handling=record.handling,
            owner_unit_id=record.owner_unit_id,
            url=f"/partners/agreements/{record.id}",
            year=year_of(record.signed_on, record.valid_from),
            crime_areas=tuple(record.crime_areas),
            stages=tuple(record.stages),
            countries=partner_countries(parties),
            structures=partner_structures(parties),
        )


def _partner_of(_session: Session, row: Any) -> Iterable[object]:
    return [row.partner_id]


def _agreement_of(_session: Session, row: Any) -> Iterable[object]:
    return [row.agreement_id]


def _agreements_of_partner(session: Session, partner: Partner) -> Iterable[object]:
    return session.scalars(select(AgreementParty.agreement_id)
                           .where(AgreementParty.partner_id == partner.id))


register(PartnerProvider(affected_by={FocalPoint: _partner_of}))
register(AgreementProvider(affected_by={
    **dict.fromkeys((AgreementParty, AgreementCrimeArea, AgreementStage), _agreement_of),
    Partner: _agreements_of_partner,
}))
