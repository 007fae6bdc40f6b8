"""From an exchange's Bitcoin or Ethereum addresses to its bank accounts: where crypto
became fiat.

An address or cluster tagged ``exchange`` with an actor (TagPack ``actor``)
belongs to a service that turns coins into money in a bank. Given such an
address (its cluster's tags count too) or a cluster id, :func:`exchange_links`
lists

* the **deposits**: the outputs paid to the exchange's addresses in the set by
  others (not its own change or consolidations), with their time: the crypto
  cash-outs;
* the **bank sets** the user may read that hold accounts of that exchange: an
  account the set's actor table assigns to the actor (:func:`map_actor`, for
  an exchange banking under another name), or whose holder (the party's name)
  or own id or bank names the actor or the tag's label, after folding case,
  accents, punctuation and legal forms (``Example Exchange Ltd`` matches the
  actor ``example-exchange``); and
* the **fiat transactions** of those accounts within ``window_days`` of a
  deposit, each with the deposit nearest in time.

Only sets that pass the read rule are searched, so a user without the right
learns nothing about other sets, not even that they exist. Every bank set
whose accounts are shown is audited as a read (above TLP:GREEN) with the
address it was reached from. Bitcoin and Ethereum sets are never taken for
bank sets.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.handling import Handling
from tocsin.access.policy import require_write
from tocsin.access.principal import Principal
from tocsin.errors import InputError, Problem
from tocsin.i18n import N_
from tocsin.money import sets
from tocsin.money.crypto import cluster as clustering
from tocsin.money.crypto import tags as tagging
from tocsin.money.crypto.utxo import btc, open_utxo
from tocsin.settings import Settings

#: Formats whose sets are blockchains, not banks.
CRYPTO_FORMATS = frozenset({"bitcoin", "ethereum"})
#: Legal forms left out when names are compared.
LEGAL_FORMS = frozenset({
    "ltd", "limited", "llc", "inc", "corp", "corporation", "co", "company", "plc", "gmbh", "ag",
    "sa", "sarl", "srl", "sas", "bv", "nv", "oy", "ab", "as", "spa", "sro", "doo", "ooo", "llp",
    "lp", "kft", "ou", "uab", "sia", "jsc", "pte", "pty", "the",
})
#: A bank set's table of actors and the accounts that are theirs, in the set's folder.
ACTORS_FILE = "actors.json"
MAX_DEPOSITS = 500
MAX_TRANSACTIONS = 500


@dataclass(frozen=True)
class LinkConfig:
    #: Fiat transactions this many days before or after a deposit are shown.
    window_days: float = 3.0
    max_transactions: int = MAX_TRANSACTIONS


def name_key(text: str) -> tuple[str, ...]:
    """A name as comparable words: no accents, case, punctuation or legal form."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = [w for w in re.split(r"[^a-z0-9]+", folded) if w]
    return tuple(w for w in words if w not in LEGAL_FORMS)


def names_match(wanted: tuple[str, ...], candidate: str) -> bool:
    """Whether ``candidate`` names the actor: all of the actor's words, in order, in it."""
    if not wanted:
        return False
    words = name_key(candidate)
    size = len(wanted)
    return any(words[i:i + size] == wanted for i in range(len(words) - size + 1)) \
        or "".join(words) == "".join(wanted)


def exchange_links(session: Session, principal: Principal, settings: Settings, set_id: int,
                   subject: str, config: LinkConfig | None = None) -> dict[str, Any]:
    """The bank accounts and fiat flows of the exchange that ``subject`` is tagged as.

    On a Bitcoin set ``subject`` is an address or a cluster id, and the exchange's
    addresses are its cluster's; on an Ethereum set it is an address, and the exchange's
    addresses are every address of the set tagged ``exchange`` with the same actor (an
    account-based chain has no multi-input clusters).
    """
    config = config or LinkConfig()
    if not 0 < config.window_days <= 366:
        raise InputError.single("window_days", N_("give a number of days from 0 to 366"))
    subject = subject.strip()
    item = sets.get_set(session, principal, set_id)
    folder = sets.set_path(settings, item)
    if item.format == "ethereum":
        return _ethereum_links(session, principal, settings, item, folder, subject, config)
    model = open_utxo(folder)
    result = clustering.load(folder) or clustering.cluster(model)
    cluster_id = subject if result.members(subject) else result.cluster_of(subject)
    if cluster_id is None:
        raise InputError.single("subject", N_("%(value)s is neither an address nor a cluster "
                                              "of this set", value=repr(subject)))
    members = set(result.members(cluster_id))
    actors = _exchange_tags(folder, members)
    view: dict[str, Any] = {"subject": subject, "cluster_id": cluster_id, "set_id": set_id,
                            "chain": "bitcoin", "window_days": config.window_days,
                            "actors": actors, "deposits": [], "banks": []}
    if not actors:
        view["note"] = ("no tag of category exchange with an actor is on this address or its "
                        "cluster")
        return view
    deposits = _deposits(model.read("outputs.parquet", ["txid", "vout", "value", "address"]),
                         model.read("inputs.parquet", ["txid", "address"]),
                         model.read("transactions.parquet", ["txid", "time"]), members)
    return _with_banks(session, principal, settings, set_id, subject, view, deposits, config)


