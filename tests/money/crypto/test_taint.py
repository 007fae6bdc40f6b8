"""Tracing on UTXOs: the five taint models, limits, services, paths and the real blocks."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.errors import InputError
from tocsin.money.crypto import tags, taint
from tocsin.money.crypto.cluster import cluster
from tocsin.money.crypto.generate import ChainConfig, generate
from tocsin.money.crypto.taint import TraceConfig, spread
from tocsin.money.crypto.utxo import open_utxo
from tocsin.money.ingest import ingest

from .chains import txid, write_chain

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "crypto"


def test_spread_by_rule() -> None:
    # inputs: 6 BTC of which 2 traced, then 4 BTC clean; outputs 3, 5 (fee 2)
    sources = [(6, 2), (4, 0)]
    assert spread("poison", sources, [3, 5]) == [3, 5]
    assert spread("haircut", sources, [3, 5]) == [3 * 2 // 10, 5 * 2 // 10]
    assert spread("fifo", sources, [3, 5]) == [2, 0]
    # the traced coin second: FIFO gives its satoshis to the stretch they overlap
    assert spread("fifo", [(4, 0), (6, 6)], [5, 3, 2]) == [1, 3, 2]
    assert spread("haircut", [(4, 0)], [4]) == [0]


def test_spread_lifo_and_tiho_by_hand() -> None:
    # inputs 4 clean, then 6 all traced; outputs 2, 3, 5 (no fee)
    sources = [(4, 0), (6, 6)]
    assert spread("fifo", sources, [2, 3, 5]) == [0, 1, 5]
    # LIFO lays the inputs from the last: traced satoshis at 0..6 meet the outputs 0..2, 2..5, 5..10
    assert spread("lifo", sources, [2, 3, 5]) == [2, 3, 1]
    # TIHO: 6 traced fill the 5 first, then 1 into the 3
    assert spread("tiho", sources, [2, 3, 5]) == [0, 1, 5]
    # with a fee of 1: inputs 10 (5 traced), 2 clean; outputs 3, 8
    sources = [(10, 5), (2, 0)]
    assert spread("fifo", sources, [3, 8]) == [3, 2]
    assert spread("lifo", sources, [3, 8]) == [1, 4]  # traced at 2..7 after the clean 2
    assert spread("tiho", sources, [3, 8]) == [0, 5]
    # TIHO: equal outputs are filled in their order; more traced than paid out goes to the fee
    assert spread("tiho", [(10, 10)], [4, 4]) == [4, 4]
    assert spread("tiho", [(10, 5)], [4, 4]) == [4, 1]
    # backward: the outputs are the sources, the inputs (7 then 2) the targets
    outputs = [(3, 3), (5, 0)]
    assert spread("fifo", outputs, [7, 2], backward=True) == [3, 0]
    assert spread("lifo", outputs, [7, 2], backward=True) == [1, 2]
    assert spread("tiho", outputs, [7, 2], backward=True) == [3, 0]


@pytest.fixture(scope="module")
def two_coins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A (10) and B (6) mined, then spent together to C (4) and D (11), fee 1."""
    return write_chain(tmp_path_factory.mktemp("two") / "set", [
        ("cb1", [], [("A", 10)]),
        ("cb2", [], [("B", 6)]),
        ("t1", [("cb1", 0), ("cb2", 0)], [("C", 4), ("D", 11)]),
    ])


