"""Neighbourhood, timeline, search and Sankey shaping over a tiny synthetic set."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.money.web.conftest import pattern_account
from tocsin.errors import InputError, NotFound
from tocsin.money import views
from tocsin.money.engines.embedded import EmbeddedEngine
from tocsin.money.findings import Finding
from tocsin.money.trace import TraceConfig, trace


def test_neighbourhood_one_hop_is_exactly_the_counterparties(tiny_set: Path) -> None:
    hub = pattern_account(tiny_set, "FAN-OUT")
    txns = pq.read_table(tiny_set / "transactions.parquet").to_pandas()
    mine = txns[((txns.source == hub) | (txns.target == hub)) & (txns.source != txns.target)]
    graph = views.neighbourhood(tiny_set, [hub], hops=1)
    ids = {n["id"] for n in graph["nodes"]}
    assert ids == {hub} | set(mine.source) | set(mine.target)
    assert [n["start"] for n in graph["nodes"] if n["id"] == hub] == [True]
    pairs = mine.groupby(["source", "target"]).amount.agg(["sum", "count"])
    assert len(graph["edges"]) == len(pairs)
    for edge in graph["edges"]:
        row = pairs.loc[(edge["source"], edge["target"])]
        assert edge["payments"] == row["count"]
        assert edge["total"] == pytest.approx(row["sum"], abs=0.01)


def test_neighbourhood_grows_with_hops_and_shrinks_with_filters(tiny_set: Path) -> None:
    hub = pattern_account(tiny_set, "FAN-OUT")
    one = views.neighbourhood(tiny_set, [hub], hops=1)
    two = views.neighbourhood(tiny_set, [hub], hops=2)
    assert len(two["nodes"]) > len(one["nodes"])
    big = views.neighbourhood(tiny_set, [hub], hops=2, window=views.Window(min_amount=1_000))
    assert all(e["total"] >= 1_000 for e in big["edges"])
    assert len(big["edges"]) < len(two["edges"])
    later = views.neighbourhood(tiny_set, [hub], hops=2, window=views.Window(
        since=datetime(2024, 4, 1, tzinfo=UTC)))
    assert all(e["first"] >= "2024-04-01" for e in later["edges"])
    capped = views.neighbourhood(tiny_set, [hub], hops=3, max_edges=5)
    assert capped["truncated"] and len(capped["edges"]) == 5


def test_end_points_are_marked(tiny_set: Path) -> None:
    account = pattern_account(tiny_set, "STRUCTURING", "target")
    graph = views.neighbourhood(tiny_set, [account], hops=1)
    kinds = {n["kind"]: n["end_point"] for n in graph["nodes"]}
    assert kinds["cash"] is True and kinds["domestic"] is False


def test_bad_requests_name_the_problem(tiny_set: Path) -> None:
    with pytest.raises(NotFound):
        views.neighbourhood(tiny_set, ["NO-SUCH-ACCOUNT"])
    with pytest.raises(InputError, match="hops"):
        views.neighbourhood(tiny_set, ["ACC00000001"], hops=9)
    with pytest.raises(InputError, match="since"):
        views.Window(since=datetime(2024, 5, 1), until=datetime(2024, 1, 1))


def test_timeline_running_balance(tiny_set: Path) -> None:
    account = pattern_account(tiny_set, "MULE", "target")
    line = views.timeline(tiny_set, account)
    items = line["transactions"]
    assert items and items == sorted(items, key=lambda i: (i["time"], i["txn_id"]))
    balance = 0.0
    for item in items:
        balance += {"in": 1, "out": -1, "self": 0}[item["direction"]] * item["amount"]
        assert item["balance"] == pytest.approx(balance, abs=0.02)
    with pytest.raises(NotFound):
        views.timeline(tiny_set, "NO-SUCH-ACCOUNT")


def test_search_and_account_summary(tiny_set: Path) -> None:
    hub = pattern_account(tiny_set, "FAN-OUT")
    hits = views.search_accounts(tiny_set, hub)
    assert hits[0]["account_id"] == hub
    assert views.search_accounts(tiny_set, "%") == []  # wildcards are literal
    summary = views.account(tiny_set, hub)
    assert summary["payments_out"] >= 6 and summary["holder"]


def test_transactions_graph_of_a_finding(tiny_set: Path) -> None:
    txns = pq.read_table(tiny_set / "transactions.parquet").to_pandas()
    cycle = txns[txns.label_pattern == "CYCLE"].head(3)
    graph = views.transactions_graph(tiny_set, list(cycle.txn_id))
    assert {(e["source"], e["target"]) for e in graph["edges"]} == set(
        zip(cycle.source, cycle.target, strict=True))


def test_finding_key_is_stable() -> None:
    a = Finding.build("cycle", "A", 0.5, ["A", "B"], ["T1", "T2"], 10.0, "why")
    b = Finding.build("cycle", "A", 0.9, ["B", "A"], ["T2", "T1"], 10.0, "other words")
    c = Finding.build("cycle", "A", 0.5, ["A", "B"], ["T1", "T3"], 10.0, "why")
    assert views.finding_key(a) == views.finding_key(b) != views.finding_key(c)
    assert views.finding_view(a)["reason"] == "why"


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_sankey_is_acyclic_and_conserves_amounts(tiny_set: Path, direction: str) -> None:
    start = pattern_account(tiny_set, "CYCLE")  # money that comes back round
    engine = EmbeddedEngine(tiny_set)
    try:
        result = trace(engine, accounts=[start],
                       config=TraceConfig(direction=direction, hops=6))  # type: ignore[arg-type]
    finally:
        engine.close()
    data = views.sankey(result.to_dict())
    names = {n["name"] for n in data["nodes"]}
    assert data["links"] and all(link["source"] in names and link["target"] in names
                                 for link in data["links"])
    # No cycles: a topological order exists.
    incoming = {n: 0 for n in names}
    for link in data["links"]:
        incoming[link["target"]] += 1
    ready = [n for n, k in incoming.items() if k == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for link in data["links"]:
            if link["source"] == node:
                incoming[link["target"]] -= 1
                if incoming[link["target"]] == 0:
                    ready.append(link["target"])
    assert seen == len(names)
    # What leaves the start in the diagram is what the trace says left it.
    root_name = f"{start} · hop 0"
    side = "source" if direction == "forward" else "target"
    shown = sum(link["value"] for link in data["links"] if link[side] == root_name)
    assert shown == pytest.approx(result.roots[0].amount, abs=0.05)
    assert all(step["explanation"] for step in data["steps"])
    # One step per node of the tree, in the order the tree is read.
    def count(node: dict[str, object]) -> int:
        return 1 + sum(count(c) for c in node["children"])  # type: ignore[attr-defined]
    assert len(data["steps"]) == sum(count(r) for r in result.to_dict()["roots"])