def _with_banks(session: Session, principal: Principal, settings: Settings, set_id: int,
                subject: str, view: dict[str, Any], deposits: list[dict[str, Any]],
                config: LinkConfig) -> dict[str, Any]:
    """``view`` with the deposits and, per bank set the principal may read, the exchange's
    accounts and their fiat flows near the deposits (each such set audited)."""
    actors = view["actors"]
    view["deposits"] = deposits[:MAX_DEPOSITS]
    view["deposit_count"] = len(deposits)
    if not deposits:
        view["note"] = "nothing was paid to the exchange's addresses in this set"
        return view
    wanted = {name_key(a["actor"]) for a in actors} | {name_key(a["label"]) for a in actors}
    wanted.discard(())
    names = {a["actor"] for a in actors}
    times = sorted(d["time"] for d in deposits)
    for other in sets.list_sets(session, principal):
        if other.id == set_id or other.format in CRYPTO_FORMATS:
            continue
        bank = _bank_links(settings, other, names, wanted, times, config)
        if bank is None:
            continue
        if Handling(other.handling).audited_on_read:
            audit.record(session, principal, "read", other.record_type, other.id,
                         other.handling, detail=f"exchange accounts reached from {subject} "
                                                f"(transaction_set:{set_id})")
        view["banks"].append(bank)
    return view


def _ethereum_links(session: Session, principal: Principal, settings: Settings, item: Any,
                    folder: Path, subject: str, config: LinkConfig) -> dict[str, Any]:
    address = subject.lower()
    stored = sets.open_stored(settings, item)
    tags = tagging.load_tags(folder, "ethereum").to_pylist()
    known = set(stored.accounts().column("account_id").to_pylist())
    if address not in known and not any(t["address"] == address for t in tags):
        raise InputError.single("subject", N_("%(value)s is not an address of this set",
                                              value=repr(subject)))
    own = [t for t in tags if t["address"] == address and t["category"] == "exchange"
           and t["actor"]]
    names = {t["actor"] for t in own}
    # the exchange's addresses: every address tagged as an exchange with the same actor
    members = {t["address"] for t in tags if t["category"] == "exchange"
               and t["actor"] in names and t["address"]}
    actors = _exchange_tags(folder, members, "ethereum")
    view: dict[str, Any] = {"subject": subject, "cluster_id": None, "set_id": item.id,
                            "chain": "ethereum", "window_days": config.window_days,
                            "addresses": sorted(members), "actors": actors, "deposits": [],
                            "banks": []}
    if not own:
        view["note"] = "no tag of category exchange with an actor is on this address"
        return view
    table = stored.transactions(["txn_id", "ts", "source", "target", "amount_orig",
                                 "currency_orig", "channel"])
    value_set = pa.array(sorted(members), pa.string())
    paid_in = table.filter(pc.and_(pc.is_in(table.column("target"), value_set=value_set),
                                   pc.invert(pc.is_in(table.column("source"),
                                                      value_set=value_set))))
    deposits = sorted(({"txid": r["txn_id"], "vout": None, "address": r["target"],
                        "from": r["source"], "value": r["amount_orig"],
                        "currency": r["currency_orig"], "channel": r["channel"],
                        "value_text": f"{_amount(r['amount_orig'])} {r['currency_orig']}",
                        "time": r["ts"]} for r in paid_in.to_pylist()),
                      key=lambda d: (d["time"], d["txid"]))
    return _with_banks(session, principal, settings, item.id, subject, view, deposits, config)


