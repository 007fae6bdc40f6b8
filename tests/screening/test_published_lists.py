"""The readers on files as the list publishers write them (``tests/fixtures/screening/
published/``, sources in its ``SOURCES.md``): names, aliases, dates of birth, nationalities,
identifiers, programmes and entity types land where they belong, what the platform cannot
hold is named in the read's notes, and a file that is not the list it claims is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.access.principal import Principal
from tocsin.errors import InputError
from tocsin.screening import service
from tocsin.screening.readers import ListEntity, ListRead, read_list, sniff
from tocsin.screening.readers.base import Streamed, make, text
from tocsin.store.database import Database

PUBLISHED = Path(__file__).parent.parent / "fixtures" / "screening" / "published"


def by_ref(read: ListRead) -> dict[str, ListEntity]:
    return {e.reference: e for e in read.entities}


# --------------------------------------------------------------------------- OFAC CSV


def ofac_consolidated() -> ListRead:
    return read_list("ofac_csv", [PUBLISHED / n for n in ("cons_prim.csv", "cons_add.csv",
                                                         "cons_alt.csv")])


def test_ofac_consolidated_csv_set_is_read_by_its_own_file_names() -> None:
    # OFAC names the non-SDN set cons_prim / cons_add / cons_alt: all three are read.
    read = ofac_consolidated()
    entries = {e.reference: e.entity for e in read.entities}
    assert len(entries) == 8
    assert "Tehran, Tehran 1965643511, Iran" not in entries["4637"].get("address")
    assert any("Firouzeh Tower" in a for a in entries["4637"].get("address"))
    assert entries["4641"].get("country") == ["de"]
    assert "DEUTSCH-IRANISCHE HANDELSBANK AG" in entries["4641"].get("alias")
    assert entries["9659"].get("country") == ["ps"]  # "Region: Gaza"
    assert "Fathi HAMAD" in entries["9659"].get("alias")


def test_ofac_remarks_aka_is_a_weak_alias() -> None:
    # OFAC's XML gives BIM the category "weak"; the CSV writes it as "a.k.a. 'BIM'" in Remarks.
    bim = {e.reference: e.entity for e in ofac_consolidated().entities}["4637"]
    assert bim.get("weakAlias") == ["BIM"]
    assert "BIM" not in bim.get("alias")
    assert "BANK SANAD VA MADAN" in bim.get("alias")


def test_ofac_remarks_registration_numbers_are_kept() -> None:
    entries = {e.reference: e for e in ofac_consolidated().entities}
    edbi = entries["11208"]
    assert edbi.entity.get("registrationNumber") == ["86936"]
    assert any(r.schema.name == "Identification" and r.get("country") == ["ir"]
               for r in edbi.related)
    future = entries["10664"].entity
    assert sorted(future.get("registrationNumber")) == ["13388", "54514-1"]


def test_ofac_remarks_are_kept_whole_as_notes() -> None:
    # Prose no rule reads ("all offices worldwide", the secondary-sanctions statement) stays.
    tejarat = {e.reference: e.entity for e in ofac_consolidated().entities}["4640"]
    assert tejarat.get("swiftBic") == ["BTEJIRTH"]
    (note,) = tejarat.get("notes")
    assert "Executive Order 13599" in note and "all offices worldwide" in note


def test_ofac_programmes_and_people() -> None:
    entries = {e.reference: e for e in ofac_consolidated().entities}
    hammad = entries["9659"]
    assert hammad.programme == "SDGT; NS-PLC"
    assert hammad.entity.schema.name == "Person"
    assert hammad.entity.get("birthDate") == ["1961"]
    assert hammad.entity.get("lastName") == ["HAMMAD"]
    assert entries["4640"].entity.schema.name == "Organization"


def test_ofac_alt_remarks_and_date_spans(tmp_path: Path) -> None:
    # The SDN file writes further values with "alt." and spans of years with "to".
    (tmp_path / "sdn.csv").write_text(
        '21727,"JEDI, Muhammad Wanndy Bin Mohamed","individual","SDGT",-0- ,-0- ,-0- ,-0- ,'
        '-0- ,-0- ,-0- ,"DOB 16 Nov 1990; alt. DOB 1987 to 1989; POB Durian Tunggal, Malacca, '
        'Malaysia; nationality Malaysia; Gender Male; Passport A33373751 (Malaysia); '
        'alt. Passport A11111111 (Malaysia); National ID No. 90116-04-5293."\n')
    (jedi,) = read_list("ofac_csv", [tmp_path / "sdn.csv"]).entities
    props = jedi.entity
    assert sorted(props.get("birthDate")) == ["1987", "1988", "1989", "1990-11-16"]
    assert sorted(props.get("passportNumber")) == ["A11111111", "A33373751"]
    assert props.get("nationality") == ["my"]


# --------------------------------------------------------------------------- UN


def un_list() -> ListRead:
    return read_list("un", [PUBLISHED / "un_consolidated.xml"])


def test_un_shapes_land_where_they_belong() -> None:
    read = un_list()
    assert sniff(PUBLISHED / "un_consolidated.xml") == "un"
    assert read.published == "2026-11-20T19:09:21.822-05:00"
    entries = by_ref(read)
    assert set(entries) == {"KPi.901", "QDi.901", "QDi.902", "TAi.901", "IRi.901", "QDe.901",
                            "KPe.901", "IRe.901"}  # padded "KPi.901 " read as KPi.901
    pak = entries["KPi.901"]
    assert pak.entity.get("name") == ["PAK SONG MIN"]
    assert pak.entity.get("nationality") == ["kp"]
    assert sorted(pak.entity.get("birthDate")) == ["1964-07-17", "1966-02-03"]
    assert sorted(pak.entity.get("passportNumber")) == ["381310014", "654120219"]
    assert not pak.entity.get("alias")  # the empty <INDIVIDUAL_ALIAS> adds nothing
    hadi = entries["QDi.901"].entity
    assert hadi.get("alias") == ["Hadi Abdelwahid"] and hadi.get("weakAlias") == ["Abu Sayf"]
    nasir = entries["QDi.902"].entity
    assert "ناصر عبد القادر عبد الكريم" in nasir.get("name")
    assert nasir.get("gender") == ["male"]
    fereidoun = entries["IRi.901"].entity
    assert sorted(fereidoun.get("birthDate")) == ["1958", "1959"]
    assert fereidoun.get("birthCountry") == ["ir"]  # "Iran (Islamic Republic of)"
    group = entries["QDe.901"]
    assert group.entity.schema.name == "Organization" and group.programme == "Al-Qaida"
    assert "Le Groupe pour la Predication du Nord" in group.entity.get("alias")
    assert sorted(group.entity.get("country")) == ["dz", "ml"]
    assert entries["IRe.901"].entity.get("name") == ["YA HADI INDUSTRIES GROUP"]


def test_un_between_is_every_year_of_the_span() -> None:
    hadi = by_ref(un_list())["QDi.901"].entity
    assert sorted(hadi.get("birthDate")) == ["1965", "1966", "1967", "1968", "1969"]


def test_un_alias_birth_and_note_are_kept() -> None:
    nasir = by_ref(un_list())["QDi.902"].entity
    assert sorted(nasir.get("birthDate")) == ["1961", "1963"]  # APPROXIMATELY 1961; the alias'
    assert sorted(nasir.get("birthPlace")) == ["Kirkuk, Iraq", "Mosul, Iraq"]
    assert "Nasser Abdelkader: Name used in travel documents" in nasir.get("notes")


def test_un_zip_code_and_address_note_are_kept() -> None:
    entries = by_ref(un_list())
    assert entries["KPe.901"].entity.get("address") == [
        "419-201, Tongyi Lu, Huancui Qu, Shandong, 264200, China"]
    (place,) = [r for r in entries["QDi.901"].related if r.schema.name == "Address"]
    assert place.get("remarks") == ["Location as of April 2016"]


def test_un_documents_keep_their_second_type_dates_and_numberless_text() -> None:
    entries = by_ref(un_list())
    (card,) = [r for r in entries["QDi.902"].related if r.schema.name == "Identification"]
    assert card.get("type") == ["National Identification Number (Ration Card no)"]
    (passport,) = [r for r in entries["IRi.901"].related if r.schema.name == "Passport"]
    assert passport.get("startDate") == ["2009-08-31"]
    assert passport.get("summary") == ["expired on 30 Aug. 2014"]
    assert passport.get("country") == ["jo"]
    # No NUMBER: the number is inside TYPE_OF_DOCUMENT2, kept as the UN wrote it.
    assert ("National Identification Number: Afghan national identification card (tazkira) "
            "number 44324") in entries["TAi.901"].entity.get("notes")


def test_un_nationality_the_platform_cannot_hold_is_named() -> None:
    read = un_list()
    assert by_ref(read)["TAi.901"].entity.get("nationality") == ["af"]
    (note,) = read.notes
    assert note.location.startswith("un_consolidated.xml:7 (")
    assert note.location.endswith("/INDIVIDUALS/INDIVIDUAL[4])")
    assert "'Borduria'" in str(note.reason)


def test_un_notes_reach_the_import_report(platform_db: Database, analyst: Principal) -> None:
    with platform_db.transaction() as session:
        report, _ = service.import_list(session, analyst, "un",
                                        [PUBLISHED / "un_consolidated.xml"])
    assert report.entries == 8
    assert ["'Borduria'" in str(n.reason) for n in report.notes] == [True]


# --------------------------------------------------------------------------- EU


@pytest.mark.parametrize("name", ["eu_1_1.xml", "eu_no_namespace.xml"])
def test_eu_shapes_land_where_they_belong(name: str) -> None:
    read = read_list("eu", [PUBLISHED / name])
    assert sniff(PUBLISHED / name) == "eu"
    assert read.published == "2026-11-30T18:04:11.268+01:00"
    entries = by_ref(read)
    pavel = entries["EU.9001.11"]
    assert pavel.programme == "RUS" and pavel.listed_on == "2022-03-15"
    assert pavel.entity.get("name") == ["Pavel Igorevich Zarubin"]
    assert pavel.entity.get("alias") == ["Павел Игоревич Зарубин"]
    assert pavel.entity.get("weakAlias") == ["Pasha Zarubin"]
    assert pavel.entity.get("passportNumber") == ["753112233"]
    assert pavel.entity.get("nationality") == ["ru"]  # "00" (unknown) adds nothing
    aziz = entries["EU.9002.12"]
    assert aziz.programme == "AFG" and aziz.listed_on == "2011-08-01"
    assert "TAi.901" in aziz.entity.get("notes")
    company = entries["EU.9003.13"].entity
    assert company.schema.name == "Organization"
    assert company.get("registrationNumber") == ["1022900001234"]
    assert company.get("country") == ["ru"]


@pytest.mark.parametrize("name", ["eu_1_1.xml", "eu_no_namespace.xml"])
def test_eu_partial_dates_and_year_ranges(name: str) -> None:
    entries = by_ref(read_list("eu", [PUBLISHED / name]))
    # monthOfYear and year without a day: a month, not a year.
    assert sorted(entries["EU.9001.11"].entity.get("birthDate")) == ["1971-05-12", "1972-03"]
    # yearRangeFrom 1953, yearRangeTo 1958 (circa); a further birthdate, year 1960 (circa).
    assert sorted(entries["EU.9002.12"].entity.get("birthDate")) == [
        "1953", "1954", "1955", "1956", "1957", "1958", "1960"]


def test_eu_unknown_country_is_not_a_birth_place() -> None:
    pavel = by_ref(read_list("eu", [PUBLISHED / "eu_1_1.xml"]))["EU.9001.11"].entity
    assert pavel.get("birthPlace") == ["Perm, RUSSIAN FEDERATION"]
    assert pavel.get("birthCountry") == ["ru"]


def test_eu_tax_numbers() -> None:
    entries = by_ref(read_list("eu", [PUBLISHED / "eu_1_1.xml"]))
    assert entries["EU.9001.11"].entity.get("taxNumber") == ["590312345678"]
    assert entries["EU.9003.13"].entity.get("taxNumber") == ["2901001234"]
    assert not entries["EU.9003.13"].entity.get("idNumber")


def test_eu_subject_type_by_classification_code_alone() -> None:
    # Without subjectType/@code the entries were neither persons nor organisations.
    entries = by_ref(read_list("eu", [PUBLISHED / "eu_no_namespace.xml"]))
    assert entries["EU.9001.11"].entity.schema.name == "Person"
    assert entries["EU.9003.13"].entity.schema.name == "Organization"


def test_eu_bad_entry_names_its_place_by_local_names(tmp_path: Path) -> None:
    # lxml's own path of an element of a namespaced file is "/*/*[2]", which names nothing.
    bad = tmp_path / "eu.xml"
    bad.write_text((PUBLISHED / "eu_1_1.xml").read_text(encoding="utf-8").replace(
        'logicalId="900002"', 'logicalId=""'), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_list("eu", [bad])
    (problem,) = caught.value.problems
    assert problem.location == "eu.xml:29 (/export/sanctionEntity[2])"


# --------------------------------------------------------------------------- OFAC XML


def test_ofac_classic_xml_is_read() -> None:
    # OFAC's classic XML (sdn.xml, consolidated.xml) was refused: only the advanced XML was read.
    for name in ("consolidated_classic.xml", "consolidated_classic_2018.xml"):
        assert sniff(PUBLISHED / name) == "ofac_xml"
    read = read_list("ofac_xml", [PUBLISHED / "consolidated_classic.xml"])
    assert read.published == "2024-05-06" and not read.notes
    entries = by_ref(read)
    zahhar = entries["9647"]
    assert zahhar.programme == "NS-PLC; SDGT"
    assert zahhar.entity.schema.name == "Person"
    assert zahhar.entity.get("name") == ["Mahmoud Khaled ZAHHAR"]
    assert zahhar.entity.get("alias") == ["Mahmoud Khaled AL ZAHAR"]
    assert sorted(zahhar.entity.get("weakAlias")) == ["Mahmoud AL-ZAHAR", "Mahmoud ZAHAR"]
    assert zahhar.entity.get("nationality") == ["ps"]
    assert zahhar.entity.get("gender") == ["male"]
    assert zahhar.entity.get("birthDate") == ["1945"]
    assert zahhar.entity.get("birthPlace") == ["Gaza Strip"]
    # What no property holds is kept as written.
    assert any(n.startswith("Secondary sanctions risk: section 1(b)")
               for n in zahhar.entity.get("notes"))
    assert "(Linked To: HAMAS)" in zahhar.entity.get("notes")
    assert sorted(entries["9639"].entity.get("alias")) == ["Ismaeel HANIYYA", "Ismail HANIYA"]


def test_ofac_classic_xml_of_2018_agrees_with_the_csv_of_the_same_day() -> None:
    xml = by_ref(read_list("ofac_xml", [PUBLISHED / "consolidated_classic_2018.xml"]))
    csv = {e.reference: e for e in ofac_consolidated().entities}
    for uid in ("4637", "4640"):
        for prop in ("name", "alias", "weakAlias", "swiftBic"):
            assert sorted(xml[uid].entity.get(prop)) == sorted(csv[uid].entity.get(prop)), \
                (uid, prop)
        assert xml[uid].programme == csv[uid].programme == "IRAN"
        assert xml[uid].entity.schema.name == "Organization"
    assert xml["4637"].entity.get("address") == [
        "PO Box 15875-4456, Firouzeh Tower, No 1655 Vali-Asr Ave after Chamran Crossroads, "
        "Tehran, 1965643511, Iran",
        "No 1655, Firouzeh Building, Mahmoudiye Street, Valiasr Ave, Tehran, Iran"]


def test_ofac_classic_xml_shapes() -> None:
    read = read_list("ofac_xml", [PUBLISHED / "sdn_classic_shapes.xml"])
    entries = by_ref(read)
    karim = entries["90001"].entity
    assert sorted(karim.get("birthDate")) == ["1958", "1960-12-12", "1961-03", "1963", "1964",
                                              "1965"]
    assert karim.get("passportNumber") == ["A0012399"] and karim.get("idNumber") == ["00112233"]
    assert karim.get("nationality") == ["iq"] and karim.get("citizenship") == ["jo"]
    assert karim.get("title") == ["Former Governor"]
    (passport,) = [r for r in entries["90001"].related if r.schema.name == "Passport"]
    assert passport.get("country") == ["iq"]
    company = entries["90002"]
    assert company.entity.get("registrationNumber") == ["55021-7"]
    assert company.entity.get("alias") == ["NORTHERN GENERAL TRADING"]
    assert any(r.schema.name == "CryptoWallet" for r in company.related)
    vessel = entries["90003"].entity
    assert vessel.schema.name == "Vessel"
    assert (vessel.get("imoNumber"), vessel.get("mmsi"), vessel.get("flag")) == (
        ["IMO9231298"], ["256011999"], ["mt"])
    assert vessel.get("callSign") == ["9HA2999"] and vessel.get("type") == ["Crude Oil Tanker"]
    plane = entries["90004"].entity
    assert plane.schema.name == "Airplane"
    assert plane.get("serialNumber") == ["1099"] and plane.get("model") == ["Airbus A310"]


def test_ofac_classic_xml_bad_entry_refuses_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "sdn.xml"
    bad.write_text((PUBLISHED / "sdn_classic_shapes.xml").read_text().replace(
        "<sdnType>Vessel</sdnType>", "<sdnType>Submarine</sdnType>"))
    with pytest.raises(InputError) as caught:
        read_list("ofac_xml", [bad])
    (problem,) = caught.value.problems
    assert problem.location == "sdn.xml:151 (/sdnList/sdnEntry[3])"
    assert "'Submarine'" in str(problem.reason)


@pytest.mark.parametrize(("fmt", "name"), [("un", "consolidated_classic.xml"),
                                           ("eu", "un_consolidated.xml"),
                                           ("ofac_xml", "eu_1_1.xml"),
                                           ("un", "eu_no_namespace.xml")])
def test_a_file_that_is_not_the_list_it_claims_is_refused(fmt: str, name: str) -> None:
    with pytest.raises(InputError) as caught:
        read_list(fmt, [PUBLISHED / name])
    (problem,) = caught.value.problems
    assert problem.location.startswith(f"{name}:")
    assert "the root element is" in str(problem.reason)


def _advanced_with_birth(tmp_path: Path, period: str) -> ListEntity:
    # The fixture's exact date, replaced by a DatePeriod in the shape OFAC writes.
    source = (Path(__file__).parent.parent / "fixtures" / "screening" / "sdn_advanced.xml")
    exact = ("<Start Approximate=\"false\" YearFixed=\"false\" MonthFixed=\"false\" "
             "DayFixed=\"false\"><From><Year>1971</Year><Month>7</Month><Day>9</Day></From>"
             "<To><Year>1971</Year><Month>7</Month><Day>9</Day></To></Start>"
             "<End Approximate=\"false\"><From><Year>1971</Year><Month>7</Month><Day>9</Day>"
             "</From><To><Year>1971</Year><Month>7</Month><Day>9</Day></To></End>")
    content = source.read_text(encoding="utf-8")
    assert exact in content
    path = tmp_path / "SDN_ADVANCED.XML"
    path.write_text(content.replace(exact, period), encoding="utf-8")
    return by_ref(read_list("ofac_xml", [path]))["36001"]


def _period(start: tuple[int, int, int], end: tuple[int, int, int]) -> str:
    def ymd(d: tuple[int, int, int]) -> str:
        return f"<Year>{d[0]}</Year><Month>{d[1]}</Month><Day>{d[2]}</Day>"
    return (f'<Start Approximate="true"><From>{ymd(start)}</From><To>{ymd(start)}</To></Start>'
            f'<End Approximate="true"><From>{ymd(end)}</From><To>{ymd(end)}</To></End>')


@pytest.mark.parametrize(("start", "end", "expected"), [
    ((1962, 1, 1), (1962, 12, 31), ["1962"]),                    # DOB 1962
    ((1961, 3, 1), (1961, 3, 31), ["1961-03"]),                  # DOB Mar 1961
    ((1963, 1, 1), (1965, 12, 31), ["1963", "1964", "1965"]),    # DOB 1963 to 1965
    ((1971, 7, 9), (1971, 7, 9), ["1971-07-09"]),                # DOB 09 Jul 1971
])
def test_ofac_advanced_birth_periods(tmp_path: Path, start: tuple[int, int, int],
                                     end: tuple[int, int, int], expected: list[str]) -> None:
    # A year of birth was read as its first day (1962-01-01), a date the person may not have.
    entry = _advanced_with_birth(tmp_path, _period(start, end))
    assert sorted(entry.entity.get("birthDate")) == expected


def test_ofac_classic_xml_is_streamed(tmp_path: Path) -> None:
    # sdn.xml (about 100 MB, like the consolidated list) was parsed whole, costing about ten
    # times its size: each entry read is now cleared and dropped from the tree.
    from tocsin.screening.readers import ofac

    stream = ofac._Classic(PUBLISHED / "sdn_classic_shapes.xml", "sdnList")
    seen: list[tuple[str | None, str, bool, int]] = []
    before = None
    for element in stream.entries():
        # nothing before it is left in the tree, and the one before was emptied
        seen.append((text(element, "uid"), stream.step, element.getprevious() is None,
                     len(before) if before is not None else 0))
        before = element
    assert seen == [("90001", "sdnEntry[1]", True, 0), ("90002", "sdnEntry[2]", True, 0),
                    ("90003", "sdnEntry[3]", True, 0), ("90004", "sdnEntry[4]", True, 0)]
    assert stream.published == "11/28/2026"
    # Named as the whole-file parse named it: a lone entry has no position, an entity the
    # file does not declare its line (the streaming parser alone says "no element found").
    content = (PUBLISHED / "sdn_classic_shapes.xml").read_text(encoding="utf-8")
    lone = tmp_path / "sdn.xml"
    lone.write_text(content[:content.index("<sdnEntry>", content.index("</sdnEntry>"))]
                    .replace("<uid>90001</uid>", "<uid></uid>") + "</sdnList>\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_list("ofac_xml", [lone])
    assert [p.location for p in caught.value.problems] == ["sdn.xml:7 (/sdnList/sdnEntry)"]
    undeclared = tmp_path / "consolidated.xml"
    undeclared.write_text(content.replace("<uid>90003</uid>", "<uid>90003&nbsp;</uid>"),
                          encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_list("ofac_xml", [undeclared])
    (problem,) = caught.value.problems
    assert problem.location == f"{undeclared.name}:152"
    assert "Entity 'nbsp' not defined" in str(problem.reason)


def test_ofac_advanced_xml_is_streamed(tmp_path: Path) -> None:
    # SDN_ADVANCED.XML (100+ MB) was parsed whole. It is now read twice: first what its
    # parties refer to (reference values, locations, documents, sanctions entries), then
    # the parties, each let go once read, as is every other record.
    from tocsin.screening.readers import ofac

    source = Path(__file__).parent.parent / "fixtures" / "screening" / "sdn_advanced.xml"
    sections: list[tuple[str, str]] = []
    parties: list[tuple[str | None, bool, int, bool]] = []
    before = None
    for section, element, first in ofac._advanced_elements(source):
        assert first
        sections.append((section, ofac.local(element)))
        if section == "DistinctParties":
            # nor is any section before the parties
            parties.append((element.get("FixedRef"), element.getprevious() is None,
                            len(before) if before is not None else 0,
                            element.getparent().getprevious() is None))
            before = element
    assert sections == [
        ("", "DateOfIssue"), ("", "ReferenceValueSets"), ("Locations", "Location"),
        ("Locations", "Location"), ("", "Locations"), ("IDRegDocuments", "IDRegDocument"),
        ("IDRegDocuments", "IDRegDocument"), ("", "IDRegDocuments"),
        ("DistinctParties", "DistinctParty"), ("DistinctParties", "DistinctParty"),
        ("DistinctParties", "DistinctParty"), ("", "DistinctParties"),
        ("SanctionsEntries", "SanctionsEntry"), ("SanctionsEntries", "SanctionsEntry"),
        ("SanctionsEntries", "SanctionsEntry"), ("", "SanctionsEntries")]
    assert parties == [("36001", True, 0, True), ("36002", True, 0, True),
                       ("36003", True, 0, True)]
    # Named as the whole-file parse named it: a lone party has no position; a second
    # profile of a party has one; an entity the file does not declare, its line.
    content = source.read_text(encoding="utf-8")
    first_party = content.index('<DistinctParty FixedRef="36001">')
    second_party = content.index('<DistinctParty FixedRef="36002">')
    lone = tmp_path / "SDN_ADVANCED.XML"
    lone.write_text(content[:second_party].replace('<Profile ID="36001"', "<Profile")
                    + content[content.index("</DistinctParties>"):], encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_list("ofac_xml", [lone])
    assert [p.location for p in caught.value.problems] == [
        "SDN_ADVANCED.XML:31 (/Sanctions/DistinctParties/DistinctParty/Profile)"]
    profile = content[content.index("<Profile", first_party):
                      content.index("</Profile>", first_party) + len("</Profile>")]
    two = tmp_path / "two" / "SDN_ADVANCED.XML"
    two.parent.mkdir()
    two.write_text(content.replace(profile, profile + profile.replace(
        'ID="36001" PartySubTypeID="4"', 'ID="36009" PartySubTypeID="77"'), 1),
        encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_list("ofac_xml", [two])
    assert [p.location for p in caught.value.problems] == [
        "SDN_ADVANCED.XML:54 (/Sanctions/DistinctParties/DistinctParty[1]/Profile[2])"]
    undeclared = tmp_path / "sdn_advanced.xml"
    undeclared.write_text(content.replace("OCEAN STAR", "OCEAN&nbsp;STAR"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_list("ofac_xml", [undeclared])
    (problem,) = caught.value.problems
    assert problem.location == f"{undeclared.name}:79"
    assert "Entity 'nbsp' not defined" in str(problem.reason)


# --------------------------------------------------------------------------- FtM


def test_ftm_nested_entities_are_read() -> None:
    # OpenSanctions' targets.nested.json writes a target's sanctions and addresses inside it:
    # they were dropped, with the programme and the listing date they carry.
    read = read_list("ftm", [PUBLISHED / "opensanctions_nested.json"])
    assert sniff(PUBLISHED / "opensanctions_nested.json") == "ftm"
    entries = {str(e.entity.id): e for e in read.entities}
    assert set(entries) == {"NK-7hQe2xV9kLm3RtYb4WcJpA", "NK-9pLw3zR8sTn2VbX6YcKqMd"}
    karim = entries["NK-7hQe2xV9kLm3RtYb4WcJpA"]
    assert karim.programme == "IRAQ2; SDGT" and karim.listed_on == "2004-07-15"
    assert karim.reference == "US-SDGT"
    assert sorted(r.schema.name for r in karim.related) == ["Address", "Sanction"]
    (sanction,) = [r for r in karim.related if r.schema.name == "Sanction"]
    assert sanction.get("entity") == ["NK-7hQe2xV9kLm3RtYb4WcJpA"]
    assert karim.entity.get("weakAlias") == ["Abu Jamil"]
    assert sorted(karim.entity.get("birthDate")) == ["1958", "1960-12-12"]
    company = entries["NK-9pLw3zR8sTn2VbX6YcKqMd"]
    assert company.programme == "RUS" and company.listed_on == "2022-06-03"


def test_ftm_values_the_platform_cannot_hold_are_named() -> None:
    read = read_list("ftm", [PUBLISHED / "opensanctions_nested.json"])
    reasons = sorted(str(n.reason) for n in read.notes)
    assert reasons == ["Person has no property 'favouriteColour'; its value 'green' left out",
                       "nationality 'Borduria' is not a value the platform can hold; left out"]
    assert {n.location for n in read.notes} == {"opensanctions_nested.json:1"}


def test_ofac_values_the_platform_cannot_hold_are_named(tmp_path: Path) -> None:
    (tmp_path / "sdn.csv").write_text(
        '90101,"PETRENKO, Oleh",individual,"UKRAINE-EO13660",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
        '-0- ,"DOB early 1960s; nationality Borduria; Gender Male."\n')
    (tmp_path / "add.csv").write_text('90101,1,-0- ,"Sevastopol","Region: Crimea",-0- \n')
    read = read_list("ofac_csv", [tmp_path / "sdn.csv", tmp_path / "add.csv"])
    (oleh,) = read.entities
    assert oleh.entity.get("address") == ["Sevastopol, Region: Crimea"]  # the place is kept
    assert sorted((n.location, str(n.reason)) for n in read.notes) == [
        ("add.csv:1", "country 'Region: Crimea' is not a value the platform can hold; left out"),
        ("sdn.csv:1", "birthDate 'early 1960s' is not a value the platform can hold; left out"),
        ("sdn.csv:1", "nationality 'Borduria' is not a value the platform can hold; left out")]
    xml = tmp_path / "sdn.xml"
    xml.write_text((PUBLISHED / "sdn_classic_shapes.xml").read_text().replace(
        "<dateOfBirth>Mar 1961</dateOfBirth>", "<dateOfBirth>early 1960s</dateOfBirth>"))
    (note,) = read_list("ofac_xml", [xml]).notes
    assert note.location == "sdn.xml:7 (/sdnList/sdnEntry[1])"
    assert str(note.reason) == ("birthDate 'early 1960s' is not a value the platform can hold; "
                                "left out")


# --------------------------------------------------------------------------- OFAC Enhanced XML


def enhanced_shapes() -> ListRead:
    return read_list("ofac_xml", [PUBLISHED / "sdn_enhanced_shapes.xml"])


def test_ofac_enhanced_xml_as_ofac_quotes_it() -> None:
    # The Enhanced XML (SDN_ENHANCED.XML, CONS_ENHANCED.XML) was refused, naming its root.
    assert sniff(PUBLISHED / "cons_enhanced_9640.xml") == "ofac_xml"
    read = read_list("ofac_xml", [PUBLISHED / "cons_enhanced_9640.xml"])
    assert read.published == "2026-07-27" and not read.notes
    (teir,) = read.entities
    assert (teir.reference, teir.programme, teir.listed_on) == ("9640", "NS-PLC", "2006-04-12")
    person = teir.entity
    assert person.schema.name == "Person"
    assert person.get("name") == ["Mohammed ABU TEIR"]
    assert (person.get("firstName"), person.get("lastName")) == (["Mohammed"], ["ABU TEIR"])
    assert sorted(person.get("alias")) == ["Mohammad Mahmoud ABOU TAYR",
                                           "Mohammed Mahmud ABU TAIR"]
    assert person.get("birthDate") == ["1951"]  # the year, not 1951-01-01
    assert person.get("birthPlace") == ["Umm Tuba"]
    assert person.get("country") == ["ps"]
    (measure,) = [r for r in teir.related if r.schema.name == "Sanction"]
    assert measure.get("description") == [
        "Non-SDN Palestinian Legislative Council List; Consolidated List"]
    # The same OFAC UID gives the same entity as the classic XML and the CSV set.
    classic = by_ref(read_list("ofac_xml", [PUBLISHED / "consolidated_classic.xml"]))["9647"]
    assert classic.entity.id == make("Person", "ofac", "9647").id
    assert person.id == make("Person", "ofac", "9640").id


def test_ofac_enhanced_xml_shapes() -> None:
    read = enhanced_shapes()
    assert read.published == "2026-11-27"
    entries = by_ref(read)
    assert [e.entity.schema.name for e in read.entities] == ["Person", "Organization",
                                                             "Vessel", "Airplane"]
    oleh = entries["90501"]
    assert oleh.programme == "UKRAINE-EO13660; SDGT"
    assert oleh.listed_on == "2014-10-10"  # the earliest of its lists
    person = oleh.entity
    assert person.get("name") == ["Oleh Ivanovych PETRENKO"]
    assert (person.get("firstName"), person.get("fatherName"), person.get("lastName")) == (
        ["Oleh"], ["Ivanovych"], ["PETRENKO"])
    # the name in Cyrillic is the same name: a strong alias; a low-quality name is weak
    assert sorted(person.get("alias")) == ["Oleg PETRENKO", "Олег Іванович ПЕТРЕНКО"]
    assert person.get("weakAlias") == ["THE ACCOUNTANT"]
    assert sorted(person.get("birthDate")) == ["1962", "1964", "1965", "1966"]
    assert person.get("birthPlace") == ["Kharkiv, Ukraine"]
    assert person.get("nationality") == ["ru"]  # by valueRefId, from referenceValues
    assert person.get("citizenship") == ["ua"] and person.get("gender") == ["male"]
    assert person.get("email") == ["oleh.petrenko@example.org"]
    assert person.get("title") == ["Deputy Minister"]
    assert person.get("passportNumber") == ["EK123456"]
    assert sorted(person.get("idNumber")) == ["2840512345", "I-ХЮ 501234"]
    notes = person.get("notes")
    assert "Former official of the Borduria Trade Office." in notes
    assert "Living status: Deceased" in notes
    assert "National ID No. 2840512345: not valid" in notes
    assert any(n.startswith("Secondary sanctions risk: section 1(b)") for n in notes)
    assert sorted(person.get("address")) == ["12 Tverskaya Street, Moscow, 125009, Russia",
                                             "Sevastopol, Region: Crimea"]
    (passport,) = [r for r in oleh.related if r.schema.name == "Passport"]
    assert (passport.get("country"), passport.get("startDate"), passport.get("endDate"),
            passport.get("authority")) == (["ru"], ["2015-03-02"], ["2025-03-02"],
                                           ["Ministry of Internal Affairs"])
    (moscow,) = [r for r in oleh.related if r.schema.name == "Address"
                 and r.get("city") == ["Moscow"]]
    assert (moscow.get("street"), moscow.get("postalCode")) == (["12 Tverskaya Street"],
                                                               ["125009"])
    (measure,) = [r for r in oleh.related if r.schema.name == "Sanction"]
    assert sorted(measure.get("provisions")) == ["Block", "Executive Order 13224 (Terrorism)"]
    assert measure.get("description") == ["SDN List; Consolidated List"]
    company = entries["90502"]
    (link,) = [r for r in oleh.related if r.schema.name == "UnknownLink"]
    assert link.get("object") == [company.entity.id] and link.get("role") == ["Associate Of"]
    org = company.entity
    assert org.get("name") == ["NORTHERN GENERAL TRADING LLC"]
    assert sorted(org.get("alias")) == ["SEVERNAYA TORGOVLYA",
                                        "ООО СЕВЕРНАЯ ГЕНЕРАЛЬНАЯ ТОРГОВЛЯ"]  # noqa: RUF001
    assert org.get("previousName") == ["SEVERNAYA TORGOVLYA"]  # F.K.A.
    assert org.get("incorporationDate") == ["2008-02-14"]
    assert (org.get("registrationNumber"), org.get("taxNumber"), org.get("swiftBic")) == (
        ["1087847000123"], ["7801234567"], ["NGTRRU2P"])
    assert "Санкт-Петербург, Russia" in org.get("address")
    assert any(r.schema.name == "CryptoWallet"
               and r.get("publicKey") == ["1BoatSLRHtKNngkdXEeobR76b53LETtpyT"]
               for r in company.related)
    vessel = entries["90503"]
    ship = vessel.entity
    assert (ship.get("imoNumber"), ship.get("mmsi"), ship.get("flag"), ship.get("callSign"),
            ship.get("type"), ship.get("grossRegisteredTonnage"), ship.get("buildDate")) == (
        ["IMO9231298"], ["256011999"], ["mt"], ["9HA2999"], ["Crude Oil Tanker"], ["81479"],
        ["2001"])
    assert ship.get("notes") == ["Vessel Owner NORTHERN GENERAL TRADING LLC"]
    (owner,) = [r for r in vessel.related if r.schema.name == "UnknownLink"]
    assert owner.get("object") == [org.id] and owner.get("role") == ["Owned or Controlled By"]
    plane = entries["90504"].entity
    assert (plane.get("model"), plane.get("serialNumber"), plane.get("registrationNumber")) == (
        ["Airbus A310"], ["1099"], ["YV9999"])


def test_ofac_enhanced_values_the_platform_cannot_hold_are_named() -> None:
    assert sorted((n.location, str(n.reason)) for n in enhanced_shapes().notes) == [
        ("sdn_enhanced_shapes.xml:43 (/sanctionsData/entities/entity[1])",
         "country 'Region: Crimea' is not a value the platform can hold; left out"),
        ("sdn_enhanced_shapes.xml:43 (/sanctionsData/entities/entity[1])",
         "nationality 'Borduria' is not a value the platform can hold; left out")]


def _enhanced_variant(tmp_path: Path, old: str, new: str) -> Path:
    content = (PUBLISHED / "sdn_enhanced_shapes.xml").read_text(encoding="utf-8")
    assert old in content
    path = tmp_path / "SDN_ENHANCED.XML"
    path.write_text(content.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "reason"), [
    ('<entityType refId="602">Vessel</entityType>', "<entityType>Submarine</entityType>",
     "unknown entityType 'Submarine'"),
    ('<entity id="90503">', '<entity id="">', "entity without an id attribute"),
    ("<formattedFullName>NORDIC STAR</formattedFullName>", "", None),
])
def test_ofac_enhanced_bad_entity_refuses_the_file(tmp_path: Path, old: str, new: str,
                                                   reason: str | None) -> None:
    path = _enhanced_variant(tmp_path, old, new)
    if reason is None:  # no primary name left: its name parts still give one
        path.write_text(path.read_text(encoding="utf-8").replace(
            "<value>NORDIC STAR</value>", "<value> </value>").replace(
            "<formattedLastName>NORDIC STAR</formattedLastName>", ""), encoding="utf-8")
        reason = "entity 90503 has no primary name"
    with pytest.raises(InputError) as caught:
        read_list("ofac_xml", [path])
    (problem,) = caught.value.problems
    assert problem.location == "SDN_ENHANCED.XML:415 (/sanctionsData/entities/entity[3])"
    assert str(problem.reason) == reason
    assert "nothing was imported" in str(caught.value)


def test_ofac_enhanced_name_without_a_primary_translation_is_read(tmp_path: Path) -> None:
    # A primary name none of whose translations is marked primary: its first is the name.
    path = _enhanced_variant(tmp_path, """<translation id="70011">
              <isPrimary>true</isPrimary>""", """<translation id="70011">""")
    oleh = by_ref(read_list("ofac_xml", [path]))["90501"].entity
    assert oleh.get("name") == ["Oleh Ivanovych PETRENKO"]
    assert "Олег Іванович ПЕТРЕНКО" in oleh.get("alias")


@pytest.mark.parametrize(("namespace", "found"), [
    ("https://www.treasury.gov/ofac/DeltaFile/1.0", "'https://www.treasury.gov/ofac/"
                                                    "DeltaFile/1.0'"),
    ("", "''")])
def test_ofac_enhanced_xml_in_another_namespace_is_refused(tmp_path: Path, namespace: str,
                                                           found: str) -> None:
    # OFAC's delta files have the same root in another namespace and say what changed, not
    # the list: read as the list they would replace it by a few entries.
    path = _enhanced_variant(tmp_path, ' xmlns="https://sanctionslistservice.ofac.treas.gov/'
                             'api/PublicationPreview/exports/ENHANCED_XML"',
                             f' xmlns="{namespace}"' if namespace else "")
    with pytest.raises(InputError) as caught:
        read_list("ofac_xml", [path])
    (problem,) = caught.value.problems
    assert problem.location == "SDN_ENHANCED.XML:2"
    assert str(problem.reason).startswith(f"<sanctionsData> in namespace {found}, not "
                                          "https://sanctionslistservice.ofac.treas.gov/")


def test_ofac_enhanced_xml_broken_or_empty_is_refused(tmp_path: Path) -> None:
    content = (PUBLISHED / "sdn_enhanced_shapes.xml").read_text(encoding="utf-8")
    truncated = tmp_path / "SDN_ENHANCED.XML"
    truncated.write_text(content[:content.index('<entity id="90503">') + 300], encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_list("ofac_xml", [truncated])
    (problem,) = caught.value.problems
    assert problem.location.startswith("SDN_ENHANCED.XML:")
    assert "not well-formed XML" in str(problem.reason)
    empty = tmp_path / "CONS_ENHANCED.XML"
    empty.write_text(content[:content.index("<entities>")] + "<entities/></sanctionsData>\n",
                     encoding="utf-8")
    with pytest.raises(InputError, match="no listed entries found; is this a OFAC SDN "
                                         "Enhanced XML file"):
        read_list("ofac_xml", [empty])
    hostile = tmp_path / "hostile.xml"
    hostile.write_text('<?xml version="1.0"?>\n<!DOCTYPE sanctionsData [<!ENTITY a "aaaa">]>\n'
                       + content[content.index("<sanctionsData"):], encoding="utf-8")
    with pytest.raises(InputError, match="DOCTYPE declares entities"):
        read_list("ofac_xml", [hostile])


def test_ofac_enhanced_entities_are_let_go_once_read(tmp_path: Path) -> None:
    # The SDN file is about 100 MB: each entity read is cleared and dropped from the tree.
    from tocsin.screening.readers import ofac_enhanced

    stream = ofac_enhanced._Stream(PUBLISHED / "sdn_enhanced_shapes.xml")
    seen: list[tuple[str | None, int, bool, int]] = []
    before = None
    for element in ofac_enhanced._entities(stream):
        # nothing before it is left in the tree, and the one before was emptied
        seen.append((element.get("id"), stream.count, element.getprevious() is None,
                     len(before) if before is not None else 0))
        before = element
    assert seen == [("90501", 1, True, 0), ("90502", 2, True, 0), ("90503", 3, True, 0),
                    ("90504", 4, True, 0)]
    assert stream.refs["11097"] == "Russia"


def test_ofac_enhanced_xml_is_screened(platform_db: Database, analyst: Principal) -> None:
    with platform_db.transaction() as session:
        report, _ = service.import_list(session, analyst, "ofac_xml",
                                        [PUBLISHED / "sdn_enhanced_shapes.xml"])
    assert report.list_key == "ofac_sdn" and report.entries == 4
    assert sorted("Borduria" in str(n.reason) for n in report.notes) == [False, True]
    with platform_db.transaction() as session:
        [found] = service.screen_entities(session, analyst, [
            {"schema": "Person", "properties": {"name": ["Oleg Petrenko"],
                                               "birthDate": ["1962"]}}])
        [vessel] = service.screen_entities(session, analyst, [
            {"schema": "Vessel", "properties": {"name": ["Nordic Star"]}}])
    top = found.results[0]
    assert top.caption == "Oleh Ivanovych PETRENKO" and top.band == "match"
    assert vessel.results[0].caption == "NORDIC STAR"


def test_ofac_enhanced_xml_through_the_command_line(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from tocsin.cli.main import app
    from tocsin.settings import get_settings

    monkeypatch.setenv("TOCSIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TOCSIN_SECRET_KEY", "k" * 40)
    monkeypatch.delenv("TOCSIN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["init"]).exit_code == 0
        assert runner.invoke(app, ["user", "add", "ana", "--role", "analyst",
                                   "--unit", "tntd-spmu"]).exit_code == 0
        imported = runner.invoke(app, ["screening", "import", "ofac_xml",
                                       str(PUBLISHED / "sdn_enhanced_shapes.xml"),
                                       "--as", "ana"])
        assert imported.exit_code == 0, imported.output
        assert "ofac_sdn version 1: 4 entries" in imported.output
        assert "/sanctionsData/entities/entity[1]" in imported.output
        assert "'Borduria'" in imported.output
        found = runner.invoke(app, ["screening", "screen", "Northern General Trading",
                                    "--schema", "Organization", "--json", "--as", "ana"])
        assert found.exit_code == 0, found.output
        assert '"NORTHERN GENERAL TRADING LLC"' in found.output
        assert '"ofac_sdn"' in found.output
    finally:
        get_settings.cache_clear()


# --------------------------------------------------------------------------- UK Sanctions List


def uk_shapes() -> ListRead:
    return read_list("uk", [PUBLISHED / "uk_sanctions_list_shapes.xml"])


def test_uk_sanctions_list_as_the_fcdo_publishes_it() -> None:
    # The UK Sanctions List had no reader: "uk" was an unknown format.
    assert sniff(PUBLISHED / "uk_sanctions_list_afg.xml") == "uk"
    read = read_list("uk", [PUBLISHED / "uk_sanctions_list_afg.xml"])
    assert read.published == "2026-09-02" and not read.notes
    entries = by_ref(read)
    assert list(entries) == ["AFG0001", "AFG0006"]
    exchange = entries["AFG0001"]
    assert exchange.entity.schema.name == "Organization"
    assert exchange.programme == "The Afghanistan (Sanctions) (EU Exit) Regulations 2020"
    assert exchange.listed_on == "2012-06-29"
    assert exchange.entity.get("name") == ["HAJI KHAIRULLAH HAJI SATTAR MONEY EXCHANGE"]
    assert sorted(exchange.entity.get("alias")) == ["Haji Alim Hawala", "Haji Hakim Hawala"]
    assert sorted(exchange.entity.get("country")) == ["ae", "af"]
    assert "Ansari Market, 2nd Floor, Nimroz Province, Afghanistan" in exchange.entity.get(
        "address")
    assert "Afghan Money Service Provider License Number: 044." in exchange.entity.get("notes")
    akhund = entries["AFG0006"]
    person = akhund.entity
    assert person.schema.name == "Person" and akhund.listed_on == "2001-01-25"
    assert person.get("name") == ["MOHAMMAD HASSAN AKHUND"]
    assert (person.get("firstName"), person.get("lastName")) == (["MOHAMMAD"], ["AKHUND"])
    assert sorted(person.get("birthDate")) == ["1945", "1946"]  # dd/mm/1945: the year
    (measure,) = [r for r in akhund.related if r.schema.name == "Sanction"]
    assert measure.get("unscId") == ["TAi.002"] and measure.get("authorityId") == ["AFG0006"]
    assert sorted(measure.get("provisions")) == ["Asset freeze", "Travel Ban"]
    assert measure.get("modifiedAt") == ["2026-04-14"]
    assert measure.get("summary") == ["Designation source: UN"]
    assert not measure.get("reason")  # an empty UKStatementofReasons adds nothing


def test_uk_sanctions_list_shapes() -> None:
    read = uk_shapes()
    assert read.published == "2026-11-27"
    entries = by_ref(read)
    assert [e.entity.schema.name for e in read.entities] == ["Person", "Organization", "Vessel"]
    oleh = entries["RUS9901"]
    assert oleh.programme == "The Russia (Sanctions) (EU Exit) Regulations 2019"
    assert oleh.listed_on == "2022-03-15"
    person = oleh.entity
    assert person.get("name") == ["Oleh Ivanovych PETRENKO"]
    assert (person.get("firstName"), person.get("middleName"), person.get("lastName")) == (
        ["Oleh"], ["Ivanovych"], ["PETRENKO"])
    # a primary name variation, a good alias and the name in Cyrillic are strong aliases;
    # "ALias" with a low quality a.k.a is weak; a name without parts adds nothing
    assert sorted(person.get("alias")) == ["Oleg Ivanovich PETRENKO",
                                           "Oleg Ivanovich PETRENKOV",
                                           "Олег Іванович ПЕТРЕНКО"]
    assert person.get("weakAlias") == ["THE ACCOUNTANT"]
    assert sorted(person.get("birthDate")) == ["1960-03-12", "1961-07", "1962"]
    assert person.get("nationality") == ["ru"]
    assert person.get("birthPlace") == ["Kharkiv, Ukraine"] and person.get("birthCountry") == [
        "ua"]
    assert person.get("position") == ["Deputy Director General, Northern General Trading LLC"]
    assert person.get("gender") == ["male"] and person.get("title") == ["Colonel"]
    assert person.get("passportNumber") == ["753112233"]
    assert person.get("idNumber") == ["2840512345"]
    assert sorted(person.get("email")) == ["o.petrenko@example.net",
                                           "oleh.petrenko@example.org"]
    assert person.get("phone") == ["+74950000001"]
    assert "OFSI Group ID: 99101" in person.get("notes")
    assert "Former official of the Borduria Trade Office." in person.get("notes")
    (passport,) = [r for r in oleh.related if r.schema.name == "Passport"]
    assert passport.get("summary") == ["Russian passport, issued 02/03/2015"]
    (national,) = [r for r in oleh.related if r.schema.name == "Identification"]
    assert national.get("summary") == ["Russian tax number (INN)"]
    (home,) = [r for r in oleh.related if r.schema.name == "Address"]
    assert (home.get("street"), home.get("street2"), home.get("city"), home.get("postalCode"),
            home.get("country")) == (["12 Tverskaya Street"], ["Office 4"], ["Moscow"],
                                     ["125009"], ["ru"])
    (measure,) = [r for r in oleh.related if r.schema.name == "Sanction"]
    assert sorted(measure.get("provisions")) == ["Asset freeze", "Travel Ban",
                                                 "Trust services sanctions"]
    assert measure.get("reason")[0].startswith("Oleh PETRENKO is an involved person")
    assert measure.get("summary") == ["Designation source: UK"]
    company = entries["RUS9902"].entity
    assert company.get("name") == ["NORTHERN GENERAL TRADING LLC"]
    assert sorted(company.get("alias")) == ["SEVERNAYA TORGOVLYA",
                                            "ООО СЕВЕРНАЯ ГЕНЕРАЛЬНАЯ ТОРГОВЛЯ"]  # noqa: RUF001
    assert company.get("registrationNumber") == ["1087847000123"]
    assert company.get("website") == ["http://www.ngt.example.org/"]
    assert company.get("email") == ["info@ngt.example.org"]
    assert {"Type of entity: Limited liability company", "Parent company: Northern Holdings JSC",
            "Subsidiary: Northern Shipping LLC"} <= set(company.get("notes"))
    ship = entries["RUS9903"].entity
    assert (ship.get("imoNumber"), ship.get("flag"), ship.get("pastFlags"), ship.get("type"),
            ship.get("tonnage"), ship.get("buildDate"), ship.get("registrationNumber")) == (
        ["IMO9231298"], ["mt"], ["pa"], ["Crude Oil Tanker"], ["81479"], ["2001"],
        ["HIN-0231298"])
    assert sorted(ship.get("notes")) == ["Current owner/operator: NORTHERN GENERAL TRADING LLC",
                                         "Length of ship: 245 m"]


@pytest.mark.parametrize(("written", "read"), [
    ("27/08/1955", "1955-08-27"), ("dd/08/1955", "1955-08"), ("00/08/1955", "1955-08"),
    ("dd/mm/1950", "1950"), ("00/00/1950", "1950"), ("DD/MM/1950", "1950"),
    ("1/2/1950", "1950-02-01"), ("circa 1950", "circa 1950")])
def test_uk_dates_with_unknown_parts(written: str, read: str) -> None:
    from tocsin.screening.readers.uk import uk_date

    assert uk_date(written) == read


def test_uk_values_the_platform_cannot_hold_are_named(tmp_path: Path) -> None:
    assert [(n.location, str(n.reason)) for n in uk_shapes().notes] == [
        ("uk_sanctions_list_shapes.xml:4 (/Designations/Designation[1])",
         "nationality 'Borduria' is not a value the platform can hold; left out")]
    path = _uk_variant(tmp_path, "<DOB>00/07/1961</DOB>", "<DOB>early 1960s</DOB>")
    assert sorted(str(n.reason) for n in read_list("uk", [path]).notes) == [
        "birthDate 'early 1960s' is not a value the platform can hold; left out",
        "nationality 'Borduria' is not a value the platform can hold; left out"]


def _uk_variant(tmp_path: Path, old: str, new: str) -> Path:
    content = (PUBLISHED / "uk_sanctions_list_shapes.xml").read_text(encoding="utf-8")
    assert old in content
    path = tmp_path / "UK_Sanctions_List.xml"
    path.write_text(content.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "reason"), [
    ("<IndividualEntityShip>Ship</IndividualEntityShip>",
     "<IndividualEntityShip>Aircraft</IndividualEntityShip>",
     "unknown IndividualEntityShip 'Aircraft'"),
    ("<UniqueID>RUS9903</UniqueID>", "<UniqueID> </UniqueID>",
     "Designation without a UniqueID"),
    ("<Name6>NORDIC STAR</Name6>", "", None),
])
def test_uk_bad_designation_refuses_the_file(tmp_path: Path, old: str, new: str,
                                             reason: str | None) -> None:
    path = _uk_variant(tmp_path, old, new)
    if reason is None:  # no name left at all: its alias would still give one
        path.write_text(path.read_text(encoding="utf-8").replace(
            "<Name6>SEVERNAYA ZVEZDA</Name6>", ""), encoding="utf-8")
        reason = "designation RUS9903 has no name"
    with pytest.raises(InputError) as caught:
        read_list("uk", [path])
    (problem,) = caught.value.problems
    assert problem.location == "UK_Sanctions_List.xml:161 (/Designations/Designation[3])"
    assert str(problem.reason) == reason
    assert "nothing was imported" in str(caught.value)


def test_uk_designation_without_a_primary_name_takes_its_first(tmp_path: Path) -> None:
    path = _uk_variant(tmp_path, """<Name6>NORDIC STAR</Name6>
        <NameType>Primary Name</NameType>""", """<Name6>NORDIC STAR</Name6>
        <NameType>Alias</NameType>""")
    ship = by_ref(read_list("uk", [path]))["RUS9903"].entity
    assert ship.get("name") == ["NORDIC STAR"] and ship.get("alias") == ["SEVERNAYA ZVEZDA"]


def test_uk_broken_empty_or_hostile_file_is_refused(tmp_path: Path) -> None:
    content = (PUBLISHED / "uk_sanctions_list_shapes.xml").read_text(encoding="utf-8")
    truncated = tmp_path / "UK_Sanctions_List.xml"
    truncated.write_text(content[:content.index("<UniqueID>RUS9903</UniqueID>")],
                         encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_list("uk", [truncated])
    (problem,) = caught.value.problems
    assert problem.location.startswith("UK_Sanctions_List.xml:")
    assert "not well-formed XML" in str(problem.reason)
    empty = tmp_path / "empty.xml"
    empty.write_text(content[:content.index("<Designation>")] + "</Designations>\n",
                     encoding="utf-8")
    with pytest.raises(InputError, match="no listed entries found; is this a UK Sanctions "
                                         "List file"):
        read_list("uk", [empty])
    hostile = tmp_path / "hostile.xml"
    hostile.write_text('<?xml version="1.0"?>\n<!DOCTYPE Designations [<!ENTITY a "aaaa">]>\n'
                       + content[content.index("<Designations"):], encoding="utf-8")
    with pytest.raises(InputError, match="DOCTYPE declares entities"):
        read_list("uk", [hostile])


@pytest.mark.parametrize(("fmt", "name", "found"), [
    ("uk", "eu_1_1.xml", "<export>"), ("uk", "un_consolidated.xml", "<CONSOLIDATED_LIST>"),
    ("un", "uk_sanctions_list_shapes.xml", "<Designations>"),
    ("ofac_xml", "uk_sanctions_list_afg.xml", "<Designations>")])
def test_uk_and_other_lists_are_not_taken_for_each_other(fmt: str, name: str,
                                                         found: str) -> None:
    with pytest.raises(InputError) as caught:
        read_list(fmt, [PUBLISHED / name])
    (problem,) = caught.value.problems
    assert problem.location.startswith(f"{name}:")
    assert str(problem.reason).startswith(f"the root element is {found}")


def test_uk_designations_are_let_go_once_read() -> None:
    from tocsin.screening.readers import uk

    stream = Streamed(PUBLISHED / "uk_sanctions_list_shapes.xml", "/Designations/Designation")
    seen: list[tuple[str | None, int, bool]] = []
    for element in uk._designations(stream):
        # nothing before it is left in the tree
        seen.append((text(element, "UniqueID"), stream.count,
                     element.getprevious() is None))
    assert seen == [("RUS9901", 1, True), ("RUS9902", 2, True), ("RUS9903", 3, True)]
    assert stream.published == "2026-11-27"


def test_uk_sanctions_list_is_screened(platform_db: Database, analyst: Principal) -> None:
    with platform_db.transaction() as session:
        report, _ = service.import_list(session, analyst, "uk",
                                        [PUBLISHED / "uk_sanctions_list_shapes.xml"])
    assert report.list_key == "uk_sl" and report.entries == 3
    assert ["'Borduria'" in str(n.reason) for n in report.notes] == [True]
    with platform_db.transaction() as session:
        [found] = service.screen_entities(session, analyst, [
            {"schema": "Person", "properties": {"name": ["Oleg Petrenko"],
                                               "birthDate": ["1960-03-12"]}}])
        [vessel] = service.screen_entities(session, analyst, [
            {"schema": "Vessel", "properties": {"name": ["Nordic Star"]}}])
    top = found.results[0]
    assert top.caption == "Oleh Ivanovych PETRENKO" and top.band == "match"
    assert vessel.results[0].caption == "NORDIC STAR"


def test_uk_sanctions_list_through_the_command_line(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from tocsin.cli.main import app
    from tocsin.settings import get_settings

    monkeypatch.setenv("TOCSIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TOCSIN_SECRET_KEY", "k" * 40)
    monkeypatch.delenv("TOCSIN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["init"]).exit_code == 0
        assert runner.invoke(app, ["user", "add", "ana", "--role", "analyst",
                                   "--unit", "tntd-spmu"]).exit_code == 0
        imported = runner.invoke(app, ["screening", "import", "uk",
                                       str(PUBLISHED / "uk_sanctions_list_afg.xml"),
                                       "--as", "ana"])
        assert imported.exit_code == 0, imported.output
        assert "uk_sl version 1: 2 entries" in imported.output
        found = runner.invoke(app, ["screening", "screen", "Mohammad Hassan Akhund",
                                    "--json", "--as", "ana"])
        assert found.exit_code == 0, found.output
        assert '"MOHAMMAD HASSAN AKHUND"' in found.output
        assert '"uk_sl"' in found.output
    finally:
        get_settings.cache_clear()


# --------------------------------------------------------------------------- OFSI ConList


def ofsi_shapes() -> ListRead:
    return read_list("ofsi", [PUBLISHED / "ofsi_conlist_shapes.xml"])


def test_ofsi_conlist_rows_of_a_group_are_one_entry() -> None:
    # OFSI's ConList.xml writes one FinancialSanctionsTarget per name: six rows, three
    # targets; it was an unknown format.
    assert sniff(PUBLISHED / "ofsi_conlist_shapes.xml") == "ofsi"
    read = ofsi_shapes()
    entries = by_ref(read)
    assert list(entries) == ["99101", "99102", "99103"]
    assert [e.entity.schema.name for e in read.entities] == ["Person", "Organization", "Vessel"]
    oleh = entries["99101"]
    assert (oleh.programme, oleh.listed_on) == ("Russia", "2022-03-15")
    person = oleh.entity
    assert person.get("name") == ["Oleh Ivanovych PETRENKO"]
    assert (person.get("firstName"), person.get("middleName"), person.get("lastName")) == (
        ["Oleh"], ["Ivanovych"], ["PETRENKO"])
    assert sorted(person.get("alias")) == ["Oleg Ivanovich PETRENKO", "Олег Іванович ПЕТРЕНКО"]
    assert person.get("weakAlias") == ["THE ACCOUNTANT"]  # AKA of Low quality
    # "(1) 12/03/1960 (2) 00/07/1961 (3) dd/mm/1962"
    assert sorted(person.get("birthDate")) == ["1960-03-12", "1961-07", "1962"]
    assert person.get("nationality") == ["ru"] and person.get("birthCountry") == ["ua"]
    assert person.get("birthPlace") == ["Kharkiv"] and person.get("gender") == ["male"]
    assert person.get("passportNumber") == ["753112233"]
    assert person.get("idNumber") == ["2840512345"]
    assert "UK Sanctions List: RUS9901" in person.get("notes")
    # the details every row repeats are kept once
    assert sorted(r.schema.name for r in oleh.related) == ["Address", "Identification",
                                                          "Passport", "Sanction"]
    (measure,) = [r for r in oleh.related if r.schema.name == "Sanction"]
    assert measure.get("authorityId") == ["RUS9901"]
    assert measure.get("modifiedAt") == ["2025-10-03"]
    company = entries["99102"].entity
    assert company.get("previousName") == ["SEVERNAYA TORGOVLYA"]  # FKA
    assert sorted(company.get("registrationNumber")) == ["1087847000123", "7801234567"]
    ship = entries["99103"].entity
    assert (ship.get("imoNumber"), ship.get("flag"), sorted(ship.get("pastFlags"))) == (
        ["IMO9231298"], ["mt"], ["lr", "pa"])
    assert [(n.location, str(n.reason)) for n in read.notes] == [
        ("ofsi_conlist_shapes.xml:3 (/ArrayOfFinancialSanctionsTarget/"
         "FinancialSanctionsTarget[1])",
         "nationality 'Borduria' is not a value the platform can hold; left out")]


@pytest.mark.parametrize(("written", "read"), [
    ("(1) Kabul (2) Kandahar", ["Kabul", "Kandahar"]), ("Kabul", ["Kabul"]), ("", []),
    ("(1) Panama, (2) Liberia.", ["Panama", "Liberia."])])
def test_ofsi_numbered_values(written: str, read: list[str]) -> None:
    from tocsin.screening.readers.ofsi import split_items

    assert split_items(written) == read


def _ofsi_variant(tmp_path: Path, old: str, new: str) -> Path:
    content = (PUBLISHED / "ofsi_conlist_shapes.xml").read_text(encoding="utf-8")
    assert old in content
    path = tmp_path / "ConList.xml"
    path.write_text(content.replace(old, new), encoding="utf-8")
    return path


def test_ofsi_bad_rows_refuse_the_file(tmp_path: Path) -> None:
    path = _ofsi_variant(tmp_path, "<GroupTypeDescription>Ship</GroupTypeDescription>",
                         "<GroupTypeDescription>Aircraft</GroupTypeDescription>")
    path.write_text(path.read_text(encoding="utf-8").replace(
        "<GroupID>99102</GroupID>", '<GroupID i:nil="true" />', 1), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_list("ofsi", [path])
    problems = {str(p.reason): p.location for p in caught.value.problems}
    assert problems == {
        "FinancialSanctionsTarget without a GroupID":
            "ConList.xml:180 (/ArrayOfFinancialSanctionsTarget/FinancialSanctionsTarget[4])",
        "unknown GroupTypeDescription 'Aircraft'":
            "ConList.xml:298 (/ArrayOfFinancialSanctionsTarget/FinancialSanctionsTarget[6])"}
    assert "nothing was imported" in str(caught.value)


@pytest.mark.parametrize(("fmt", "name", "found"), [
    ("ofsi", "uk_sanctions_list_afg.xml", "<Designations>"),
    ("uk", "ofsi_conlist_shapes.xml", "<ArrayOfFinancialSanctionsTarget>")])
def test_ofsi_and_uk_list_are_not_taken_for_each_other(fmt: str, name: str, found: str) -> None:
    with pytest.raises(InputError) as caught:
        read_list(fmt, [PUBLISHED / name])
    (problem,) = caught.value.problems
    assert problem.location.startswith(f"{name}:")
    assert str(problem.reason).startswith(f"the root element is {found}")


def test_ofsi_conlist_is_screened(platform_db: Database, analyst: Principal) -> None:
    with platform_db.transaction() as session:
        report, _ = service.import_list(session, analyst, "ofsi",
                                        [PUBLISHED / "ofsi_conlist_shapes.xml"])
    assert report.list_key == "uk_ofsi" and report.entries == 3
    with platform_db.transaction() as session:
        [found] = service.screen_entities(session, analyst, [
            {"schema": "Person", "properties": {"name": ["Oleg Petrenko"],
                                               "birthDate": ["1960-03-12"]}}])
    top = found.results[0]
    assert top.caption == "Oleh Ivanovych PETRENKO" and top.band == "match"


@pytest.mark.parametrize(("kind", "fixture", "name", "after"), [
    ("uk", "uk_sanctions_list_shapes.xml", "UK_Sanctions_List.xml", "<Designation>"),
    ("ofac_xml", "sdn_enhanced_shapes.xml", "SDN_ENHANCED.XML", "<entity "),
    ("ofsi", "ofsi_conlist_shapes.xml", "ConList.xml", "<FinancialSanctionsTarget>"),
])
def test_a_streamed_list_names_the_line_of_an_undeclared_entity(
        tmp_path: Path, kind: str, fixture: str, name: str, after: str) -> None:
    # the streaming parser says "no element found" at no line: the file is checked again
    content = (PUBLISHED / fixture).read_text(encoding="utf-8")
    at = content.index(after)
    broken = tmp_path / name
    broken.write_text(content[:at] + "<!-- -->&nbsp;" + content[at:], encoding="utf-8")
    line = content[:at].count("\n") + 1
    with pytest.raises(InputError) as caught:
        read_list(kind, [broken])
    (problem,) = caught.value.problems
    assert problem.location == f"{name}:{line}"
    assert "nbsp" in str(problem.reason)
