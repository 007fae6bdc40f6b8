"""UNODC goAML XML reports (STR, CTR and others with ``transaction`` elements).

Each ``report/transaction`` becomes one transaction: ``transactionnumber``
(prefixed with the report's ``entity_reference``), ``date_transaction``,
``amount_local`` in the report's ``currency_code_local``, ``transmode_code`` as
the channel. The two sides (``t_from``/``t_from_my_client``,
``t_to``/``t_to_my_client``) hold an account, a person or an entity:

* an account becomes an account of the set (id: the IBAN, else
  ``swift-or-institution:account``) and a FollowTheMoney ``BankAccount``; its
  holder is the account's ``t_entity``, else its primary signatory;
* a person (``Person``) or entity (``Company`` when it has an incorporation
  number or legal form, else ``LegalEntity``) without an account becomes an
  end point ``party:<id>`` of kind ``unknown``.

Accounts of the reporting entity's own clients (``*_my_client``) are
``domestic``; others are ``domestic`` or ``foreign`` by comparing their country
with the report's ``location/country_code``, else ``unknown``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from tocsin import types
from tocsin.i18n import N_
from tocsin.money.ingest.base import (
    Context,
    accounts_table,
    flush_transactions,
    merge_account,
    parties_table,
)
from tocsin.money.ingest.entities import (
    EntitySpec,
    PartyBook,
    account_entity_id,
    describe,
    make,
)
from tocsin.money.ingest.xmlsafe import (
    Node,
    child,
    children,
    fields,
    iter_nodes,
    local,
    text,
)

NUMBER = re.compile(r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
COUNTRY = re.compile(r"^[A-Za-z]{2}$")
GENDERS = {"M": "male", "F": "female", "U": None}
FLUSH_ROWS = 50_000
#: The children of ``report`` the importer reads.
REPORT_PARTS = {"entity_reference", "currency_code_local", "location", "transaction",
                "activity"}


@dataclass
class _Report:
    path: Path
    reference: str
    currency: str | None = None
    country: str | None = None
    numbers: set[str] = field(default_factory=set)


class _State:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.book = PartyBook()
        self.accounts: dict[str, dict[str, Any]] = {}
        self.rows: list[dict[str, Any]] = []


def read(sources: Sequence[Path], ctx: Context) -> None:
    state = _State(ctx)
    for path in sources:
        ctx.files.append(path)
        _read_report(path, state)
    flush_transactions(state.ctx, state.rows)
    if ctx.problems:
        return
    ctx.writer.write_accounts(accounts_table(list(state.accounts.values())))
    ctx.writer.write_parties(parties_table(state.book.rows()))


def _read_report(path: Path, state: _State) -> None:
    report = _Report(path=path, reference=path.stem)
    problems = state.ctx.problems
    root_checked = False
    for node in iter_nodes(path, state.ctx.progress, record_depth={2}, tags=REPORT_PARTS,
                           indexed=frozenset({"transaction"})):
        if not root_checked:
            root = node.element.getparent()
            if root is None or local(root) != "report":
                problems.add(f"{path}:/{local(root) if root is not None else node.name}",
                             N_("not a goAML report (the root element must be <report>)"))
                return
            root_checked = True
        if node.name == "entity_reference":
            report.reference = text(node.element) or report.reference
        elif node.name == "currency_code_local":
            _set_currency(node, report, state.ctx)
        elif node.name == "location":
            report.country = _country(text(node.element, "country_code"))
        elif node.name == "transaction":
            _transaction(node, report, state)
        elif node.name == "activity":
            problems.add(f"{path}:{node.path}", N_("activity reports (without transactions) "
                                                   "carry no flows; import the transactions"))
        if len(state.rows) >= FLUSH_ROWS:
            flush_transactions(state.ctx, state.rows)
    if not root_checked:
        problems.add(f"{path}:/", N_("not a goAML report (no <report> with transactions)"))
        return
    if report.currency is None:
        problems.add(f"{path}:/report/currency_code_local", N_(
            "missing; the report must say which currency amounts are in"))


def _set_currency(node: Node, report: _Report, ctx: Context) -> None:
    code = (text(node.element) or "").upper()
    where = f"{report.path}:{node.path}"
    if not types.currency.known(code):
        ctx.problems.add(where, N_("%(value)s is not an ISO 4217 currency code",
                                   value=repr(code)))
    elif not ctx.rates.knows(code):
        ctx.problems.add(where, N_("no exchange rate for %(currency)s into %(base)s",
                                   currency=code, base=ctx.base_currency))
    else:
        report.currency = code


def _country(value: str | None) -> str | None:
    return value.upper() if value and COUNTRY.match(value) else None


def _transaction(node: Node, report: _Report, state: _State) -> None:
    problems = state.ctx.problems
    el = node.element
    loc = f"{report.path}:{node.path}"
    ref = f"{report.path.name}:{node.path}"
    f = fields(el)
    number = f.get("transactionnumber")
    if number is None:
        problems.add(f"{loc}/transactionnumber", N_("missing"))
    elif number in report.numbers:
        problems.add(f"{loc}/transactionnumber", N_("%(value)s appears twice in the report",
                                                    value=repr(number)))
    else:
        report.numbers.add(number)
    ts = _timestamp(f.get("date_transaction"), f"{loc}/date_transaction", state)
    amount_text = f.get("amount_local")
    amount = None
    if amount_text is None:
        problems.add(f"{loc}/amount_local", N_("missing"))
    elif not NUMBER.match(amount_text) or float(amount_text) < 0:
        problems.add(f"{loc}/amount_local", N_("%(value)s is not a non-negative number",
                                               value=repr(amount_text)))
    else:
        amount = float(amount_text)
    if "involved_parties" in f or child(el, "involved_parties") is not None:
        problems.add(f"{loc}/involved_parties", N_("multi-party transactions are not "
                                                   "supported; report the flow with t_from "
                                                   "and t_to"))
        return
    source = _side(el, "from", loc, ref, report, state)
    target = _side(el, "to", loc, ref, report, state)
    if None in (number, ts, amount, source, target) or report.currency is None:
        return
    state.rows.append({
        "txn_id": f"{report.reference}:{number}", "ts": ts, "source": source, "target": target,
        "amount_orig": amount, "currency_orig": report.currency,
        "channel": f.get("transmode_code"), "source_ref": ref,
        "source_file": report.path.name, "source_line": node.line,
    })


def _timestamp(value: str | None, where: str, state: _State) -> datetime | None:
    if value is None:
        state.ctx.problems.add(where, N_("missing"))
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        state.ctx.problems.add(where, N_("%(value)s is not a date (YYYY-MM-DDThh:mm:ss)",
                                         value=repr(value)))
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _side(el: etree._Element, side: str, loc: str, ref: str, report: _Report,
          state: _State) -> str | None:
    """The account id for one side of a transaction, registering its account and parties."""
    problems = state.ctx.problems
    mine = child(el, f"t_{side}_my_client")
    holder = mine if mine is not None else child(el, f"t_{side}")
    if holder is None:
        problems.add(f"{loc}/t_{side}", N_("missing (%(element)s or %(mine)s)",
                                           element=f"t_{side}", mine=f"t_{side}_my_client"))
        return None
    where = f"{loc}/{local(holder)}"
    country_text = text(holder, f"{side}_country")
    country = _country(country_text)
    if country_text and country is None:
        problems.add(f"{where}/{side}_country", N_("%(value)s is not a two-letter code",
                                                   value=repr(country_text)))
    account = child(holder, f"{side}_account")
    if account is not None:
        return _account(account, f"{where}/{side}_account", f"{ref}/{local(holder)}",
                        mine is not None, country, report, state)
    for tag, build in ((f"{side}_person", _person), (f"{side}_entity", _entity)):
        found = child(holder, tag)
        if found is None:
            continue
        described = build(found)
        if described is None:
            problems.add(f"{where}/{tag}", N_("has no name"))
            return None
        party_id = state.book.add_spec(described, f"{ref}/{local(holder)}/{tag}")
        account_id = f"party:{party_id}"
        merge_account(state.accounts, {
            "account_id": account_id, "bank": None,
            "country": country or _first_country(described),
            "kind": "domestic" if mine is not None else "unknown", "party_id": party_id,
            "source_ref": f"{ref}/{local(holder)}/{tag}",
        })
        return account_id
    problems.add(where, N_("holds neither %(account)s, %(person)s nor %(entity)s",
                           account=f"{side}_account", person=f"{side}_person",
                           entity=f"{side}_entity"))
    return None


def _first_country(described: EntitySpec) -> str | None:
    value = described.first("country", "jurisdiction", "nationality")
    return value.upper() if value and COUNTRY.match(value) else None


def _account(el: etree._Element, where: str, ref: str, mine: bool, country: str | None,
             report: _Report, state: _State) -> str | None:
    f = fields(el)
    number = f.get("account")
    iban = f.get("iban", "").replace(" ", "").upper() or None
    swift = f.get("swift")
    institution = f.get("institution_name") or f.get("institution_code")
    if number is None and iban is None:
        state.ctx.problems.add(where, N_("has neither account nor iban"))
        return None
    account_id = iban or f"{swift or institution or 'unknown-bank'}:{number}"
    country = country or (iban[:2] if iban and COUNTRY.match(iban[:2]) else None)
    owner = _owner(el)
    party_id = state.book.add_spec(owner, f"{ref}/{local(el)}") if owner is not None else None
    entity_id = account_entity_id(account_id)
    if not state.book.known(entity_id):
        bank_account = make("BankAccount", ["tocsin-account", account_id], {
            "accountNumber": number, "iban": iban, "bankName": institution, "bic": swift,
            "currency": f.get("currency_code"), "name": f.get("account_name"),
            "country": country, "openingDate": f.get("opened", "")[:10] or None,
        })
        if iban and not bank_account.get("iban"):  # FtM drops an IBAN with a bad checksum
            bank_account.add("accountNumber", iban)
        bank_account.id = entity_id
        state.book.add(bank_account, f"{ref}/{local(el)}")
    if mine:
        kind = "domestic"
    elif country and report.country:
        kind = "domestic" if country == report.country else "foreign"
    else:
        kind = "unknown"
    merge_account(state.accounts, {
        "account_id": account_id, "bank": institution or swift, "country": country,
        "kind": kind, "party_id": party_id, "source_ref": f"{ref}/{local(el)}",
    })
    return account_id



def _owner(account: etree._Element) -> EntitySpec | None:
    entity = child(account, "t_entity")
    if entity is not None:
        return _entity(entity)
    signatories = children(account, "signatory")
    primary = [s for s in signatories if (text(s, "is_primary") or "").lower() in ("true", "1")]
    for signatory in primary or signatories:
        person = child(signatory, "t_person")
        if person is not None:
            return _person(person)
    return None


def _person(el: etree._Element) -> EntitySpec | None:
    f = fields(el)
    first, middle, last = f.get("first_name"), f.get("middle_name"), f.get("last_name")
    name = " ".join(p for p in (first, middle, last) if p)
    if not name:
        return None
    birth = f.get("birthdate", "")[:10] or None
    ident = f.get("id_number") or f.get("passport_number") or f.get("ssn")
    return describe("Person", ["goaml", name, birth, ident], {
        "name": name, "firstName": first, "middleName": middle, "lastName": last,
        "title": f.get("title"), "birthDate": birth, "birthPlace": f.get("birth_place"),
        "gender": GENDERS.get(f.get("gender", "").upper()),
        "nationality": [f.get(f"nationality{i}") for i in (1, 2, 3)],
        "country": f.get("residence"), "idNumber": f.get("id_number"),
        "passportNumber": f.get("passport_number"), "taxNumber": f.get("tax_number"),
        "email": f.get("email"), "position": f.get("occupation"),
    })


def _entity(el: etree._Element) -> EntitySpec | None:
    f = fields(el)
    name = f.get("name")
    if not name:
        return None
    number = f.get("incorporation_number")
    form = f.get("incorporation_legal_form")
    jurisdiction = f.get("incorporation_country_code")
    schema = "Company" if number or form else "LegalEntity"
    return describe(schema, ["goaml", name, number, jurisdiction], {
        "name": name, "alias": f.get("commercial_name"), "legalForm": form,
        "registrationNumber": number, "sector": f.get("business"),
        "jurisdiction": jurisdiction, "country": jurisdiction,
        "incorporationDate": f.get("incorporation_date", "")[:10] or None,
        "taxNumber": f.get("tax_number"), "website": f.get("url"), "email": f.get("email"),
    })
