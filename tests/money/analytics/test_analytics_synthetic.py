from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tocsin.errors import InputError
from tocsin.money import schema
from tocsin.money.synthetic import ON_REQUEST, PATTERNS, SyntheticConfig, generate


def test_layout_matches_canonical_schemas(small_set: Path) -> None:
    assert pq.read_schema(small_set / "transactions.parquet").equals(schema.TRANSACTIONS)
    assert pq.read_schema(small_set / "accounts.parquet").equals(schema.ACCOUNTS)
    assert pq.read_schema(small_set / "parties.parquet").equals(schema.PARTIES)


def test_every_pattern_is_injected_and_labelled() -> None:
    cfg = SyntheticConfig(accounts=3_000, transactions=10_000, patterns=3, seed=1)
    txns, accounts, _ = generate(cfg)
    data = txns.to_pydict()
    found = {p for p, lab in zip(data["label_pattern"], data["label"], strict=True) if lab}
    assert found == set(PATTERNS) - set(ON_REQUEST)
    assert all((p is None) != lab for p, lab in
               zip(data["label_pattern"], data["label"], strict=True))
    # every account of a labelled transaction exists; labelled accounts exist
    ids = set(accounts.column("account_id").to_pylist())
    assert set(data["source"]) <= ids and set(data["target"]) <= ids
    assert sum(accounts.column("label").to_pylist()) > 0
    assert abs(txns.num_rows - cfg.transactions) < cfg.transactions * 0.02


def test_deterministic_with_seed() -> None:
    cfg = SyntheticConfig(accounts=2_000, transactions=5_000, patterns=2, seed=5)
    assert generate(cfg)[0].equals(generate(cfg)[0])
    other = SyntheticConfig(accounts=2_000, transactions=5_000, patterns=2, seed=6)
    assert not generate(cfg)[0].equals(generate(other)[0])


def test_background_has_legitimate_hubs() -> None:
    """Fan-in and fan-out alone must not be guilt: unlabelled hubs exist."""
    txns, _, _ = generate(SyntheticConfig(accounts=3_000, transactions=20_000, patterns=2))
    data = txns.select(["source", "target", "label"]).to_pandas()
    legit = data[~data.label]
    assert legit.groupby("source").target.nunique().max() >= 20  # employers
    assert legit.groupby("target").source.nunique().max() >= 100  # merchants


def test_too_few_accounts_is_refused() -> None:
    with pytest.raises(InputError, match="private accounts"):
        generate(SyntheticConfig(accounts=300, transactions=1_000, patterns=20))


def test_spread_fan_ins_are_injected_when_asked() -> None:
    cfg = SyntheticConfig(accounts=3_000, transactions=10_000, patterns=0, seed=1,
                          pattern_counts={"SPREAD-FAN-IN": 2})
    data = generate(cfg)[0].to_pydict()
    spread = [i for i, p in enumerate(data["label_pattern"]) if p == "SPREAD-FAN-IN"]
    assert len(spread) == 10  # five strangers each, once
    assert {p for p in data["label_pattern"] if p} == {"SPREAD-FAN-IN"}
    assert len({data["target"][i] for i in spread}) == 2


def test_split_payments_are_injected_when_asked() -> None:
    cfg = SyntheticConfig(accounts=3_000, transactions=10_000, patterns=0, seed=1,
                          pattern_counts={"SPLIT-PAYMENTS": 2})
    data = generate(cfg)[0].to_pydict()
    pieces = [i for i, p in enumerate(data["label_pattern"]) if p == "SPLIT-PAYMENTS"]
    assert {p for p in data["label_pattern"] if p} == {"SPLIT-PAYMENTS"}
    # Two collectors, two payers each, four to six pieces of 2-9 per payer.
    assert len({data["target"][i] for i in pieces}) == 2
    assert len({data["source"][i] for i in pieces}) == 4
    assert 16 <= len(pieces) <= 24
    assert all(2 <= data["amount"][i] <= 9 for i in pieces)
