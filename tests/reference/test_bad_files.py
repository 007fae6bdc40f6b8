"""Broken reference files: every problem names the file, the entry and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.reference.conftest import Edit, entry
from tocsin import i18n
from tocsin.errors import ReferenceDataError
from tocsin.reference.registry import load_registry


def problems(path: Path) -> list[str]:
    with pytest.raises(ReferenceDataError) as caught:
        load_registry(path)
    return [str(p) for p in caught.value.problems]


def test_missing_field(edit: Edit) -> None:
    def drop(data: Any) -> None:
        del entry(data["crime_areas"], "drug_trafficking")["definition"]

    found = problems(edit("crime_areas.yaml", drop))
    assert found == [
        "crime_areas.yaml: entry 'drug_trafficking': field 'definition': required field is missing"
    ]


def test_unknown_crime_area_in_an_instrument(edit: Edit) -> None:
    def typo(data: Any) -> None:
        entry(data["instruments"], "mc-dec-5-05")["crime_areas"] = ["drugs_trafficking"]

    found = problems(edit("instruments/osce_decisions.yaml", typo))
    assert found == [
        "instruments/osce_decisions.yaml: entry 'mc-dec-5-05': field 'crime_areas': "
        "unknown crime area 'drugs_trafficking'"
    ]


def test_unknown_stage_in_a_provision(edit: Edit) -> None:
    def typo(data: Any) -> None:
        entry(data["provisions"], "fatf:r29", key="key")["stages"] = ["inteligence"]

    found = problems(edit("instruments/fatf.yaml", typo))
    assert found == [
        "instruments/fatf.yaml: entry 'fatf:r29': field 'stages': unknown stage 'inteligence'"
    ]


def test_duplicate_code(edit: Edit) -> None:
    def duplicate(data: Any) -> None:
        copy = dict(entry(data["structures"], "tntd-spmu"))
        data["structures"].append(copy)

    found = problems(edit("structures.yaml", duplicate))
    assert len(found) == 1
    assert found[0].startswith("structures.yaml: entry 'tntd-spmu' (#29): field 'code': ")
    assert "duplicate code 'tntd-spmu'" in found[0]


def test_bad_iso_code(edit: Edit) -> None:
    def lower(data: Any) -> None:
        data["states"][0]["code"] = "al"

    found = problems(edit("states.yaml", lower))
    assert len(found) == 1
    assert found[0].startswith("states.yaml: entry 'al': field 'code': 'al' is not allowed")


def test_unknown_field_and_doubt_mark_and_missing_note(edit: Edit) -> None:
    def several(data: Any) -> None:
        item = entry(data["organizations"], "interpol")
        item["website"] = "example.org"
        rcc = entry(data["organizations"], "rcc")
        rcc["seat"] = "Sarajevo (unverified)"
        greco = entry(data["organizations"], "greco")
        greco["confidence"] = "partial"

    found = problems(edit("organizations.yaml", several))
    assert (
        "organizations.yaml: entry 'interpol': field 'website': unknown field (misspelt?)" in found
    )
    assert any(p.startswith("organizations.yaml: entry 'rcc': field 'seat': ") for p in found)
    assert (
        "organizations.yaml: entry 'greco': field 'note': "
        "a partial entry needs a note saying what is unconfirmed" in found
    )


def test_unknown_topic_source_key_and_parent(edit: Edit) -> None:
    edit("crime_areas.yaml", lambda d: entry(d["crime_areas"], "corruption")["crosswalks"]
         .update(ftm_topic=["corruption"]))
    edit("states.yaml", lambda d: d["states"][1].update(source=["S99"]))
    edit("justice_stages.yaml", lambda d: d["stages"][0]["elements"][0].update(source=["S98"]))
    edit("structures.yaml", lambda d: entry(d["structures"], "tntd-cc").update(parent="tntdd"))
    found = problems(edit("organizations.yaml", lambda d: None))
    assert (
        "crime_areas.yaml: entry 'corruption': field 'crosswalks.ftm_topic': "
        "not a followthemoney topic: corruption" in found
    )
    assert (
        "states.yaml: entry 'AD': field 'source': unknown source key 'S99' (see meta.yaml)"
        in found
    )
    assert "structures.yaml: entry 'tntd-cc': field 'parent': unknown parent 'tntdd'" in found
    assert (
        "justice_stages.yaml: entry 'prevention': field 'elements[0].source': "
        "unknown source key 'S98' (see meta.yaml)" in found
    )


def test_yaml_syntax_error_gives_file_and_line(data_copy: Path) -> None:
    (data_copy / "justice_stages.yaml").write_text(
        "stages:\n  - code: prevention\n    name: [Prevention\n    order: 1\n"
    )
    found = problems(data_copy)
    assert len(found) == 1
    assert found[0].startswith("justice_stages.yaml: line 4, column 10: YAML syntax error")


def test_key_given_twice_is_an_error(data_copy: Path) -> None:
    path = data_copy / "meta.yaml"
    path.write_text(path.read_text() + 'version: "2026.12.1"\n')
    found = problems(data_copy)
    assert len(found) == 1 and found[0].startswith("meta.yaml: line ")
    assert "'version' is given twice" in found[0]


def test_all_problems_are_collected_before_raising(edit: Edit) -> None:
    edit("crime_areas.yaml", lambda d: d["crime_areas"][0].pop("name"))
    found = problems(edit("states.yaml", lambda d: d["states"][0].update(alpha3="ALBA")))
    assert len(found) == 2
    assert {p.split(":")[0] for p in found} == {"crime_areas.yaml", "states.yaml"}


def test_entry_without_code_is_named_by_position(edit: Edit) -> None:
    found = problems(edit("structures.yaml", lambda d: d["structures"][1].pop("code")))
    assert found == ["structures.yaml: entry #2: field 'code': required field is missing"]


def test_parent_cycle(edit: Edit) -> None:
    found = problems(
        edit("structures.yaml", lambda d: entry(d["structures"], "tntd").update(parent="tntd-cc"))
    )
    assert "structures.yaml: entry 'tntd': field 'parent': parents form a cycle" in found


def test_state_codes_are_iso_3166(edit: Edit) -> None:
    def wrong(data: Any) -> None:
        entry(data["states"], "AT")["alpha3"] = "AUS"
        entry(data["states"], "BE")["code"] = "BX"

    found = problems(edit("states.yaml", wrong))
    assert found == [
        "states.yaml: entry 'AT': field 'alpha3': 'AUS' is not the ISO 3166-1 alpha-3 code of AT",
        "states.yaml: entry 'BX': field 'code': 'BX' is not an ISO 3166-1 alpha-2 code",
    ]


def test_problems_are_shown_in_the_readers_language(edit: Edit) -> None:
    def several(data: Any) -> None:
        del entry(data["organizations"], "interpol")["name"]
        entry(data["organizations"], "greco")["confidence"] = "partial"
        entry(data["organizations"], "rcc")["website"] = "example.org"

    with pytest.raises(ReferenceDataError) as caught:
        load_registry(edit("organizations.yaml", several))
    english = [str(p) for p in caught.value.problems]
    assert "organizations.yaml: entry 'interpol': field 'name': required field is missing" \
        in english  # the stored text stays English
    with i18n.using("ru"):
        shown = [str(p) for p in caught.value.problems]
        summary = str(caught.value).splitlines()[0]
    assert "organizations.yaml: запись 'interpol': поле 'name': не указано обязательное поле" \
        in shown
    assert "organizations.yaml: запись 'rcc': поле 'website': неизвестное поле (опечатка?)" \
        in shown
    assert any(p.startswith("organizations.yaml: запись 'greco': поле 'note': записи")
               and "partial нужна заметка" in p for p in shown), shown
    assert summary.startswith("справочные данные в ") and "(проблем: 3)" in summary
    with i18n.using("fr"):  # French puts a space before the colon
        assert any(str(p).startswith("organizations.yaml : entrée 'interpol' : champ 'name'")
                   and "champ obligatoire manquant" in str(p) for p in caught.value.problems)


def test_cross_file_problems_in_the_readers_language(edit: Edit) -> None:
    def duplicate(data: Any) -> None:
        data["structures"].append(dict(entry(data["structures"], "tntd-spmu")))
        entry(data["structures"], "tntd-cc")["parent"] = "tntdd"

    found = problems_of(edit("structures.yaml", duplicate))
    with i18n.using("ru"):
        shown = [str(p) for p in found]
    assert "structures.yaml: запись 'tntd-cc': поле 'parent': неизвестный родитель 'tntdd'" \
        in shown
    assert any(p.startswith("structures.yaml: запись 'tntd-spmu' (№ 29): поле 'code': "
                            "повторяется код 'tntd-spmu'; впервые встречается в structures.yaml")
               for p in shown), shown


def problems_of(path: Path) -> list[Any]:
    with pytest.raises(ReferenceDataError) as caught:
        load_registry(path)
    return caught.value.problems
