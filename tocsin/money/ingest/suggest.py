"""Suggest a column mapping for a transactions CSV or Excel file, and preview it.

:func:`sample` reads the header and the first rows of a file (guessing the
encoding, the separator and the header row of a CSV file, and from the file's last
few KiB the lines below the data that do not fit its columns); :func:`suggest`
looks at every column's header *and values* (dates in a dozen layouts, amounts
with a decimal point or comma, ISO 4217 currencies, IBANs, BICs, country codes,
account numbers, names) and picks the column of each field of the mapping
(:mod:`tocsin.money.ingest.mapping`). Header words are recognised in English,
German, French, Spanish, Italian, Dutch and Portuguese; the values decide when
the header says nothing. :func:`preview` converts the first rows with the same
code the import uses, so what it shows is what will be imported.

A :class:`Suggestion` is what a person corrects in the import form: one column
(or none) per field, a currency for files without a currency column, the date
layout and the decimal separator. :meth:`Suggestion.mapping` turns it into a
validated :class:`~tocsin.money.ingest.mapping.Mapping`, :meth:`Suggestion.yaml`
into the YAML file that automation keeps using.
"""

from __future__ import annotations

import copy
import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, cast

import yaml

from tocsin import limits, types
from tocsin.errors import InputError, Problem
from tocsin.i18n import N_, Message
from tocsin.money.ingest.amlworld import CURRENCIES as AMLWORLD_CURRENCIES
from tocsin.money.ingest.amlworld import is_multi_gnn, multi_gnn_refusal
from tocsin.money.ingest.base import Context, Problems, ProgressBar, signed_amount
from tocsin.money.ingest.mapping import Mapping, parse_mapping
from tocsin.money.rates import RateTable, resolve_rates

#: Share of a column's values that must fit a kind for the column to be of that kind.
MOST = 0.8
#: Rows read to recognise the columns.
SAMPLE_ROWS = 200
#: Bytes of a CSV file read for the sample.
SAMPLE_BYTES = 512 * 1024
#: Bytes at the end of a CSV file read to find the lines below the data (totals, balance).
TAIL_BYTES = 8 * 1024
#: At most this many lines below the data are suggested as ``footer_rows``.
MAX_FOOTER = 10

#: Every field the suggestion fills, by its mapping key, with the label people see.
FIELDS: dict[str, Message] = {
    "transaction.date": N_("Date"),
    "transaction.date.time": N_("Time of day (when the dates are days alone)"),
    "transaction.amount": N_("Amount"),
    "transaction.amount.debit": N_("Debits (when the amounts are in two columns)"),
    "transaction.amount.sign": N_("Debit or credit mark (Af/Bij, S/H, D/C)"),
    "transaction.currency": N_("Currency"),
    "transaction.id": N_("Transaction reference"),
    "transaction.channel": N_("Payment type"),
    "transaction.label": N_("Laundering label (1, true or yes marks a laundering payment)"),
    "transaction.pattern": N_("Laundering typology (of the payments the label marks)"),
    "source.account": N_("Payer's account"),
    "source.party.name": N_("Payer's name"),
    "source.bank": N_("Payer's bank"),
    "source.country": N_("Payer's country"),
    "target.account": N_("Payee's account"),
    "target.party.name": N_("Payee's name"),
    "target.bank": N_("Payee's bank"),
    "target.country": N_("Payee's country"),
}
REQUIRED = ("transaction.date", "transaction.amount")

#: ``strptime`` layouts tried on a date column, with how people read them.
DATE_FORMATS: dict[str, Message] = {
    "%Y-%m-%d": N_("year-month-day (2024-12-31)"),
    "%Y-%m-%d %H:%M:%S": N_("year-month-day hour:minute:second (2024-12-31 23:59:00)"),
    "%Y-%m-%d %H:%M": N_("year-month-day hour:minute (2024-12-31 23:59)"),
    "%Y-%m-%dT%H:%M:%S": N_("year-month-dayThour:minute:second (2024-12-31T23:59:00)"),
    "%Y/%m/%d": N_("year/month/day (2024/12/31)"),
    "%Y/%m/%d %H:%M": N_("year/month/day hour:minute (2024/12/31 23:59)"),
    "%d.%m.%Y": N_("day.month.year (31.12.2024)"),
    "%d.%m.%Y %H:%M": N_("day.month.year hour:minute (31.12.2024 23:59)"),
    "%d.%m.%y": N_("day.month.short year (31.12.24)"),
    "%d/%m/%Y": N_("day/month/year (31/12/2024)"),
    "%d/%m/%Y %H:%M": N_("day/month/year hour:minute (31/12/2024 23:59)"),
    "%d-%m-%Y": N_("day-month-year (31-12-2024)"),
    "%m/%d/%Y": N_("month/day/year (12/31/2024)"),
    "%m/%d/%Y %H:%M": N_("month/day/year hour:minute (12/31/2024 23:59)"),
    "%Y%m%d": N_("yearmonthday (20241231)"),
}
#: Decimal separators of amounts, with their thousands separator and label.
DECIMALS: dict[str, tuple[str | None, Message]] = {
    ".": (",", N_("point (1,234.56)")),
    ",": (".", N_("comma (1.234,56)")),
}
DELIMITERS: dict[str, Message] = {",": N_("comma"), ";": N_("semicolon"), "\t": N_("tab"),
                                  "|": N_("vertical bar")}

#: Currencies written as names, as the laundering data sets write them -> ISO 4217: AMLworld's
#: ("US Dollar", "UK Pound") and SAML-D's ("UK pounds", "Albanian lek"; its "Dirham" is the
#: UAE's, beside "Moroccan dirham"). Told case-insensitively; the mapping keeps the spelling.
CURRENCY_NAMES: dict[str, str] = {
    **AMLWORLD_CURRENCIES,
    "UK pounds": "GBP", "US dollar": "USD", "Indian rupee": "INR", "Pakistani rupee": "PKR",
    "Albanian lek": "ALL", "Dirham": "AED", "Moroccan dirham": "MAD", "Naira": "NGN",
    "Swiss franc": "CHF", "Turkish lira": "TRY",
}
#: Countries written as names or the short forms people use (SAML-D's bank locations:
#: "UK", "UAE", "Albania") -> ISO 3166-1 alpha-2, besides every country's ISO name and
#: common name; told case-insensitively.
COUNTRY_ALIASES: dict[str, str] = {
    "UK": "GB", "Great Britain": "GB", "England": "GB", "UAE": "AE", "USA": "US",
    "Turkey": "TR", "Russia": "RU", "South Korea": "KR", "North Korea": "KP", "Iran": "IR",
    "Syria": "SY", "Vietnam": "VN", "Bolivia": "BO", "Venezuela": "VE", "Tanzania": "TZ",
    "Moldova": "MD", "Laos": "LA", "Czech Republic": "CZ", "Ivory Coast": "CI",
}