@pytest.mark.parametrize(("rule", "to_c", "to_d"), [
    ("fifo", 4, 6),     # A's 10 laid first: 4 to C, 6 to D
    ("lifo", 0, 9),     # B's 6 laid first: A's 10 cover 6..16, C gets none, D 9, 1 to the fee
    ("tiho", 0, 10),    # the 10 traced go to D, the highest output
    ("haircut", 2, 6),  # 10/16 of each output, rounded down
])
def test_forward_trace_by_hand(two_coins: Path, rule: str, to_c: int, to_d: int) -> None:
    result = taint.trace(open_utxo(two_coins), "A", TraceConfig(rule=rule, min_amount=1))  # type: ignore[arg-type]
    assert result.traced == 10
    [step] = result.steps
    assert step.txid == txid("t1") and step.hop == 1
    assert step.moved == [("C", 4, to_c), ("D", 11, to_d)]
    ends = {e.address: e.amount for e in result.ends}
    assert ends == {k: v for k, v in (("C", to_c), ("D", to_d)) if v}
    assert {e.reason for e in result.ends} == {"not spent within the set"}
    word = {"fifo": "FIFO:", "lifo": "LIFO: the inputs laid end to end from the last",
            "tiho": "TIHO: the traced satoshis fill the highest-valued outputs first",
            "haircut": "haircut:"}[rule]
    assert word in step.explanation


@pytest.mark.parametrize(("rule", "from_a", "from_b"), [
    ("fifo", 6, 5),   # D's stretch 4..15 over A 0..10 and B 10..16
    ("lifo", 9, 2),   # inputs from the last: B 0..6, A 6..16
    ("tiho", 10, 1),  # the 11 drawn from A (the highest) first
])
def test_backward_trace_by_hand(two_coins: Path, rule: str, from_a: int, from_b: int) -> None:
    result = taint.trace(open_utxo(two_coins), "D",
                         TraceConfig(rule=rule, direction="backward", min_amount=1))  # type: ignore[arg-type]
    assert result.traced == 11
    assert result.steps[0].moved == [("A", 10, from_a), ("B", 6, from_b)]
    mined = {e.address: e.amount for e in result.ends}
    assert mined == {"A": from_a, "B": from_b}
    assert {e.reason for e in result.ends} == {"newly mined coins (coinbase)"}


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("chain")
    return generate(folder, ChainConfig(wallets=40, transactions=2000, seed=5))


def _start(chain) -> str:  # type: ignore[no-untyped-def]
    model = open_utxo(chain.folder)
    txs = model.read("transactions.parquet").to_pylist()
    return next(t["txid"] for t in txs if not t["coinbase"] and t["seq"] > 300)


def test_models_order_and_conservation(chain) -> None:  # type: ignore[no-untyped-def]
    model = open_utxo(chain.folder)
    graph = taint.Graph(model)
    start = _start(chain)
    results = {rule: taint.trace(model, start, TraceConfig(rule=rule, max_depth=4,
                                                           min_amount=1), graph=graph)
               for rule in taint.RULES}
    totals = {rule: sum(e.amount for e in r.ends) for rule, r in results.items()}
    assert totals["haircut"] <= results["haircut"].traced
    assert totals["fifo"] <= results["fifo"].traced
    assert totals["poison"] >= totals["haircut"]
    assert results["haircut"].steps and results["haircut"].steps[0].explanation.startswith(
        "hop 1: ")
    assert "haircut: each output carries the traced share" in \
        results["haircut"].steps[0].explanation
    assert any("depth limit of 4 transactions" in e.reason for e in results["poison"].ends)


def test_degree_limit_and_step_budget(chain) -> None:  # type: ignore[no-untyped-def]
    model = open_utxo(chain.folder)
    start = _start(chain)
    narrow = taint.trace(model, start, TraceConfig(rule="poison", max_degree=1, min_amount=1))
    assert any("over the degree limit of 1" in e.reason for e in narrow.ends)
    budget = taint.trace(model, start, TraceConfig(rule="poison", max_steps=3, max_depth=50,
                                                   min_amount=1))
    assert len(budget.steps) == 3 and budget.truncated


