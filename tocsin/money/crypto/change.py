# ruff: noqa: S608 -- SQL over the set's own files; numbers are formatted as int.
"""Change-address heuristics: optional guesses, each with its name, settings and confidence.

A payment usually has two outputs: the payee's and the payer's *change*, back
to an address of the payer's wallet. When the change output can be told
apart, its address joins the cluster of the transaction's inputs. Unlike the
multi-input heuristic nothing in the protocol ties the change to the payer, so
these are **heuristics**: applied only when asked (``--change-heuristics``),
each link kept with the heuristics that made it and their confidence, so a
cluster explains why an address is in it.

They look only at transactions with exactly two outputs, both to addresses
(two different ones), every input's address known, not a coinbase and not
CoinJoin-like; a transaction paying back to one of its own input addresses is
left alone (its change is plain and already in the cluster, and the other
output would pass for one-time change).

* ``one_time_change``: one output goes to an address seen for the first time,
  the other to an address seen in an earlier transaction: wallets take a fresh
  change address, while a payee that was paid before often is again (a
  merchant, an exchange's deposit address). The fresh one is the change.
* ``script_type``: every input has one script type (``p2wpkh``, ``p2pkh``…)
  and exactly one output has that type: a wallet pays its change to its own
  kind of address. That output is the change.
* ``round_payment``: exactly one output is a round amount (a multiple of
  ``round_to`` satoshi, 0.001 BTC by default): people pay round amounts, the
  change is what is left. The other output is the change.

When heuristics that fire on one transaction name different outputs, the
transaction gives no link (the disagreement is counted). When several name the
same output, the link lists all of them and takes the highest confidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from tocsin.errors import InputError
from tocsin.i18n import N_
from tocsin.money.crypto.utxo import btc


@dataclass(frozen=True)
class Heuristic:
    name: str
    description: str
    #: How far a link by this heuristic alone is to be trusted (0 to 100, as tag confidences).
    confidence: int


HEURISTICS: dict[str, Heuristic] = {h.name: h for h in (
    Heuristic("one_time_change", "the change goes to an address never seen before while the "
              "other output goes to an address used earlier", 60),
    Heuristic("script_type", "the change has the script type of every input and the other "
              "output does not", 70),
    Heuristic("round_payment", "the other output is a round amount, the change is not", 55),
)}

LINKS = pa.schema([
    pa.field("txid", pa.string()), pa.field("change_address", pa.string()),
    pa.field("change_value", pa.int64()), pa.field("input_address", pa.string()),
    pa.field("heuristics", pa.string()), pa.field("confidence", pa.int64()),
    pa.field("reason", pa.string()),
])


@dataclass(frozen=True)
class ChangeConfig:
    #: The heuristics to apply, by name.
    heuristics: tuple[str, ...] = tuple(HEURISTICS)
    #: ``round_payment``: an amount is round when it is a multiple of this (satoshi).
    round_to: int = 100_000


def parse_names(text: str) -> tuple[str, ...]:
    """``all`` or names separated by commas, each checked; an empty text is none."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if names == ["all"]:
        return tuple(HEURISTICS)
    unknown = [n for n in names if n not in HEURISTICS]
    if unknown:
        raise InputError.single("change heuristics", N_(
            "unknown heuristic %(name)s; use all or some of %(choices)s",
            name=repr(unknown[0]), choices=", ".join(HEURISTICS)))
    return tuple(dict.fromkeys(names))


def empty_links() -> pa.Table:
    return LINKS.empty_table()