@cache
def country_names() -> dict[str, str]:
    """Every country's ISO name and common name, and the aliases, as they are written: the
    mapping of a column of country names holds them all, since rows past the sample may name
    countries it did not. Made on first use (pycountry's list is not read at start-up)."""
    import pycountry

    names = dict(COUNTRY_ALIASES)
    for country in pycountry.countries:
        for name in (country.name, getattr(country, "common_name", None)):
            if name:
                names.setdefault(name, country.alpha_2)
    return names


def _by_name(kind: str) -> dict[str, str]:
    """The names of a ``currency-name`` or ``country-name`` column, as written."""
    return CURRENCY_NAMES if kind == "currency-name" else country_names()


@cache
def _told_without_case(kind: str) -> dict[str, str]:
    return {name.lower(): code for name, code in _by_name(kind).items()}


def _known_name(kind: str, text: str) -> str | None:
    """The code a name of ``kind`` stands for, told without case."""
    return _told_without_case(kind).get(text.lower())


#: A time of day without a date (SAML-D's ``Time`` beside its ``Date``).
_TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")

# Header words, accents removed and lower case. Long words match inside compound
# words (Empfängerkonto); words of three letters or fewer only as whole words.
_HINTS: dict[str, tuple[str, ...]] = {
    "date": ("date", "datum", "buchungstag", "buchung", "valuta", "wertstellung", "fecha",
             "data", "timestamp", "time", "day", "jour", "tag", "booked", "booking", "dia",
             "zeit", "when"),
    "amount": ("amount", "betrag", "montant", "importe", "importo", "bedrag", "valor",
               "summe", "sum", "umsatz", "paid", "somme", "quantia", "value", "eur"),
    "currency": ("currency", "wahrung", "waehrung", "devise", "moneda", "divisa", "valuta",
                 "munt", "moeda", "ccy", "cur", "curr"),
    "id": ("reference", "ref", "referenz", "id", "txn", "transaction id", "belegnummer",
           "referencia", "riferimento", "kenmerk", "numero", "number", "nr", "no"),
    "channel": ("type", "typ", "art", "channel", "method", "format", "mode", "canal", "tipo",
                "buchungsart", "kanal", "categorie", "category"),
    "bank": ("bank", "bic", "swift", "banque", "banco", "banca", "blz"),
    "country": ("country", "land", "pays", "pais", "paese", "nation", "staat", "location"),
    "name": ("name", "holder", "inhaber", "nom", "nombre", "nome", "naam", "titular",
             "titulaire", "client", "kunde", "customer", "person", "company"),
    "account": ("account", "iban", "konto", "compte", "cuenta", "conto", "rekening", "acct",
                "acc", "kontonummer", "conta"),
    # a labelled data set's answer (AMLworld's Is Laundering, SAML-D's Is_laundering,
    # PaySim's isFraud, AMLSim's is_sar) and its typology (SAML-D's Laundering_type)
    "label": ("laundering", "fraud", "sar", "suspicious", "label", "illicit"),
    "pattern": ("typology", "pattern", "laundering type", "fraud type", "scheme"),
}
#: The values of a column of laundering labels (yes/no, as the mapping's true_values read).
_FLAGS = frozenset({"0", "1", "true", "false", "yes", "no", "y", "n"})
_SIDES: dict[str, tuple[str, ...]] = {
    "source": ("from", "sender", "payer", "debtor", "debit", "originator", "ordering",
               "auftraggeber", "zahler", "absender", "von", "emetteur", "donneur", "ordonnateur",
               "payeur", "ordenante", "emisor", "remitente", "origen", "ordinante", "mittente",
               "van", "betaler", "opdrachtgever", "source", "orig", "remetente", "pagador",
               "debiteur", "schuldner", "sending", "zahlungspflichtig", "zahlungsbeteiligt"),
    "target": ("to", "receiver", "recipient", "payee", "beneficiary", "creditor", "credit",
               "empfanger", "empfaenger", "begunstigter", "beneficiaire", "destinataire",
               "beneficiario", "destinatario", "destino", "begunstigde", "ontvanger", "naar",
               "target", "dest", "counterparty", "gegenkonto", "contrepartie", "contraparte",
               "receiving", "glaubiger", "crediteur", "an", "a", "auftragskonto"),
}

#: Free text about a payment, never a party's name.
_PURPOSE = ("omschrijving", "verwendungszweck", "description", "purpose", "memo", "libelle",
            "concepto", "causale", "remittance", "motif", "zweck", "narrative", "details",
            "comment", "kommentar", "note")

