"""Grading schemes and handling codes as data: loaded, validated, enforced."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.access import grading
from tocsin.errors import ConfigurationError, Problem
from tocsin.safeguards.config import load_rules, rules


def test_the_three_schemes_are_held_as_data() -> None:
    schemes = {s.key: s for s in grading.grading().schemes}
    assert set(schemes) == {"4x4", "3x5x2", "6x6"}
    assert [len(d.grades) for d in schemes["4x4"].dimensions] == [4, 4]
    assert [len(d.grades) for d in schemes["3x5x2"].dimensions] == [3, 5, 2]
    assert [len(d.grades) for d in schemes["6x6"].dimensions] == [6, 6]
    assert schemes["6x6"].written({"source": "B", "information": "2"}) == "B2"
    assert schemes["3x5x2"].written({"source": "1", "information": "A", "sharing": "P"}) == "1AP"
    explained = dict(schemes["4x4"].explained({"source": "B", "information": "2"}))
    assert explained["Source reliability"].startswith("Usually reliable")


def test_grades_are_checked_per_dimension() -> None:
    problems: list[Problem] = []
    assert grading.check_grades("4x4", {"source": "b", "information": "2"}, "s",
                                problems) == {"source": "B", "information": "2"}
    assert problems == []
    grading.check_grades("4x4", {"source": "E", "colour": "red"}, "s", problems)
    where = {p.location: p.reason for p in problems}
    assert "use A, B, C, X" in where["s.source"]
    assert "give the information assessment" in where["s.information"]
    assert "no dimension 'colour'" in where["s.colour"]
    problems = []
    grading.check_grades("5x5", {}, "s", problems)
    assert problems[0].location == "s.scheme" and "4x4" in problems[0].reason


def test_handling_codes_restrict_onward_transfer() -> None:
    assert grading.transfer_refusals("H0", consent=False, as_evidence=True) == []
    assert grading.transfer_refusals("H1", consent=False, as_evidence=False) == []
    assert "use as evidence" in grading.transfer_refusals("H1", consent=False,
                                                          as_evidence=True)[0]
    refused = grading.transfer_refusals("H2", consent=False, as_evidence=False)
    assert len(refused) == 1 and "not consented to passing it on" in refused[0]
    assert grading.transfer_refusals("H2", consent=True, as_evidence=False) == []
    assert "restrictions are respected" in grading.transfer_refusals(
        "H3", consent=False, as_evidence=False, restrictions="only police")[0]
    assert grading.transfer_refusals("H3", consent=False, as_evidence=False,
                                     restrictions_met=True) == []
    assert "unknown" in grading.transfer_refusals("H9", consent=True, as_evidence=False)[0]
    problems: list[Problem] = []
    grading.check_handling_code("H3", "", "s", problems)
    assert problems[0].location == "s.provider_restrictions"


def test_bad_grading_file_names_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "grading.yaml"
    bad.write_text("default: 9x9\nschemes:\n  - key: 4x4\n    label: x\n    dimensions:\n"
                   "      - {key: source, label: S, grades: [{code: A, label: a}, "
                   "{code: A, label: b}]}\n"
                   "      - {key: information, label: I, grades: [{code: '1', label: a}, "
                   "{code: '2', label: b}]}\n")
    with pytest.raises(ConfigurationError, match="listed twice"):
        grading.load_grading(bad)


def test_safeguard_rules_are_data_and_checked(tmp_path: Path) -> None:
    rule = rules()
    victim, suspect = rule.category("victim"), rule.category("suspect")
    assert victim and suspect
    assert victim.review_months < suspect.review_months
    assert victim.audience == "AMBER+STRICT" and victim.sensitive
    assert {c.key for c in rule.categories} >= {"suspect", "convicted", "victim", "witness",
                                                "contact", "informant", "other"}
    text = (Path(__file__).parents[2] / "tocsin/safeguards/data/safeguards.yaml").read_text()
    bad = tmp_path / "rules.yaml"
    bad.write_text(text.replace("audience: AMBER+STRICT", "audience: PURPLE", 1))
    with pytest.raises(ConfigurationError, match=r"categories\.2\.audience"):
        load_rules(bad)


def test_a_written_grade_is_split_into_its_dimensions() -> None:
    assert grading.parse_written("4x4", "b2") == {"source": "B", "information": "2"}
    assert grading.parse_written("3x5x2", "1 A P") == {"source": "1", "information": "A",
                                                       "sharing": "P"}
    problems: list[Problem] = []
    grading.check_grades("6x6", grading.parse_written("6x6", "G7"), "s", problems)
    assert [p.location for p in problems] == ["s.source", "s.information"]