def change_links(con: duckdb.DuckDBPyConnection, config: ChangeConfig,
                 coinjoin_view: str = "cj") -> pa.Table:
    """The change links of the set whose views ``t``, ``i``, ``o`` (and the CoinJoins'
    ``txid`` view) are open on ``con``."""
    for name in config.heuristics:
        if name not in HEURISTICS:
            raise InputError.single("change heuristics", N_("unknown heuristic %(name)s",
                                                            name=repr(name)))
    if config.round_to <= 0:
        raise InputError.single("round_to", N_("must be a positive number of satoshi"))
    pairs = con.sql(f"""
        WITH two AS (
          SELECT txid FROM o GROUP BY txid
          HAVING count(*) = 2 AND count(address) = 2 AND count(DISTINCT address) = 2),
        ins AS (
          SELECT txid, min(address) AS first_input, count(DISTINCT script_type) AS kinds,
                 min(script_type) AS kind, count(*) - count(address) AS unknown
          FROM i WHERE NOT coinbase GROUP BY txid),
        back AS (
          SELECT DISTINCT i.txid FROM i JOIN o ON o.txid = i.txid AND o.address = i.address),
        first AS (
          SELECT o.address, min(t.seq) AS first_seq FROM o JOIN t ON t.txid = o.txid
          GROUP BY o.address)
        SELECT o.txid, o.vout, o.address, o.value, o.script_type, ins.first_input,
               ins.kinds, ins.kind, first.first_seq = t.seq AS fresh
        FROM o JOIN two ON two.txid = o.txid JOIN ins ON ins.txid = o.txid
          JOIN t ON t.txid = o.txid JOIN first ON first.address = o.address
        WHERE ins.unknown = 0
          AND o.txid NOT IN (SELECT txid FROM back)
          AND o.txid NOT IN (SELECT txid FROM {coinjoin_view})
        ORDER BY t.seq, o.vout""").to_arrow_table().to_pylist()
    rows: list[dict[str, Any]] = []
    for a, b in zip(pairs[0::2], pairs[1::2], strict=True):
        votes = _votes(a, b, config)
        chosen = {vout for vout, _ in votes.values()}
        if len(chosen) != 1:
            continue
        change = a if a["vout"] in chosen else b
        names = sorted(votes, key=list(HEURISTICS).index)
        rows.append({
            "txid": a["txid"], "change_address": change["address"],
            "change_value": change["value"], "input_address": a["first_input"],
            "heuristics": ",".join(names),
            "confidence": max(HEURISTICS[n].confidence for n in names),
            "reason": f"transaction {a['txid'][:12]}… pays {btc(change['value'])} of change "
                      f"to {change['address']}, joined with its input {a['first_input']}: "
                      + "; ".join(votes[n][1] for n in names)})
    return pa.Table.from_pylist(rows, schema=LINKS)


def _votes(a: dict[str, Any], b: dict[str, Any], config: ChangeConfig
           ) -> dict[str, tuple[int, str]]:
    """Each heuristic that fires: the change output's vout and why."""
    votes: dict[str, tuple[int, str]] = {}
    asked = set(config.heuristics)
    if "one_time_change" in asked and a["fresh"] != b["fresh"]:
        change, other = (a, b) if a["fresh"] else (b, a)
        votes["one_time_change"] = (change["vout"], (
            f"one-time change (confidence {HEURISTICS['one_time_change'].confidence}): "
            f"{change['address']} is new, {other['address']} was used before"))
    if "script_type" in asked and a["kinds"] == 1 and \
            (a["script_type"] == a["kind"]) != (b["script_type"] == a["kind"]):
        change, other = (a, b) if a["script_type"] == a["kind"] else (b, a)
        votes["script_type"] = (change["vout"], (
            f"script type (confidence {HEURISTICS['script_type'].confidence}): the inputs "
            f"and the change are {a['kind']}, the other output is {other['script_type']}"))
    if "round_payment" in asked:
        round_a = a["value"] % config.round_to == 0
        round_b = b["value"] % config.round_to == 0
        if round_a != round_b:
            change, other = (b, a) if round_a else (a, b)
            votes["round_payment"] = (change["vout"], (
                f"round payment (confidence {HEURISTICS['round_payment'].confidence}): "
                f"{btc(other['value'])} is a multiple of {btc(config.round_to)}, "
                f"{btc(change['value'])} is not"))
    return votes
