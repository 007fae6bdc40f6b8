"""The public framework: crime areas, justice-chain stages, instruments and provisions.

Reference entries carry no handling code: they are CLEAR and owned by no unit.
"""

from __future__ import annotations

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


class InstrumentProvider(Provider):
    record_type = "instrument"
    model = RefInstrument
    key_attribute = "code"
    watch_tables = frozenset({RefInstrumentCrimeArea.__tablename__})

    def document(self, record: RefInstrument) -> SearchDoc | None:
        session = Session.object_session(record)
        if record.retired or session is None:
            return None
        areas = tuple(session.scalars(select(RefInstrumentCrimeArea.crime_area_code).where(
            RefInstrumentCrimeArea.instrument_code == record.code)))
        return _clear(self, record.code, f"{record.identifier} {record.name}".strip(),
                      join_text(record.subject, record.body, record.place, record.date_text,
                                record.note),
                      f"/framework/instruments/{record.code}", crime_areas=areas,
                      year=year_of(record.date))


class ProvisionProvider(Provider):
    record_type = "provision"
    model = RefProvision
    key_attribute = "key"
    watch_tables = frozenset({RefProvisionCrimeArea.__tablename__,
                              RefProvisionStage.__tablename__})

    def document(self, record: RefProvision) -> SearchDoc | None:
        session = Session.object_session(record)
        if record.retired or session is None:
            return None
        instrument = session.get(RefInstrument, record.instrument_code)
        areas = tuple(session.scalars(select(RefProvisionCrimeArea.crime_area_code).where(
            RefProvisionCrimeArea.provision_key == record.key)))
        stages = tuple(session.scalars(select(RefProvisionStage.stage_code).where(
            RefProvisionStage.provision_key == record.key)))
        source = instrument.identifier if instrument else record.instrument_code
        return _clear(self, record.key, f"{source} {record.number} {record.name}".strip(),
                      join_text(record.chapter, instrument.name if instrument else "",
                                record.note),
                      f"/framework/instruments/{record.instrument_code}#{record.key}",
                      crime_areas=areas, stages=stages,
                      year=year_of(instrument.date if instrument else None))


register(CrimeAreaProvider())
register(StageProvider())
register(InstrumentProvider())
register(ProvisionProvider())
