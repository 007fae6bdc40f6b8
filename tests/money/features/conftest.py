"""Tiny named transaction sets with known feature values."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tocsin.money import schema

START = datetime(2024, 3, 1, tzinfo=UTC)
#: (id, hours after START, source, target, amount in base currency, currency, channel,
#:  amount in that currency)
Row = tuple[str, float, str, str, float, str, str, float]


def write_set(folder: Path, rows: list[Row], kinds: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    kinds = kinds or {}
    n = len(rows)
    pq.write_table(pa.table({
        "txn_id": [r[0] for r in rows],
        "ts": pa.array([START + timedelta(hours=r[1]) for r in rows],
                       pa.timestamp("us", tz="UTC")),
        "source": [r[2] for r in rows], "target": [r[3] for r in rows],
        "amount": [float(r[4]) for r in rows], "amount_orig": [float(r[7]) for r in rows],
        "currency_orig": [r[5] for r in rows], "channel": [r[6] for r in rows],
        "label": [False] * n, "label_pattern": pa.nulls(n, pa.string()),
        "source_ref": [f"fixture.csv:{i + 2}" for i in range(n)],
        "source_file": ["fixture.csv"] * n, "source_line": [i + 2 for i in range(n)],
    }, schema=schema.TRANSACTIONS), folder / "transactions.parquet")
    accounts = sorted({r[2] for r in rows} | {r[3] for r in rows})
    pq.write_table(pa.table({
        "account_id": accounts, "bank": [None] * len(accounts), "country": [None] * len(accounts),
        "kind": [kinds.get(a, "domestic") for a in accounts],
        "party_id": [None] * len(accounts), "label": [False] * len(accounts),
        "source_ref": [None] * len(accounts)}, schema=schema.ACCOUNTS),
        folder / "accounts.parquet")
    return folder


def eur(i: str, h: float, s: str, d: str, a: float, channel: str = "ACH") -> Row:
    return (i, h, s, d, a, "EUR", channel, a)


@pytest.fixture
def features_of(tmp_path: Path) -> Iterator[Callable[..., dict[str, dict[str, float]]]]:
    """Compute the features of a tiny set on the embedded engine: {txn_id: {name: value}}."""
    from tocsin.money.engines.embedded import EmbeddedEngine
    from tocsin.money.features import compute

    engines: list[Any] = []

    def run(rows: list[Row], kinds: dict[str, str] | None = None) -> dict[str, dict[str, float]]:
        folder = write_set(tmp_path / f"set{len(engines)}", rows, kinds)
        engine = EmbeddedEngine(folder, threads=1)
        engines.append(engine)
        table = compute(engine)
        ids = table.txn_id.to_pylist()
        return {i: {k: float(v[j]) for k, v in table.columns.items()}
                for j, i in enumerate(ids)}

    yield run
    for e in engines:
        e.close()
