"""The pieces every reader shares: merging what several rows tell about one account."""

from __future__ import annotations

from typing import Any

from tocsin.money.ingest.base import merge_account


def _row(kind: str, **fields: Any) -> dict[str, Any]:
    return {"account_id": "A1", "bank": None, "country": None, "kind": kind,
            "party_id": None, "source_ref": "f.xml", **fields}


def test_later_rows_fill_only_empty_fields() -> None:
    accounts: dict[str, dict[str, Any]] = {}
    merge_account(accounts, _row("foreign", bank="BANKDEFF"))
    merge_account(accounts, _row("foreign", bank="OTHERBIC", country="DE", party_id="p1"))
    assert accounts["A1"]["bank"] == "BANKDEFF"
    assert accounts["A1"]["country"] == "DE"
    assert accounts["A1"]["party_id"] == "p1"


def test_unknown_kind_is_upgraded_and_domestic_wins() -> None:
    accounts: dict[str, dict[str, Any]] = {}
    merge_account(accounts, _row("unknown"))
    merge_account(accounts, _row("foreign"))
    assert accounts["A1"]["kind"] == "foreign"
    merge_account(accounts, _row("unknown"))
    assert accounts["A1"]["kind"] == "foreign"
    merge_account(accounts, _row("domestic"))
    assert accounts["A1"]["kind"] == "domestic"
    merge_account(accounts, _row("foreign"))
    assert accounts["A1"]["kind"] == "domestic"