_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BIC = re.compile(r"^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$")
_ACCOUNT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:/._-]{3,63}$")
_NAME = re.compile(r"^[^\W\d_][\w .,'&()/-]*$", re.UNICODE)
_POINT = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_COMMA = re.compile(r"^[-+]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
#: Marks of a debit (money out), each with its credit, in a column beside unsigned amounts.
_MARKS = {"AF": "BIJ", "S": "H", "D": "C", "DR": "CR", "DEBIT": "CREDIT", "DBIT": "CRDT",
          "DEBET": "CREDIT", "SOLL": "HABEN", "-": "+"}
#: Header words of a column of such marks, needed when the sample holds credits only.
_MARK_WORDS = ("af bij", "s h", "soll haben", "debit credit", "cd", "dc", "indicator", "sign",
               "cdtdbtind", "sens")
#: Header words of a column of debits and of a column of credits.
_DEBIT_WORDS = ("soll", "debit", "debet", "withdrawal", "paid out", "money out", "ausgang",
                "belastung", "uitgaven", "af", "cargo", "addebit")
_CREDIT_WORDS = ("haben", "credit", "deposit", "paid in", "money in", "eingang",
                 "gutschrift", "ontvangsten", "bij", "abono", "accredit")


def _clean_number(text: str) -> str:
    """An amount as the import reads it when undressed (:func:`signed_amount`), for the
    decimal forms to be told apart."""
    return signed_amount(text) or text


def _debit_marks(smp: Sample, column: str) -> list[str]:
    """The values of a sign column that mark a debit, as the file writes them; the debit
    mark of the pair even when the sample holds credits only."""
    if column not in smp.header:
        return []
    at = smp.header.index(column)
    values = {_text(row[at]) for row in smp.rows if at < len(row)} - {""}
    pairs = [(d, c) for d, c in _MARKS.items() if {v.upper() for v in values} <= {d, c}]
    if not values or not pairs:
        return []
    debit, _ = pairs[0]
    seen = sorted(v for v in values if v.upper() == debit)
    if seen:
        return seen
    if not _hint(column, _MARK_WORDS):
        return []  # one repeated value that could mean anything
    shown = next(iter(values))
    return [debit if shown.isupper() else debit.lower() if shown.islower() else debit.title()]


@dataclass
class Sample:
    """The header and first rows of a file, as text, with how the file is laid out."""

    name: str
    format: str  # "csv" or "xlsx"
    header: list[str]
    rows: list[list[Any]]
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    sheet: str | None = None
    header_row: int = 1
    #: The records below the data that do not fit its columns (totals, a closing
    #: balance), in file order, their fields joined by the delimiter and cut at 120
    #: characters, to be shown (CSV only).
    footer: list[str] = field(default_factory=list)


@dataclass
class Column:
    """What one column holds, as recognised from its header and values."""

    name: str
    kind: str  # date, amount, integer, currency, currency-name, iban, bic, country,
    #            country-name, account,
    #            name, text, empty
    examples: list[str]
    date_format: str | None = None
    decimal: str | None = None
    negative: bool = False
    unique: bool = False
    distinct: int = 0
    #: Every sampled row has a value.
    filled: bool = False

    @property
    def label(self) -> str:
        shown = ", ".join(self.examples[:2])
        if shown:
            return N_("%(column)s (e.g. %(examples)s)", column=self.name, examples=shown)
        return N_("%(column)s (empty)", column=self.name)


@dataclass
class Suggestion:
    """A column mapping a person can correct field by field."""

    sample: Sample
    columns: list[Column]
    #: mapping key -> column name (absent: not mapped).
    fields: dict[str, str] = field(default_factory=dict)
    #: The currency of every row when no column holds it.
    currency: str | None = None
    date_format: str | None = None
    decimal: str = "."
    negative_swaps: bool = True
    #: Why each field was chosen, by mapping key.
    reasons: dict[str, str] = field(default_factory=dict)
    #: Name of the saved mapping this suggestion came from, if any.
    saved_as: str | None = None
    #: The debit marks of a saved mapping's sign column (else read from the sample).
    debit_marks: list[str] = field(default_factory=list)
    #: A saved mapping's ``negative: abs`` (payer and payee columns that say the way).
    negative_abs: bool = False
    #: Records below the data left unread (the sample's footer, or a saved mapping's).
    footer_rows: int = 0
    #: The saved mapping this started from, as its YAML gives it: what the form does not
    #: show (filters, maps of values, defaults) is written back from it (:meth:`raw`).
    saved_raw: dict[str, Any] | None = None

    def _marks(self) -> list[str]:
        sign = self.fields.get("transaction.amount.sign")
        return (self.debit_marks or _debit_marks(self.sample, sign)) if sign else []

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def missing(self) -> list[Problem]:
        """What must still be chosen before the file can be imported, in plain words."""
        problems = []
        for key in REQUIRED:
            if key not in self.fields:
                problems.append(Problem(FIELDS[key], N_("choose the column that holds it")))
        if "transaction.currency" not in self.fields and not self.currency:
            problems.append(Problem(N_("Currency"), N_("choose its column or the currency of "
                                                       "every row")))
        for side in ("source", "target"):
            if f"{side}.account" not in self.fields and f"{side}.party.name" not in self.fields:
                problems.append(Problem(FIELDS[f"{side}.account"], N_(
                    "choose the column of the payer's account or of their name")
                    if side == "source" else N_(
                    "choose the column of the payee's account or of their name")))
        if "transaction.pattern" in self.fields and "transaction.label" not in self.fields:
            problems.append(Problem(FIELDS["transaction.pattern"], N_(
                "choose the column of laundering labels too: only the payments it marks "
                "carry a typology")))
        sign = self.fields.get("transaction.amount.sign")
        if sign is not None and not self._marks():
            problems.append(Problem(FIELDS["transaction.amount.sign"], N_(
                "its values are not debit and credit marks (e.g. Af/Bij, S/H, D/C)")))
        date_col = self.fields.get("transaction.date")
        column = self.column(date_col) if date_col else None
        if column is not None and column.kind != "date-native" and self.date_format is None \
                and not _all_iso(column.examples):
            problems.append(Problem(N_("Date layout"), N_("choose how the dates are written")))
        return problems

    def raw(self) -> dict[str, Any]:
        """The mapping as the YAML file writes it."""
        out: dict[str, Any] = {"format": self.sample.format}
        if self.sample.format == "csv":
            out["delimiter"] = self.sample.delimiter
            out["encoding"] = self.sample.encoding
        elif self.sample.sheet:
            out["sheet"] = self.sample.sheet
        out["header_row"] = self.sample.header_row
        if self.footer_rows:
            out["footer_rows"] = self.footer_rows
        out["decimal"] = self.decimal
        thousands = DECIMALS.get(self.decimal, (None, ""))[0]
        if thousands:
            out["thousands"] = thousands
        txn: dict[str, Any] = {}
        date_spec: dict[str, Any] = {"column": self.fields.get("transaction.date", "")}
        if self.date_format:
            date_spec["format"] = self.date_format
        if "transaction.date.time" in self.fields:
            date_spec["time"] = self.fields["transaction.date.time"]
        txn["date"] = date_spec
        txn["amount"] = {"column": self.fields.get("transaction.amount", ""),
                         "negative": "abs" if self.negative_abs else "swap"
                         if self.negative_swaps else "error"}
        if "transaction.amount.debit" in self.fields:
            txn["amount"]["debit"] = self.fields["transaction.amount.debit"]
        if "transaction.amount.sign" in self.fields:
            sign = self.fields["transaction.amount.sign"]
            txn["amount"]["sign"] = {"column": sign,
                                     "negative": self._marks()}
        txn["currency"] = (self._named_column(self.fields["transaction.currency"],
                                              "currency-name")
                           if "transaction.currency" in self.fields
                           else {"value": (self.currency or "").upper()})
        for key in ("id", "channel", "label", "pattern"):
            if f"transaction.{key}" in self.fields:
                txn[key] = self.fields[f"transaction.{key}"]
        out["transaction"] = txn
        for side in ("source", "target"):
            spec: dict[str, Any] = {}
            for key in ("account", "bank"):
                if f"{side}.{key}" in self.fields:
                    spec[key] = self.fields[f"{side}.{key}"]
            if f"{side}.country" in self.fields:
                spec["country"] = self._named_column(self.fields[f"{side}.country"],
                                                     "country-name")
            if f"{side}.party.name" in self.fields:
                spec["party"] = {"name": self.fields[f"{side}.party.name"]}
            out[side] = spec
        return _with_saved(out, self.saved_raw) if self.saved_raw else out

    def kept(self) -> list[Message]:
        """The saved mapping's parts the form does not show, written back as they are, in
        plain words for the page."""
        if not self.saved_raw:
            return []
        mine, saved = self.raw(), self.saved_raw
        return [label for key, label in _UNSHOWN.items() if _get(mine, key) is not None] + [
            N_("%(field)s: the values it maps", field=FIELDS[key]) for key in _SHOWN_SPECS
            if any(_get(saved, f"{key}.{part}") is not None
                   for part in ("map", "default", "true_values"))
            and _get(saved, f"{key}.column") == _get(mine, f"{key}.column")]

    def _named_column(self, name: str, kind: str) -> str | dict[str, Any]:
        """A column of names (currencies, countries) comes with the codes they stand for,
        each name as the sample writes it and as the table of such names does (for rows
        past the sample)."""
        column = self.column(name)
        if column is None or column.kind != kind:
            return name
        index = self.sample.header.index(name)
        seen = {_text(row[index]) for row in self.sample.rows if index < len(row)}
        found = {text: code for text in sorted(seen)
                 if (code := _known_name(kind, text)) is not None}
        return {"column": name, "map": {**_by_name(kind), **found}}

    def mapping(self) -> Mapping:
        """The validated mapping; :class:`InputError` says in plain words what is missing."""
        missing = self.missing()
        if missing:
            raise InputError(missing, summary=N_("the column mapping is not complete"))
        return parse_mapping(self.raw(), "column mapping")

    def yaml(self) -> str:
        self.mapping()
        return yaml.safe_dump(self.raw(), sort_keys=False, allow_unicode=True)

    def choose(self, fields: dict[str, str], *, currency: str | None = None,
               date_format: str | None = None, decimal: str | None = None,
               negative_swaps: bool | None = None) -> Suggestion:
        """A copy with a person's choices; every column must be one of the file's."""
        problems = []
        chosen: dict[str, str] = {}
        for key, column in fields.items():
            if key not in FIELDS:
                problems.append(Problem(key, N_("not a field of the mapping")))
            elif column:
                if column not in self.sample.header:
                    problems.append(Problem(FIELDS[key], N_("the file has no column %(column)s",
                                                               column=repr(column))))
                else:
                    chosen[key] = column
        if date_format and date_format not in DATE_FORMATS:
            problems.append(Problem(N_("Date layout"), N_(
                "%(layout)s is not one of the layouts offered", layout=repr(date_format))))
        if decimal is not None and decimal not in DECIMALS:
            problems.append(Problem(N_("Decimal separator"), N_("choose a point or a comma")))
        code = (currency or "").strip().upper() or None
        if code is not None and not types.currency.known(code):
            problems.append(Problem(N_("Currency"), N_(
                "%(code)s is not an ISO 4217 currency code (e.g. EUR)", code=repr(currency))))
        if problems:
            raise InputError(problems, summary=N_("the column mapping is not valid"))
        return replace(self, fields=chosen, currency=code,
                       date_format=date_format or None,
                       decimal=decimal if decimal is not None else self.decimal,
                       negative_swaps=self.negative_swaps if negative_swaps is None
                       else negative_swaps, reasons={}, saved_as=None,
                       debit_marks=self.debit_marks if chosen.get("transaction.amount.sign")
                       == self.fields.get("transaction.amount.sign") else [],
                       negative_abs=self.negative_abs and negative_swaps is None)


# -- reading the sample ---------------------------------------------------------------------


def sample(path: Path, *, rows: int = SAMPLE_ROWS, name: str | None = None) -> Sample:
    """Read the header and first ``rows`` rows of a CSV or Excel file."""
    path = Path(path)
    shown = name or path.name
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _sample_excel(path, rows, shown)
    try:
        with path.open("rb") as handle:
            data = handle.read(SAMPLE_BYTES)
    except OSError as exc:
        raise InputError.single(shown, N_("cannot read the file: %(why)s",
                                          why=exc.strerror)) from None
    if data.startswith(b"PK\x03\x04"):
        return _sample_excel(path, rows, shown)
    if not data.strip():
        raise InputError.single(shown, N_("the file is empty"))
    if b"\x00" in data[:4096]:
        raise InputError.single(shown, N_("this is not a text (CSV) or Excel file"))
    encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 4:  # not only a character cut by the sample's end
            encoding = "cp1252"
            text = data.decode(encoding, errors="replace")
        else:
            text = data[:exc.start].decode(encoding)
    if len(data) == SAMPLE_BYTES and "\n" in text:
        text = text[:text.rindex("\n")]  # drop the last, probably cut, line
    filled = [line for line in text.splitlines() if line.strip()]
    lines = filled[:rows + 20]
    if not lines:
        raise InputError.single(shown, N_("the file is empty"))
    delimiter = _delimiter(lines)
    records = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    widths = Counter(len(r) for r in records)
    width = widths.most_common(1)[0][0]
    if width < 2:
        raise InputError.single(shown, N_("cannot find columns in this file (is it a CSV file "
                                          "with a header line?)"))
    start = next(i for i, r in enumerate(records) if len(r) == width)
    header = [h.strip() for h in records[start]]
    # the header's line in the file: blank lines before it count too
    header_row = _line_of(text, lines[start]) if start else 1
    after = [r for r in records[start + 1:] if any(c.strip() for c in r)]
    body = [r for r in after if len(r) == width][:rows]
    footer = _footer(path, encoding, delimiter, width, body)
    if footer and len(data) < SAMPLE_BYTES and len(filled) == len(lines):
        # the sample holds the whole file: its last records are the footer's
        body = [r for r in after[:len(after) - len(footer)] if len(r) == width][:rows]
    return Sample(shown, "csv", _unique(header), body, delimiter=delimiter, encoding=encoding,
                  header_row=header_row, footer=footer)


def _footer(path: Path, encoding: str, delimiter: str, width: int,
            body: list[list[str]]) -> list[str]:
    """The records at the end of the file that do not fit the columns of ``body`` (fewer or
    more fields, no date or amount where every row of the body has one), as written.

    Only the last :data:`TAIL_BYTES` of the file are read. Nothing is suggested unless an
    ordinary row comes before them within :data:`MAX_FOOTER` records.
    """
    if not body:
        return []
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, io.SEEK_END)
            offset = max(0, size - TAIL_BYTES)
            handle.seek(offset)
            data = handle.read(TAIL_BYTES)
    except OSError:
        return []
    text = data.decode(encoding, errors="replace")
    try:
        records = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter)
                   if any(c.strip() for c in r)]
    except csv.Error:
        return []
    if offset:
        records = records[1:]  # the first may be the end of a line or of a quoted field
    columns: list[Column] = []
    rows = -1
    for back in range(1, min(len(records), MAX_FOOTER + 1) + 1):
        record = records[-back]
        # the rows of the sample, less the records from here down (when the sample holds
        # the whole file, they are in it); profiled again only when that leaves fewer
        rest = [r for r in body if r not in records[-back:]]
        if len(rest) != rows:
            rows = len(rest)
            columns = [profile(str(at), [row[at] for row in rest]) for at in range(width)]
        if _is_row(record, rest, columns):
            lines = [delimiter.join(r) for r in records[len(records) - back + 1:]]
            return [line if len(line) <= 120 else f"{line[:119]}…" for line in lines]
    return []


