"""FollowTheMoney entities (JSON lines) into a transaction set.

* ``Payment`` → one transaction: ``transactionNumber`` (else the entity id) is its id,
  ``date`` its time, ``amount`` and ``currency`` its original amount; the ends are the
  ``payerAccount`` / ``beneficiaryAccount`` when given, else the ``payer`` /
  ``beneficiary`` themselves (an end point ``party:<id>``, as the export writes it).
  The ``description`` the export writes (``channel: …``, ``laundering pattern: …``,
  ``labelled as laundering in the source``) comes back as channel and labels.
* ``BankAccount`` → an account: ``accountNumber`` (else ``iban``, else the entity id)
  is its id, with ``bankName`` and ``country``; the entity is kept as a party so its
  other properties survive.
* ``Ownership`` (owner → a BankAccount) → the account's holder.
* ``Person``, ``Company``, ``Organization``, ``LegalEntity`` → parties, every property
  kept (the export writes them back unchanged). The stand-in holders the export makes
  for accounts without a known holder are recognised and not stored twice.

What a transaction set cannot hold is not dropped silently: entities of other schemata
(Address, Directorship, Sanction…) are counted in the import's notes by schema, and so
are payment descriptions other than the export's own. A Payment without a date, an
amount, a currency or one of its ends is a problem naming its line: the import stops
and nothing is written.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from followthemoney.proxy import EntityProxy

from tocsin.errors import located
from tocsin.i18n import N_, N_plural
from tocsin.money.ingest.base import Context, accounts_table, flush_transactions, parties_table
from tocsin.money.ingest.entities import PARTY_SCHEMAS, account_entity_id, holder_entity_id
from tocsin.screening.readers.ftm import load_entities

#: Transactions converted and written per block.
BLOCK = 50_000
STAND_IN = "Stand-in: the source does not identify the holder"


def _first(proxy: EntityProxy, *props: str) -> str | None:
    for prop in props:
        if proxy.schema.get(prop) is None:
            continue
        values = [v for v in proxy.get(prop, quiet=True) if v and str(v).strip()]
        if values:
            return str(values[0]).strip()
    return None


def _account_id(proxy: EntityProxy) -> str:
    """The account's id in the set: the number the platform's own export derived the
    entity id from, else the account number, else the IBAN, else the entity id."""
    candidates = [str(v).strip() for prop in ("accountNumber", "iban")
                  for v in proxy.get(prop, quiet=True) if str(v).strip()]
    banks = [str(v).strip() for prop in ("bic", "bankName")
             for v in proxy.get(prop, quiet=True) if str(v).strip()]
    for value in [*candidates, *(f"{b}:{n}" for b in banks for n in candidates)]:
        if account_entity_id(value) == proxy.id:
            return value
    return candidates[0] if candidates else f"ftm:{proxy.id}"


def _is_stand_in(proxy: EntityProxy, stand_ins: set[str]) -> bool:
    """A holder the export invented for an account whose holder the source did not name."""
    return (proxy.schema.name == "LegalEntity" and str(proxy.id) in stand_ins
            and STAND_IN in proxy.get("description"))


def _party_row(proxy: EntityProxy, where: str) -> dict[str, Any]:
    return {"party_id": str(proxy.id), "schema": proxy.schema.name,
            "name": _first(proxy, "name"),  # the export adds it back when missing
            "country": _first(proxy, "country", "jurisdiction", "nationality"),
            "properties": json.dumps(proxy.to_dict()["properties"], ensure_ascii=False,
                                     sort_keys=True),
            "source_ref": where}


def _when(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if len(text) < 10:  # a month or a year is not a time of payment
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _labels(description: list[str]) -> tuple[str | None, bool | None, str | None, bool]:
    """Channel, label, pattern from the export's description; whether anything else was there."""
    channel = pattern = None
    label: bool | None = None
    other = False
    for text in description:
        for part in (p.strip() for p in text.split(";")):
            if part.startswith("channel: "):
                channel = part.removeprefix("channel: ")
            elif part.startswith("laundering pattern: "):
                pattern, label = part.removeprefix("laundering pattern: "), True
            elif part == "labelled as laundering in the source":
                label = True
            elif part:
                other = True
    return channel, label, pattern, other


