"""UNODC goAML XML reports (STR, CTR and others with ``transaction`` elements).

A file holds one ``<report>``, or a batch of them under a ``<reports>`` root.
Each ``report/transaction`` becomes one transaction: ``transactionnumber``
(prefixed with the report's ``entity_reference``), ``date_transaction``,
``amount_local`` in the report's ``currency_code_local``, ``transmode_code`` as
the channel. The two sides (``t_from``/``t_from_my_client``,
``t_to``/``t_to_my_client``) hold an account, a person or an entity:

* an account becomes an account of the set (id: the IBAN, else
  ``swift-or-institution:account``) and a FollowTheMoney ``BankAccount``; its
  holder is the account's ``t_entity``, else its primary signatory (or, from
  schema 5.1, related person);
* a person (``Person``) or entity (``Company`` when it has an incorporation
  number or legal form, else ``LegalEntity``) without an account becomes an
  end point ``party:<id>`` of kind ``unknown``; ``t_person``/``t_entity``
  written directly in a side are read as its person or entity.

Accounts of the reporting entity's own clients (``*_my_client``) are
``domestic``; others are ``domestic`` or ``foreign`` by comparing their country
with the report's ``location/country_code``, else ``unknown``.

What the set has no place for is counted in the import's notes with the first
places it was found, never dropped unsaid: ``activity`` parts (report parties
without transactions), multi-party transactions (``involved_parties``, or more
than one ``t_from``/``t_to``, or an account beside a person), report
indicators, the report's reason, action and additional information, goods and
services, conductors, directors and foreign-currency amounts.
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
from tocsin.i18n import N_, N_plural
from tocsin.money.ingest.base import (
    Context,
    accounts_table,
    flush_transactions,
    merge_account,
    parties_table,
    some_places,
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
    line_of,
    local,
    root_name,
    text,
)

NUMBER = re.compile(r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
COUNTRY = re.compile(r"^[A-Za-z]{2}$")
GENDERS = {"M": "male", "F": "female", "U": None}
FLUSH_ROWS = 50_000
#: The children of ``report`` the importer reads, or counts in a note.
REPORT_PARTS = {"entity_reference", "currency_code_local", "location", "transaction",
                "activity", "report_indicators", "reason", "action", "additional_info",
                "additional_information"}
#: Places shown in a note; further ones are counted.
SHOWN = 3
#: Distinct values (indicator codes, currencies) named in a note; further ones are counted
#: up to ``MAX_VALUES`` (goAML's lists of indicators hold a few hundred codes).
SHOWN_VALUES = 20
MAX_VALUES = 1000


@dataclass
class _Left:
    """What the set cannot hold, of one kind: how many, where the first were, which codes."""

    count: int = 0
    places: list[str] = field(default_factory=list)
    #: how many distinct places, of which ``places`` are the first
    found: int = 0
    last: str = ""
    values: set[str] = field(default_factory=set)

    def add(self, place: str, n: int = 1, values: Sequence[str] = ()) -> None:
        self.count += n
        if place != self.last:  # places come in file order: a repeat follows its first
            self.found += 1
            self.last = place
            if len(self.places) < SHOWN:
                self.places.append(place)
        for value in values:
            if len(self.values) < MAX_VALUES:
                self.values.add(value)

    def where(self) -> str:
        return some_places(self.places, self.found)

    def codes(self) -> str:
        ordered = sorted(self.values)
        return some_places(ordered[:SHOWN_VALUES], len(ordered))


@dataclass
class _Report:
    path: Path
    #: the report's XPath (``/report``, or ``/reports/report[2]`` in a batch)
    where: str
    reference: str
    currency: str | None = None
    #: whether currency_code_local was there (a bad one is a problem of its own)
    currency_given: bool = False
    country: str | None = None
    numbers: set[str] = field(default_factory=set)


class _State:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.book = PartyBook()
        self.accounts: dict[str, dict[str, Any]] = {}
        self.rows: list[dict[str, Any]] = []
        self.left: dict[str, _Left] = {}

    def leave(self, kind: str, place: str, n: int = 1, values: Sequence[str] = ()) -> None:
        """Count something the set cannot hold, for the notes."""
        self.left.setdefault(kind, _Left()).add(place, n, values)


def read(sources: Sequence[Path], ctx: Context) -> None:
    state = _State(ctx)
    for path in sources:
        ctx.files.append(path)
        _read_report(path, state)
    flush_transactions(state.ctx, state.rows)
    if ctx.problems:
        return
    _notes(state)
    ctx.writer.write_accounts(accounts_table(list(state.accounts.values())))
    ctx.writer.write_parties(parties_table(state.book.rows()))


def _read_report(path: Path, state: _State) -> None:
    """One file: a ``<report>``, or a batch of them under a ``<reports>`` root (as some
    reporting tools write them)."""
    problems = state.ctx.problems
    batch = root_name(path) == "reports"
    report: _Report | None = None
    count = 0
    for node in iter_nodes(path, state.ctx.progress, record_depth={3 if batch else 2},
                           tags=REPORT_PARTS,
                           indexed=frozenset({"transaction", "report"} if batch
                                             else {"transaction"})):
        parent = node.element.getparent()
        where = node.path.rsplit("/", 1)[0]
        if parent is None or local(parent) != "report":
            problems.add(f"{path}:{where or '/' + node.name}",
                         BATCH_OF_REPORTS if batch else NOT_A_REPORT)
            return
        if report is None or report.where != where:
            if report is not None:
                _finish(report, state)
            position = int(where[where.rindex("[") + 1:-1]) if batch else 1
            for skipped in range(count + 1, position):  # a report with nothing read
                problems.add(f"{path}:/reports/report[{skipped}]", EMPTY_REPORT)
            count = position
            report = _Report(path=path, where=where,
                             reference=f"{path.stem}/{count}" if batch else path.stem)
        place = f"{path.name}:{node.line}"
        if node.name == "entity_reference":
            report.reference = text(node.element) or report.reference
        elif node.name == "currency_code_local":
            report.currency_given = True
            _set_currency(node, report, state.ctx)
        elif node.name == "location":
            report.country = _country(text(node.element, "country_code"))
        elif node.name == "transaction":
            _transaction(node, report, state)
        elif node.name == "activity":
            _activity(node.element, place, state)
        elif node.name == "report_indicators":
            codes = [c for c in (text(i) for i in children(node.element, "indicator")) if c]
            state.leave("indicators", place, len(codes), codes)
        elif text(node.element) or len(node.element):  # reason, action, additional info
            state.leave("reason", place)
        if len(state.rows) >= FLUSH_ROWS:
            flush_transactions(state.ctx, state.rows)
    if report is not None:
        _finish(report, state)
        return
    name = root_name(path)
    if name not in ("report", "reports"):
        problems.add(f"{path}:/{name}", NOT_A_REPORT)
    else:
        problems.add(f"{path}:/{name}", EMPTY_REPORT)


def _finish(report: _Report, state: _State) -> None:
    if not report.currency_given:
        state.ctx.problems.add(f"{report.path}:{report.where}/currency_code_local", N_(
            "missing; the report must say which currency amounts are in"))


NOT_A_REPORT = N_("not a goAML report (the root element must be <report>)")
EMPTY_REPORT = N_("not a goAML report (no transaction, activity or currency_code_local)")
BATCH_OF_REPORTS = N_("not a goAML report (a batch under <reports> holds <report> elements "
                      "only)")


def _activity(el: etree._Element, place: str, state: _State) -> None:
    """An activity part names parties and goods but no flow between accounts."""
    count = sum(1 for _ in el.iter("{*}report_party"))
    state.leave("activity", place, count or 1)
    items = _items(el)
    if items:
        state.leave("goods", place, items)


def _notes(state: _State) -> None:
    notes, left = state.ctx.notes, state.left
    if "multi" in left:
        notes.append(N_plural(
            "%(count)s multi-party transaction not imported (involved_parties, or more than "
            "one t_from or t_to): the set holds payments from one account to one other "
            "(%(places)s)",
            "%(count)s multi-party transactions not imported (involved_parties, or more than "
            "one t_from or t_to): the set holds payments from one account to one other "
            "(%(places)s)", left["multi"].count, count=left["multi"].count,
            places=left["multi"].where()))
    if "activity" in left:
        notes.append(N_plural("%(count)s party reported in <activity> not imported: an "
                              "activity names parties without a transaction (%(places)s)",
                              "%(count)s parties reported in <activity> not imported: an "
                              "activity names parties without a transaction (%(places)s)",
                              left["activity"].count, count=left["activity"].count,
                              places=left["activity"].where()))
    if "goods" in left:
        notes.append(N_plural("%(count)s goods or services item not kept (%(places)s)",
                              "%(count)s goods or services items not kept (%(places)s)",
                              left["goods"].count, count=left["goods"].count,
                              places=left["goods"].where()))
    if "conductor" in left:
        notes.append(N_plural("%(count)s conductor (t_conductor) not kept: the set keeps the "
                              "account, person or entity of each side (%(places)s)",
                              "%(count)s conductors (t_conductor) not kept: the set keeps the "
                              "account, person or entity of each side (%(places)s)",
                              left["conductor"].count, count=left["conductor"].count,
                              places=left["conductor"].where()))
    if "directors" in left:
        notes.append(N_plural("%(count)s director of entities (director_id) not kept: the set "
                              "links an account to its holder only (%(places)s)",
                              "%(count)s directors of entities (director_id) not kept: the set "
                              "links an account to its holder only (%(places)s)",
                              left["directors"].count, count=left["directors"].count,
                              places=left["directors"].where()))
    if "foreign" in left:
        notes.append(N_plural("%(count)s foreign-currency amount (%(currencies)s) not kept: "
                              "amounts are amount_local in the report's currency (%(places)s)",
                              "%(count)s foreign-currency amounts (%(currencies)s) not kept: "
                              "amounts are amount_local in the report's currency (%(places)s)",
                              left["foreign"].count, count=left["foreign"].count,
                              currencies=left["foreign"].codes(),
                              places=left["foreign"].where()))
    if "indicators" in left:
        notes.append(N_("report indicators not kept: %(codes)s (%(places)s)",
                        codes=left["indicators"].codes(), places=left["indicators"].where()))
    if "reason" in left:
        notes.append(N_("the reports' reason, action and additional information are not kept "
                        "(%(places)s)",
                        places=left["reason"].where()))


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
    place = f"{report.path.name}:{node.line}"
    parts = _parts(el)
    items = _items(el)
    if items:
        state.leave("goods", place, items)
    # iter() walks the tree in C; a ".//" path would walk it in Python
    directors = sum(1 for _ in el.iter("{*}director_id"))
    if directors:
        state.leave("directors", place, directors)
    if _several_parties(parts):
        state.leave("multi", place)
        return
    source = _side(parts, "from", loc, ref, report, state)
    target = _side(parts, "to", loc, ref, report, state)
    if None in (number, ts, amount, source, target) or report.currency is None:
        return
    state.rows.append({
        "txn_id": f"{report.reference}:{number}", "ts": ts, "source": source, "target": target,
        "amount_orig": amount, "currency_orig": report.currency,
        "channel": f.get("transmode_code"), "source_ref": ref,
        "source_file": report.path.name, "source_line": node.line,
    })


def _items(el: etree._Element) -> int:
    """How many goods or services items an activity or a transaction lists."""
    goods = child(el, "goods_services")
    return len(children(goods, "item")) if goods is not None else 0


def _parts(el: etree._Element) -> dict[str, list[etree._Element]]:
    """The element's children by local name, in one pass (cheaper than a search per name)."""
    out: dict[str, list[etree._Element]] = {}
    for item in el:
        tag = item.tag
        if isinstance(tag, str):
            out.setdefault(tag[tag.index("}") + 1:] if tag.startswith("{") else tag,
                           []).append(item)
    return out


