from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import pytest
from followthemoney import model
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from tocsin.errors import InputError
from tocsin.money.dataset import open_set
from tocsin.money.export import GEXF_NS, Selection, export_set, neutralise
from tocsin.money.ingest import ingest
from tocsin.money.rates import rates_from_mapping

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "money"
RATES = rates_from_mapping({"base": "EUR", "rates": {
    "MDL": 0.05, "USD": 0.9, "GBP": 1.2, "CNY": 0.13, "XBT": 40000, "CHF": 1.05}})


@pytest.fixture(scope="module")
def goaml_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("sets") / "goaml"
    ingest("goaml", [FIXTURES / "goaml" / "str_smurfing.xml"], target, rates=RATES)
    return target


@pytest.fixture(scope="module")
def amlworld_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("sets") / "amlworld"
    folder = FIXTURES / "amlworld"
    ingest("amlworld", [folder / "Tiny_Trans.csv", folder / "Tiny_Patterns.txt"], target,
           rates=RATES)
    return target


def test_ftm_lines_load_back_as_entities(goaml_set: Path, tmp_path: Path) -> None:
    report = export_set(goaml_set, "ftm", tmp_path / "out.json")
    lines = (tmp_path / "out.json").read_text().splitlines()
    assert report.entities == len(lines)
    entities = [model.get_proxy(json.loads(line)) for line in lines]
    by_id = {e.id: e for e in entities}
    assert len(by_id) == len(entities)  # each entity once
    payments = [e for e in entities if e.schema.name == "Payment"]
    assert len(payments) == 3
    for payment in payments:
        for prop in ("payer", "beneficiary"):
            (target,) = payment.get(prop)
            assert by_id[target].schema.is_a("LegalEntity")
    wire = next(p for p in payments if p.get("transactionNumber") == ["STR-2024-0117:TX-0002"])
    assert wire.get("amount") == ["180000.00"]
    assert wire.get("currency") == ["MDL"]
    assert wire.get("amountEur") == ["9000.00"]
    assert wire.get("date") == ["2024-02-06T15:40:00"]
    (payer_account,) = wire.get("payerAccount")
    assert by_id[payer_account].get("iban") == ["MD40EX000000225100000123"]
    (payer,) = wire.get("payer")
    assert by_id[payer].schema.name == "Company"
    cash = next(p for p in payments if p.get("transactionNumber") == ["STR-2024-0117:TX-0001"])
    (depositor,) = cash.get("payer")
    assert by_id[depositor].schema.name == "Person"
    assert cash.get("payerAccount") == []  # a walk-in person has no account
    owners = {(e.first("owner"), e.first("asset")) for e in entities
              if e.schema.name == "Ownership"}
    assert (payer, payer_account) in owners


def test_ftm_stand_in_holders_for_anonymous_accounts(amlworld_set: Path, tmp_path: Path) -> None:
    export_set(amlworld_set, "ftm", tmp_path / "out.json")
    entities = [model.get_proxy(json.loads(line))
                for line in (tmp_path / "out.json").read_text().splitlines()]
    counts: dict[str, int] = {}
    for e in entities:
        counts[e.schema.name] = counts.get(e.schema.name, 0) + 1
    assert counts == {"BankAccount": 14, "LegalEntity": 14, "Ownership": 14, "Payment": 13}
    fan_out = [e for e in entities
               if any("laundering pattern: FAN-OUT" in d for d in e.get("description"))]
    assert len(fan_out) == 3


def test_csv_neutralises_formulas(tmp_path: Path) -> None:
    import pyarrow as pa

    table = pa.table({"name": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "ok", None],
                      "n": [1, 2, 3, 4, 5, 6]})
    out = neutralise(table).column("name").to_pylist()
    assert out == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "ok", None]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), min_size=1, max_size=20))
def test_no_exported_cell_can_start_a_formula(values: list[str | None]) -> None:
    import pyarrow as pa

    out = neutralise(pa.table({"v": pa.array(values, pa.string())})).column("v").to_pylist()
    for before, after in zip(values, out, strict=True):
        if before is None:
            assert after is None
        elif before[:1] in ("=", "+", "-", "@", "\t", "\r"):
            assert after == "'" + before
        else:
            assert after == before