def read(sources: Sequence[Path], ctx: Context) -> None:
    loaded: list[tuple[str, int, EntityProxy]] = []
    for path in sources:
        ctx.files.append(path)
        loaded += [(path.name, number, proxy) for number, proxy, _ in load_entities(path)]
    accounts: dict[str, dict[str, Any]] = {}
    account_of: dict[str, str] = {}  # BankAccount entity id → account id
    holder_of: dict[str, str] = {}  # account id → owner entity id
    parties: dict[str, dict[str, Any]] = {}
    left_out: Counter[str] = Counter()
    for name, number, proxy in loaded:
        if proxy.schema.is_a("BankAccount"):
            account_id = _account_id(proxy)
            account_of[str(proxy.id)] = account_id
            accounts.setdefault(account_id, {
                "account_id": account_id, "bank": _first(proxy, "bankName"),
                "country": _first(proxy, "country"), "kind": "unknown", "party_id": None,
                "label": None, "source_ref": f"{name}:{number}"})
            row = _party_row(proxy, f"{name}:{number}")
            row["party_id"] = account_entity_id(account_id)
            parties[row["party_id"]] = row
    for _name, _number, proxy in loaded:
        if proxy.schema.name == "Ownership":
            owner, asset = _first(proxy, "owner"), _first(proxy, "asset")
            if asset in account_of and owner:
                holder_of[account_of[asset]] = owner
                continue
            left_out[proxy.schema.name] += 1
    stand_ins = {holder_entity_id(account_id) for account_id in accounts}
    for name, number, proxy in loaded:
        if proxy.schema.name in PARTY_SCHEMAS:
            if not _is_stand_in(proxy, stand_ins):
                parties[str(proxy.id)] = _party_row(proxy, f"{name}:{number}")
        elif not (proxy.schema.is_a("BankAccount") or proxy.schema.name in (
                "Ownership", "Payment")):
            left_out[proxy.schema.name] += 1
    for account_id, owner in holder_of.items():
        if owner in parties:
            accounts[account_id]["party_id"] = owner
    rows: list[dict[str, Any]] = []
    described = 0
    for name, number, proxy in loaded:
        if proxy.schema.name != "Payment":
            continue
        where = f"{name}:{number}"
        ends = []
        for account_prop, party_prop in (("payerAccount", "payer"),
                                         ("beneficiaryAccount", "beneficiary")):
            account = _first(proxy, account_prop)
            party = _first(proxy, party_prop)
            if account is not None and account in account_of:
                ends.append(account_of[account])
            elif account is None and party is not None and party in parties:
                end = f"party:{party}"
                accounts.setdefault(end, {
                    "account_id": end, "bank": None, "country": None, "kind": "unknown",
                    "party_id": party, "label": None,
                    "source_ref": where})
                ends.append(end)
            else:
                ctx.problems.add(where, located(party_prop, (
                    N_("no BankAccount with id %(id)s in the file", id=repr(account)) if account
                    else N_("no person or company with id %(id)s in the file", id=repr(party))
                    if party else N_("neither an account nor a party"))))
        amount_text = _first(proxy, "amount")
        currency = (_first(proxy, "currency") or "").upper()
        moment = _when(_first(proxy, "date") or "")
        try:
            amount = float(amount_text) if amount_text is not None else None
        except ValueError:
            amount = None
        if amount is None or amount < 0:
            ctx.problems.add(where, N_("amount %(value)s is not a non-negative number",
                                       value=repr(amount_text)))
        if not currency:
            ctx.problems.add(where, N_("no currency"))
        if moment is None:
            ctx.problems.add(where, N_("date %(value)s is not a day or time",
                                       value=repr(_first(proxy, "date"))))
        if len(ends) != 2 or amount is None or not currency or moment is None:
            continue
        channel, label, pattern, other = _labels(proxy.get("description"))
        described += other
        rows.append({
            "txn_id": _first(proxy, "transactionNumber") or str(proxy.id),
            "ts": moment, "source": ends[0], "target": ends[1], "amount_orig": amount,
            "currency_orig": currency, "channel": channel, "label": label,
            "label_pattern": pattern,
            "source_ref": _first(proxy, "recordId") or where,
            "source_file": name, "source_line": number})
        if len(rows) >= BLOCK:
            flush_transactions(ctx, rows)
    flush_transactions(ctx, rows)
    if ctx.problems:
        return
    ctx.writer.write_accounts(accounts_table(list(accounts.values())) if accounts
                              else pa.Table.from_pylist([], schema=accounts_table([]).schema))
    ctx.writer.write_parties(parties_table(list(parties.values())))
    if left_out:
        ctx.notes.append(N_("not held by a transaction set, left out: %(kinds)s",
                            kinds=", ".join(f"{count} {schema}"
                                            for schema, count in sorted(left_out.items()))))
    if described:
        ctx.notes.append(N_plural("descriptions of %(count)s payment other than channel and "
                                  "laundering label were not kept",
                                  "descriptions of %(count)s payments other than channel and "
                                  "laundering label were not kept", described, count=described))
