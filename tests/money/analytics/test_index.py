"""The persisted set index: built once, found by id and account, stale when the set changes,
and traces over it identical to traces over ledgers."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tocsin.errors import InputError
from tocsin.money.engines.embedded import EmbeddedEngine
from tocsin.money.index import INDEX_DIR, IndexedSet, is_current, open_index
from tocsin.money.trace import RULES, TraceConfig, trace
from tocsin.money.views import neighbourhood

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


class _Ledgers:
    """The same set read through ledgers only (the path every other engine takes)."""

    def __init__(self, set_dir: Path) -> None:
        self.index = open_index(set_dir)

    def ledgers(self, accounts: Any) -> Any:
        return self.index.ledgers(accounts)

    def find_transaction(self, txn_id: str) -> tuple[str, str] | None:
        row = self.index.row(txn_id)
        if row < 0:
            return None
        ix = self.index
        return ix.account(int(ix.src[row])), ix.account(int(ix.dst[row]))


def _seeds(set_dir: Path, n: int = 12) -> list[str]:
    path = set_dir / "transactions.parquet"
    labelled = [r[0] for r in duckdb.execute(
        f"SELECT min(txn_id) FROM '{path}' WHERE label GROUP BY label_pattern ORDER BY 1"
    ).fetchall()]
    ids = pq.read_table(path, columns=["txn_id"]).column("txn_id").to_pylist()
    rng = random.Random(5)
    return labelled + rng.sample(ids, n)


def test_index_is_built_once_kept_in_the_set_and_rebuilt_when_stale(tiny_set: Path,
                                                                      tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "set"
    shutil.copytree(tiny_set, copy, ignore=shutil.ignore_patterns(INDEX_DIR))
    assert not is_current(copy)
    ix = open_index(copy)
    assert is_current(copy) and (copy / INDEX_DIR / "meta.json").is_file()
    stamp = (copy / INDEX_DIR / "meta.json").stat().st_mtime_ns
    assert open_index(copy) is ix  # kept open in the process, not rebuilt
    assert (copy / INDEX_DIR / "meta.json").stat().st_mtime_ns == stamp
    table = pq.read_table(copy / "transactions.parquet")
    first = table.slice(0, 1)
    txn = first.column("txn_id")[0].as_py()
    assert ix.row(txn) >= 0 and ix.txn_id(ix.row(txn)) == txn
    assert ix.row("no such payment") == -1 and ix.code("no such account") == -1
    # Rewriting the rows (fewer of them) makes the index stale: it is rebuilt.
    pq.write_table(table.slice(1), copy / "transactions.parquet")
    os.utime(copy / "transactions.parquet", ns=(1, 1))
    assert not is_current(copy)
    fresh = open_index(copy)
    assert fresh is not ix and fresh.size == table.num_rows - 1 and fresh.row(txn) == -1
    assert not [p for p in copy.iterdir() if p.name.startswith(".index")]


def test_slices_are_every_payment_of_an_account_in_time_order(tiny_set: Path) -> None:
    ix = open_index(tiny_set)
    table = pq.read_table(tiny_set / "transactions.parquet")
    rows = table.select(["txn_id", "source", "target"]).to_pylist()
    account = rows[len(rows) // 2]["source"]
    code = ix.code(account)
    out = {ix.txn_id(int(r)) for r in ix.outgoing(code)}
    into = {ix.txn_id(int(r)) for r in ix.incoming(code)}
    assert out == {r["txn_id"] for r in rows if r["source"] == account}
    assert into == {r["txn_id"] for r in rows if r["target"] == account}
    for side in (ix.outgoing(code), ix.incoming(code)):
        times = ix.t[side].tolist()
        assert times == sorted(times)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_traces_over_the_index_equal_traces_over_ledgers(tiny_set: Path, rule: str,
                                                         direction: str) -> None:
    """Every rule and direction, from laundering starts and random payments."""
    cfg = TraceConfig(rule=rule, direction=direction, hops=5)  # type: ignore[arg-type]
    seeds = _seeds(tiny_set)
    indexed = IndexedSet(tiny_set)
    plain = _Ledgers(tiny_set)
    for seed in seeds:
        assert trace(indexed, transactions=[seed], config=cfg).to_dict() == \
            trace(plain, transactions=[seed], config=cfg).to_dict(), seed
    accounts = [open_index(tiny_set).account(c) for c in (3, 40, 400)]
    assert trace(indexed, accounts=accounts, config=cfg).to_dict() == \
        trace(plain, accounts=accounts, config=cfg).to_dict()


def test_embedded_engine_traces_through_the_index(tiny_set: Path) -> None:
    eng = EmbeddedEngine(tiny_set)
    try:
        assert eng.trace_index() is open_index(tiny_set)
        with pytest.raises(InputError, match="not found"):
            trace(eng, transactions=["nope"])
    finally:
        eng.close()


def test_small_hand_made_set(tmp_path: Path) -> None:
    """A set small enough to check by hand: FIFO forward through two accounts."""
    from datetime import UTC, datetime

    from tocsin.money.schema import ACCOUNTS, PARTIES, TRANSACTIONS

    def ts(h: int) -> datetime:
        return datetime(2024, 1, 1, h, tzinfo=UTC)

    rows = [("T1", 1, "X", "A", 100.0), ("T2", 2, "Y", "A", 50.0), ("T3", 3, "A", "B", 80.0),
            ("T4", 4, "A", "C", 70.0), ("T5", 5, "C", "D", 70.0)]
    folder = tmp_path / "set"
    folder.mkdir()
    table = pa.table({"txn_id": [r[0] for r in rows], "ts": [ts(r[1]) for r in rows],
                      "source": [r[2] for r in rows], "target": [r[3] for r in rows],
                      "amount": [r[4] for r in rows], "amount_orig": [r[4] for r in rows],
                      "currency_orig": ["EUR"] * len(rows)})
    from tocsin.money.dataset import conform

    pq.write_table(conform(table, TRANSACTIONS, "t"), folder / "transactions.parquet")
    pq.write_table(conform(pa.table({"account_id": ["C"], "kind": ["domestic"]}), ACCOUNTS,
                           "a"), folder / "accounts.parquet")
    pq.write_table(PARTIES.empty_table(), folder / "parties.parquet")
    result = trace(IndexedSet(folder), transactions=["T2"], config=TraceConfig(rule="fifo"))
    (root,) = result.roots
    assert [(c.txn_id, c.amount) for c in root.children] == [("T4", 50.0)]
    assert [(c.txn_id, c.amount) for c in root.children[0].children] == [("T5", 50.0)]
    lifo = trace(IndexedSet(folder), transactions=["T2"], config=TraceConfig(rule="lifo"))
    assert [(c.txn_id, c.amount) for c in lifo.roots[0].children] == [("T3", 50.0)]
    graph = neighbourhood(folder, ["A"], hops=2)
    assert {e["id"] for e in graph["edges"]} == {"X->A", "Y->A", "A->B", "A->C", "C->D"}


def _reference_hop(set_dir: Path, frontier: list[str]) -> dict[tuple[str, str], tuple[int, float]]:
    path = set_dir / "transactions.parquet"
    rows = duckdb.execute(f"""
        SELECT source, target, count(*), sum(amount) FROM '{path}'
        WHERE (source IN (SELECT unnest(?::VARCHAR[])) OR target IN (SELECT unnest(?::VARCHAR[])))
          AND source <> target GROUP BY ALL""", [frontier, frontier]).fetchall()
    return {(s, t): (int(n), round(float(a), 2)) for s, t, n, a in rows}


def test_neighbourhood_from_the_index_matches_a_scan(tiny_set: Path) -> None:
    ix = open_index(tiny_set)
    busy = max(range(len(ix.account_ids)), key=lambda c: int(ix.out_ptr[c + 1] - ix.out_ptr[c]))
    start = ix.account(busy)
    one = neighbourhood(tiny_set, [start], hops=1, max_edges=100_000)
    expected = _reference_hop(tiny_set, [start])
    assert {(e["source"], e["target"]): (e["payments"], e["total"]) for e in one["edges"]} == \
        expected
    two = neighbourhood(tiny_set, [start], hops=2, max_edges=100_000)
    reached = sorted({a for pair in expected for a in pair})
    expected2 = expected | _reference_hop(tiny_set, [a for a in reached if a != start])
    assert {(e["source"], e["target"]): (e["payments"], e["total"]) for e in two["edges"]} == \
        expected2
    assert {n["id"] for n in two["nodes"]} == {a for pair in expected2 for a in pair}
    cut = neighbourhood(tiny_set, [start], hops=2, max_edges=3)
    assert cut["truncated"] and len(cut["edges"]) == 3
    heaviest = sorted(expected.items(), key=lambda kv: (-kv[1][1], kv[0]))[:3]
    assert {(e["source"], e["target"]) for e in cut["edges"]} == {k for k, _ in heaviest}


@pytest.mark.parametrize("rule", ["fifo", "lifo"])
def test_walked_traces_keep_every_limit(tiny_set: Path, rule: str) -> None:
    """Several seeds at once, a node budget that cuts the tree, a short window, min amount."""
    seeds = _seeds(tiny_set)
    indexed, plain = IndexedSet(tiny_set), _Ledgers(tiny_set)
    for cfg in (TraceConfig(rule=rule, max_nodes=len(seeds) + 5),  # type: ignore[arg-type]
                TraceConfig(rule=rule, window_hours=6, min_amount=50.0),  # type: ignore[arg-type]
                TraceConfig(rule=rule, direction="backward", hops=3)):  # type: ignore[arg-type]
        ours = trace(indexed, transactions=seeds, config=cfg)
        theirs = trace(plain, transactions=seeds, config=cfg)
        assert ours.to_dict() == theirs.to_dict()
        assert [vars(e) for e in ours.end_points] == [vars(e) for e in theirs.end_points]
    cut = trace(indexed, transactions=seeds, config=TraceConfig(rule=rule,  # type: ignore[arg-type]
                                                                max_nodes=len(seeds) + 5))
    assert cut.truncated and cut.nodes == len(seeds) + 5


@pytest.mark.parametrize("max_edges", [1, 7, 60, 400])
def test_graph_from_the_edge_table_equals_the_graph_from_the_payments(tiny_set: Path,
                                                                      max_edges: int) -> None:
    """Two ways to the same neighbourhood: the aggregated edge table (no window) and the
    payments themselves (a window that holds every payment): same edges, totals to the
    bit, accounts and cut, hubs and ordinary accounts, one to three hops."""
    ix = open_index(tiny_set)
    busiest = np.argsort(-np.diff(np.asarray(ix.out_ptr)))[:3].tolist()
    rng = random.Random(3)
    starts = [[c] for c in busiest] + [[rng.randrange(len(ix.account_ids))] for _ in range(12)]
    starts.append([*busiest[:2], busiest[0]])  # several starts, one twice
    for codes in starts:
        for hops in (1, 2, 3):
            fast = ix.around(codes, hops, None, None, 0.0, max_edges)
            slow = ix.around(codes, hops, -(2**62), None, 0.0, max_edges)
            key = lambda e: (e["source"], e["target"])  # noqa: E731
            assert sorted(fast[0], key=key) == sorted(slow[0], key=key), (codes, hops)
            assert fast[1:] == slow[1:], (codes, hops)
            assert len(fast[0]) <= max_edges


@pytest.mark.parametrize("rule", ["fifo", "lifo"])
@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_one_payment_traces_equal_traces_over_ledgers(tiny_set: Path, rule: str,
                                                      direction: str) -> None:
    """A trace from one payment takes a short path when its tree is one node: every way
    a node stops (end point, hop limit, nothing spent, less than the minimum left)
    gives what the ledger walk gives, tree and end points."""
    seeds = _seeds(tiny_set, 40)
    indexed = IndexedSet(tiny_set)
    plain = _Ledgers(tiny_set)
    for hops, min_amount in ((1, 1.0), (2, 1.0), (6, 5_000.0)):
        cfg = TraceConfig(rule=rule, direction=direction, hops=hops,  # type: ignore[arg-type]
                          min_amount=min_amount)
        for seed in seeds:
            ours = trace(indexed, transactions=[seed], config=cfg)
            theirs = trace(plain, transactions=[seed], config=cfg)
            assert ours.end_points == theirs.end_points, (seed, hops)
            assert ours.to_dict() == theirs.to_dict(), (seed, hops)


def test_hashed_id_lookup_finds_every_payment_and_nothing_else(tiny_set: Path) -> None:
    from tocsin.money.index import _find

    ix = open_index(tiny_set)
    ids = ix.txn_ids.to_pylist()
    assert [ix.row(t) for t in ids] == list(range(len(ids)))
    assert (ix.folder / "txn_hash.npy").is_file()
    for missing in ("", "nope", ids[0] + "x", ids[0][:-1], "a\0b", "é" * 40, ids[0] + "\0"):
        assert ix.row(missing) == -1, missing
        assert _find(ix.sorted_ids, missing, ix.txn_keys) == -1, missing


def test_an_index_found_current_is_served_from_its_stamp_until_a_file_changes(
        tiny_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Asking again for an unchanged set reads nothing (four stats); any change of the
    Parquet files or of the index's meta.json sends it through the full check again."""
    import shutil

    import tocsin.money.index as index_module

    copy = tmp_path / "set"
    shutil.copytree(tiny_set, copy, ignore=shutil.ignore_patterns(INDEX_DIR))
    ix = open_index(copy)
    checked: list[Path] = []
    full_check = index_module.is_current

    def counting(set_dir: Path) -> bool:
        checked.append(set_dir)
        return full_check(set_dir)

    monkeypatch.setattr(index_module, "is_current", counting)
    assert open_index(copy) is ix and open_index(copy) is ix
    assert checked == []
    # The same size and time, another file (a copy put in place): another inode.
    accounts = copy / "accounts.parquet"
    stat = accounts.stat()
    shutil.copy2(accounts, copy / "accounts.new")
    os.replace(copy / "accounts.new", accounts)
    os.utime(accounts, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert open_index(copy) is ix  # the full check finds it current: same size and time
    assert len(checked) == 1
    assert open_index(copy) is ix and len(checked) == 1
    # Another process rebuilt the index (from the same files): its new meta.json sends
    # the next call through the full check again.
    index_module.build(copy)
    assert open_index(copy).size == ix.size and len(checked) == 2
    assert open_index(copy).size == ix.size and len(checked) == 2
    index_module.forget(copy)
    assert open_index(copy) is not ix and len(checked) == 3


def test_graph_json_is_the_graph_answer_written_once(tiny_set: Path, tmp_path: Path) -> None:
    """The API's JSON equals ``json.dumps`` of the dict answer byte for byte: windows, cuts,
    several starts, and names that need escaping or are missing."""
    import json
    from datetime import UTC, datetime

    from tocsin.money.dataset import conform
    from tocsin.money.schema import ACCOUNTS, PARTIES, TRANSACTIONS
    from tocsin.money.views import Window, neighbourhood_json

    def same(set_dir: Path, accounts: list[str], hops: int, window: Window | None = None,
             max_edges: int = 400) -> dict[str, Any]:
        answer = neighbourhood(set_dir, accounts, hops, window, max_edges)
        written = neighbourhood_json(set_dir, accounts, hops, window, max_edges)
        assert written == json.dumps(answer, ensure_ascii=False,
                                     separators=(",", ":")).encode()
        return answer

    ix = open_index(tiny_set)
    busiest = np.argsort(-np.diff(np.asarray(ix.out_ptr)))[:2].tolist()
    rng = random.Random(8)
    picks = [[ix.account(c)] for c in busiest]
    picks += [[ix.account(rng.randrange(len(ix.account_ids)))] for _ in range(6)]
    picks.append([ix.account(busiest[0]), ix.account(busiest[1])])
    for accounts in picks:
        for hops in (1, 2):
            same(tiny_set, accounts, hops)
            same(tiny_set, accounts, hops, max_edges=7)
            same(tiny_set, accounts, hops, Window(min_amount=500.0))
            same(tiny_set, accounts, hops, Window(since=datetime(2024, 2, 1, tzinfo=UTC)))

    names = ['Q"uote', "back\\slash", "Ünïcødé Bank — Київ", "tab\there", "line\nfeed"]
    folder = tmp_path / "odd"
    folder.mkdir()
    ts = [datetime(2024, 1, 1, h, tzinfo=UTC) for h in range(len(names))]
    table = pa.table({"txn_id": [f"T{i}" for i in range(len(names))], "ts": ts,
                      "source": [names[0]] * len(names), "target": [*names[1:], "plain"],
                      "amount": [1.005, 2.675, 0.125, 1e9 + 0.005, 3.0],
                      "amount_orig": [1.0] * len(names), "currency_orig": ["EUR"] * len(names)})
    pq.write_table(conform(table, TRANSACTIONS, "t"), folder / "transactions.parquet")
    pq.write_table(conform(pa.table({"account_id": names[:2], "kind": ["cash", "domestic"],
                                     "bank": ['B"1', None], "holder": [None, "Ана\\"]}),
                           ACCOUNTS, "a"), folder / "accounts.parquet")
    pq.write_table(PARTIES.empty_table(), folder / "parties.parquet")
    answer = same(folder, [names[0]], 2)
    assert {e["id"] for e in answer["edges"]} == {f"{names[0]}->{t}" for t in [*names[1:], "plain"]}
    assert sorted(e["total"] for e in answer["edges"]) == sorted(
        round(v, 2) for v in table.column("amount").to_pylist())
    assert [n["start"] for n in answer["nodes"]].count(True) == 1


def test_totals_are_rounded_as_python_rounds_them() -> None:
    from tocsin.money.views import round_cents

    rng = np.random.default_rng(4)
    values = np.concatenate([
        rng.lognormal(6, 3, 50_000), np.arange(0, 20_000) / 1000 + 0.005,
        -rng.lognormal(2, 2, 2_000),
        np.array([0.125, 1.005, 2.675, 0.015, 1e15 + 0.005, 2.0**52, 1e300, 0.0, -0.0, -0.001,
                  5e-324, 123456789.125, float("inf")])])
    ours = round_cents(values)
    expected = [round(float(v), 2) for v in values]
    assert ours == expected
    assert [np.signbit(v) for v in ours] == [np.signbit(v) for v in expected]
