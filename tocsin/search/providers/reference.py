"""The public framework: crime areas, justice-chain stages, instruments and provisions.

Reference entries carry no handling code: they are CLEAR and owned by no unit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.reference.tables import (
    RefCrimeArea,
    RefInstrument,
    RefInstrumentCrimeArea,
    RefProvision,
    RefProvisionCrimeArea,
    RefProvisionStage,
    RefStage,
)
from tocsin.search.registry import Provider, SearchDoc, join_text, register, year_of


def _clear(provider: Provider, key: str, title: str, body: str, url: str,
           **facets: Any) -> SearchDoc:
    return SearchDoc(record_type=provider.record_type, record_id=key, title=title, body=body,
                     handling="CLEAR", owner_unit_id=None, url=url, **facets)


class CrimeAreaProvider(Provider):
    record_type = "crime_area"
    model = RefCrimeArea
    key_attribute = "code"

    def document(self, record: RefCrimeArea) -> SearchDoc | None:
        if record.retired:
            return None
        return _clear(self, record.code, record.name, join_text(record.definition, record.note),
                      f"/framework/crime-areas/{record.code}", crime_areas=(record.code,))


class StageProvider(Provider):
    record_type = "stage"
    model = RefStage
    key_attribute = "code"

    def document(self, record: RefStage) -> SearchDoc | None:
        if record.retired:
            return None
        return _clear(self, record.code, record.name, join_text(record.definition, record.note),
                      f"/framework/stages/{record.code}", stages=(record.code,))


def _links(session: Session, column: Any, value: Any, keys: Sequence[str]
           ) -> dict[str, tuple[str, ...]]:
    """``{key: values}`` of a link table for a batch of keys, in one query."""
    found: dict[str, list[str]] = defaultdict(list)
    for key, code in session.execute(select(column, value).where(column.in_(list(keys)))
                                     .order_by(column, value)):
        found[key].append(code)
    return {key: tuple(codes) for key, codes in found.items()}


class InstrumentProvider(Provider):
    record_type = "instrument"
    model = RefInstrument
    key_attribute = "code"
    watch_tables = frozenset({RefInstrumentCrimeArea.__tablename__})

    def document(self, record: RefInstrument) -> SearchDoc | None:
        return self.documents([record])[0]

    def documents(self, records: Sequence[RefInstrument]) -> list[SearchDoc | None]:
        session = Session.object_session(records[0]) if records else None
        if session is None:
            return [None] * len(records)
        areas = _links(session, RefInstrumentCrimeArea.instrument_code,
                       RefInstrumentCrimeArea.crime_area_code, [r.code for r in records])
        return [None if record.retired else _clear(
            self, record.code, f"{record.identifier} {record.name}".strip(),
            join_text(record.subject, record.body, record.place, record.date_text, record.note),
            f"/framework/instruments/{record.code}", crime_areas=areas.get(record.code, ()),
            year=year_of(record.date)) for record in records]


class ProvisionProvider(Provider):
    record_type = "provision"
    model = RefProvision
    key_attribute = "key"
    watch_tables = frozenset({RefProvisionCrimeArea.__tablename__,
                              RefProvisionStage.__tablename__})

    def document(self, record: RefProvision) -> SearchDoc | None:
        return self.documents([record])[0]

    def documents(self, records: Sequence[RefProvision]) -> list[SearchDoc | None]:
        session = Session.object_session(records[0]) if records else None
        if session is None:
            return [None] * len(records)
        keys = [r.key for r in records]
        instruments = {i.code: i for i in session.scalars(select(RefInstrument).where(
            RefInstrument.code.in_({r.instrument_code for r in records})))}
        areas = _links(session, RefProvisionCrimeArea.provision_key,
                       RefProvisionCrimeArea.crime_area_code, keys)
        stages = _links(session, RefProvisionStage.provision_key, RefProvisionStage.stage_code,
                        keys)
        docs: list[SearchDoc | None] = []
        for record in records:
            instrument = instruments.get(record.instrument_code)
            source = instrument.identifier if instrument else record.instrument_code
            docs.append(None if record.retired else _clear(
                self, record.key, f"{source} {record.number} {record.name}".strip(),
                join_text(record.chapter, instrument.name if instrument else "", record.note),
                f"/framework/instruments/{record.instrument_code}#{record.key}",
                crime_areas=areas.get(record.key, ()), stages=stages.get(record.key, ()),
                year=year_of(instrument.date if instrument else None)))
        return docs


register(CrimeAreaProvider())
register(StageProvider())
register(InstrumentProvider())
register(ProvisionProvider())
