"""Tiny hand-written UTXO sets for tests whose answers are worked out by hand.

A transaction is ``(name, inputs, outputs)``: ``inputs`` are ``(name, vout)``
of earlier transactions (none for a coinbase), ``outputs`` are ``(address,
satoshi)`` or ``(address, satoshi, script type)``. The txid is the SHA-256 of
the name, so a test can refer to transactions by name through :func:`txid`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tocsin.money.crypto import utxo

Output = tuple[str, int] | tuple[str, int, str]
Spec = tuple[str, Sequence[tuple[str, int]], Sequence[Output]]


def txid(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def write_chain(folder: Path, specs: Sequence[Spec]) -> Path:
    """Write the UTXO files of ``specs`` into ``folder/bitcoin/``; returns ``folder``."""
    made: dict[tuple[str, int], tuple[int, str, str]] = {}
    txs: list[dict[str, Any]] = []
    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    start = datetime(2022, 3, 1, tzinfo=UTC)
    for seq, (name, spends, pays) in enumerate(specs):
        tid = txid(name)
        for vin, (prev, vout) in enumerate(spends):
            value, address, kind = made[(txid(prev), vout)]
            inputs.append({"txid": tid, "vin": vin, "prev_txid": txid(prev), "prev_vout": vout,
                           "coinbase": False, "sequence": 0xFFFFFFFF, "witness_items": 2,
                           "value": value, "script_type": kind, "address": address})
        if not spends:
            inputs.append({"txid": tid, "vin": 0, "prev_txid": None, "prev_vout": None,
                           "coinbase": True, "sequence": 0xFFFFFFFF, "witness_items": 0,
                           "value": None, "script_type": None, "address": None})
        for vout, out in enumerate(pays):
            address, value = out[0], out[1]
            kind = out[2] if len(out) > 2 else "p2wpkh"  # type: ignore[misc]
            made[(tid, vout)] = (value, address, kind)
            outputs.append({"txid": tid, "vout": vout, "value": value, "script_type": kind,
                            "address": address, "script": None})
        spent = sum(made[(txid(p), v)][0] for p, v in spends)
        paid = sum(o[1] for o in pays)
        txs.append({"txid": tid, "block_hash": None, "height": seq, "seq": seq,
                    "time": start + timedelta(hours=seq), "coinbase": not spends,
                    "input_count": max(1, len(spends)), "output_count": len(pays),
                    "output_value": paid, "fee": spent - paid if spends else None,
                    "size": None, "source_file": None, "source_ref": None})
    utxo.write_rows(Path(folder), txs, inputs, outputs)
    return Path(folder)