def test_csv_export_of_a_whole_set(fixtures_csv_set: Path, tmp_path: Path) -> None:
    report = export_set(fixtures_csv_set, "csv", tmp_path / "out")
    assert [p.name for p in report.files] == ["transactions.csv", "accounts.csv", "parties.csv"]
    with (tmp_path / "out" / "transactions.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["txn_id"] == "'=cmd|' /C calc'!A0"  # a hostile reference, neutralised
    assert rows[0]["ts"] == "2024-01-02T00:00:00Z"
    with (tmp_path / "out" / "parties.csv").open() as handle:
        names = {r["name"] for r in csv.DictReader(handle)}
    assert "'@Evil Corp" in names


@pytest.fixture
def fixtures_csv_set(tmp_path: Path) -> Path:
    data = tmp_path / "in.csv"
    data.write_text("ref,date,amount,from,from_name,to\n"
                    "\"=cmd|' /C calc'!A0\",2024-01-02,10,A1,@Evil Corp,B1\n"
                    "R2,2024-01-03,20,B1,,C1\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("transaction: {id: ref, date: date, amount: amount, "
                       "currency: {value: EUR}}\n"
                       "source: {account: from, party: {name: from_name}}\n"
                       "target: {account: to}\n")
    ingest("csv", [data], tmp_path / "set", mapping=mapping)
    return tmp_path / "set"


def test_csv_export_of_a_selection_to_one_file(amlworld_set: Path, tmp_path: Path) -> None:
    selection = Selection(transactions={"Tiny_Trans:11", "Tiny_Trans:12"})
    report = export_set(amlworld_set, "csv", tmp_path / "finding.csv", selection)
    with (tmp_path / "finding.csv").open() as handle:
        ids = [r["txn_id"] for r in csv.DictReader(handle)]
    assert ids == ["Tiny_Trans:11", "Tiny_Trans:12"] and report.transactions == 2


def test_graphml_aggregates_edges(amlworld_set: Path, tmp_path: Path) -> None:
    report = export_set(amlworld_set, "graphml", tmp_path / "g.graphml")
    graph = nx.read_graphml(tmp_path / "g.graphml")
    accounts = open_set(amlworld_set).accounts()
    assert graph.number_of_nodes() == accounts.num_rows == report.accounts
    assert graph.is_directed()
    txns = open_set(amlworld_set).transactions().to_pylist()
    pairs = {(t["source"], t["target"]) for t in txns}
    assert graph.number_of_edges() == len(pairs) == report.edges
    edge = graph.edges["001:8000EC280", "0212:8012022A0"]
    assert edge["count"] == 1 and edge["amount"] == pytest.approx(3100.5)
    self_loop = graph.edges["010:8000EBD30", "010:8000EBD30"]
    assert self_loop["amount"] == pytest.approx(3697.34 * 0.9)
    assert graph.nodes["001:8000EC1E0"]["kind"] == "crypto"
    assert graph.nodes["001:8000EC280"]["label"] is True
    assert sum(d["count"] for _, _, d in graph.edges(data=True)) == len(txns)


def test_graph_of_a_finding(amlworld_set: Path, tmp_path: Path) -> None:
    fan = Selection(accounts={"001:8000EC280", "0111:801201C20", "0212:8012022A0",
                              "0212:801202340"})
    export_set(amlworld_set, "graphml", tmp_path / "f.graphml", fan)
    graph = nx.read_graphml(tmp_path / "f.graphml")
    assert sorted(graph.nodes) == sorted(fan.accounts or ())
    assert graph.number_of_edges() == 4  # the fan-out plus a self-transfer among them


def test_gexf_structure(amlworld_set: Path, tmp_path: Path) -> None:
    report = export_set(amlworld_set, "gexf", tmp_path / "g.gexf")
    root = etree.parse(str(tmp_path / "g.gexf"),
                       etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    ns = {"g": GEXF_NS}
    assert root.get("version") == "1.3"
    nodes = root.findall("g:graph/g:nodes/g:node", ns)
    edges = root.findall("g:graph/g:edges/g:edge", ns)
    assert (len(nodes), len(edges)) == (report.accounts, report.edges)
    ids = {n.get("id") for n in nodes}
    assert all(e.get("source") in ids and e.get("target") in ids for e in edges)
    kinds = {n.get("id"): n.find("g:attvalues/g:attvalue[@for='0']", ns).get("value")
             for n in nodes}
    assert kinds["001:8000EC1E0"] == "crypto"
    total = sum(float(e.get("weight")) for e in edges)
    amounts = open_set(amlworld_set).transactions(["amount"]).column("amount").to_pylist()
    assert total == pytest.approx(sum(amounts))


def test_unknown_format(amlworld_set: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown export format"):
        export_set(amlworld_set, "pdf", tmp_path / "x.pdf")