def test_trace_stops_at_a_tagged_exchange(chain, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model = open_utxo(chain.folder)
    start = _start(chain)
    first = taint.trace(model, start, TraceConfig(rule="poison", max_depth=3, min_amount=1))
    hop_one = [name for name, _v, s in first.steps[0].moved if s > 0]
    pack = tmp_path / "pack.yaml"
    pack.write_text(f"title: t\nsource: test\nconfidence: ownership\ntags:\n"
                    f"  - {{address: {hop_one[0]}, label: Cash Desk Exchange, "
                    f"category: exchange}}\n")
    tags.import_tagpacks(chain.folder, [pack])
    try:
        result = taint.trace(model, start, TraceConfig(rule="poison", max_depth=3,
                                                       min_amount=1),
                             set_folder=chain.folder, clustering=cluster(model))
        stops = [e for e in result.ends if e.reason.startswith("reached a service")]
        assert stops and "Cash Desk Exchange (Exchange" in stops[0].reason
        assert stops[0].tags and "source test" in stops[0].tags[0]
    finally:
        tags.tags_path(chain.folder).unlink()


def test_backward_reaches_coinbase(chain) -> None:  # type: ignore[no-untyped-def]
    model = open_utxo(chain.folder)
    start = _start(chain)
    result = taint.trace(model, start, TraceConfig(direction="backward", rule="haircut",
                                                   max_depth=200, max_steps=20_000,
                                                   min_amount=1))
    assert any(e.reason == "newly mined coins (coinbase)" for e in result.ends)
    assert sum(e.amount for e in result.ends) <= result.traced


def test_path_between_addresses(chain) -> None:  # type: ignore[no-untyped-def]
    model = open_utxo(chain.folder)
    graph = taint.Graph(model)
    start = _start(chain)
    result = taint.trace(model, start, TraceConfig(rule="poison", max_depth=3, min_amount=1),
                         graph=graph)
    source = graph.outputs[graph.tx_inputs[start][0][0]][1]  # type: ignore[index]
    far = next(e.address for e in result.ends if e.hop >= 2)
    path = taint.find_path(model, source, far, graph=graph)
    assert path is not None and path[0].source == source and path[-1].target == far
    for a, b in itertools.pairwise(path):
        assert a.target == b.source
    assert taint.find_path(model, far, far, graph=graph) == []
    with pytest.raises(InputError):
        taint.find_path(model, source, "1NotInTheSet", graph=graph)


def test_trace_on_real_blocks(tmp_path: Path) -> None:
    report = ingest("bitcoin", [FIXTURES / "block-99960.hex", FIXTURES / "block-13b8ab.hex"],
                    tmp_path / "set")
    model = open_utxo(report.target)
    # block 0000…f7af's 74d681e0… spends 0.2 BTC that 71b3dbac… paid to 13YiRg…
    spender = "74d681e0e03bafa802c8aa084379aa98d9fcd632ddc2ed9782b586ec87451f20"
    back = taint.trace(model, spender, TraceConfig(direction="backward", rule="fifo"))
    assert back.traced == 20_000_000
    assert [e.reason for e in back.ends] == ["comes from outputs outside the set"]
    forward = taint.trace(model, "13YiRgpov7tAQt22gFgDf12cDS3s9MWbSU",
                          TraceConfig(rule="haircut", min_amount=1))
    assert forward.steps[0].txid == spender
    assert {e.reason for e in forward.ends} == {"not spent within the set"}
    with pytest.raises(InputError, match="neither an address nor a transaction"):
        taint.trace(model, "nothing")


coins = st.lists(st.integers(min_value=1, max_value=10**10), min_size=1, max_size=8)


@settings(deadline=None)  # the machine is shared: time says nothing here
@given(values=coins, outs=coins, data=st.data())
def test_spread_never_creates_coins(values: list[int], outs: list[int],
                                    data: st.DataObject) -> None:
    traced = [data.draw(st.integers(min_value=0, max_value=v)) for v in values]
    sources = list(zip(values, traced, strict=True))
    total = sum(traced)
    if sum(outs) > sum(values):  # a transaction pays out at most what it spends
        return
    haircut = spread("haircut", sources, outs)
    ordered = {rule: spread(rule, sources, outs) for rule in ("fifo", "lifo", "tiho")}
    poison = spread("poison", sources, outs)
    for shares in (haircut, *ordered.values()):
        assert sum(shares) <= total
        assert all(0 <= s <= o for s, o in zip(shares, outs, strict=True))
    assert all(p >= h for p, h in zip(poison, haircut, strict=True))
    if sum(outs) == sum(values):  # no fee: FIFO, LIFO and TIHO hand on every traced satoshi
        assert all(sum(shares) == total for shares in ordered.values())


def test_flows_for_the_sankey_and_the_graph(two_coins: Path) -> None:
    model = open_utxo(two_coins)
    forward = taint.flows(taint.trace(model, "A", TraceConfig(rule="fifo", min_amount=1)))
    tx = f"tx {txid('t1')} · 1"
    assert {(link["source"], link["target"], link["value"]) for link in forward["links"]} == {
        ("A · 0", tx, 10), (tx, "C · 1", 4), (tx, "D · 1", 6)}
    by_name = {n["name"]: n for n in forward["nodes"]}
    assert by_name["A · 0"]["start"] and by_name["C · 1"]["ends"] == [
        "0.00000004 BTC: not spent within the set"]
    # backward the links still run the way the coins moved: inputs → transaction → asked output
    back = taint.flows(taint.trace(model, "D", TraceConfig(rule="tiho", direction="backward",
                                                           min_amount=1)))
    assert {(link["source"], link["target"], link["value"]) for link in back["links"]} >= {
        ("A · 1", tx, 10), ("B · 1", tx, 1), (tx, "D · 0", 11)}
    # the graph keeps one node per address, a transaction once per hop it is crossed at
    loop = write_chain(two_coins.parent / "loop", [
        ("cb1", [], [("A", 10)]),
        ("t1", [("cb1", 0)], [("A", 4), ("B", 5)]),
        ("t2", [("t1", 0)], [("A", 3)]),
    ])
    flows = taint.flows(taint.trace(open_utxo(loop), "A", TraceConfig(rule="poison",
                                                                      min_amount=1)))
    names = [n["name"] for n in flows["nodes"] if n["kind"] == "address"]
    assert sorted(names) == ["A · 0", "A · 1", "A · 2", "B · 1"]
    graph = [n["id"] for n in flows["graph"]["nodes"] if n["kind"] == "address"]
    assert sorted(graph) == ["A", "B"]
    # t2 is crossed twice (A's coin from hop 0, and t1's output at hop 1): two steps, two nodes
    assert sorted((e["source"][:4], e["target"][:4]) for e in flows["graph"]["edges"]) == sorted(
        [("A", "tx " + txid("t1")[:1]), ("tx " + txid("t1")[:1], "A"),
         ("tx " + txid("t1")[:1], "B"), ("A", "tx " + txid("t2")[:1]),
         ("tx " + txid("t2")[:1], "A"), ("A", "tx " + txid("t2")[:1]),
         ("tx " + txid("t2")[:1], "A")])


def test_depth_counts_transactions(tmp_path: Path) -> None:
    folder = write_chain(tmp_path / "set", [
        ("cb", [], [("A", 100)]),
        ("t1", [("cb", 0)], [("B", 99)]),
        ("t2", [("t1", 0)], [("C", 98)]),
        ("t3", [("t2", 0)], [("D", 97)]),
    ])
    result = taint.trace(open_utxo(folder), "A", TraceConfig(rule="fifo", max_depth=2,
                                                             min_amount=1))
    assert [(s.hop, s.txid) for s in result.steps] == [(1, txid("t1")), (2, txid("t2"))]
    [end] = result.ends
    assert (end.address, end.amount, end.hop) == ("C", 98, 2)
    assert end.reason == "depth limit of 2 transactions"
