"""ISO 20022 camt.053 bank-to-customer statements (version 001.02 and later).

The statement's own account (``Stmt/Acct``) is one side of every entry; the
other side comes from the entry's ``NtryDtls/TxDtls/RltdPties``: the debtor
and its account for a credit (``CRDT``, money in), the creditor and its
account for a debit (``DBIT``, money out). A batch entry with several
``TxDtls`` becomes one transaction per detail, with the detail's own amount.

A counterparty without an account becomes an end point: ``cash:<statement
account>`` (kind ``cash``) for cash withdrawals and deposits (bank transaction
sub-family ``CWDL``/``CDPT``), ``party:<id>`` when only a name is given, else
``unknown:<statement>:<entry>``. Only booked entries are imported; pending and
information-only entries are counted in the report's notes. A reversal (``RvslInd``)
keeps the original transaction's parties, so its other side is the original's other
party. An entry without booking and value dates takes its statement's day (counted in
the notes). Statements sharing an ``Id`` (pages, other accounts, a copy) keep their
transactions' ids apart.

Element names are matched by local name, so every version's namespace
(``urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN``) is accepted. Remittance
information is not part of the canonical layout and is not kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from tocsin import types
from tocsin.i18n import N_, N_plural
from tocsin.money.ingest.base import (
    Context,
    accounts_table,
    flush_transactions,
    merge_account,
    parties_table,
)
from tocsin.money.ingest.entities import PartyBook, account_entity_id, describe, make
from tocsin.money.ingest.xmlsafe import (
    Node,
    child,
    children,
    iter_nodes,
    line_of,
    local,
    namespace,
    text,
)
from tocsin.types.base import is_digits

NUMBER = re.compile(r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
DATE_WITH_ZONE = re.compile(r"^(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?$")
NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d\d$")
CASH_SUBFAMILIES = {"CWDL", "CDPT"}
FLUSH_ROWS = 50_000


@dataclass
class _Statement:
    path: str  # XPath of the Stmt element
    ident: str
    account_id: str | None = None
    country: str | None = None
    # the day an entry without BookgDt and ValDt is given: the closing balance's date (rank
    # 3), else the end of the statement's period (2), else its creation (1)
    day: datetime | None = None
    day_rank: int = 0
    page: str | None = None  # StmtPgntn/PgNb
    prefix: str | None = None  # of its transactions' ids, set at its first entry


class _State:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.book = PartyBook()
        self.accounts: dict[str, dict[str, Any]] = {}
        self.rows: list[dict[str, Any]] = []
        self.skipped: dict[str, int] = {}
        self.undated = 0
        self.ultimate = 0  # transactions naming an UltmtDbtr or UltmtCdtr
        self.unbalanced = 0  # batch entries whose details do not add up to the entry
        self.summarised = 0  # batch entries announcing more transactions than they detail
        self.cash_named = 0  # cash paid in or taken out by a party the detail names
        # statements read, by (account, Stmt/Id, page), and the id prefixes given out
        self.statements: set[tuple[str, str, str | None]] = set()
        self.prefixes: set[str] = set()
        self.repeats: list[tuple[str, str, str, str]] = []  # (Stmt/Id, account, file, prefix)


def read(sources: Sequence[Path], ctx: Context) -> None:
    state = _State(ctx)
    for path in sources:
        ctx.files.append(path)
        _read_file(path, state)
    flush_transactions(state.ctx, state.rows)
    for status, count in sorted(state.skipped.items()):
        ctx.notes.append(N_("%(count)s entry with status %(status)s not imported (only booked "
                            "entries are)", count=count, status=status) if count == 1 else
                         N_("%(count)s entries with status %(status)s not imported (only "
                            "booked entries are)", count=count, status=status))
    if state.undated:
        count = state.undated
        ctx.notes.append(N_("%(count)s entry without BookgDt or ValDt dated by its statement "
                            "(closing balance date, else period end, else creation)",
                            count=count) if count == 1 else
                         N_("%(count)s entries without BookgDt or ValDt dated by their "
                            "statement (closing balance date, else period end, else "
                            "creation)", count=count))
    if state.ultimate:
        count = state.ultimate
        ctx.notes.append(N_("%(count)s transaction names an ultimate debtor or creditor "
                            "(UltmtDbtr/UltmtCdtr): only the debtor and creditor are kept",
                            count=count) if count == 1 else
                         N_("%(count)s transactions name an ultimate debtor or creditor "
                            "(UltmtDbtr/UltmtCdtr): only the debtor and creditor are kept",
                            count=count))
    if state.summarised:
        count = state.summarised
        ctx.notes.append(N_("%(count)s batch entry announces more transactions (Btch/NbOfTxs) "
                            "than it details: imported as the details given", count=count)
                         if count == 1 else
                         N_("%(count)s batch entries announce more transactions (Btch/NbOfTxs) "
                            "than they detail: imported as the details given", count=count))
    if state.cash_named:
        count = state.cash_named
        ctx.notes.append(N_plural(
            "%(count)s cash deposit or withdrawal names who paid in or took out the cash: it "
            "runs from or to the account's cash end point (cash:<account>); the name is kept "
            "as a party",
            "%(count)s cash deposits or withdrawals name who paid in or took out the cash: "
            "they run from or to the account's cash end point (cash:<account>); the names are "
            "kept as parties", count, count=count))
    if state.unbalanced:
        count = state.unbalanced
        ctx.notes.append(N_("%(count)s batch entry whose details' amounts do not add up to its "
                            "Amt: imported as the details' amounts", count=count)
                         if count == 1 else
                         N_("%(count)s batch entries whose details' amounts do not add up to "
                            "their Amt: imported as the details' amounts", count=count))
    for ident, account, name, prefix in state.repeats:
        ctx.notes.append(N_("statement %(statement)s of account %(account)s read again in "
                            "%(file)s: its entries are imported again, as %(prefix)s:… (if it "
                            "is a copy, leave the file out)", statement=ident, account=account,
                            file=name, prefix=prefix))
    if ctx.problems:
        return
    ctx.writer.write_accounts(accounts_table(list(state.accounts.values())))
    ctx.writer.write_parties(parties_table(state.book.rows()))


def _read_file(path: Path, state: _State) -> None:
    problems = state.ctx.problems
    statement: _Statement | None = None
    checked = False
    for node in iter_nodes(path, state.ctx.progress, record_depth={4},
                           tags={"Id", "Acct", "Ntry", "Bal", "FrToDt", "CreDtTm",
                                 "StmtPgntn"},
                           indexed=frozenset({"Stmt", "Ntry"})):
        if not checked:
            if not _is_camt053(node, path, state):
                return
            checked = True
        stmt_path = node.path.rsplit("/", 1)[0]
        if statement is None or statement.path != stmt_path:
            statement = _Statement(path=stmt_path, ident=stmt_path.rsplit("/", 1)[-1])
        if node.name == "Id" and node.element.getparent() is not None:
            statement.ident = text(node.element) or statement.ident
        elif node.name == "StmtPgntn":
            statement.page = text(node.element, "PgNb")
        elif node.name == "Acct":
            _statement_account(node, statement, path, state)
        elif node.name in ("Bal", "FrToDt", "CreDtTm"):
            _statement_day(node, statement)
        elif node.name == "Ntry":
            if statement.account_id is None:
                problems.add(f"{path}:{stmt_path}/Acct", N_("missing or without an account id "
                                                            "before the first entry"))
                continue
            if statement.prefix is None:
                _start_statement(statement, path, state)
            _entry(node, statement, path, state)
        if len(state.rows) >= FLUSH_ROWS:
            flush_transactions(state.ctx, state.rows)
    if not checked:
        problems.add(f"{path}:/", N_("not a camt.053 statement (no Document/BkToCstmrStmt/Stmt "
                                     "with an account and entries)"))


def _start_statement(statement: _Statement, path: Path, state: _State) -> None:
    """Give the statement's transactions an id prefix of their own in this import."""
    assert statement.account_id is not None
    # pages of one statement share its Id, and other accounts' statements may use the same
    prefix = statement.ident if statement.page is None else f"{statement.ident}/p{statement.page}"
    key = (statement.account_id, statement.ident, statement.page)
    if key not in state.statements and prefix in state.prefixes:
        prefix = f"{prefix}/{statement.account_id}"
    elif key in state.statements:
        # read before: a copy, a file given twice, or a bank reusing its ids; whether the
        # entries are the same is not known before reading them, so they are kept and named
        n = 2
        while f"{prefix}#{n}" in state.prefixes:
            n += 1
        prefix = f"{prefix}#{n}"
        state.repeats.append((statement.ident, statement.account_id, path.name, prefix))
    state.statements.add(key)
    state.prefixes.add(prefix)
    statement.prefix = prefix