def _amount(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:,.8f}".rstrip("0").rstrip(".")


def _exchange_tags(folder: Path, members: set[str],
                   chain: str = "bitcoin") -> list[dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for row in tagging.load_tags(folder, chain).to_pylist():
        if row["address"] in members and row["category"] == "exchange" and row["actor"]:
            key = (row["actor"], row["label"])
            found.setdefault(key, {"actor": row["actor"], "label": row["label"],
                                   "via": row["address"], "source": row["source"],
                                   "text": tagging.describe(row)})
    return sorted(found.values(), key=lambda a: (a["actor"], a["label"]))


def _deposits(outputs: pa.Table, inputs: pa.Table, transactions: pa.Table,
              members: set[str]) -> list[dict[str, Any]]:
    """Outputs paid to the exchange by others: its own spends (change, consolidation) are
    moves inside the exchange, not cash-outs."""
    value_set = pa.array(sorted(members), pa.string())
    own = pc.unique(inputs.filter(pc.is_in(inputs.column("address"), value_set=value_set))
                    .column("txid"))
    mask = pc.and_(pc.is_in(outputs.column("address"), value_set=value_set),
                   pc.invert(pc.is_in(outputs.column("txid"), value_set=own)))
    times = dict(zip(transactions.column("txid").to_pylist(),
                     transactions.column("time").to_pylist(), strict=True))
    rows = [{"txid": r["txid"], "vout": r["vout"], "address": r["address"],
             "value": r["value"], "value_text": btc(r["value"]), "time": times[r["txid"]]}
            for r in outputs.filter(mask).to_pylist()]
    return sorted(rows, key=lambda r: (r["time"], r["txid"], r["vout"]))


def _bank_links(settings: Settings, item: Any, actors: set[str],
                wanted: set[tuple[str, ...]], times: list[datetime],
                config: LinkConfig) -> dict[str, Any] | None:
    try:
        stored = sets.open_stored(settings, item)
        accounts = stored.accounts().to_pylist()
        parties = {p["party_id"]: p for p in stored.parties().to_pylist()}
        table = actor_table(sets.set_path(settings, item))
    except (OSError, InputError, ValueError):  # a set whose files are gone is not a match
        return None
    mapped = {a for actor in actors for a in table.get(actor, [])}
    matched: dict[str, dict[str, Any]] = {}
    for account in accounts:
        holder = parties.get(account["party_id"] or "")
        candidates = [("actor table", account["account_id"])
                      if account["account_id"] in mapped else None,
                      ("holder", holder["name"]) if holder and holder["name"] else None,
                      ("account", account["account_id"]),
                      ("bank", account["bank"]) if account["bank"] else None]
        for field, text in (c for c in candidates if c):
            if field == "actor table" or any(names_match(w, text) for w in wanted):
                matched[account["account_id"]] = {
                    "account_id": account["account_id"], "bank": account["bank"],
                    "country": account["country"], "kind": account["kind"],
                    "holder": holder["name"] if holder else None, "matched_on": field}
                break
    if not matched:
        return None
    window = timedelta(days=config.window_days)
    table = stored.transactions(["txn_id", "ts", "source", "target", "amount", "amount_orig",
                                 "currency_orig", "channel"])
    ids = pa.array(sorted(matched), pa.string())
    touches = pc.or_(pc.is_in(table.column("source"), value_set=ids),
                     pc.is_in(table.column("target"), value_set=ids))
    first, last = times[0] - window, times[-1] + window
    ts = table.column("ts")
    near = pc.and_(touches, pc.and_(pc.greater_equal(ts, pa.scalar(first, ts.type)),
                                    pc.less_equal(ts, pa.scalar(last, ts.type))))
    flows = []
    for row in table.filter(near).to_pylist():
        at = bisect.bisect_left(times, row["ts"])
        closest = min(times[max(at - 1, 0):at + 1],
                      key=lambda t: abs((row["ts"] - t).total_seconds()))
        gap = (row["ts"] - closest).total_seconds() / 3600
        if abs(gap) > config.window_days * 24:
            continue
        flows.append({**row, "direction": "in" if row["target"] in matched else "out",
                      "deposit_time": closest, "hours_from_deposit": round(gap, 1)})
    flows.sort(key=lambda r: (r["ts"], r["txn_id"]))
    return {"set_id": item.id, "set_name": item.name, "format": item.format,
            "handling": item.handling, "accounts": list(matched.values()),
            "transactions": flows[:config.max_transactions],
            "transaction_count": len(flows),
            "truncated": len(flows) > config.max_transactions}


# --------------------------------------------------------------------------- actor table


def actor_table(set_folder: Path) -> dict[str, list[str]]:
    """A bank set's actors and their account ids (empty when none was given)."""
    import json

    path = Path(set_folder) / ACTORS_FILE
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): [str(a) for a in v] for k, v in data.get("actors", {}).items()}


