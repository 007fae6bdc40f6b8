from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from tocsin.errors import InputError
from tocsin.money.dataset import SetMeta, SetWriter, open_set


def _txn(txn_id: str) -> pa.Table:
    return pa.Table.from_pylist([{
        "txn_id": txn_id, "ts": datetime(2024, 1, 1, tzinfo=UTC), "source": "a", "target": "b",
        "amount": 1.0, "amount_orig": 1.0, "currency_orig": "EUR",
    }])


def _meta() -> SetMeta:
    return SetMeta(format="test", base_currency="EUR", sources=["x"], transactions=0,
                   accounts=0, parties=0)


def test_commit_moves_the_set_into_place(tmp_path: Path) -> None:
    with SetWriter(tmp_path / "s") as writer:
        writer.write_transactions(_txn("1"))
        writer.write_transactions(_txn("2"))
        writer.write_accounts(pa.Table.from_pylist([{"account_id": "a", "kind": "cash"},
                                                    {"account_id": "b", "kind": "crypto"}]))
        writer.commit(_meta())
    stored = open_set(tmp_path / "s")
    assert stored.meta.transactions == 2 and stored.meta.accounts == 2
    assert stored.parties().num_rows == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]


def test_an_error_inside_the_block_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), SetWriter(tmp_path / "s") as writer:
        writer.write_transactions(_txn("1"))
        raise RuntimeError("crash in the middle")
    assert list(tmp_path.iterdir()) == []


def test_bad_account_kind_and_duplicates_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown account kind"), \
            SetWriter(tmp_path / "s") as writer:
        writer.write_accounts(pa.Table.from_pylist([{"account_id": "a", "kind": "offshore"}]))
    with pytest.raises(InputError, match="duplicate account_id"), \
            SetWriter(tmp_path / "s") as writer:
        writer.write_accounts(pa.Table.from_pylist([{"account_id": "a", "kind": "cash"},
                                                    {"account_id": "a", "kind": "cash"}]))
    with pytest.raises(InputError, match="empty value"), SetWriter(tmp_path / "s") as writer:
        writer.write_transactions(_txn("1").set_column(2, "source", pa.array([None], pa.string())))
    assert list(tmp_path.iterdir()) == []


def test_an_existing_set_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    with pytest.raises(InputError, match="already exists"), SetWriter(tmp_path / "s"):
        pass
    assert list(tmp_path.iterdir()) == [tmp_path / "s"]


def test_open_refuses_a_folder_that_is_not_a_set(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a transaction set"):
        open_set(tmp_path)
