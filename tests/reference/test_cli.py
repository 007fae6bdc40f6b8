"""``tocsin reference check`` and ``show``."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from tests.reference.conftest import Edit, entry
from tocsin.cli.reference import app

runner = CliRunner()


def test_check_prints_counts() -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "provisions" in result.output and "90" in result.output
    assert "is valid" in result.output


def test_check_lists_every_problem_and_fails(edit: Edit) -> None:
    def break_two(data: Any) -> None:
        entry(data["crime_areas"], "corruption").pop("definition")
        entry(data["crime_areas"], "cybercrime")["dac_sector"] = "ICT"

    path = edit("crime_areas.yaml", break_two)
    result = runner.invoke(app, ["check", "--path", str(path)])
    assert result.exit_code == 1
    assert "2 problems" in result.output
    assert "crime_areas.yaml: entry 'corruption': field 'definition'" in result.output
    assert "crime_areas.yaml: entry 'cybercrime': field 'dac_sector'" in result.output


def test_show_lists_and_shows_one() -> None:
    listing = runner.invoke(app, ["show", "crime-areas"])
    assert listing.exit_code == 0
    assert "drug_trafficking" in listing.output and "money_laundering" in listing.output
    one = runner.invoke(app, ["show", "provisions", "untoc:art18"])
    assert one.exit_code == 0
    assert "Mutual legal assistance" in one.output
    assert "international_cooperation" in one.output


def test_show_rejects_unknown_kind_and_code() -> None:
    assert runner.invoke(app, ["show", "treaties"]).exit_code == 2
    missing = runner.invoke(app, ["show", "states", "XK"])
    assert missing.exit_code == 1
    assert "states: no entry has the code 'XK'" in missing.output