def _is_row(record: list[str], body: list[list[str]], columns: list[Column]) -> bool:
    """Whether ``record`` is a row of the data rather than a line below it: a date in each
    column where every row of ``body`` (profiled as ``columns``) has one; where the body
    has no dates, an amount where each row has one (in one of a column of debits and one
    of credits). A record of another length is a row cut short (refused by the import)
    when it still holds a date where the dates are."""
    if not body:
        return True  # nothing to compare with: nothing suggested
    dates = [_is_date(record[at], column) for at, column in enumerate(columns[:len(record)])
             if column.kind == "date" and column.filled]
    if len(record) != len(columns):
        return any(dates)
    if not all(dates):
        return False
    if dates:  # a payment without an amount is a row the import refuses by name, not a footer
        return True
    amounts = {at: _COMMA if column.decimal == "," else _POINT
               for at, column in enumerate(columns) if column.kind == "amount"}

    def has_amount(row: list[str]) -> bool:
        return any(pattern.match(_clean_number(row[at].strip()))
                   for at, pattern in amounts.items())

    return not amounts or has_amount(record) or not all(has_amount(row) for row in body)


def _is_date(value: str, column: Column) -> bool:
    try:
        if column.date_format:
            datetime.strptime(value.strip(), column.date_format)
        else:
            datetime.fromisoformat(value.strip())
    except ValueError:
        return False
    return True