def actor_accounts(session: Session, principal: Principal, settings: Settings,
                   set_id: int) -> dict[str, Any]:
    """A bank set's actor table for people: each actor with its accounts, their holder and
    bank; ``may_change`` when the principal may edit it (the set's owning unit)."""
    item = sets.get_set(session, principal, set_id)
    if item.format in CRYPTO_FORMATS:
        raise InputError.single("set", N_("the actor table belongs on a bank set, not on a "
                                          "%(format)s set", format=item.format))
    stored = sets.open_stored(settings, item)
    parties = {p["party_id"]: p["name"] for p in stored.parties().to_pylist()}
    accounts = {a["account_id"]: {"account_id": a["account_id"], "bank": a["bank"],
                                  "holder": parties.get(a["party_id"] or "")}
                for a in stored.accounts().to_pylist()}
    table = actor_table(sets.set_path(settings, item))
    return {"set_id": item.id, "may_change": sets.may_store_results(principal, item),
            "actors": [{"actor": name,
                        "accounts": [accounts.get(a, {"account_id": a, "bank": None,
                                                      "holder": None}) for a in ids]}
                       for name, ids in sorted(table.items())]}


def map_actor(session: Session, principal: Principal, settings: Settings, set_id: int,
              actor: str, account_ids: list[str],
              mode: Literal["replace", "add", "remove"] = "replace") -> dict[str, list[str]]:
    """Say which accounts of a bank set belong to ``actor`` (a TagPack actor).

    ``replace`` sets the actor's accounts (an empty list removes the actor), ``add``
    adds to them, ``remove`` takes the given accounts away (all of them when none is
    given). A write of the set's owning unit, audited; every account id added must be one
    of the set's, every one removed one of the actor's.
    """
    actor = actor.strip()
    if not actor or len(actor) > 200:
        raise InputError.single("actor", N_("give the actor's name as the TagPack writes it"))
    item = sets.get_set(session, principal, set_id)
    require_write(principal, item.owner_unit_id)
    if item.format in CRYPTO_FORMATS:
        raise InputError.single("set", N_("the actor table belongs on a bank set, not on a "
                                          "%(format)s set", format=item.format))
    folder = sets.set_path(settings, item)
    wanted = list(dict.fromkeys(a.strip() for a in account_ids if a.strip()))
    # the row is held before the table is read, so two edits cannot lose one another
    sets._hold(session, item, touch=True)
    table = actor_table(folder)
    current = table.get(actor, [])
    if mode == "remove":
        if actor not in table:
            raise InputError.single("actor", N_("%(value)s is not in this set's actor table",
                                                value=repr(actor)))
        strangers = [a for a in wanted if a not in current]
        if strangers:
            raise InputError([Problem(f"accounts: {a}", N_("not an account of %(actor)s",
                                                           actor=actor))
                              for a in strangers[:50]])
        result = [a for a in current if a not in wanted] if wanted else []
    else:
        if not wanted and mode == "add":
            raise InputError.single("accounts", N_("give at least one account id"))
        known = set(sets.open_stored(settings, item).accounts().column("account_id")
                    .to_pylist())
        missing = [a for a in wanted if a not in known]
        if missing:
            raise InputError([Problem(f"accounts: {a}", N_("not an account of this set"))
                              for a in missing[:50]])
        result = list(dict.fromkeys(current + wanted)) if mode == "add" else wanted
    if result:
        table[actor] = result
    else:
        table.pop(actor, None)
    audit.record(session, principal, "update", item.record_type, item.id, item.handling,
                 detail=f"actor table: {actor} → {', '.join(result) or 'removed'}")
    session.flush()
    sets._write_json(folder / ACTORS_FILE, {"actors": table})
    return table
