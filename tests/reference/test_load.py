"""Loading the registry into the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Column, ForeignKey, Integer, String, Table, func, select

from tests.reference.conftest import Edit, entry
from tocsin.access.tables import Unit, User
from tocsin.reference.load import SyncReport, sync_reference
from tocsin.reference.registry import Registry, load_registry
from tocsin.reference.tables import (
    RefCountry,
    RefCrimeArea,
    RefCrimeAreaCrosswalk,
    RefInstrument,
    RefMeta,
    RefProvision,
    RefProvisionStage,
    RefStructure,
)
from tocsin.store.base import Base
from tocsin.store.database import Database


def sync(db: Database, registry: Registry) -> SyncReport:
    with db.transaction() as session:
        return sync_reference(session, registry)


def count(db: Database, model: Any) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_loads_everything_then_changes_nothing(db: Database) -> None:
    registry = load_registry()
    first = sync(db, registry)
    assert first.previous_version is None
    assert first.counts()["updated"] == 0 and first.counts()["inserted"] > 300
    assert count(db, RefCountry) == 68
    assert count(db, RefProvision) == len(registry.provisions)
    assert count(db, RefInstrument) == len(registry.instruments)
    assert count(db, RefProvisionStage) == sum(len(p.stages) for p in registry.provisions)
    with db.transaction() as session:
        assert session.get(RefMeta, "version").value == registry.version  # type: ignore[union-attr]
        spmu = session.get(RefStructure, "tntd-spmu")
        assert spmu is not None and spmu.parent_code == "tntd" and spmu.retired is False
        art13 = session.get(RefProvision, "untoc:art13")
        assert art13 is not None and art13.position == 13 and art13.confidence == "unverified"
        fatf = session.scalars(
            select(RefCrimeAreaCrosswalk.confidence).where(
                RefCrimeAreaCrosswalk.scheme == "fatf_category"
            )
        ).all()
        assert set(fatf) == {"unverified"}
        pact = session.get(RefInstrument, "mc-dec-3-05")
        assert pact is not None and pact.date is not None and pact.date.isoformat() == "2005-12-06"

    second = sync(db, registry)
    assert not second.changed
    assert second.previous_version == registry.version
    assert second.counts()["unchanged"] == first.counts()["inserted"]


def test_units_for_structures_and_partners(db: Database) -> None:
    registry = load_registry()
    report = sync(db, registry)
    assert report.units_created == len(registry.structures) + len(registry.organizations)
    with db.transaction() as session:
        units = {u.code: u for u in session.scalars(select(Unit))}
        assert units["tntd-spmu"].kind == "structure"
        assert units["tntd-spmu"].name == "Strategic Police Matters Unit"
        assert units["unodc"].kind == "partner"
        assert units["fo-kosovo"].name == "OSCE Mission in Kosovo"


def test_changed_definition_updates_only_that_row(db: Database, edit: Edit) -> None:
    sync(db, load_registry())

    def reword(data: Any) -> None:
        entry(data["crime_areas"], "cybercrime")["definition"] = (
            "Crimes against computer systems and crimes committed at scale through networks."
        )

    report = sync(db, load_registry(edit("crime_areas.yaml", reword)))
    assert report.counts()["updated"] == 1
    assert report.counts()["inserted"] == report.counts()["removed"] == 0
    assert report.tables["ref_crime_areas"].updated == 1
    with db.transaction() as session:
        area = session.get(RefCrimeArea, "cybercrime")
        assert area is not None and area.definition.startswith("Crimes against computer")


def test_user_records_and_units_survive_an_upgrade(db: Database, edit: Edit) -> None:
    sync(db, load_registry())
    with db.transaction() as session:
        unit = session.scalars(select(Unit).where(Unit.code == "tntd-cyber")).one()
        session.add(User(username="cyber-analyst", password_hash="x", role="analyst",
                         unit_id=unit.id))

    def upgrade(data: Any) -> None:
        data["structures"].remove(entry(data["structures"], "tntd-cyber"))
        entry(data["structures"], "tntd-spmu")["name"] = "Strategic Police Matters Unit (SPMU)"

    report = sync(db, load_registry(edit("structures.yaml", upgrade)))
    assert report.tables["ref_structures"].removed == 1
    assert report.units_updated == 1 and report.units_created == 0
    with db.transaction() as session:
        assert session.get(RefStructure, "tntd-cyber") is None
        user = session.scalars(select(User).where(User.username == "cyber-analyst")).one()
        assert user.unit.code == "tntd-cyber"  # the owning unit stays: records keep their owner
        spmu = session.scalars(select(Unit).where(Unit.code == "tntd-spmu")).one()
        assert spmu.name == "Strategic Police Matters Unit (SPMU)"


@pytest.fixture
def pointer_table(db: Database) -> Iterator[Table]:
    """A stand-in for another topic's table with a foreign key to a crime area."""
    table = Table(
        "test_ref_pointers",
        Base.metadata,
        Column("id", Integer, primary_key=True),
        Column("crime_area_code", String(64), ForeignKey("ref_crime_areas.code")),
    )
    table.create(db.engine)
    try:
        yield table
    finally:
        table.drop(db.engine)
        Base.metadata.remove(table)


def test_referenced_entries_are_retired_others_removed(
    db: Database, edit: Edit, pointer_table: Table
) -> None:
    registry = load_registry()
    sync(db, registry)
    with db.transaction() as session:
        session.execute(pointer_table.insert().values(id=1, crime_area_code="maritime_crime"))

    def drop(data: Any) -> None:
        for code in ("maritime_crime", "cultural_property_trafficking"):
            data["crime_areas"].remove(entry(data["crime_areas"], code))

    report = sync(db, load_registry(edit("crime_areas.yaml", drop)))
    assert report.tables["ref_crime_areas"].retired == 1
    assert report.tables["ref_crime_areas"].removed == 1
    with db.transaction() as session:
        maritime = session.get(RefCrimeArea, "maritime_crime")
        assert maritime is not None and maritime.retired
        assert session.get(RefCrimeArea, "cultural_property_trafficking") is None
        walks = session.scalars(
            select(RefCrimeAreaCrosswalk).where(
                RefCrimeAreaCrosswalk.crime_area_code == "maritime_crime"
            )
        ).all()
        assert walks == []

    back = sync(db, registry)  # the entries return in a later version
    assert back.tables["ref_crime_areas"].inserted == 1
    # maritime_crime is un-retired; entries after the two gaps move back to their old position
    assert back.tables["ref_crime_areas"].updated == 7
    with db.transaction() as session:
        maritime = session.get(RefCrimeArea, "maritime_crime")
        assert maritime is not None and not maritime.retired
    assert not sync(db, registry).changed
