"""The importers' shared DuckDB database: each step on its own cursor, imports side by side."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pytest

from tocsin.money.dataset import open_set
from tocsin.money.ingest import ingest, sql
from tocsin.money.rates import rates_from_mapping

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
RATES = rates_from_mapping(
    {"base": "EUR", "rates": {"USD": 0.9, "GBP": 1.2, "CNY": 0.13, "XBT": 40000, "CHF": 1.05}}
)


def test_cursors_keep_their_tables_apart() -> None:
    both = threading.Barrier(2)

    def step(n: int) -> list[tuple[int, int]]:
        with sql.cursor() as con:
            con.register("sides", pa.table({"v": list(range(n))}))
            con.execute("CREATE TEMP TABLE kept AS SELECT count(*) AS n FROM sides")
            both.wait(timeout=10)  # the other cursor has made its own by now
            return con.execute("SELECT n, (SELECT count(*) FROM sides) FROM kept").fetchall()

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(step, [3, 5])) == [[(3, 3)], [(5, 5)]]
    with sql.cursor() as con:  # dropped with their cursors
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone() == (
            0,
        )


def _rows(target: Path) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    stored = open_set(target)
    return stored.transactions().to_pylist(), stored.accounts().to_pylist()


def test_imports_at_the_same_time_give_what_each_gives_alone(tmp_path: Path) -> None:
    jobs = [
        (
            "amlworld",
            [ROOT / "money/amlworld/Tiny_Trans.csv", ROOT / "money/amlworld/Tiny_Patterns.txt"],
        ),
        (
            "bitcoin",
            [ROOT / "crypto" / n for n in ("genesis.hex", "block-99960.hex", "block-13b8ab.hex")],
        ),
    ] * 3

    def run(i: int, name: str) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        fmt, files = jobs[i]
        return _rows(ingest(fmt, files, tmp_path / f"{name}-{i}", rates=RATES).target)

    alone = [run(i, "alone") for i in range(2)]
    with ThreadPoolExecutor(len(jobs)) as pool:
        together = list(pool.map(run, range(len(jobs)), ["together"] * len(jobs)))
    assert together == alone * 3
    accounts = {a["account_id"]: a["kind"] for a in alone[0][1]}
    assert accounts["001:8000EC1E0"] == "crypto"  # the classification ran on the cursor


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_opens_a_database_of_its_own() -> None:
    with sql.cursor() as con:
        con.execute("SELECT 1")
    parent = sql._database()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer over the pipe, never return into pytest
        try:
            with sql.cursor() as con:
                ok = con.execute("SELECT 41 + 1").fetchone() == (42,)
            os.write(write, b"1" if ok and sql._database() is not parent else b"0")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.close(read)
    os.waitpid(pid, 0)
    assert answer == b"1"
