"""goAML reports as FIUs' portals, banks' core systems and reporting tools write them.

The fixtures are fictional; each reproduces the layout of a report published by a
reporting tool or a reporting entity (see docs/money-ingest.md, "Reports as FIUs and
reporting entities write them").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tocsin.errors import InputError
from tocsin.money.dataset import open_set
from tocsin.money.ingest import ingest
from tocsin.money.ingest.base import ProgressBar
from tocsin.money.ingest.xmlsafe import iter_nodes
from tocsin.money.rates import rates_from_mapping

RATES = rates_from_mapping({"base": "EUR", "rates": {
    "AED": 0.25, "LKR": 0.003, "IDR": 0.00006, "ZAR": 0.05, "USD": 0.9, "MDL": 0.05,
    "CAD": 0.7}})


def _stored(target: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    stored = open_set(target)
    return ({t["txn_id"]: t for t in stored.transactions().to_pylist()},
            {a["account_id"]: a for a in stored.accounts().to_pylist()},
            {p["party_id"]: p for p in stored.parties().to_pylist()})


def test_schema_5_str_keeps_its_flows_and_names_what_it_cannot_hold(
        fixtures: Path, tmp_path: Path) -> None:
    # schema 5: an <activity> after the transactions, report indicators, a conductor,
    # a foreign-currency amount and goods; the activity part used to refuse the whole file
    report = ingest("goaml", [fixtures / "goaml" / "str_v5_uae.xml"], tmp_path / "s",
                    rates=RATES)
    assert report.transactions == 2
    txns, accounts, parties = _stored(tmp_path / "s")
    cash = txns["STR-2025-0042:TXN-0001"]
    assert (cash["amount_orig"], cash["currency_orig"], cash["channel"]) == (120000, "AED",
                                                                           "CASH")
    assert cash["amount"] == pytest.approx(30000.0)
    assert cash["ts"] == datetime(2025, 5, 24, 14, 30, tzinfo=UTC)
    sender, receiver = accounts[cash["source"]], accounts[cash["target"]]
    assert (sender["kind"], receiver["kind"]) == ("domestic", "unknown")  # my client; not
    assert parties[sender["party_id"]]["name"] == "Layla Sample"
    assert (parties[receiver["party_id"]]["name"], receiver["country"]) == (
        "John Placeholder", "GB")
    wire = txns["STR-2025-0042:TXN-0002"]
    # the local amount is the amount; the dollars paid are named in a note
    assert (wire["amount_orig"], wire["currency_orig"]) == (91800, "AED")
    assert (wire["source"], wire["target"]) == ("AE070331234567890123456",
                                                "EXMPTRIS:TR330006100519786457841326")
    assert accounts[wire["target"]]["kind"] == "foreign"
    assert wire["source_line"] == 77
    assert report.notes == [
        "1 party reported in <activity> not imported: an activity names parties "
        "without a transaction (str_v5_uae.xml:142)",
        "1 goods or services item not kept (str_v5_uae.xml:77)",
        "1 conductor (t_conductor) not kept: the set keeps the account, person or entity "
        "of each side (str_v5_uae.xml:84)",
        "1 foreign-currency amount (USD) not kept: amounts are amount_local in the "
        "report's currency (str_v5_uae.xml:119)",
        "report indicators not kept: STRUC, WICNB (str_v5_uae.xml:154)",
        "the reports' reason, action and additional information are not kept (str_v5_uae.xml:39, "
        "str_v5_uae.xml:40)",
    ]
    assert json.loads((tmp_path / "s" / "meta.json").read_text())["notes"] == report.notes


def test_schema_51_account_holder_in_related_persons(fixtures: Path, tmp_path: Path) -> None:
    # from schema 5.1 an account names its holder in related_persons/account_related_person
    # instead of signatory; the account used to be left without a holder
    ingest("goaml", [fixtures / "goaml" / "str_v5_uae.xml"], tmp_path / "s", rates=RATES)
    _, accounts, parties = _stored(tmp_path / "s")
    account = accounts["AE070331234567890123456"]
    assert account["party_id"] is not None
    holder = parties[account["party_id"]]
    assert (holder["schema"], holder["name"]) == ("Person", "Layla Sample")
    assert json.loads(holder["properties"])["idNumber"] == ["784000000000001"]


def test_activity_only_report_is_an_empty_set_with_notes(fixtures: Path,
                                                         tmp_path: Path) -> None:
    report = ingest("goaml", [fixtures / "goaml" / "dpmsr_activity.xml"], tmp_path / "s",
                    rates=RATES)
    assert (report.transactions, report.accounts, report.parties) == (0, 0, 0)
    assert report.notes == [
        "2 parties reported in <activity> not imported: an activity names parties "
        "without a transaction (dpmsr_activity.xml:20)",
        "1 goods or services item not kept (dpmsr_activity.xml:20)",
        "report indicators not kept: DPMSJ (dpmsr_activity.xml:55)",
        "the reports' reason, action and additional information are not kept "
        "(dpmsr_activity.xml:18, dpmsr_activity.xml:19)",
    ]


def test_multi_party_transactions_are_counted_not_refused(fixtures: Path,
                                                          tmp_path: Path) -> None:
    # a cash-transaction report of a money changer: involved_parties only, on one line
    report = ingest("goaml", [fixtures / "goaml" / "ltkt_multiparty.xml"], tmp_path / "s",
                    rates=RATES)
    assert report.transactions == 0
    assert report.notes == [
        "2 multi-party transactions not imported (involved_parties, or more than one "
        "t_from or t_to): the set holds payments from one account to one other "
        "(ltkt_multiparty.xml:1)",
    ]


def _with_sides(tmp_path: Path, sides: str) -> Path:
    path = tmp_path / "r.xml"
    path.write_text(f"""<report>
