"""The readers on files as the list publishers write them (``tests/fixtures/screening/
published/``, sources in its ``SOURCES.md``): names, aliases, dates of birth, nationalities,
identifiers, programmes and entity types land where they belong, what the platform cannot
hold is named in the read's notes, and a file that is not the list it claims is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.errors import InputError
from tocsin.screening.readers import ListRead, read_list, sniff

PUBLISHED = Path(__file__).parent.parent / "fixtures" / "screening" / "published"


def by_ref(read: ListRead) -> dict[str, object]:
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
