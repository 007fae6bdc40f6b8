"""Commitments: the instrument, paragraph and summary, with their assessments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.reference.tables import RefInstrument
from tocsin.search.registry import Provider, SearchDoc, join_text, register, year_of
from tocsin.taskforce.commitments.tables import (
    Assessment,
    Commitment,
    commitment_crime_areas,
    commitment_stages,
    commitment_structures,
)


def _codes(session: Session, table: Any, column: str, commitment_id: int) -> tuple[str, ...]:
    return tuple(session.scalars(select(table.c[column])
                                 .where(table.c.commitment_id == commitment_id)))


class CommitmentProvider(Provider):
    record_type = "commitment"
    model = Commitment
    watch_tables = frozenset({commitment_crime_areas.name, commitment_stages.name,
                              commitment_structures.name})

    def document(self, record: Commitment) -> SearchDoc | None:
        session = Session.object_session(record)
        if session is None:
            return None
        instrument = session.get(RefInstrument, record.instrument_code)
        where = instrument.identifier if instrument else record.instrument_code
        title = join_text(where, record.paragraph).replace("\n\n", ", ")
        rationales = [a.rationale for a in record.assessments]
        return SearchDoc(
            record_type=self.record_type,
            record_id=str(record.id),
            title=title,
            body=join_text(record.code, instrument.name if instrument else "",
                           record.summary, *rationales),
            handling=record.handling,
            owner_unit_id=record.owner_unit_id,
            url=f"/commitments/{record.id}",
            year=year_of(record.deadline, instrument.date if instrument else None),
            crime_areas=_codes(session, commitment_crime_areas, "crime_area_code", record.id),
            stages=_codes(session, commitment_stages, "stage_code", record.id),
            structures=_codes(session, commitment_structures, "structure_code", record.id),
        )


register(CommitmentProvider(affected_by={Assessment: lambda _s, a: [a.commitment_id]}))
