"""Each list format reads into FollowTheMoney entities with programme, date and reference;
bad files are refused with the file, the place and the reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tocsin.errors import InputError
from tocsin.screening.readers import read_list, sniff


def by_ref(read):  # type: ignore[no-untyped-def]
    return {e.reference: e for e in read.entities}


def test_un_list(fixtures: Path) -> None:
    read = read_list("un", [fixtures / "un_v1.xml"])
    assert read.published == "2026-10-01T10:00:00.000Z"
    entries = by_ref(read)
    ivan = entries["KPi.901"]
    assert ivan.entity.schema.name == "Person"
    assert ivan.programme == "DPRK" and ivan.listed_on == "2017-12-22"
    props = ivan.entity.properties
    assert "Иван Петрович Сидоров" in props["name"]
    assert props["birthDate"] == ["1964-01-16"] and props["nationality"] == ["ru"]
    assert props["passportNumber"] == ["472320741"] and props["weakAlias"] == ["Vanya"]
    assert {r.schema.name for r in ivan.related} == {"Sanction", "Address", "Passport"}
    koryo = entries["KPe.903"]
    assert koryo.entity.schema.name == "Organization"
    assert koryo.entity.get("country") == ["kp"]


def test_ofac_csv_set(fixtures: Path) -> None:
    read = read_list("ofac_csv", [fixtures / n for n in ("sdn.csv", "add.csv", "alt.csv")])
    entries = by_ref(read)
    saddam = entries["2674"].entity
    assert saddam.schema.name == "Person"
    assert saddam.get("birthDate") == ["1937-04-28"]
    assert saddam.get("passportNumber") == ["A0012345"]
    assert "Saddam Hussein AL-TIKRITI" in saddam.get("alias")
    assert entries["15036"].entity.schema.name == "Vessel"
    assert entries["15036"].programme == "IRAN; SDGT"
    assert entries["173"].entity.get("country") == ["gb"]
    assert entries["25000"].entity.get("weakAlias") == ["La Jefa"]
    assert any(r.schema.name == "CryptoWallet" for r in entries["25000"].related)


def test_ofac_advanced_xml(fixtures: Path) -> None:
    read = read_list("ofac_xml", [fixtures / "sdn_advanced.xml"])
    assert read.published == "2026-11-28"
    entries = by_ref(read)
    volkov = entries["36001"]
    assert volkov.entity.schema.name == "Person"
    assert volkov.entity.get("name") == ["Dmitry Volkov"]
    assert volkov.entity.get("alias") == ["Dmitri Volkoff"]
    assert volkov.entity.get("birthDate") == ["1971-07-09"]
    assert volkov.entity.get("gender") == ["male"]
    assert volkov.entity.get("passportNumber") == ["753829041"]
    assert volkov.programme == "RUSSIA-EO14024" and volkov.listed_on == "2022-03-11"
    assert entries["36002"].entity.schema.name == "Organization"
    assert entries["36002"].entity.get("weakAlias") == ["PGSL"]
    assert entries["36003"].entity.schema.name == "Vessel"


def test_eu_list(fixtures: Path) -> None:
    read = read_list("eu", [fixtures / "eu.xml"])
    entries = by_ref(read)
    saddam = entries["EU.27.28"]
    assert saddam.programme == "IRQ" and saddam.listed_on == "2003-07-09"
    assert saddam.entity.get("weakAlias") == ["Abu Ali"]
    assert saddam.entity.get("nationality") == ["iq"]
    company = entries["EU.7.44"].entity
    assert company.schema.name == "Organization"
    assert "ООО Балтик Фрейт Логистикс" in company.get("alias")  # noqa: RUF001
    assert company.get("registrationNumber") == ["1027700132195"]


def test_ftm_file(fixtures: Path) -> None:
    read = read_list("ftm", [fixtures / "opensanctions.ftm.json"])
    entries = {str(e.entity.id): e for e in read.entities}
    assert set(entries) == {"NK-4Xr8aUuPKyE6WFdU8tFkDz", "NK-company-1"}
    person = entries["NK-4Xr8aUuPKyE6WFdU8tFkDz"]
    assert person.programme == "IRAN" and person.listed_on == "2019-06-24"
    assert person.reference == "US-IRAN"
    assert [r.schema.name for r in entries["NK-company-1"].related] == ["CryptoWallet"]


def test_sniff(fixtures: Path) -> None:
    assert sniff(fixtures / "un_v1.xml") == "un"
    assert sniff(fixtures / "sdn_advanced.xml") == "ofac_xml"
    assert sniff(fixtures / "eu.xml") == "eu"
    assert sniff(fixtures / "opensanctions.ftm.json") == "ftm"


def test_entities_are_refused(fixtures: Path) -> None:
    with pytest.raises(InputError, match="DOCTYPE declares entities"):
        read_list("un", [fixtures / "un_entities.xml"])


def test_truncated_file_names_the_line(fixtures: Path) -> None:
    with pytest.raises(InputError, match=r"un_truncated.xml:\d+: not well-formed XML"):
        read_list("un", [fixtures / "un_truncated.xml"])


@pytest.mark.parametrize(("fmt", "name"), [
    ("un", "un_v1.xml"), ("ofac_xml", "sdn_advanced.xml"), ("eu", "eu.xml"),
    ("uk", "published/uk_sanctions_list_afg.xml"), ("ofsi", "published/ofsi_conlist_shapes.xml")])
def test_a_byte_the_declared_encoding_refuses_is_placed_by_line(
        fixtures: Path, tmp_path: Path, fmt: str, name: str) -> None:
    # a Latin-1 letter in a file that says UTF-8: lxml's whole-file parse raised a bare
    # OSError ("Error reading file"), found by fuzzing
    lines = (fixtures / name).read_bytes().split(b"\n")
    at = len(lines) - 3  # past the prolog, which is checked on its own
    lines[at] += "\u00e9".encode("latin-1")
    path = tmp_path / Path(name).name
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(InputError) as caught:
        read_list(fmt, [path])
    assert [(p.location, str(p.reason)) for p in caught.value.problems] == [
        (f"{path.name}:{at + 1}", "not well-formed XML (Invalid bytes in character encoding, "
                                  f"line {at + 1}, column {len(lines[at])})")]


def test_an_ofac_date_part_that_is_no_number_ends_the_date_there(fixtures: Path,
                                                                  tmp_path: Path) -> None:
    # found by fuzzing: int(";3") raised ValueError out of the reader
    data = (fixtures / "sdn_advanced.xml").read_text(encoding="utf-8")
    listed = "<Year>2022</Year><Month>3</Month><Day>11</Day>"
    assert data.count(listed) == 1
    for month, day, expected in ((";3", "11", "2022"), ("3", "32", "2022-03"),
                                 ("13", "1", "2022")):
        path = tmp_path / f"sdn-{expected}.xml"
        path.write_text(data.replace(listed, f"<Year>2022</Year><Month>{month}</Month>"
                                             f"<Day>{day}</Day>"), encoding="utf-8")
        assert by_ref(read_list("ofac_xml", [path]))["36001"].listed_on == expected


def test_wrong_file_for_the_format(fixtures: Path) -> None:
    with pytest.raises(InputError, match="not a UN list file"):
        read_list("un", [fixtures / "eu.xml"])
    with pytest.raises(InputError, match="not an OFAC SDN XML file"):
        read_list("ofac_xml", [fixtures / "un_v1.xml"])


def test_record_without_a_name_names_its_xpath(fixtures: Path, tmp_path: Path) -> None:
    bad = tmp_path / "un.xml"
    bad.write_text((fixtures / "un_v1.xml").read_text().replace(
        "<FIRST_NAME>ABU</FIRST_NAME><SECOND_NAME>MOHAMMED</SECOND_NAME>", "")
        .replace("<FIRST_NAME>ABU</FIRST_NAME>", "<FIRST_NAME></FIRST_NAME>")
        .replace("<SECOND_NAME>MOHAMMED</SECOND_NAME>", "")
        .replace("<THIRD_NAME>AL-MASRI</THIRD_NAME>", ""))
    with pytest.raises(InputError) as caught:
        read_list("un", [bad])
    problem = caught.value.problems[0]
    assert "/CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL[2]" in problem.location
    assert "no name" in problem.reason


def test_ofac_csv_bad_rows(fixtures: Path, tmp_path: Path) -> None:
    for name in ("sdn.csv", "add.csv", "alt.csv"):
        shutil.copy(fixtures / name, tmp_path / name)
    (tmp_path / "alt.csv").write_text('99999,1,"aka","NOBODY",-0- \n')
    with pytest.raises(InputError) as caught:
        read_list("ofac_csv", [tmp_path / n for n in ("sdn.csv", "add.csv", "alt.csv")])
    assert caught.value.problems[0].location == "alt.csv:1"
    assert "unknown ent_num" in caught.value.problems[0].reason
    with pytest.raises(InputError, match=r"needs sdn\.csv"):
        read_list("ofac_csv", [tmp_path / "add.csv"])


def test_ftm_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text('{"id": "a", "schema": "Person", "properties": {"name": ["A"]}}\n'
                    '{"id": "b", "schema": "Nonsense"}\nnot json\n')
    with pytest.raises(InputError) as caught:
        read_list("ftm", [path])
    assert [p.location for p in caught.value.problems] == ["e.json:2", "e.json:3"]
