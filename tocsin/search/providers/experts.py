"""The expert roster: who, which organization, expertise and working languages.

Contact details (e-mail, telephone) are not indexed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from tocsin.access.policy import unguarded_select
from tocsin.search.registry import INDEXER, Provider, SearchDoc, join_text, register, shared_text
from tocsin.taskforce.experts.tables import Expert, Expertise, ExpertLanguage
from tocsin.taskforce.partners.tables import Partner


class ExpertProvider(Provider):
    record_type = "expert"
    model = Expert

    def document(self, record: Expert) -> SearchDoc | None:
        session = Session.object_session(record)
        if session is None:
            return None
        partner = shared_text(session, Partner, record.partner_id, record)
        expertise = [join_text(e.crime_area_code, e.stage_code, e.level_name)
                     .replace("\n\n", " ").replace("_", " ") for e in record.expertise]
        return SearchDoc(
            record_type=self.record_type,
            record_id=str(record.id),
            title=record.name,
            body=join_text(record.organization, partner.name if partner else None,
                           "; ".join(expertise),
                           "Languages: " + ", ".join(record.language_codes)
                           if record.language_codes else None, record.notes),
            handling=record.handling,
            owner_unit_id=record.owner_unit_id,
            url=f"/experts/{record.id}",
            crime_areas=tuple(e.crime_area_code for e in record.expertise if e.crime_area_code),
            stages=tuple(e.stage_code for e in record.expertise if e.stage_code),
            countries=tuple(c for c in [partner.country_code if partner else None] if c),
            structures=tuple(s for s in [partner.ref_structure_code if partner else None] if s),
        )


def _expert_of(_session: Session, row: Any) -> Iterable[object]:
    return [row.expert_id]


def _experts_of_partner(session: Session, partner: Partner) -> Iterable[object]:
    return session.scalars(unguarded_select(Expert.id, why=INDEXER)
                           .where(Expert.partner_id == partner.id))


register(ExpertProvider(affected_by={
    **dict.fromkeys((Expertise, ExpertLanguage), _expert_of),
    Partner: _experts_of_partner,
}))