def _several_parties(parts: dict[str, list[etree._Element]]) -> bool:
    """Whether the transaction names more than one party on a side (the set has no place for
    the others): ``involved_parties``, two ``t_from``, or an account beside a person."""
    if "involved_parties" in parts:
        return True
    for side in ("from", "to"):
        holders = parts.get(f"t_{side}", []) + parts.get(f"t_{side}_my_client", [])
        if len(holders) > 1:
            return True
        if holders:
            names = _parts(holders[0])
            if sum(f"{side}_{kind}" in names for kind in ("account", "person", "entity")) > 1:
                return True
    return False


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


def _side(parts: dict[str, list[etree._Element]], side: str, loc: str, ref: str,
          report: _Report, state: _State) -> str | None:
    """The account id for one side of a transaction, registering its account and parties."""
    problems = state.ctx.problems
    mine = parts.get(f"t_{side}_my_client", [None])[0]
    holder = mine if mine is not None else parts.get(f"t_{side}", [None])[0]
    if holder is None:
        problems.add(f"{loc}/t_{side}", N_("missing (%(element)s or %(mine)s)",
                                           element=f"t_{side}", mine=f"t_{side}_my_client"))
        return None
    where = f"{loc}/{local(holder)}"
    place = f"{report.path.name}:{line_of(holder)}"
    found_in = {name: items[0] for name, items in _parts(holder).items()}
    if "t_conductor" in found_in:
        state.leave("conductor", place)
    foreign = text(found_in.get(f"{side}_foreign_currency"), "foreign_currency_code")
    if foreign and foreign.upper() != report.currency:
        state.leave("foreign", place, values=[foreign.upper()])
    country_text = text(found_in.get(f"{side}_country"))
    country = _country(country_text)
    if country_text and country is None:
        problems.add(f"{where}/{side}_country", N_("%(value)s is not a two-letter code",
                                                   value=repr(country_text)))
    account = found_in.get(f"{side}_account")
    if account is not None:
        return _account(account, f"{where}/{side}_account", f"{ref}/{local(holder)}",
                        mine is not None, country, report, state)
    # t_person and t_entity directly in a side: as some reporting tools write them
    for tag, build in ((f"{side}_person", _person), (f"{side}_entity", _entity),
                       ("t_person", _person), ("t_entity", _entity)):
        found = found_in.get(tag)
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
    # signatory up to schema 5.0; related_persons/account_related_person from 5.1 on
    related = child(account, "related_persons")
    signatories = children(account, "signatory") + (
        children(related, "account_related_person") if related is not None else [])
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
        # ssn holds national identity numbers of many forms; FollowTheMoney's
        # socialSecurityNumber keeps only the US form
        "country": f.get("residence"), "idNumber": [f.get("id_number"), f.get("ssn")],
        "passportNumber": f.get("passport_number"), "taxNumber": f.get("tax_number"),
        "email": f.get("email"),
        "position": f.get("occupation"), "phone": _phones(el), "address": _addresses(el),
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
        "phone": _phones(el), "address": _addresses(el),
    })


def _phones(el: etree._Element) -> list[str]:
    """``phones/phone`` as international numbers where the country prefix is given
    (FollowTheMoney keeps only numbers it can read as international)."""
    out = []
    phones = child(el, "phones")
    for phone in children(phones, "phone") if phones is not None else ():
        number = text(phone, "tph_number")
        if not number:
            continue
        prefix = (text(phone, "tph_country_prefix") or "").lstrip("+")
        if prefix.startswith("00"):
            prefix = prefix[2:]
        if prefix and not number.startswith("+"):
            number = f"+{prefix} {number.lstrip('0')}"
        out.append(number)
    return out


def _addresses(el: etree._Element) -> list[str]:
    """``addresses/address`` as one line each; also an ``address`` written without its
    ``addresses`` wrapper, as some reporting tools do."""
    out = []
    wrapper = child(el, "addresses")
    listed = children(wrapper, "address") if wrapper is not None else []
    for address in [*listed, *children(el, "address")]:
        f = fields(address)
        parts = [f.get(k) for k in ("address", "town", "city", "zip", "state", "country_code")]
        line = ", ".join(p for p in parts if p)
        if line:
            out.append(line)
    return out
