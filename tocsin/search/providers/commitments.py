"""Commitments: the instrument, paragraph and summary, with their assessments."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
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


def _codes(session: Session, table: Any, column: str, ids: Sequence[int]
           ) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = defaultdict(list)
    for commitment_id, code in session.execute(
            select(table.c.commitment_id, table.c[column])
            .where(table.c.commitment_id.in_(list(ids))).order_by(table.c[column])):
        found[commitment_id].append(code)
    return {key: tuple(codes) for key, codes in found.items()}


class CommitmentProvider(Provider):
    record_type = "commitment"
    model = Commitment
    watch_tables = frozenset({commitment_crime_areas.name, commitment_stages.name,
                              commitment_structures.name})

    def document(self, record: Commitment) -> SearchDoc | None:
        return self.documents([record])[0]

    def documents(self, records: Sequence[Commitment]) -> list[SearchDoc | None]:
        """Documents of a batch: link rows, instruments and rationales in one query each."""
        session = Session.object_session(records[0]) if records else None
        if session is None:
            return [None] * len(records)
        ids = [r.id for r in records]
        instruments = {i.code: i for i in session.scalars(select(RefInstrument).where(
            RefInstrument.code.in_({r.instrument_code for r in records})))}
        rationales: dict[int, list[str]] = defaultdict(list)
        for commitment_id, rationale in session.execute(
                select(Assessment.commitment_id, Assessment.rationale)
                .where(Assessment.commitment_id.in_(ids)).order_by(Assessment.id)):
            rationales[commitment_id].append(rationale)
        areas = _codes(session, commitment_crime_areas, "crime_area_code", ids)
        stages = _codes(session, commitment_stages, "stage_code", ids)
        structures = _codes(session, commitment_structures, "structure_code", ids)
        docs: list[SearchDoc | None] = []
        for record in records:
            instrument = instruments.get(record.instrument_code)
            where = instrument.identifier if instrument else record.instrument_code
            docs.append(SearchDoc(
                record_type=self.record_type,
                record_id=str(record.id),
                title=join_text(where, record.paragraph).replace("\n\n", ", "),
                body=join_text(record.code, instrument.name if instrument else "",
                               record.summary, *rationales.get(record.id, [])),
                handling=record.handling,
                owner_unit_id=record.owner_unit_id,
                url=f"/commitments/{record.id}",
                year=year_of(record.deadline, instrument.date if instrument else None),
                crime_areas=areas.get(record.id, ()),
                stages=stages.get(record.id, ()),
                structures=structures.get(record.id, ()),
            ))
        return docs


register(CommitmentProvider(affected_by={Assessment: lambda _s, a: [a.commitment_id]}))