def _line_of(text: str, line: str) -> int:
    for number, candidate in enumerate(text.splitlines(), start=1):
        if candidate == line:
            return number
    return 1


def _delimiter(lines: Sequence[str]) -> str:
    best, best_score = ",", -1.0
    for candidate in DELIMITERS:
        counts = [len(r) for r in csv.reader(io.StringIO("\n".join(lines[:50])),
                                             delimiter=candidate)]
        if not counts:
            continue
        common, times = Counter(counts).most_common(1)[0]
        if common < 2:
            continue
        score = times / len(counts) * 10 + min(common, 30) / 30
        if score > best_score:
            best, best_score = candidate, score
    return best


def _unique(header: list[str]) -> list[str]:
    """Empty or repeated header cells get a name of their own (the importer needs one)."""
    seen: Counter[str] = Counter()
    out = []
    for i, name in enumerate(header, start=1):
        name = name or f"Column {i}"
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _sample_excel(path: Path, rows: int, shown: str) -> Sample:
    from openpyxl import load_workbook

    limits.check_archive(path, shown, kind=".xlsx workbook")
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InputError.single(shown, N_("cannot open the workbook (%(why)s)",
                                          why=str(exc))) from None
    try:
        found: list[tuple[Any, ...]] = []
        header_row = 1
        title = ""
        for sheet in book.worksheets:  # the first sheet with a table (not a cover sheet)
            title = sheet.title
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                filled = [v for v in values if v not in (None, "")]
                if not found and len(filled) < 2:
                    continue
                if not found:
                    header_row = number
                found.append(values)
                if len(found) > rows:
                    break
            if found:
                break
    finally:
        book.close()
    if not found:
        raise InputError.single(shown, N_("no sheet has a table with a header row"))
    header = [str(h).strip() if h is not None else "" for h in found[0]]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    body = [list(r[:width]) + [None] * (width - len(r)) for r in found[1:]
            if any(v not in (None, "") for v in r)]
    return Sample(shown, "xlsx", _unique(header), body, sheet=title,
                  header_row=header_row)


# -- recognising columns --------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _all_iso(values: Sequence[str]) -> bool:
    try:
        for value in values:
            datetime.fromisoformat(value)
    except ValueError:
        return False
    return bool(values)


def _most(ok: Sequence[bool]) -> bool:
    """At least :data:`MOST` of the values fit (a few bad cells do not hide a column)."""
    return bool(ok) and sum(ok) >= MOST * len(ok)


def _date_format(values: Sequence[str]) -> str | None:
    """The layout most values match (day first before month first on a tie)."""
    best, best_count = None, 0
    for fmt in DATE_FORMATS:
        count = 0
        for value in values:
            try:
                datetime.strptime(value, fmt)
            except ValueError:
                continue
            count += 1
        if count > best_count:
            best, best_count = fmt, count
    return best if values and best_count >= MOST * len(values) else None


def _number_style(values: Sequence[str]) -> str | None:
    """``"."`` or ``","`` when every value is a number written that way, else ``None``."""
    cleaned = [_clean_number(v) for v in values]
    point = _most([bool(_POINT.match(v)) for v in cleaned])
    comma = _most([bool(_COMMA.match(v)) for v in cleaned])
    if point and comma:
        # only 1,234 or 1.234 or integers: a separator followed by three digits is thousands
        if any(re.search(r",\d{1,2}$", v) for v in cleaned):
            return ","
        if any(re.search(r"\.\d{1,2}$", v) for v in cleaned):
            return "."
        if any("," in v for v in cleaned):
            return "."  # 1,234 = thousands with a point decimal
        if any("." in v for v in cleaned):
            return ","
        return "."
    return "." if point else "," if comma else None


def _iban_ok(value: str) -> bool:
    text = value.replace(" ", "").upper()
    if not _IBAN.match(text):
        return False
    moved = text[4:] + text[:4]
    digits = "".join(str(int(c, 36)) for c in moved)
    return int(digits) % 97 == 1


