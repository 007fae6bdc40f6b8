"""Unit codes resolve to ids in one place, on both database engines."""

import pytest

from tocsin.errors import Problem
from tocsin.store.database import Database
from tocsin.types import unit
from tocsin.types.units import unit_choices, unit_code, unit_id, unit_ids


def test_a_unit_code_resolves_to_its_id_and_back(platform_db: Database) -> None:
    with platform_db.transaction() as session:
        ident = unit_id(session, " tntd-spmu ")
        assert unit_code(session, ident) == "tntd-spmu"
        assert unit_ids(session)["tntd-spmu"] == ident
        assert unit.resolve(session, "tntd-spmu") == ident
        assert unit_code(session, None) is None
        assert any(c.value == "tntd-spmu" for c in unit_choices(session))


def test_an_unknown_unit_names_the_location_and_known_codes(platform_db: Database) -> None:
    with platform_db.transaction() as session:
        with pytest.raises(ValueError, match=r"unknown unit 'nowhere' \(known: caricc, coe"):
            unit_id(session, "nowhere")
        problems: list[Problem] = []
        assert unit.check_id(session, "nowhere", "row 2: unit", problems) is None
        assert unit.check_id(session, "", "row 3: unit", problems) is None
        assert [p.location for p in problems] == ["row 2: unit", "row 3: unit"]
        assert problems[1].reason == "no unit given"
