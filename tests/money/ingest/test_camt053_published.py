"""camt.053 statements as banks and bank software write them (fixtures: camt053/published)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tocsin.errors import InputError
from tocsin.money.dataset import open_set
from tocsin.money.ingest import ingest
from tocsin.money.rates import rates_from_mapping

RATES = rates_from_mapping({"base": "EUR", "rates": {"SEK": 0.09, "USD": 0.9, "CHF": 1.05}})


@pytest.fixture
def published(fixtures: Path) -> Path:
    return fixtures / "camt053" / "published"


def _import(paths: list[Path], out: Path) -> tuple[Any, dict[str, dict[str, Any]]]:
    report = ingest("camt053", paths, out, rates=RATES)
    txns = {t["txn_id"]: t for t in open_set(out).transactions().to_pylist()}
    return report, txns


def _variant(published: Path, tmp_path: Path, name: str, old: str, new: str,
             source: str = "genkgo-camt053.v8.xml") -> Path:
    """A published file with one element written another way (as other banks do)."""
    text = (published / source).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("written", ["2014-12-31+01:00", "2014-12-31Z", "2014-12-31"])
def test_a_booking_date_with_a_time_zone_is_that_day(published: Path, tmp_path: Path,
                                                     written: str) -> None:
    # xs:date allows a zone; read as a date-time, "+01:00" became one o'clock
    path = _variant(published, tmp_path, "tz.xml", "<DtTm>2014-12-31T13:15:00+01:00</DtTm>",
                    f"<Dt>{written}</Dt>")
    _, txns = _import([path], tmp_path / "s")
    # the v8 file is page 2 of its statement
    assert txns["253EURNL26VAYB8060476890/p2:Ntry[1]"]["ts"] \
        == datetime(2014, 12, 31, tzinfo=UTC)


def test_a_reversal_comes_from_the_original_transactions_other_party(published: Path,
                                                                    tmp_path: Path) -> None:
    # a returned payment is booked as a credit, but its RltdPties stay those of the original
    # debit: the money comes back from the creditor, not from a debtor the entry lacks
    path = _variant(published, tmp_path, "return.xml",
                    "<CdtDbtInd>DBIT</CdtDbtInd>\n                <RvslInd>false</RvslInd>",
                    "<CdtDbtInd>CRDT</CdtDbtInd>\n                <RvslInd>true</RvslInd>",
                    source="genkgo-camt053.v2.multi.statement.xml")
    _, txns = _import([path], tmp_path / "s")
    back = txns["254EURNL26VAYB8060476890:Ntry[1]"]
    assert (back["source"], back["target"]) == ("NL56AGDH9619008421", "NL26VAYB8060476890")
    assert back["amount_orig"] == 7.0


def test_entries_dated_only_by_their_statement(published: Path, tmp_path: Path) -> None:
    # a Lithuanian bank's day statement: no Sts, BookgDt or ValDt on its batch entries,
    # only the balances' date; two statements (accounts) in one document, one without entries
    report, txns = _import([published / "subite-lt-2024-03-07.xml"], tmp_path / "s")
    assert report.transactions == 3
    # two batch entries give NbOfTxs (86, 3) but a single TxDtls summing them
    assert report.notes == ["3 entries without BookgDt or ValDt dated by their statement "
                            "(closing balance date, else period end, else creation)",
                            "2 batch entries announce more transactions (Btch/NbOfTxs) than "
                            "they detail: imported as the details given"]
    assert {t["ts"] for t in txns.values()} == {datetime(2024, 3, 7, tzinfo=UTC)}
    first = txns["MSG66141212-AUHHDI:Ntry[1]"]
    assert (first["target"], first["amount_orig"], first["currency_orig"], first["channel"]) \
        == ("LT625883379695428516", 828531.98, "EUR", "ATSISK")
    fee = txns["MSG66141212-AUHHDI:Ntry[2]"]
    assert (fee["source"], fee["amount_orig"]) == ("LT625883379695428516", 0.2)
    assert txns["MSG66141212-AUHHDI:Ntry[3]"]["channel"] == "KLIRNG"
    accounts = {a["account_id"] for a in open_set(tmp_path / "s").accounts().to_pylist()}
    assert "LT414319056143772570" in accounts


def test_an_entry_without_any_date_is_refused(published: Path, tmp_path: Path) -> None:
    text = (published / "subite-lt-2024-03-07.xml").read_text(encoding="utf-8")
    path = tmp_path / "undated.xml"
    path.write_text(text.replace("<Cd>CLBD</Cd>", "<Cd>XXXX</Cd>"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest("camt053", [path], tmp_path / "s", rates=RATES)
    where = {p.location.split(":", 1)[1] for p in caught.value.problems}
    assert "/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/BookgDt" in where
    assert not (tmp_path / "s").exists()


def test_a_batch_whose_details_do_not_add_up_is_named(fixtures: Path, tmp_path: Path) -> None:
    text = (fixtures / "camt053" / "statement_v02.xml").read_text(encoding="utf-8")
    path = tmp_path / "batch.xml"
    path.write_text(text.replace('<Amt Ccy="EUR">14000.00</Amt>', '<Amt Ccy="EUR">14250.00</Amt>'),
                    encoding="utf-8")
    report, txns = _import([path], tmp_path / "s")
    assert "1 batch entry whose details' amounts do not add up to its Amt: imported as the " \
        "details' amounts" in report.notes
    assert [txns[f"S-2024-01-DE98:Ntry[3]/{k}"]["amount_orig"] for k in (1, 2)] == [9000, 5000]


def test_a_batch_detail_amount_problem_names_the_element_used(fixtures: Path,
                                                              tmp_path: Path) -> None:
    # 001.04 and later give a detail its own Amt, without AmtDtls
    text = (fixtures / "camt053" / "statement_v02.xml").read_text(encoding="utf-8")
    path = tmp_path / "batch.xml"
    path.write_text(text.replace('<AmtDtls><TxAmt><Amt Ccy="EUR">5000.00</Amt></TxAmt></AmtDtls>',
                                 '<Amt Ccy="EUR">5 000,00</Amt>'), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest("camt053", [path], tmp_path / "s", rates=RATES)
    where = {p.location.split(":", 1)[1] for p in caught.value.problems}
    assert where == {"/Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/NtryDtls/TxDtls[2]/Amt"}


def test_statements_sharing_an_id_keep_transactions_apart(published: Path,
                                                          tmp_path: Path) -> None:
    # genkgo's files all use statement 253EUR… of one account: the v8 one as page 2, the
    # party-ids one unpaged as in the multi-statement file (read again: kept, and named)
    names = ["genkgo-camt053.v2.multi.statement.xml", "genkgo-camt053.v2.with-party-ids.xml",
             "genkgo-camt053.v8.xml"]
    report, txns = _import([published / n for n in names], tmp_path / "s")
    assert sorted(txns) == ["253EURNL26VAYB8060476890#2:Ntry[1]",
                            "253EURNL26VAYB8060476890/p2:Ntry[1]",
                            "253EURNL26VAYB8060476890:Ntry[1]",
                            "254EURNL26VAYB8060476890:Ntry[1]"]
    assert report.notes == [
        "statement 253EURNL26VAYB8060476890 of account NL26VAYB8060476890 read again in "
        "genkgo-camt053.v2.with-party-ids.xml: its entries are imported again, as "
        "253EURNL26VAYB8060476890#2:… (if it is a copy, leave the file out)"]
    assert txns["253EURNL26VAYB8060476890#2:Ntry[1]"]["source_file"] \
        == "genkgo-camt053.v2.with-party-ids.xml"


def test_other_accounts_statements_with_the_same_id(fixtures: Path, tmp_path: Path) -> None:
    text = (fixtures / "camt053" / "statement_v08.xml").read_text(encoding="utf-8")
    other = tmp_path / "other.xml"
    other.write_text(text.replace("LT121000011101001000", "LT601010012345678901"),
                     encoding="utf-8")
    report, txns = _import([fixtures / "camt053" / "statement_v08.xml", other], tmp_path / "s")
    assert report.notes == []
    assert {t["txn_id"].split(":")[0] for t in txns.values()} \
        == {"S-2024-02-LT12", "S-2024-02-LT12/LT601010012345678901"}


def test_an_account_report_is_refused_naming_what_it_is(published: Path, tmp_path: Path) -> None:
    # a camt.052 intraday report has the same entries under another wrapper
    text = (published / "genkgo-camt053.v8.xml").read_text(encoding="utf-8")
    path = tmp_path / "report.xml"
    path.write_text(text.replace("BkToCstmrStmt", "BkToCstmrAcctRpt").replace("Stmt>", "Rpt>")
                    .replace("camt.053.001.08", "camt.052.001.08"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest("camt053", [path], tmp_path / "s", rates=RATES)
    [problem] = caught.value.problems
    assert problem.location == f"{path}:/Document/BkToCstmrAcctRpt"
    assert problem.reason == ("not a camt.053 statement (Document/BkToCstmrAcctRpt found, "
                              "Document/BkToCstmrStmt/Stmt expected)")
    assert not (tmp_path / "s").exists()


def test_an_ultimate_debtor_is_named_in_the_notes(published: Path, tmp_path: Path) -> None:
    path = _variant(published, tmp_path, "ultimate.xml", "</Dbtr>",
                    "</Dbtr>\n<UltmtDbtr><Nm>Ultimate Payer AB</Nm></UltmtDbtr>",
                    source="genkgo-camt053.v2.with-party-ids.xml")
    report, txns = _import([path], tmp_path / "s")
    assert report.notes == ["1 transaction names an ultimate debtor or creditor "
                            "(UltmtDbtr/UltmtCdtr): only the debtor and creditor are kept"]
    assert txns["253EURNL26VAYB8060476890:Ntry[1]"]["source"] == "NL56AGDH9619008421"


def test_two_statements_in_one_document_v02(published: Path, tmp_path: Path) -> None:
    # 001.02: Sts as text, BkTxCd/Prtry, RvslInd false, CdtDbtInd on the entry only, Ustrd
    report, txns = _import([published / "genkgo-camt053.v2.multi.statement.xml"],
                           tmp_path / "s")
    assert (report.transactions, report.notes) == (2, [])
    credit = txns["253EURNL26VAYB8060476890:Ntry[1]"]
    # the credit names only its creditor (the statement's owner): the payer is unknown
    assert (credit["source"], credit["target"]) == ("unknown:253EURNL26VAYB8060476890:Ntry[1]",
                                                    "NL26VAYB8060476890")
    assert (credit["amount_orig"], credit["currency_orig"], credit["channel"]) \
        == (8.85, "EUR", "544")
    assert credit["ts"] == datetime(2014, 12, 31, tzinfo=UTC)  # BookgDt, not ValDt
    debit = txns["254EURNL26VAYB8060476890:Ntry[1]"]
    assert (debit["source"], debit["target"], debit["amount_orig"]) \
        == ("NL26VAYB8060476890", "NL56AGDH9619008421", 7.0)
    stored = open_set(tmp_path / "s")
    names = {p["name"] for p in stored.parties().to_pylist() if p["schema"] == "LegalEntity"}
    assert names == {"Company Name 2"}


def test_a_v08_statement(published: Path, tmp_path: Path) -> None:
    # Sts/Cd, BookgDt/DtTm with a zone, parties under Pty, an Othr/Id statement account,
    # Strd remittance, and a detail Amt in another currency (the entry's Amt is booked)
    report, txns = _import([published / "genkgo-camt053.v8.xml"], tmp_path / "s")
    assert (report.transactions, report.notes) == (1, [])
    [credit] = txns.values()
    assert (credit["source"], credit["target"]) == ("NL56AGDH9619008421", "NL26VAYB8060476890")
    assert (credit["amount_orig"], credit["currency_orig"]) == (8.85, "EUR")
    assert credit["ts"] == datetime(2014, 12, 31, 12, 15, tzinfo=UTC)
    assert credit["channel"] == "PMNT/RCDT/BOOK"
    stored = open_set(tmp_path / "s")
    names = {p["name"] for p in stored.parties().to_pylist() if p["schema"] == "LegalEntity"}
    assert names == {"FINPETROL", "NAME NAME"}
    accounts = {a["account_id"]: a for a in stored.accounts().to_pylist()}
    assert accounts["NL26VAYB8060476890"]["country"] == "NL"
    assert accounts["NL56AGDH9619008421"]["kind"] == "domestic"


def test_a_private_person_debtor_with_an_id(published: Path, tmp_path: Path) -> None:
    # the debtor's Id/PrvtId/Othr is a national id number: kept on the party
    _, txns = _import([published / "genkgo-camt053.v2.with-party-ids.xml"], tmp_path / "s")
    [credit] = txns.values()
    assert (credit["source"], credit["target"], credit["amount_orig"]) \
        == ("NL56AGDH9619008421", "NL26VAYB8060476890", 8.85)
    stored = open_set(tmp_path / "s")
    owner = {a["account_id"]: a["party_id"] for a in stored.accounts().to_pylist()}
    parties = {p["party_id"]: p for p in stored.parties().to_pylist()}
    debtor = parties[owner["NL56AGDH9619008421"]]
    assert debtor["name"] == "NAME NAME"
    assert json.loads(debtor["properties"])["idNumber"] == ["19121212-1212"]


def test_a_company_creditor_keeps_its_registration_number(published: Path,
                                                          tmp_path: Path) -> None:
    path = _variant(published, tmp_path, "debit.xml",
                    "<CdtDbtInd>CRDT</CdtDbtInd>\n                <Sts>",
                    "<CdtDbtInd>DBIT</CdtDbtInd>\n                <Sts>")
    _import([path], tmp_path / "s")
    parties = open_set(tmp_path / "s").parties().to_pylist()
    [creditor] = [p for p in parties if p["name"] == "Company Name"]
    assert json.loads(creditor["properties"])["registrationNumber"] == ["455454654"]


def test_bom_crlf_and_a_prefixed_namespace(published: Path, tmp_path: Path) -> None:
    text = (published / "genkgo-camt053.v8.xml").read_text(encoding="utf-8")
    head, body = text.split("\n", 1)
    body = re.sub(r"<(/?)([A-Za-z])", r"<\1c:\2", body).replace('xmlns="urn', 'xmlns:c="urn')
    path = tmp_path / "prefixed.xml"
    path.write_bytes(("\ufeff" + head + "\n" + body).replace("\n", "\r\n").encode("utf-8"))
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf" and b"<c:Ntry>" in path.read_bytes()
    _, txns = _import([path], tmp_path / "s")
    [credit] = txns.values()
    assert (credit["source"], credit["amount_orig"], credit["ts"]) \
        == ("NL56AGDH9619008421", 8.85, datetime(2014, 12, 31, 12, 15, tzinfo=UTC))


def test_an_entry_without_details(published: Path, tmp_path: Path) -> None:
    text = (published / "genkgo-camt053.v8.xml").read_text(encoding="utf-8")
    path = tmp_path / "bare.xml"
    path.write_text(re.sub(r"<NtryDtls>.*</NtryDtls>", "", text, flags=re.S), encoding="utf-8")
    _, txns = _import([path], tmp_path / "s")
    [credit] = txns.values()
    assert (credit["source"], credit["target"], credit["amount_orig"]) \
        == ("unknown:253EURNL26VAYB8060476890/p2:Ntry[1]", "NL26VAYB8060476890", 8.85)


def test_a_foreign_payment_books_the_account_amount(published: Path, tmp_path: Path) -> None:
    # AmtDtls gives the instructed USD and the exchange; the entry's Amt is what was booked
    path = _variant(published, tmp_path, "fx.xml", '<Amt Ccy="SEK">0</Amt>',
                    '<AmtDtls><InstdAmt><Amt Ccy="USD">9.83</Amt><CcyXchg><SrcCcy>USD</SrcCcy>'
                    '<TrgtCcy>EUR</TrgtCcy><XchgRate>0.9</XchgRate></CcyXchg></InstdAmt>'
                    '<TxAmt><Amt Ccy="EUR">8.85</Amt></TxAmt></AmtDtls>')
    _, txns = _import([path], tmp_path / "s")
    [credit] = txns.values()
    assert (credit["amount_orig"], credit["currency_orig"]) == (8.85, "EUR")


def test_a_reversal_naming_its_parties_as_it_runs(published: Path, tmp_path: Path) -> None:
    # the v8 credit reversed as a debit, its parties left as the debit runs: Cdtr only
    text = (published / "genkgo-camt053.v8.xml").read_text(encoding="utf-8")
    text = text.replace("<CdtDbtInd>CRDT</CdtDbtInd>\n                <Sts>",
                        "<CdtDbtInd>DBIT</CdtDbtInd>\n                <RvslInd>true</RvslInd>\n"
                        "                <Sts>")
    text = re.sub(r"<Dbtr>.*</DbtrAcct>", "", text, flags=re.S)
    path = tmp_path / "reversal.xml"
    path.write_text(text, encoding="utf-8")
    _, txns = _import([path], tmp_path / "s")
    [back] = txns.values()
    assert (back["source"], back["target"]) == ("NL26VAYB8060476890", "NL56AGDH9619008421")


@pytest.mark.parametrize(("status", "imported"), [("PDNG", 0), ("BOOK", 1)])
def test_a_proprietary_status(published: Path, tmp_path: Path, status: str,
                              imported: int) -> None:
    path = _variant(published, tmp_path, "prtry.xml", "<Cd>BOOK</Cd>",
                    f"<Prtry>{status}</Prtry>")
    report, _ = _import([path], tmp_path / "s")
    assert report.transactions == imported
    assert report.notes == ([] if imported else
                            ["1 entry with status PDNG not imported (only booked entries are)"])


# OCA/bank-statement-import's camt test statements (SOURCES.md: AGPL-3.0, the Odoo module's
# own test files), each as that project keeps it


def test_oca_batch_of_two_details_each_from_its_debtor(published: Path, tmp_path: Path) -> None:
    report, txns = _import([published / "oca-test-camt053-txdtls.xml"], tmp_path / "s")
    assert (report.transactions, report.accounts, report.parties) == (2, 3, 5)
    assert [str(n) for n in report.notes] == [
        "1 transaction names an ultimate debtor or creditor (UltmtDbtr/UltmtCdtr): only "
        "the debtor and creditor are kept"]
    first, second = (txns[f"20170323123456789012345:Ntry[1]/{n}"] for n in (1, 2))
    assert [(t["source"], t["target"], t["amount_orig"], t["currency_orig"], t["source_line"])
            for t in (first, second)] == [
        ("CH2222000000123456789", "CH1111000000123456789", 2187.0, "CHF", 79),
        ("CH3333000000123456789", "CH1111000000123456789", 1296.0, "CHF", 147)]
    # the booking date (22 March), not the value date (23 March)
    assert first["ts"] == datetime(2017, 3, 22, tzinfo=UTC)
    # each detail its own code (PMNT/RCDT/AUTT), not the batch entry's (PMNT/RCDT/VCOM)
    assert (first["channel"], second["channel"]) == ("PMNT/RCDT/AUTT", "PMNT/RCDT/AUTT")
    accounts = {a["account_id"]: a for a in open_set(tmp_path / "s").accounts().to_pylist()}
    # the debtors' agents' BICs; "CH1" and "CH2" in their addresses are no countries
    assert [(accounts[a]["bank"], accounts[a]["country"]) for a in
            ("CH2222000000123456789", "CH3333000000123456789")] == [
        ("POFICHBEXXX", "CH"), ("POFICHBEYYY", "CH")]


def test_oca_detail_in_another_currency_books_the_entry_amount(published: Path,
                                                              tmp_path: Path) -> None:
    # the entry books 345.34 SEK; its only detail says EUR 32.00 (TxAmt): the account moved
    # by the booked amount. No Sts, no statement dates: booked, dated by BookgDt.
    report, txns = _import([published / "oca-test-camt053-multicurrency.xml"], tmp_path / "s")
    assert (report.transactions, report.accounts, [str(n) for n in report.notes]) == (1, 2, [])
    (txn,) = txns.values()
    assert (txn["txn_id"], txn["source"], txn["target"]) == (
        "STATEMENT-1:Ntry[1]", "SE123456789", "SE3550000000054910000003")
    assert (txn["amount_orig"], txn["currency_orig"]) == (345.34, "SEK")
    assert txn["amount"] == pytest.approx(345.34 * 0.09)
    assert txn["ts"] == datetime(2026, 5, 6, tzinfo=UTC)


def test_oca_v10_entries_without_details_and_the_owners_registration(published: Path,
                                                                   tmp_path: Path) -> None:
    # camt.053.001.10 from a payment institution: CreDtTm with nine decimals, bookings as
    # DtTm with microseconds and a zone, proprietary codes, no TxDtls at all
    report, txns = _import([published / "oca-test-camt053-addtlntryinf-with-no-txdtls.xml"],
                           tmp_path / "s")
    assert (report.transactions, report.accounts, report.parties) == (2, 3, 2)
    card, credit = (txns[f"52995589-87806609-1783466312332:Ntry[{n}]"] for n in (1, 2))
    assert (card["source"], card["target"], card["amount_orig"], card["channel"]) == (
        "BE00000000000000", "unknown:52995589-87806609-1783466312332:Ntry[1]", 900.0,
        "CARD-0123456789")
    assert card["ts"] == datetime(2026, 6, 28, 19, 40, 58, 810767, tzinfo=UTC)
    assert (credit["source"], credit["target"]) == (
        "unknown:52995589-87806609-1783466312332:Ntry[2]", "BE00000000000000")
    assert credit["ts"] == datetime(2026, 6, 3, 7, 52, 8, 54666, tzinfo=UTC)
    owner = next(p for p in open_set(tmp_path / "s").parties().to_pylist()
                 if p["schema"] == "LegalEntity")
    # Acct/Ownr/Id/OrgId/Othr/Id: it was dropped, although a related party's is kept
    assert (owner["name"], json.loads(owner["properties"])["registrationNumber"]) == (
        "ACME Corporation", ["B12345678"])


@pytest.mark.parametrize(("name", "where", "reason"), [
    # that project's own broken statement: the second entry's Amt is commented out
    ("oca-test-camt053-wrong-amount.xml", ":/Document/BkToCstmrStmt/Stmt[1]/Ntry[2]/Amt",
     "missing"),
    # two statements written one after the other, each with its XML declaration
    ("oca-test-camt053-merged.xml", ":243",
     "not well-formed XML (XML declaration allowed only at the start of the document, "
     "line 243, column 6)"),
    # dvbern/iso20022's "notification missing" case: a camt.053.001.04 Document, empty
    ("dvbern-camt_053_Beispiel_NotificationMissing.xml", ":/",
     "not a camt.053 statement (no Document/BkToCstmrStmt/Stmt with an account and "
     "entries)"),
], ids=["entry-without-amount", "two-documents", "no-statement"])
def test_broken_statements_of_others_are_refused_where_and_why(
        published: Path, tmp_path: Path, name: str, where: str, reason: str) -> None:
    path = published / name
    with pytest.raises(InputError) as caught:
        ingest("camt053", [path], tmp_path / "s", rates=RATES)
    assert [(p.location, str(p.reason)) for p in caught.value.problems] == [
        (f"{path}{where}", reason)]
    assert not (tmp_path / "s").exists()


POSTFINANCE = "dvbern-camt.053_P_CH0309000000250090342_380000000_0_2016053100163801.xml"


def test_postfinance_cash_deposits_inside_a_batch_of_credits(published: Path,
                                                            tmp_path: Path) -> None:
    # a Swiss bank's statement (dvbern/iso20022's test file): ISR batch credits (RCDT/VCOM,
    # RCDT/AUTT) whose details are partly cash paid in at a post office counter, each
    # detail with its own BkTxCd PMNT/CNTR/CDPT. They were unknown counterparties (one
    # "unknown:" account each) under the batch's code.
    report, txns = _import([published / POSTFINANCE], tmp_path / "s")
    assert (report.transactions, report.accounts, report.parties) == (32, 16, 13)
    # three of the deposits name who paid in: said, and the names kept as parties
    assert [str(n) for n in report.notes] == [
        "3 cash deposits or withdrawals name who paid in or took out the cash: they run from "
        "or to the account's cash end point (cash:<account>); the names are kept as parties"]
    assert {"Bernasconi Maria", "Rutschmann Pia"} <= {
        p["name"] for p in open_set(tmp_path / "s").parties().to_pylist()}
    stmt = "20160430375204000008574"
    cash = {k.split(":", 1)[1]: t["amount_orig"] for k, t in txns.items()
            if t["source"] == "cash:CH0309000000250090342"}
    assert cash == {"Ntry[7]/1": 100.0, "Ntry[7]/4": 50.0, "Ntry[7]/5": 100.0,
                    "Ntry[7]/7": 50.0, "Ntry[7]/8": 100.0, "Ntry[8]/4": 100.0,
                    "Ntry[8]/5": 30.0, "Ntry[8]/6": 50.0}
    assert {txns[f"{stmt}:{k}"]["channel"] for k in cash} == {"PMNT/CNTR/CDPT"}
    accounts = {a["account_id"]: a for a in open_set(tmp_path / "s").accounts().to_pylist()}
    assert (accounts["cash:CH0309000000250090342"]["kind"],
            accounts["cash:CH0309000000250090342"]["country"]) == ("cash", "CH")
    # the other details keep their own codes and debtors
    assert (txns[f"{stmt}:Ntry[7]/6"]["source"], txns[f"{stmt}:Ntry[7]/6"]["channel"]) == (
        "CH4444444444444444444", "PMNT/RCDT/AUTT")
    assert txns[f"{stmt}:Ntry[7]/3"]["source"] == f"unknown:{stmt}:Ntry[7]/3"  # agent only
    # a returned credit (ICDT/RRTN) from the original creditor; a refunded direct debit
    # (DBIT, RvslInd) goes back to its debtor
    assert {txns[f"{stmt}:Ntry[9]/{n}"]["source"] for n in (1, 2, 3)} == {
        "CH7408237100000000002"}
    assert (txns[f"{stmt}:Ntry[12]"]["source"], txns[f"{stmt}:Ntry[12]"]["target"]) == (
        "CH0309000000250090342", "CH3709000000250094580")
    # the booking date (6 April) of a return valued 23 March
    assert txns[f"{stmt}:Ntry[9]/1"]["ts"] == datetime(2016, 4, 6, tzinfo=UTC)
