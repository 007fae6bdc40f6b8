"""Importing threat indicators: every bad row reported with its line, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.coherence.tables import ThreatIndicator
from tocsin.coherence.threats import import_indicators, list_indicators
from tocsin.errors import InputError, PermissionDenied
from tocsin.store.database import Database

HEADER = "crime_area,country,year,kind,value,unit,source,reliability,credibility,handling,note\n"
GOOD = (HEADER
        + "drug_trafficking,RS,2024,seizures,412,seizures,Police report,B,2,GREEN,\n"
        + "drug_trafficking,rs,2024,cases,80,cases,Police report,A,1,,\n"
        + "cybercrime,UA,2024,cases,300,cases,Prosecutor,C,3,AMBER,sensitive\n")


def count(db: Database) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(ThreatIndicator)) or 0)


def test_good_file_is_imported_and_reimport_replaces(platform_db: Database,
                                                     tmp_path: Path) -> None:
    path = tmp_path / "threats.csv"
    path.write_text(GOOD)
    with platform_db.transaction() as session:
        result = import_indicators(session, Principal.system(), path, unit="tntd-spmu")
    assert (result.created, result.replaced) == (3, 0)
    path.write_text(GOOD.replace(",412,", ",500,"))
    with platform_db.transaction() as session:
        again = import_indicators(session, Principal.system(), path, unit="tntd-spmu")
        rows = list_indicators(session, Principal.system(), country="RS")
    assert (again.created, again.replaced) == (0, 3)
    assert {r.kind: r.value for r in rows}["seizures"] == 500
    assert count(platform_db) == 3


def test_every_bad_row_is_reported_and_nothing_written(platform_db: Database) -> None:
    bad = (HEADER
           + "drug_trafficking,RS,2024,seizures,412,seizures,Police report,B,2,GREEN,\n"
           + "no_such_area,XX,20x4,seizures,-3,kg,,G,9,PURPLE,\n"
           + "drug_trafficking,RS,2024,seizures,10,seizures,Police report,B,2,GREEN,\n")
    with pytest.raises(InputError) as caught, platform_db.transaction() as session:
        import_indicators(session, Principal.system(), bad, unit="tntd-spmu")
    text = str(caught.value)
    for expected in ("line 3, column crime_area", "line 3, column country",
                     "line 3, column year", "line 3, column value", "line 3, column unit",
                     "line 3, column source", "line 3, column reliability",
                     "line 3, column credibility", "line 3, column handling",
                     "line 4: repeats line 2"):
        assert expected in text
    assert count(platform_db) == 0


def test_header_and_permissions(platform_db: Database) -> None:
    with pytest.raises(InputError, match="missing column"), \
            platform_db.transaction() as session:
        import_indicators(session, Principal.system(), "crime_area,country\n")
    viewer = Principal(None, "viewer", Role.FUND_MANAGER, None)
    with pytest.raises(PermissionDenied), platform_db.transaction() as session:
        import_indicators(session, viewer, GOOD)


def test_amber_indicators_are_hidden_from_partner_viewers(platform_db: Database) -> None:
    with platform_db.transaction() as session:
        import_indicators(session, Principal.system(), GOOD, unit="tntd-spmu")
        viewer = Principal(None, "viewer", Role.PARTNER_VIEWER, None)
        assert {r.kind for r in list_indicators(session, viewer)} == {"seizures", "cases"}
        assert len(list_indicators(session, viewer)) == 2