def profile(name: str, values: Sequence[Any]) -> Column:
    """What one column holds, from its values."""
    natives = [v for v in values if v not in (None, "")]
    texts = [_text(v) for v in natives]
    texts = [t for t in texts if t]
    examples = list(dict.fromkeys(texts))[:3]
    distinct = len(set(texts))
    column = Column(name, "empty", examples, unique=bool(texts) and distinct == len(texts),
                    distinct=distinct, filled=bool(texts) and len(texts) == len(values))
    if not texts:
        return column
    if all(isinstance(v, datetime | date) for v in natives):
        column.kind = "date-native"
        return column
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in natives):
        integral = all(float(v).is_integer() for v in natives)
        column.kind = "integer" if integral else "amount"
        column.decimal = "."
        column.negative = any(v < 0 for v in natives)
        return column
    upper = [t.upper() for t in texts]
    if all(_TIME_OF_DAY.match(t) for t in texts):
        column.kind = "time"
    elif _most([len(t) == 3 and types.currency.known(t) for t in upper]):
        column.kind = "currency"
    elif _most([_known_name("currency-name", t) is not None for t in texts]):
        column.kind = "currency-name"
    elif _most([len(t) == 2 and types.country.known(t) for t in upper]):
        column.kind = "country"
    elif _most([_known_name("country-name", t) is not None for t in texts]):
        column.kind = "country-name"
    elif _most([_iban_ok(t) for t in texts]):
        column.kind = "iban"
    elif _most([bool(_BIC.match(t)) for t in upper]) and any(len(t) in (8, 11) for t in upper):
        column.kind = "bic"
    elif (fmt := _date_format(texts)) is not None:
        column.kind, column.date_format = "date", fmt
    elif _all_iso(texts):
        column.kind = "date"
    elif (style := _number_style(texts)) is not None:
        cleaned = [_clean_number(t) for t in texts]
        sep = style
        has_decimals = any(re.search(rf"\{sep}\d+$", v) for v in cleaned)
        long_ids = _most([len(v.lstrip("+-")) >= 8 and v.lstrip("+-").isdigit()
                          for v in cleaned])
        column.kind = "amount" if has_decimals else "account" if long_ids else "integer"
        column.decimal = style
        column.negative = any(v.startswith("-") for v in cleaned)
    elif _most([bool(_ACCOUNT.match(t)) and any(c.isdigit() for c in t) for t in texts]):
        column.kind = "account"
    elif _most([bool(_NAME.match(t)) for t in texts]):
        column.kind = "name"
    else:
        column.kind = "text"
    few = distinct <= max(3, len(texts) // 5)
    if column.kind in ("name", "text") and few and all(len(t) <= 24 for t in texts) \
            and not (column.kind == "name" and any(" " in t for t in texts)):
        column.kind = "category"
    return column


def _words(header: str) -> tuple[str, set[str]]:
    plain = unicodedata.normalize("NFKD", header.replace("ß", "ss"))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    # split camelCase and compound markers before the word split
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", header)
    spaced = unicodedata.normalize("NFKD", spaced.replace("ß", "ss"))
    spaced = "".join(c for c in spaced if not unicodedata.combining(c)).lower()
    return plain, set(re.split(r"[^a-z0-9]+", spaced)) - {""}


def _hint(header: str, words: tuple[str, ...]) -> bool:
    plain, tokens = _words(header)
    spaced = " ".join(re.split(r"[^a-z0-9]+", plain))  # "Laundering_type": laundering type
    for word in words:
        if len(word) <= 3 or " " in word:
            if word in tokens or (" " in word and word in spaced):
                return True
        elif word in plain:
            return True
    return False


def _side(header: str) -> str | None:
    source = _hint(header, _SIDES["source"])
    target = _hint(header, _SIDES["target"])
    if source == target:
        return None
    return "source" if source else "target"


def _score(key: str, column: Column, header: str, side: str | None) -> float:
    """How well ``column`` fits field ``key``; 0 when it cannot hold it."""
    kind = column.kind
    role = key.rsplit(".", 1)[-1]
    named = _hint(header, _HINTS[role])
    score = 0.0
    if role == "date":
        score = 10 if kind in ("date", "date-native") else 0
    elif role == "amount":
        score = 8 if kind == "amount" else 3 if kind == "integer" and named else 0
    elif role == "currency":
        score = 10 if kind in ("currency", "currency-name") else 0
    elif role == "account":
        score = 9 if kind == "iban" else 5 if kind in ("account", "integer") else 0
        if kind != "iban" and _hint(header, _HINTS["bank"]):
            score = 0  # "BIC Auftragskonto": the bank of an account, not the account
        if kind == "integer" and not named:
            score = 0
    elif role == "name":
        # a column of names or text counts only when its header names a party or a side
        # (a free-text purpose column holds words too)
        # ("Naam / Omschrijving" names the party first)
        purpose = _hint(header, _PURPOSE) and not named
        score = 0 if purpose else 2 if kind == "name" else 1 if kind == "text" else 0
        # a header naming both sides ("Auftraggeber/Empfänger") names a party all the same
        named = named or _hint(header, _SIDES["source"] + _SIDES["target"])
    elif role == "bank":
        score = 8 if kind == "bic" else 3 if kind in ("account", "integer", "name",
                                                       "text") and named else 0
    elif role == "country":
        # two letters that are a country code only by chance (ING "Code": GT, BA) without
        # a header word for it are not taken
        score = 8 if kind in ("country", "country-name") and named else 0
    elif role == "id":
        # a reference some rows lack (a creditor ID) repeats over a whole file
        score = 3 if column.unique and column.filled and kind in ("account", "integer",
                                                                  "text") else 0
    elif role == "channel":
        score = 3 if kind in ("category", "name") and column.distinct <= 12 else 0
    elif role == "label":
        # only under a header that says so: a column of 0 and 1 alone could be anything
        flags = column.distinct <= 2 and {e.lower() for e in column.examples} <= _FLAGS
        score = 6 if flags and named else 0
    elif role == "pattern":
        score = 6 if named and kind in ("category", "name", "text") else 0
    if score and named:
        score += 4
    if key.startswith(("source.", "target.")) and score:
        wanted = key.split(".", 1)[0]
        if side is not None and side != wanted:
            return 0
        score += 3 if side == wanted else 0
    return score


def suggest(source: Sample | Path, *, currency: str = "EUR") -> Suggestion:
    """The mapping that fits the sample best; ``currency`` when no column holds one."""
    smp = source if isinstance(source, Sample) else sample(source)
    if is_multi_gnn(",".join(smp.header)):
        raise multi_gnn_refusal(f"{smp.name}:{smp.header_row}")
    columns = [profile(name, [row[i] if i < len(row) else None for row in smp.rows])
               for i, name in enumerate(smp.header)]
    sides = [_side(c.name) for c in columns]
    # a column whose header names no side: the first of its kind pays, the next receives
    order: dict[str, int] = {}
    unsided: list[str | None] = []
    for column, side in zip(columns, sides, strict=True):
        if side is None and column.kind in ("iban", "account", "name", "bic", "country"):
            seen = order.get(column.kind, 0)
            order[column.kind] = seen + 1
            unsided.append("source" if seen == 0 else "target" if seen == 1 else None)
        else:
            unsided.append(None)
    candidates = []
    for key in FIELDS:
        if key.startswith(("transaction.amount.", "transaction.date.")):
            continue  # told by the header words and the values together: _statement, _time
        for i, column in enumerate(columns):
            score = _score(key, column, column.name, sides[i])
            if score and sides[i] is None and unsided[i] is not None \
                    and key.startswith(("source.", "target.")):
                score += 1 if key.startswith(unsided[i] or "") else 0
            if score >= 4:
                candidates.append((score, -i, key, column))
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    fields: dict[str, str] = {}
    reasons: dict[str, str] = {}
    used: set[str] = set()
    for _, _, key, column in candidates:
        if key in fields or column.name in used:
            continue
        fields[key] = column.name
        used.add(column.name)
        reasons[key] = (N_("each row has a value of its own") if key == "transaction.id"
                        else N_("its header names it, and its values are yes or no")
                        if key == "transaction.label" else _reason(column))
    _statement(smp, columns, fields, reasons)
    date_col = next((c for c in columns if c.name == fields.get("transaction.date")), None)
    _time(date_col, columns, fields, reasons)
    amount_col = next((c for c in columns if c.name == fields.get("transaction.amount")), None)
    date_format = date_col.date_format if date_col is not None else None
    decimal = amount_col.decimal if amount_col is not None and amount_col.decimal else "."
    return Suggestion(
        sample=smp, columns=columns, fields=fields,
        currency=None if "transaction.currency" in fields else currency.upper(),
        date_format=date_format, decimal=decimal, negative_swaps=True, reasons=reasons,
        footer_rows=len(smp.footer))


def _time(date_col: Column | None, columns: list[Column], fields: dict[str, str],
          reasons: dict[str, str]) -> None:
    """The time of day from a column of its own, when the date column holds days alone."""
    if date_col is None or "%H" in (date_col.date_format or "%H"):
        return  # no date, or one with its time (or ISO, which may carry it)
    used = set(fields.values())
    times = [c for c in columns if c.kind == "time" and c.name not in used]
    if len(times) == 1:
        fields["transaction.date.time"] = times[0].name
        reasons["transaction.date.time"] = _reason(times[0])


def _statement(smp: Sample, columns: list[Column], fields: dict[str, str],
               reasons: dict[str, str]) -> None:
    """The statement of one account: debits and credits in two columns, or unsigned
    amounts beside a debit/credit mark. Amounts then count as money into the account,
    so the side whose account never changes is the payee."""
    amounts = [c for c in columns if c.kind == "amount"]
    debits = [c for c in amounts if _hint(c.name, _DEBIT_WORDS)]
    credits = [c for c in amounts if _hint(c.name, _CREDIT_WORDS) and c not in debits]
    statement = False
    if len(debits) == 1 and len(credits) == 1:
        fields["transaction.amount"] = credits[0].name
        fields["transaction.amount.debit"] = debits[0].name
        reasons["transaction.amount"] = N_("the values are amounts credited")
        reasons["transaction.amount.debit"] = N_("the values are amounts debited")
        statement = True
    elif "transaction.amount" in fields:
        used = set(fields.values())
        mark = next((c.name for c in columns if c.name not in used
                     and _debit_marks(smp, c.name)), None)
        if mark is not None:
            fields["transaction.amount.sign"] = mark
            reasons["transaction.amount.sign"] = N_("the values are debit and credit marks")
            statement = True
    if not statement:
        return
    amount_keys = ("transaction.amount", "transaction.amount.debit", "transaction.amount.sign")
    taken = {fields[k] for k in amount_keys if k in fields}
    for key in [k for k, c in fields.items() if c in taken and k not in amount_keys]:
        del fields[key]  # a column of amounts or marks holds nothing else
        reasons.pop(key, None)
    by_name = {c.name: c for c in columns}
    accounts = [fields.get(f"{side}.account") for side in ("source", "target")]
    constant = [a is not None and by_name[a].distinct == 1 for a in accounts]
    if constant.count(True) != 1:
        return  # no own account told apart from the counterparties'
    # the columns that never change are the own account's (the payee); the others are
    # the counterparty's (the payer)
    sided = {k: c for k, c in fields.items() if k.startswith(("source.", "target."))}
    moved: dict[str, str] = {}
    for key, column in sorted(sided.items(), key=lambda kc: kc[0].startswith("target.")):
        side = "target" if by_name[column].distinct == 1 else "source"
        new = f"{side}.{key.split('.', 1)[1]}"
        if new not in moved:
            moved[new] = key
    for key in sided:
        del fields[key]
    reasons.update({new: reasons.pop(old, "") for new, old in moved.items()})
    fields.update({new: sided[old] for new, old in moved.items()})


#: What a column's values were recognised as, for the hint under a suggested field.
_KIND_REASONS = {
    "date": N_("the values are dates"), "date-native": N_("the values are dates"),
    "amount": N_("the values are amounts"), "integer": N_("the values are whole numbers"),
    "currency": N_("the values are ISO 4217 currency codes"),
    "currency-name": N_("the values are currency names"),
    "country-name": N_("the values are names of countries"),
    "time": N_("the values are times of day"),
    "country": N_("the values are ISO country codes"),
    "iban": N_("the values are IBANs with a valid checksum"),
    "bic": N_("the values are BICs"), "account": N_("the values are account numbers"),
    "name": N_("the values are names"), "category": N_("the values are a few repeated values"),
    "text": N_("the values are text"),
}


def _reason(column: Column) -> str:
    return _KIND_REASONS.get(column.kind) or N_("the values are %(kind)s", kind=column.kind)


def from_mapping(smp: Sample, mapping: Mapping, name: str | None = None) -> Suggestion:
    """The suggestion a saved mapping gives for this sample (its columns must exist)."""
    missing = [(key, col) for key, col in mapping.columns().items() if col not in smp.header]
    if missing:
        shown = ", ".join(f"{col!r}" for _, col in missing[:5])
        raise InputError.single(name or "saved mapping",
                                N_("the file has no column %(column)s", column=shown))
    columns = [profile(h, [row[i] if i < len(row) else None for row in smp.rows])
               for i, h in enumerate(smp.header)]
    fields = {key: col for key, col in mapping.columns().items() if key in FIELDS}
    txn = mapping.transaction
    currency = txn.currency.value if txn.currency.value is not None else None
    return Suggestion(sample=smp, columns=columns, fields=fields, currency=currency,
                      date_format=txn.date.format, decimal=mapping.decimal,
                      negative_swaps=txn.amount.negative == "swap",
                      reasons={key: f"saved mapping {name}" for key in fields} if name else {},
                      saved_as=name,
                      debit_marks=list(txn.amount.sign.negative) if txn.amount.sign else [],
                      negative_abs=txn.amount.negative == "abs",
                      footer_rows=mapping.footer_rows or len(smp.footer),
                      saved_raw=mapping.model_dump(mode="json", by_alias=True,
                                                   exclude_defaults=True))


#: Keys of a mapping the form does not set: a saved mapping's are written back as they are.
_UNSHOWN: dict[str, Message] = {
    "filters": N_("the rows it leaves out (filters)"),
    "source.kind": N_("the payer's kind of account"),
    "target.kind": N_("the payee's kind of account"),
    "source.party.schema": N_("the payer's kind of party"),
    "source.party.country": N_("the payer's nationality or seat"),
    "source.party.id_number": N_("the payer's identification number"),
    "target.party.schema": N_("the payee's kind of party"),
    "target.party.country": N_("the payee's nationality or seat"),
    "target.party.id_number": N_("the payee's identification number"),
}
#: Fields the form sets by their column; a saved mapping's map of values and default for
#: one stay while its column does.
_SHOWN_SPECS = tuple(key for key in FIELDS if not key.startswith(
    ("transaction.amount.", "transaction.date.")))


def _get(raw: dict[str, Any], key: str) -> Any:
    for part in key.split("."):
        if not isinstance(raw, dict) or part not in raw:
            return None
        raw = raw[part]
    return raw


def _with_saved(mine: dict[str, Any], saved: dict[str, Any]) -> dict[str, Any]:
    """The form's mapping with what it does not show taken from the saved one: a web
    import with a saved mapping of labels, filters or maps of values lost them."""
    out = copy.deepcopy(mine)
    for key in _UNSHOWN:
        value = _get(saved, key)
        *parents, last = key.split(".")
        holder = _get(out, ".".join(parents)) if parents else out
        if value is not None and isinstance(holder, dict):
            holder[last] = copy.deepcopy(value)
    for key in _SHOWN_SPECS:
        *parents, last = key.split(".")
        holder, theirs = _get(out, ".".join(parents)), _get(saved, key)
        if not isinstance(holder, dict) or last not in holder or not isinstance(theirs, dict):
            continue
        spec = holder[last]
        spec = {"column": spec} if isinstance(spec, str) else dict(spec)
        if not spec.get("column") or spec["column"] != theirs.get("column"):
            continue  # another column than the saved one's: its map is not for it
        extra = {part: theirs[part] for part in ("default", "true_values") if part in theirs}
        if "map" in theirs:
            extra["map"] = {**spec.get("map", {}), **theirs["map"]}
        if extra:
            holder[last] = {**spec, **extra}
    return out


def fits(smp: Sample, mapping: Mapping) -> bool:
    """Whether every column ``mapping`` reads is in the sample's header."""
    return all(col in smp.header for col in mapping.columns().values())


# -- preview --------------------------------------------------------------------------------


@dataclass
class Preview:
    """The first rows as they will be imported, and the problems found in the rows read."""

    rows: list[dict[str, Any]]
    problems: list[Problem]
    checked: int


def preview(path: Path, mapping: Mapping, *, rows: int = 10, check: int = 1000,
            base_currency: str = "EUR", rates: RateTable | Path | None = None,
            name: str | None = None) -> Preview:
    """Convert up to ``check`` rows with the importer's own code; return the first ``rows``.

    Problems name the row as the user knows the file (``name``, default the
    file's name) and the field by its label.
    """
    from tocsin.money.ingest import tabular

    path = Path(path)
    shown = name or path.name
    table = resolve_rates(rates, base_currency)
    ctx = Context(writer=cast(Any, None), rates=table, base_currency=table.base,
                  problems=Problems(limit=50), progress=ProgressBar(False),
                  mapping=Path("column mapping"))
    state = tabular._State(ctx, mapping)
    names: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    checked = 0
    for row in tabular._rows(path, mapping, state):
        if ctx.problems.full:
            break
        if not tabular._keep(row, mapping.filters):
            continue
        checked += 1
        before = len(state.rows)
        tabular._convert(row, state)
        if len(state.rows) > before and len(out) < rows:
            out.append(dict(state.rows[-1]))
        if len(state.rows) > 10_000:
            state.rows.clear()
        if checked >= check:
            break
    for party in state.book.rows():
        names[f"party:{party['party_id']}"] = str(party["name"])
    holders = {acc: names.get(f"party:{info['party_id']}", "")
               for acc, info in state.accounts.items() if info.get("party_id")}
    for item in out:
        for side in ("source", "target"):
            account = item[side]
            item[f"{side}_name"] = names.get(account) or holders.get(account, "")
            item[f"{side}_account"] = "" if account.startswith("party:") else account
    problems = [_plain(p, str(path), shown) for p in ctx.problems.as_list()]
    if checked == 0 and not problems:
        problems.append(Problem(shown, N_("no rows to import under the header")))
    return Preview(out, problems, checked)


def _plain(problem: Problem, path: str, shown: str) -> Problem:
    """A problem named as the person knows the file and the fields."""
    location = problem.location.replace(path, shown)
    if location.startswith("column mapping: "):
        location = FIELDS.get(location.removeprefix("column mapping: "), location)
    reason = problem.reason
    for key, label in sorted(FIELDS.items(), key=lambda kv: -len(kv[0])):
        if reason.startswith(f"{key}:"):
            reason = f"{label}:{reason[len(key) + 1:]}"
            break
    reason = reason.replace(" (set amount.negative: swap if it means money flowing the "
                            "other way)", "")
    for fmt, label in sorted(DATE_FORMATS.items(), key=lambda kv: -len(kv[0])):
        if reason.endswith(f"does not match {fmt}"):
            reason = reason[:-len(fmt)] + label
            break
    else:
        reason = reason.replace("does not match ISO 8601", "is not a date like 2024-12-31")
    return Problem(location, reason)