def _statement_day(node: Node, statement: _Statement) -> None:
    el = node.element
    parent = el.getparent()
    if parent is None or local(parent) != "Stmt":  # GrpHdr/CreDtTm
        return
    if node.name == "Bal":
        if text(el, "Tp", "CdOrPrtry", "Cd") != "CLBD":
            return
        rank, value = 3, text(el, "Dt", "Dt") or text(el, "Dt", "DtTm")
    elif node.name == "FrToDt":
        rank, value = 2, text(el, "ToDtTm")
    else:
        rank, value = 1, text(el)
    day = _parse_day(value) if value else None
    if day is not None and rank > statement.day_rank:
        statement.day, statement.day_rank = day, rank


def _parse_day(value: str) -> datetime | None:
    """An ISODate or ISODateTime as a UTC time; ``None`` if it is neither."""
    # an ISODate may carry a zone ("2024-01-05+01:00"), which fromisoformat would read
    # as a time of day; the day the bank wrote is the one kept
    day = DATE_WITH_ZONE.match(value)
    try:
        parsed = datetime.fromisoformat(day.group(1) if day else value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _is_camt053(node: Node, path: Path, state: _State) -> bool:
    stmt = node.element.getparent()
    wrapper = stmt.getparent() if stmt is not None else None
    root = wrapper.getparent() if wrapper is not None else None
    if root is None or wrapper is None or local(wrapper) != "BkToCstmrStmt":
        # name what was found: a camt.052 report or camt.054 notification looks much alike
        found = "/".join(local(e) for e in (root, wrapper) if e is not None)
        state.ctx.problems.add(f"{path}:/{found}", N_("not a camt.053 statement (%(found)s found, "
                                                      "Document/BkToCstmrStmt/Stmt expected)",
                                                      found=found))
        return False
    uri = namespace(root)
    if not NAMESPACE.match(uri):
        state.ctx.problems.add(f"{path}:/Document", N_("unexpected namespace %(namespace)s",
                                                       namespace=repr(uri)))
        return False
    return True


def _account_id(acct: etree._Element | None) -> str | None:
    if acct is None:
        return None
    iban = text(acct, "Id", "IBAN")
    if iban:
        return iban.replace(" ", "").upper()
    return text(acct, "Id", "Othr", "Id")


def _bic(agent: etree._Element | None) -> str | None:
    if agent is None:
        return None
    return text(agent, "FinInstnId", "BIC") or text(agent, "FinInstnId", "BICFI")


def _iban_country(account_id: str | None) -> str | None:
    if account_id and re.match(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}$", account_id):
        return account_id[:2]
    return None


def _statement_account(node: Node, statement: _Statement, path: Path, state: _State) -> None:
    acct = node.element
    account_id = _account_id(acct)
    where = f"{path.name}:{node.path}"
    if account_id is None:
        state.ctx.problems.add(f"{path}:{node.path}/Id", N_("the statement account has no id"))
        return
    statement.account_id = account_id
    statement.country = _iban_country(account_id)
    owner = child(acct, "Ownr")
    owner_name = text(owner, "Nm") or text(owner, "Pty", "Nm") if owner is not None else None
    party_id = None
    if owner_name:
        party_id = state.book.add_spec(describe("LegalEntity", ["camt053", owner_name], {
            "name": owner_name, "country": statement.country, **_identity(owner)}), where)
    bic = _bic(child(acct, "Svcr"))
    _bank_account(state, account_id, bic, text(acct, "Ccy"), statement.country, where)
    merge_account(state.accounts, {"account_id": account_id, "bank": bic,
                                   "country": statement.country, "kind": "domestic",
                                   "party_id": party_id, "source_ref": where})


def _bank_account(state: _State, account_id: str, bic: str | None, currency: str | None,
                  country: str | None, where: str) -> None:
    entity_id = account_entity_id(account_id)
    if state.book.known(entity_id):
        return
    is_iban = _iban_country(account_id) is not None
    proxy = make("BankAccount", ["tocsin-account", account_id], {
        "iban": account_id if is_iban else None, "accountNumber": account_id,
        "bic": bic, "currency": currency, "country": country})
    proxy.id = entity_id
    state.book.add(proxy, where)



def _entry(node: Node, statement: _Statement, path: Path, state: _State) -> None:
    problems = state.ctx.problems
    el = node.element
    loc = f"{path}:{node.path}"
    ref = f"{path.name}:{node.path}"
    # 001.02 writes the code as text, 001.08 under Cd; some banks use Prtry
    status = text(el, "Sts", "Cd") or text(el, "Sts", "Prtry") or text(el, "Sts") or "BOOK"
    if status != "BOOK":
        state.skipped[status] = state.skipped.get(status, 0) + 1
        return
    direction = text(el, "CdtDbtInd")
    if direction not in ("CRDT", "DBIT"):
        problems.add(f"{loc}/CdtDbtInd", N_("%(value)s is neither CRDT nor DBIT",
                                            value=repr(direction)))
    ts = _booking_time(el, statement, loc, state)
    entry_amount = _amount(child(el, "Amt"), f"{loc}/Amt", state)
    channel, sub_family = _bank_code(el)
    details = [d for batch in children(el, "NtryDtls") for d in children(batch, "TxDtls")]
    if direction not in ("CRDT", "DBIT") or ts is None or entry_amount is None:
        return
    entry_key = node.path.rsplit("/", 1)[-1]
    # a reversal keeps the original transaction's parties: a returned debit is booked as a
    # credit whose money comes back from the original creditor (and the other way round)
    reversal = (text(el, "RvslInd") or "").lower() in ("true", "1")
    flipped = {"CRDT": "DBIT", "DBIT": "CRDT"}[direction] if reversal else direction
    if len(details) <= 1:
        parts = [(details[0] if details else None, entry_amount, ref, "")]
    else:
        parts = []
        for k, detail in enumerate(details, start=1):
            where = f"{loc}/NtryDtls/TxDtls[{k}]"
            amt, amt_where = child(detail, "AmtDtls", "TxAmt", "Amt"), "/AmtDtls/TxAmt/Amt"
            if amt is None:
                amt, amt_where = child(detail, "Amt"), "/Amt"
            if amt is None:
                problems.add(f"{where}/AmtDtls", N_("a batch entry needs each detail's amount"))
                continue
            value = _amount(amt, f"{where}{amt_where}", state)
            if value is not None:
                parts.append((detail, value, f"{ref}/NtryDtls/TxDtls[{k}]", f"/{k}"))
        if len(parts) == len(details) and all(p[1][1] == entry_amount[1] for p in parts) \
                and abs(sum(p[1][0] for p in parts) - entry_amount[0]) > 0.005:
            state.unbalanced += 1
    # a bank may sum a batch into one TxDtls and give only the count of its transactions
    announced = sum(_count(text(batch, "Btch", "NbOfTxs")) for batch in children(el, "NtryDtls"))
    if announced > max(len(details), 1):
        state.summarised += 1
    for detail, (amount, currency), part_ref, suffix in parts:
        parties = child(detail, "RltdPties") if detail is not None else None
        if parties is not None and (child(parties, "UltmtDbtr") is not None
                                    or child(parties, "UltmtCdtr") is not None):
            state.ultimate += 1
        # a batch entry's transactions start at their own TxDtls
        start = line_of(detail) if len(parts) > 1 else None
        # some banks name a reversal's parties as the reversal itself runs
        role_of = direction if flipped != direction and not _names_side(detail, flipped) \
            and _names_side(detail, direction) else flipped
        # a detail's own code is its transaction's (a cash deposit in a batch of credits)
        detail_channel, detail_sub_family = _bank_code(detail) if detail is not None \
            else (None, None)
        if not detail_channel:
            detail_channel, detail_sub_family = channel, sub_family
        other = _counterparty(detail, role_of, detail_sub_family, statement, part_ref,
                              f"{statement.prefix}:{entry_key}{suffix}", state)
        source, target = (other, statement.account_id) if direction == "CRDT" else \
            (statement.account_id, other)
        state.rows.append({
            "txn_id": f"{statement.prefix}:{entry_key}{suffix}", "ts": ts, "source": source,
            "target": target, "amount_orig": amount, "currency_orig": currency,
            "channel": detail_channel or None, "source_ref": part_ref,
            "source_file": path.name, "source_line": start or node.line,
        })


def _bank_code(el: etree._Element) -> tuple[str | None, str | None]:
    """The channel (``PMNT/RCDT/ESCT``, else the proprietary code) and the sub-family of the
    ``BkTxCd`` of an entry or of one of its details."""
    domain = child(el, "BkTxCd", "Domn")
    if domain is None:
        return text(el, "BkTxCd", "Prtry", "Cd"), None
    sub_family = text(domain, "Fmly", "SubFmlyCd")
    return "/".join(p for p in (text(domain, "Cd"), text(domain, "Fmly", "Cd"), sub_family)
                    if p) or None, sub_family


def _count(value: str | None) -> int:
    return int(value) if is_digits(value) else 0


def _booking_time(el: etree._Element, statement: _Statement, loc: str, state: _State
                  ) -> datetime | None:
    for tag in ("BookgDt", "ValDt"):
        value = text(el, tag, "DtTm") or text(el, tag, "Dt")
        if value is None:
            continue
        parsed = _parse_day(value)
        if parsed is None:
            state.ctx.problems.add(f"{loc}/{tag}", N_("%(value)s is not an ISO date",
                                                      value=repr(value)))
        return parsed
    # some banks date only the statement (a day's statement of batch entries)
    if statement.day is not None:
        state.undated += 1
        return statement.day
    state.ctx.problems.add(f"{loc}/BookgDt", N_("missing (and no ValDt, nor a date on the "
                                                "statement)"))
    return None


def _amount(amt: etree._Element | None, where: str, state: _State
            ) -> tuple[float, str] | None:
    if amt is None:
        state.ctx.problems.add(where, N_("missing"))
        return None
    value = (amt.text or "").strip()
    currency = (amt.get("Ccy") or "").upper()
    ok = True
    if not NUMBER.match(value):
        state.ctx.problems.add(where, N_("%(value)s is not an amount (digits and a dot)",
                                         value=repr(value)))
        ok = False
    if not types.currency.known(currency):
        state.ctx.problems.add(f"{where}/@Ccy", N_("%(value)s is not an ISO 4217 currency code",
                                                   value=repr(currency)))
        ok = False
    elif not state.ctx.rates.knows(currency):
        state.ctx.problems.add(f"{where}/@Ccy", N_("no exchange rate for %(currency)s into "
                                                   "%(base)s", currency=currency,
                                                   base=state.ctx.base_currency))
        ok = False
    return (float(value), currency) if ok else None


def _names_side(detail: etree._Element | None, role_of: str) -> bool:
    """Whether the detail names the debtor (``CRDT``) or creditor (``DBIT``) or its account."""
    parties = child(detail, "RltdPties") if detail is not None else None
    if parties is None:
        return False
    role = "Dbtr" if role_of == "CRDT" else "Cdtr"
    return child(parties, role) is not None or child(parties, f"{role}Acct") is not None


def _identity(party: etree._Element) -> dict[str, str | None]:
    """A person's national id or a company's registration number (001.02 puts them on the
    party, 001.08 under Pty), kept with the name so that sightings can be matched: of a
    related party, and of the statement account's owner (``Acct/Ownr``)."""
    ident: dict[str, str | None] = {"idNumber": None, "registrationNumber": None}
    for holder in (party, child(party, "Pty")):
        if holder is not None:
            ident["idNumber"] = ident["idNumber"] or text(holder, "Id", "PrvtId", "Othr", "Id")
            ident["registrationNumber"] = ident["registrationNumber"] or \
                text(holder, "Id", "OrgId", "Othr", "Id")
    return ident


def _counterparty(detail: etree._Element | None, role_of: str, sub_family: str | None,
                  statement: _Statement, ref: str, entry_id: str, state: _State) -> str:
    """The other side: the debtor of a credit, the creditor of a debit (``role_of``)."""
    role, acct_tag, agent_tag = ("Dbtr", "DbtrAcct", "DbtrAgt") if role_of == "CRDT" else \
        ("Cdtr", "CdtrAcct", "CdtrAgt")
    parties = child(detail, "RltdPties") if detail is not None else None
    party = child(parties, role) if parties is not None else None
    name = (text(party, "Nm") or text(party, "Pty", "Nm")) if party is not None else None
    country = None
    if party is not None:
        country = text(party, "PstlAdr", "Ctry") or text(party, "Pty", "PstlAdr", "Ctry")
    account_id = _account_id(child(parties, acct_tag)) if parties is not None else None
    party_id = None
    if name:
        party_id = state.book.add_spec(describe("LegalEntity", ["camt053", name], {
            "name": name, "country": country, **_identity(party)}), f"{ref}/RltdPties/{role}")
    if account_id:
        agents = child(detail, "RltdAgts") if detail is not None else None
        bic = _bic(child(agents, agent_tag)) if agents is not None else None
        country = _iban_country(account_id) or (country.upper() if country else None)
        kind = "unknown"
        if country and statement.country:
            kind = "domestic" if country == statement.country else "foreign"
        _bank_account(state, account_id, bic, None, country, f"{ref}/RltdPties/{acct_tag}")
        merge_account(state.accounts, {"account_id": account_id, "bank": bic,
                                       "country": country, "kind": kind, "party_id": party_id,
                                       "source_ref": f"{ref}/RltdPties/{acct_tag}"})
        return account_id
    if sub_family in CASH_SUBFAMILIES:
        cash_id = f"cash:{statement.account_id}"
        if party_id:
            state.cash_named += 1
        merge_account(state.accounts, {"account_id": cash_id, "bank": None,
                                       "country": statement.country, "kind": "cash",
                                       "party_id": None, "source_ref": ref})
        return cash_id
    if party_id:
        end_id = f"party:{party_id}"
        merge_account(state.accounts, {"account_id": end_id, "bank": None,
                                       "country": country.upper() if country else None,
                                       "kind": "unknown", "party_id": party_id,
                                       "source_ref": ref})
        return end_id
    unknown_id = f"unknown:{entry_id}"
    merge_account(state.accounts, {"account_id": unknown_id, "bank": None, "country": None,
                                   "kind": "unknown", "party_id": None, "source_ref": ref})
    return unknown_id
