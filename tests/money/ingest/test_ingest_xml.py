"""goAML and camt.053 importers, and the XML hardening they share."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from followthemoney import model

from tocsin.errors import InputError
from tocsin.money.dataset import open_set
from tocsin.money.ingest import detect_format, ingest
from tocsin.money.ingest.entities import account_entity_id
from tocsin.money.rates import rates_from_mapping

RATES = rates_from_mapping({"base": "EUR", "rates": {"MDL": 0.05, "USD": 0.9}})


def test_goaml_report(fixtures: Path, tmp_path: Path) -> None:
    report = ingest("goaml", [fixtures / "goaml" / "str_smurfing.xml"], tmp_path / "s",
                    rates=RATES)
    assert (report.transactions, report.accounts) == (3, 4)
    stored = open_set(tmp_path / "s")
    txns = {t["txn_id"]: t for t in stored.transactions().to_pylist()}
    wire = txns["STR-2024-0117:TX-0002"]
    assert wire["source"] == "MD40EX000000225100000123"
    assert wire["target"] == "EXMPCY2N:CY17002001280000001200527600"
    assert (wire["amount_orig"], wire["currency_orig"], wire["channel"]) == (180000, "MDL", "W")
    assert wire["amount"] == pytest.approx(9000.0)
    assert wire["ts"] == datetime(2024, 2, 6, 15, 40, tzinfo=UTC)
    assert wire["source_ref"] == "str_smurfing.xml:/report/transaction[2]"
    # the line of each <transaction> start tag
    assert [txns[f"STR-2024-0117:TX-000{k}"]["source_line"] for k in (1, 2, 3)] == [24, 81, 119]
    assert {t["source_file"] for t in txns.values()} == {"str_smurfing.xml"}
    assert txns["STR-2024-0117:TX-0003"]["ts"] == datetime(2024, 2, 7, tzinfo=UTC)

    accounts = {a["account_id"]: a for a in stored.accounts().to_pylist()}
    assert accounts["MD40EX000000225100000123"]["kind"] == "domestic"  # my client
    assert accounts["EXMPCY2N:CY17002001280000001200527600"]["kind"] == "foreign"  # CY vs MD
    depositor = accounts[txns["STR-2024-0117:TX-0001"]["source"]]
    assert depositor["account_id"].startswith("party:")

    parties = {p["party_id"]: p for p in stored.parties().to_pylist()}
    person = parties[depositor["party_id"]]
    assert (person["schema"], person["name"], person["country"]) == ("Person", "Victor Ceban",
                                                                     "MD")
    props = json.loads(person["properties"])
    assert props["birthDate"] == ["1985-06-14"] and props["idNumber"] == ["0981204567123"]
    holder = parties[accounts["MD40EX000000225100000123"]["party_id"]]
    assert (holder["schema"], holder["name"]) == ("Company", "Ceban Trading SRL")
    assert parties[txns["STR-2024-0117:TX-0003"]["source"][6:]]["schema"] == "LegalEntity"
    bank_account = parties[account_entity_id("MD40EX000000225100000123")]
    entity = model.get_proxy({"id": bank_account["party_id"], "schema": bank_account["schema"],
                              "properties": json.loads(bank_account["properties"])})
    assert entity.get("iban") == ["MD40EX000000225100000123"]
    assert entity.get("bic") == ["EXMPMD2X"]


def test_goaml_problems_carry_their_xpath(fixtures: Path, tmp_path: Path, leftovers) -> None:
    with pytest.raises(InputError) as caught:
        ingest("goaml", [fixtures / "goaml" / "ctr_bad.xml"], tmp_path / "s", rates=RATES)
    found = {p.location.split(":", 1)[1]: p.reason for p in caught.value.problems}
    assert "is not a date" in found["/report/transaction[1]/date_transaction"]
    assert "'12,000.00' is not a non-negative number" in found[
        "/report/transaction[1]/amount_local"]
    assert "appears twice" in found["/report/transaction[2]/transactionnumber"]
    assert "holds neither" in found["/report/transaction[2]/t_from"]
    assert found["/report/transaction[2]/t_to"].startswith("missing")
    assert leftovers(tmp_path) == []


def test_goaml_currency_without_rate(fixtures: Path, tmp_path: Path) -> None:
    rates = rates_from_mapping({"base": "EUR", "rates": {"USD": 0.9}})
    with pytest.raises(InputError) as caught:
        ingest("goaml", [fixtures / "goaml" / "str_smurfing.xml"], tmp_path / "s", rates=rates)
    assert caught.value.problems[0].location.endswith(
        "str_smurfing.xml:/report/currency_code_local")


@pytest.mark.parametrize("fmt", ["goaml", "camt053"])
@pytest.mark.parametrize("name", ["billion_laughs.xml", "external_entity.xml"])
def test_hostile_doctypes_are_refused(fixtures: Path, tmp_path: Path, leftovers, fmt: str,
                                      name: str) -> None:
    with pytest.raises(InputError, match="DOCTYPE declares entities"):
        ingest(fmt, [fixtures / "goaml" / name], tmp_path / "s")
    assert leftovers(tmp_path) == []


def test_external_dtd_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE report SYSTEM "http://example.org/r.dtd">'
                    "\n<report><currency_code_local>EUR</currency_code_local></report>\n")
    with pytest.raises(InputError, match="external DTD"):
        ingest("goaml", [path], tmp_path / "s")


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    path.write_text("<report>\n<transaction>\n</report>\n")
    with pytest.raises(InputError, match=r"r\.xml:3: not well-formed XML"):
        ingest("goaml", [path], tmp_path / "s")
    assert [p.name for p in tmp_path.iterdir()] == ["r.xml"]


def test_camt053_statements_of_two_versions(fixtures: Path, tmp_path: Path) -> None:
    folder = fixtures / "camt053"
    report = ingest("camt053", [folder / "statement_v02.xml", folder / "statement_v08.xml"],
                    tmp_path / "s", rates=RATES)
    assert report.transactions == 6
    assert report.notes == ["1 entry with status PDNG not imported (only booked entries are)"]
    stored = open_set(tmp_path / "s")
    txns = {t["txn_id"]: t for t in stored.transactions().to_pylist()}
    credit = txns["S-2024-01-DE98:Ntry[1]"]
    assert (credit["source"], credit["target"]) == ("FR7630006000011234567890189",
                                                    "DE9837040044053201300000")
    assert credit["channel"] == "PMNT/RCDT/ESCT"
    cash = txns["S-2024-01-DE98:Ntry[2]"]
    assert cash["target"] == "cash:DE9837040044053201300000"
    batch = [txns["S-2024-01-DE98:Ntry[3]/1"], txns["S-2024-01-DE98:Ntry[3]/2"]]
    assert [b["amount_orig"] for b in batch] == [9000.0, 5000.0]
    assert batch[0]["ts"] == datetime(2024, 1, 9, 14, 30, tzinfo=UTC)
    assert batch[1]["source_ref"].endswith("/Stmt[1]/Ntry[3]/NtryDtls/TxDtls[2]")
    # an entry's line is its <Ntry>; a batch entry's transactions start at their <TxDtls>
    assert [credit["source_line"], cash["source_line"]] == [25, 46]
    assert [b["source_line"] for b in batch] == [62, 71]
    assert (credit["source_file"], txns["S-2024-02-LT12:Ntry[1]"]["source_file"]) \
        == ("statement_v02.xml", "statement_v08.xml")
    v08 = txns["S-2024-02-LT12:Ntry[1]"]
    assert (v08["source"], v08["target"]) == ("DE9837040044053201300000",
                                              "LT121000011101001000")
    assert txns["S-2024-02-LT12:Ntry[2]"]["target"] == "HK-889-112233"
    accounts = {a["account_id"]: a for a in stored.accounts().to_pylist()}
    assert accounts["cash:DE9837040044053201300000"]["kind"] == "cash"
    assert accounts["FR7630006000011234567890189"]["kind"] == "foreign"
    assert accounts["FR7630006000011234567890189"]["bank"] == "AGRIFRPPXXX"
    assert accounts["DE9837040044053201300000"]["bank"] == "COBADEFFXXX"
    names = {p["name"] for p in stored.parties().to_pylist() if p["schema"] == "LegalEntity"}
    assert {"Alder Logistics GmbH", "Brume Conseil SARL", "Tiger Digital Assets Ltd"} <= names


def test_camt053_problems(fixtures: Path, tmp_path: Path, leftovers) -> None:
    with pytest.raises(InputError) as caught:
        ingest("camt053", [fixtures / "camt053" / "statement_bad.xml"], tmp_path / "s",
               rates=RATES)
    found = {p.location.split(":", 1)[1]: p.reason for p in caught.value.problems}
    stmt = "/Document/BkToCstmrStmt/Stmt[1]"
    assert "'1.000,00' is not an amount" in found[f"{stmt}/Ntry[1]/Amt"]
    assert "neither CRDT nor DBIT" in found[f"{stmt}/Ntry[2]/CdtDbtInd"]
    assert "no exchange rate for MNT" in found[f"{stmt}/Ntry[2]/Amt/@Ccy"]
    assert leftovers(tmp_path) == []


def test_goaml_file_is_not_a_statement(fixtures: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"not a camt\.053 statement"):
        ingest("camt053", [fixtures / "goaml" / "str_smurfing.xml"], tmp_path / "s")


def test_detects_xml_formats(fixtures: Path) -> None:
    assert detect_format(fixtures / "goaml" / "str_smurfing.xml") == "goaml"
    assert detect_format(fixtures / "camt053" / "statement_v02.xml") == "camt053"


@pytest.mark.parametrize(("fmt", "fixture", "root", "named"), [
    ("goaml", "goaml/str_smurfing.xml", "report", "re:port"),
    ("camt053", "camt053/statement_v08.xml", "Document", "Document:"),
])
def test_an_element_name_with_an_undeclared_prefix_is_a_located_problem(
        fixtures: Path, tmp_path: Path, fmt: str, fixture: str, root: str, named: str) -> None:
    # found by fuzzing: lxml keeps such a name as written, and reading its local name
    # through etree.QName raised ValueError ("Invalid tag name 're:port'")
    path = tmp_path / Path(fixture).name
    path.write_text((fixtures / fixture).read_text(encoding="utf-8")
                    .replace(f"<{root}", f"<{named}", 1).replace(f"</{root}>", f"</{named}>"),
                    encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest(fmt, [path], tmp_path / "s", rates=RATES)
    assert all(p.location.startswith(str(path)) for p in caught.value.problems)
    assert not (tmp_path / "s").exists()