<entity_reference>R-1</entity_reference>
<currency_code_local>EUR</currency_code_local>
<transaction>
<transactionnumber>1</transactionnumber><date_transaction>2024-01-02T10:00:00</date_transaction>
<amount_local>10</amount_local>
{sides}
</transaction>
<transaction>
<transactionnumber>2</transactionnumber><date_transaction>2024-01-03T10:00:00</date_transaction>
<amount_local>20</amount_local>
<t_from><from_person><first_name>A</first_name><last_name>B</last_name></from_person></t_from>
<t_to><to_entity><name>C Ltd</name></to_entity></t_to>
</transaction>
</report>
""", encoding="utf-8")
    return path


PERSON = "<{0}_person><first_name>P</first_name><last_name>Q</last_name></{0}_person>"
ACCOUNT = "<{0}_account><swift>EXMPDEFF</swift><account>123</account></{0}_account>"


@pytest.mark.parametrize("sides", [
    # two senders
    f"<t_from>{PERSON.format('from')}</t_from><t_from_my_client>{ACCOUNT.format('from')}"
    f"</t_from_my_client><t_to>{PERSON.format('to')}</t_to>",
    # two receivers
    f"<t_from>{PERSON.format('from')}</t_from><t_to>{PERSON.format('to')}</t_to>"
    f"<t_to>{ACCOUNT.format('to')}</t_to>",
    # one side naming an account and a person
    f"<t_from>{ACCOUNT.format('from')}{PERSON.format('from')}</t_from>"
    f"<t_to>{PERSON.format('to')}</t_to>",
])
def test_a_side_with_several_parties_is_counted(tmp_path: Path, sides: str) -> None:
    # the second party of a side used to be dropped without a word
    report = ingest("goaml", [_with_sides(tmp_path, sides)], tmp_path / "s", rates=RATES)
    assert report.transactions == 1
    txns, _, _ = _stored(tmp_path / "s")
    assert list(txns) == ["R-1:2"]
    assert report.notes == [
        "1 multi-party transaction not imported (involved_parties, or more than one "
        "t_from or t_to): the set holds payments from one account to one other (r.xml:4)",
    ]


def test_core_banking_ctr_export(fixtures: Path, tmp_path: Path) -> None:
    # a bank's own export: the header on one line, seven-digit fractions of a second,
    # trailing blanks, signatories with roles, entity and person end points
    report = ingest("goaml", [fixtures / "goaml" / "ctr_core_banking.xml"], tmp_path / "s",
                    rates=RATES)
    assert report.transactions == 2
    txns, accounts, parties = _stored(tmp_path / "s")
    withdrawal = txns["CTR301024:7450241024TT24297AAAA1"]
    assert withdrawal["ts"] == datetime(2024, 10, 24, tzinfo=UTC)
    assert withdrawal["source"] == "EXMPLKLX:101000000001"
    assert (withdrawal["amount_orig"], withdrawal["currency_orig"]) == (2400000, "LKR")
    assert withdrawal["amount"] == pytest.approx(7200.0)
    cash_out = accounts[withdrawal["target"]]
    assert withdrawal["target"].startswith("party:") and cash_out["kind"] == "domestic"
    holder = parties[accounts["EXMPLKLX:101000000001"]["party_id"]]
    assert holder["name"] == "NIMAL PLACEHOLDER"
    assert json.loads(holder["properties"])["birthDate"] == ["1990-01-01"]
    # the depositor and the account's holder are one company
    deposit = txns["CTR301024:7450241024TT24297AAAA2"]
    assert accounts[deposit["source"]]["party_id"] == \
        accounts[deposit["target"]]["party_id"]
    assert parties[accounts[deposit["target"]]["party_id"]]["schema"] == "Company"
    assert [t["source_line"] for t in txns.values()] == [4, 51]
    shop = json.loads(parties[accounts[deposit["target"]]["party_id"]]["properties"])
    assert shop["address"] == ["NO 1/1 SAMPLE ROAD, COLOMBO, LK"]
    assert json.loads(holder["properties"])["idNumber"] == ["900010000V"]
    assert report.notes == [
        "1 director of entities (director_id) not kept: the set links an account to its "
        "holder only (ctr_core_banking.xml:51)",
        "report indicators not kept: CTR (ctr_core_banking.xml:102)",
    ]


def test_schema_4_draft_with_comments_and_schema_location(fixtures: Path,
                                                           tmp_path: Path) -> None:
    # a compliance portal's draft: comments before the root and inside a side, an
    # xsi:noNamespaceSchemaLocation, from_country before the party, a "foreign" amount in
    # the local currency (not noted), swift "N/A", an <address> without <addresses>
    report = ingest("goaml", [fixtures / "goaml" / "str_v4_draft.xml"], tmp_path / "s",
                    rates=RATES)
    txns, accounts, parties = _stored(tmp_path / "s")
    payment = txns["str_7f3a:PS-000193"]
    assert (payment["amount_orig"], payment["currency_orig"]) == (4999, "ZAR")
    assert payment["ts"] == datetime(2025, 3, 1, 14, 2, 11, tzinfo=UTC)
    assert parties[accounts[payment["source"]]["party_id"]]["name"] == \
        "Unknown buyer via Example Bank"
    shop = accounts[payment["target"]]
    assert (shop["kind"], shop["bank"]) == ("domestic", "Example Bank")
    assert parties[shop["party_id"]]["name"] == "Sample Spaza Shop"
    # the phone with its country prefix, the address the tool wrote without its wrapper
    props = json.loads(parties[shop["party_id"]]["properties"])
    assert props["phone"] == ["+27821234567"]
    assert props["address"] == ["12 Sample Street, Soweto, 1804, ZA"]
    assert report.notes == ["the reports' reason, action and additional information are not kept "
                            "(str_v4_draft.xml:21)"]


def test_another_root_is_refused_naming_it(tmp_path: Path,
                                           leftovers: Callable[[Path], list[str]]) -> None:
    # a reporting tool's own wrapper: transactions below <reportdata>, not a <report>
    path = tmp_path / "r.xml"
    path.write_text("<reportdata>\n<transactions>\n<transaction><transactionnumber>1"
                    "</transactionnumber></transaction>\n</transactions>\n</reportdata>\n")
    with pytest.raises(InputError) as caught:
        ingest("goaml", [path], tmp_path / "s", rates=RATES)
    [problem] = caught.value.problems
    assert problem.location == f"{path}:/reportdata"
    assert "the root element must be <report>" in problem.reason
    assert leftovers(tmp_path / "s") == []


def test_a_batch_of_reports(fixtures: Path, tmp_path: Path) -> None:
    # a reporting tool's batch: <report>s under a <reports> root, without entity_reference,
    # each side's party written as t_person or t_entity; it used to be refused
    report = ingest("goaml", [fixtures / "goaml" / "reports_batch.xml"], tmp_path / "s",
                    rates=RATES)
    assert report.transactions == 2
    txns, accounts, parties = _stored(tmp_path / "s")
    # the same transaction number in two reports: two payments, told apart by their report
    cash, wire = txns["reports_batch/1:T-0101"], txns["reports_batch/2:T-0101"]
    assert cash["source_ref"] == "reports_batch.xml:/reports/report[1]/transaction[1]"
    assert wire["source_ref"] == "reports_batch.xml:/reports/report[2]/transaction[1]"
    assert (cash["amount_orig"], cash["currency_orig"]) == (9500, "CAD")
    assert cash["ts"] == datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
    assert cash["source"] == wire["source"]  # one customer
    assert parties[accounts[cash["source"]]["party_id"]]["name"] == "Jane Sample"
    payee = accounts[wire["target"]]
    assert (parties[payee["party_id"]]["name"], payee["country"]) == (
        "Placeholder Trading Ltd", "HK")
    assert report.notes == [
        "report indicators not kept: high_risk_jurisdiction, structuring_cash "
        "(reports_batch.xml:44, reports_batch.xml:82)",
        "the reports' reason, action and additional information are not kept "
        "(reports_batch.xml:16, reports_batch.xml:47)",
    ]


def test_a_batch_holding_something_else_is_refused(tmp_path: Path,
                                                   leftovers: Callable[[Path], list[str]]
                                                   ) -> None:
    path = tmp_path / "r.xml"
    path.write_text("<reports>\n<report><currency_code_local>EUR</currency_code_local></report>"
                    "\n<reportdata><transaction/></reportdata>\n</reports>\n")
    with pytest.raises(InputError) as caught:
        ingest("goaml", [path], tmp_path / "s", rates=RATES)
    [problem] = caught.value.problems
    assert problem.location == f"{path}:/reports/reportdata"
    assert "a batch under <reports> holds <report> elements only" in problem.reason
    assert leftovers(tmp_path / "s") == []


def test_a_currency_without_rate_is_one_problem(fixtures: Path, tmp_path: Path) -> None:
    # the report's currency was said to be both without a rate and missing
    rates = rates_from_mapping({"base": "EUR", "rates": {"USD": 0.9}})
    with pytest.raises(InputError) as caught:
        ingest("goaml", [fixtures / "goaml" / "ctr_core_banking.xml"], tmp_path / "s",
               rates=rates)
    assert [(p.location.split(":", 1)[1], p.reason) for p in caught.value.problems] == [
        ("/report/currency_code_local", "no exchange rate for LKR into EUR")]


def test_a_large_batch_lets_finished_reports_go(tmp_path: Path) -> None:
    # each record's path counted the earlier reports again and kept their empty shells:
    # 40,000 reports took 500 s; the earlier siblings of a record's ancestors are let go
    # and counted once, so positions stay right (the third report, after one that holds
    # nothing read, is report[3])
    path = tmp_path / "batch.xml"
    report = ("<report><currency_code_local>EUR</currency_code_local>"
              "<transaction><transactionnumber>{n}</transactionnumber></transaction></report>")
    path.write_text("<reports>" + report.format(n=1) + "<report><rentity_id>1</rentity_id>"
                    "</report>" + "".join(report.format(n=n) for n in range(3, 6))
                    + "</reports>")
    seen = []
    for node in iter_nodes(path, ProgressBar(False), record_depth={3},
                           tags={"currency_code_local", "transaction"},
                           indexed=frozenset({"report", "transaction"})):
        assert node.element.getparent().getprevious() is None
        seen.append(node.path)
    assert seen[-4:] == ["/reports/report[4]/currency_code_local",
                         "/reports/report[4]/transaction[1]",
                         "/reports/report[5]/currency_code_local",
                         "/reports/report[5]/transaction[1]"]
    assert seen[2] == "/reports/report[3]/currency_code_local"


def test_an_empty_report_in_a_batch_is_named(tmp_path: Path) -> None:
    path = tmp_path / "batch.xml"
    report = ("<report><currency_code_local>EUR</currency_code_local><transaction>"
              "<transactionnumber>{n}</transactionnumber><date_transaction>2024-01-02"
              "</date_transaction><amount_local>5</amount_local>"
              "<t_from><t_person><last_name>A</last_name></t_person></t_from>"
              "<t_to><t_person><last_name>B</last_name></t_person></t_to>"
              "</transaction></report>")
    path.write_text("<reports>" + report.format(n=1) + "<report><rentity_id>1</rentity_id>"
                    "</report>" + report.format(n=3) + "</reports>")
    with pytest.raises(InputError) as caught:
        ingest("goaml", [path], tmp_path / "s", rates=RATES)
    assert [(p.location, p.reason) for p in caught.value.problems] == [
        (f"{path}:/reports/report[2]",
         "not a goAML report (no transaction, activity or currency_code_local)")]


def test_many_indicator_codes_are_counted_past_the_first(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    codes = "".join(f"<indicator>C{n:02d}</indicator>" for n in range(25))
    path.write_text("<report><currency_code_local>EUR</currency_code_local>"
                    f"<activity/><report_indicators>{codes}</report_indicators></report>")
    report = ingest("goaml", [path], tmp_path / "s", rates=RATES)
    listed = ", ".join(f"C{n:02d}" for n in range(20))
    assert report.notes[-1] == f"report indicators not kept: {listed} and 5 more (r.xml:1)"
