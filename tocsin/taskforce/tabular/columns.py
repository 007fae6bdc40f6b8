"""The columns of the activities table (CSV and Excel), and how each cell reads and writes.

Lists go in compact cells: entries separated by ``;``, the parts of an entry by
``:`` (shares, finance) or ``|`` (partners). A ``\\`` escapes a separator inside
a name. Results and documents are not part of the table; a table import keeps
the ones an existing activity already has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from tocsin.i18n import N_, Message
from tocsin.taskforce.programmes.spec import (
    ActivitySpec,
    FinanceSpec,
    ParticipantSpec,
    RegionSpec,
    ShareSpec,
    format_amount,
    format_decimal,
)
from tocsin.types.base import is_digits

# the one spreadsheet formula rule of every export, re-exported for the table files
from tocsin.types.cells import FORMULA_START as FORMULA_START
from tocsin.types.cells import neutralise as neutralise
from tocsin.types.cells import restore as restore


class CellError(ValueError):
    """A cell cannot be read; the message says why in plain words."""


def _said(exc: CellError) -> str:
    """The reason as raised (a message translated where shown), else its text."""
    said = exc.args[0] if exc.args else ""
    return said if isinstance(said, str) else str(exc)


@dataclass(frozen=True)
class Column:
    """A column of the table; ``meaning`` and ``format`` are messages (the template's help
    sheet is written in the language of who asks for it), ``name`` is what the file reads."""

    name: str
    meaning: str
    format: str
    required: bool = False
    #: Which vocabulary lists the allowed codes (``crime_areas``, ``countries`` …).
    codes: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("identifier", N_("IATI activity identifier, unique in the platform"),
           N_("text, e.g. XM-OSCE-2024-001"), required=True),
    Column("level", N_("Place in the hierarchy"), "programme | project | activity",
           required=True),
    Column("parent_identifier", N_("Identifier of the programme or project above it"),
           N_("text (empty for a programme)")),
    Column("title", N_("Title"), N_("text, at most 500 characters"), required=True),
    Column("description", N_("General description"), N_("text")),
    Column("implementing_structure", N_("Structure of the organization that implements it"),
           N_("structure code"), codes="structures"),
    Column("status", N_("IATI activity status"),
           N_("1 pipeline, 2 implementation, 3 finalisation, 4 closed, 5 cancelled, "
              "6 suspended"), required=True),
    Column("planned_start", N_("Planned start"),
           N_("YYYY-MM-DD (a planned or actual start is required)")),
    Column("planned_end", N_("Planned end"), "YYYY-MM-DD"),
    Column("actual_start", N_("Actual start"), "YYYY-MM-DD"),
    Column("actual_end", N_("Actual end"), "YYYY-MM-DD"),
    Column("reporting_org_ref", N_("IATI identifier of the reporting organisation"),
           N_("text, e.g. XM-OSCE"), required=True),
    Column("reporting_org_name", N_("Name of the reporting organisation"), N_("text")),
    Column("reporting_org_type", N_("IATI organisation type of the reporting organisation"),
           N_("code, e.g. 40 (multilateral)")),
    Column("is_external", N_("A partner's activity rather than the organization's own"),
           "yes | no"),
    Column("language", N_("Language of the texts"), N_("ISO 639-1 code, e.g. en")),
    Column("default_currency", N_("Currency used when a figure names none"),
           N_("ISO 4217 code")),
    Column("handling", N_("TLP handling code"),
           N_("CLEAR | GREEN | AMBER | AMBER+STRICT | RED (empty: GREEN, or unchanged for an "
              "existing activity)")),
    Column("owner_unit", N_("Unit that owns the record"),
           N_("unit code (empty: the implementing structure's unit)"), codes="units"),
    Column("participants", N_("Partners and their IATI roles"),
           N_("role|organization code|IATI org ref|name|IATI org type; ... - role 1 funding, "
              "2 accountable, 3 extending, 4 implementing; e.g. 1||XX-DONOR|A donor|10;4|unodc"),
           codes="organizations"),
    Column("countries", N_("Recipient countries with percentage shares"),
           N_("code:percentage; ... e.g. AL:60;RS:40 (percentages add up to 100, or none "
              "given)"), codes="countries"),
    Column("regions", N_("Recipient regions with shares; countries and the regions of each "
                         "vocabulary together add up to 100"),
           N_("code:percentage for an OECD-DAC region, vocabulary:code:percentage for the "
              "others (2 UN M49, 99 the reporting organisation's own); ... e.g. "
              "89:20;2:150:20")),
    Column("crime_areas", N_("Crime areas with shares"), N_("code:percentage; ..."),
           codes="crime_areas"),
    Column("stages", N_("Justice-chain stages with shares"), N_("code:percentage; ..."),
           codes="stages"),
    Column("budget", N_("Budget per year"),
           N_("year:currency:amount; ... e.g. 2024:EUR:150000")),
    Column("commitments", N_("Commitments (IATI transaction type 2) per year"),
           N_("year:currency:amount; ...")),
    Column("expenditure", N_("Expenditure (IATI transaction type 4) per year"),
           N_("year:currency:amount; ...")),
    Column("version", N_("Which version of the activity the row was exported from, so that an "
                         "import can tell what was changed in the platform since"),
           N_("a number written by the export: leave it as it is (empty for a new "
              "activity)")),
)
NAMES = tuple(c.name for c in COLUMNS)



# --- compact lists ----------------------------------------------------------------------


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace("|", "\\|")
            .replace(":", "\\:"))


def split(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside ``\\`` escapes, unescaping the parts."""
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        raise CellError(N_("the cell ends with a lone '\\'"))
    parts.append("".join(current))
    return parts


def _entries(text: str) -> list[str]:
    """Entries of a list cell, still escaped for the inner separator."""
    out, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ";":
            out.append("".join(current))
            current = []
        else:
            current.append(char)
    out.append("".join(current))
    return [e.strip() for e in out if e.strip()]


#: Whole digits a number may have: amounts are stored as NUMERIC(18, 2), and larger values
#: would overflow the decimal context when rounded to cents.
MAX_WHOLE_DIGITS = 16


def _decimal(text: str, what: Message) -> Decimal:
    shown = repr(text.strip() if len(text.strip()) <= 40 else text.strip()[:37] + "...")
    try:
        value = Decimal(text.strip().replace(" ", ""))
    except InvalidOperation:
        raise CellError(N_("%(what)s %(value)s is not a number", what=what,
                           value=shown)) from None
    if not value.is_finite():
        raise CellError(N_("%(what)s %(value)s is not a finite number", what=what,
                           value=shown))
    if value and value.adjusted() >= MAX_WHOLE_DIGITS:
        raise CellError(N_("%(what)s %(value)s has more than %(digits)s digits before the point",
                           what=what, value=shown, digits=MAX_WHOLE_DIGITS))
    return value


def parse_shares(text: str, upper: bool = False) -> list[ShareSpec]:
    shares = []
    for entry in _entries(text):
        code, *rest = split(entry, ":")
        if len(rest) > 1:
            raise CellError(N_("%(entry)s has more than one ':'; write code:percentage",
                               entry=repr(entry)))
        code = code.strip().upper() if upper else code.strip()
        percentage = _decimal(rest[0], N_("percentage of %(code)s", code=code)) if rest else None
        shares.append(ShareSpec(code=code, percentage=percentage))
    return shares


def format_shares(shares: list[ShareSpec]) -> str:
    return ";".join(_escape(s.code) + (f":{format_decimal(s.percentage)}"
                                        if s.percentage is not None else "") for s in shares)


def parse_regions(text: str) -> list[RegionSpec]:
    """``code[:percentage]`` (OECD-DAC, vocabulary 1) or ``vocabulary:code:[percentage]``."""
    regions = []
    for entry in _entries(text):
        parts = [p.strip() for p in split(entry, ":")]
        if len(parts) > 3:
            raise CellError(N_("%(entry)s has more than two ':'; write code:percentage or "
                               "vocabulary:code:percentage", entry=repr(entry)))
        if len(parts) == 3:
            vocabulary, code, share = parts
        else:
            vocabulary, code, share = "1", parts[0], parts[1] if len(parts) == 2 else ""
        if not is_digits(vocabulary):
            raise CellError(N_("region vocabulary %(vocabulary)s in %(entry)s is not a number "
                               "(1 OECD-DAC, 2 UN M49, 99 own)", vocabulary=repr(vocabulary),
                               entry=repr(entry)))
        percentage = (_decimal(share, N_("percentage of region %(code)s", code=code))
                      if share else None)
        regions.append(RegionSpec(vocabulary=vocabulary, code=code, percentage=percentage))
    return regions


def format_regions(regions: list[RegionSpec]) -> str:
    """The inverse of :func:`parse_regions`; OECD-DAC regions keep the short form."""
    entries = []
    for r in regions:
        share = format_decimal(r.percentage) if r.percentage is not None else ""
        if r.vocabulary == "1":
            entries.append(_escape(r.code) + (f":{share}" if share else ""))
        else:
            entries.append(f"{_escape(r.vocabulary)}:{_escape(r.code)}:{share}")
    return ";".join(entries)


def parse_finance(text: str, kind: str) -> list[FinanceSpec]:
    lines = []
    for entry in _entries(text):
        parts = split(entry, ":")
        if len(parts) != 3:
            raise CellError(N_("%(entry)s is not year:currency:amount", entry=repr(entry)))
        year, currency, amount = (p.strip() for p in parts)
        if not is_digits(year):
            raise CellError(N_("year %(year)s is not a number", year=repr(year)))
        lines.append(FinanceSpec(year=int(year), kind=kind, currency=currency,
                                 amount=_decimal(amount, N_("amount for %(year)s", year=year))))
    return lines


def format_finance(spec: ActivitySpec, kind: str) -> str:
    return ";".join(f"{f.year}:{f.currency}:{format_amount(f.amount)}"
                    for f in sorted(spec.finance, key=lambda f: (f.year, f.currency))
                    if f.kind == kind)


def parse_participants(text: str, organizations: dict[str, str]) -> list[ParticipantSpec]:
    participants = []
    for entry in _entries(text):
        parts = [p.strip() for p in split(entry, "|")]
        if len(parts) > 5:
            raise CellError(N_("%(entry)s has more than five '|' parts", entry=repr(entry)))
        parts += [""] * (5 - len(parts))
        role, code, ref, name, org_type = parts
        if not is_digits(role):
            raise CellError(N_("partner role %(role)s is not 1, 2, 3 or 4", role=repr(role)))
        if code and code not in organizations:
            raise CellError(N_("unknown organization %(code)s", code=repr(code)))
        participants.append(ParticipantSpec(role=int(role), organization_code=code or None,
                                            org_ref=ref, name=name, org_type=org_type))
    return participants


def format_participants(participants: list[ParticipantSpec]) -> str:
    entries = []
    for p in participants:
        parts = [str(p.role), p.organization_code or "", p.org_ref, p.name, p.org_type]
        while parts and not parts[-1]:
            parts.pop()
        entries.append("|".join(_escape(x) for x in parts))
    return ";".join(entries)


# --- scalar cells -----------------------------------------------------------------------


def parse_date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise CellError(N_("%(value)s is not a date (YYYY-MM-DD)", value=repr(text))) from None


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("", "no", "false", "0", "n"):
        return False
    if value in ("yes", "true", "1", "y"):
        return True
    raise CellError(N_("%(value)s is neither yes nor no", value=repr(text)))


def parse_int(text: str, what: str) -> int:
    value = text.strip()
    if not is_digits(value.lstrip("-")):
        raise CellError(N_("%(what)s %(value)s is not a whole number", what=what,
                           value=repr(value)))
    return int(value)


def _optional(text: str) -> str | None:
    return text.strip() or None


def row_to_spec(cells: dict[str, str], organizations: dict[str, str]
                ) -> tuple[ActivitySpec | None, list[tuple[str, str]]]:
    """Read one row; returns the spec, or ``None`` and ``(column, reason)`` for each bad cell."""
    errors: list[tuple[str, str]] = []
    values: dict[str, Any] = {}

    def read(column: str, reader: Callable[[str], Any]) -> None:
        try:
            values[column] = reader(cells.get(column, ""))
        except CellError as exc:
            errors.append((column, _said(exc)))

    for column in ("identifier", "title", "description", "reporting_org_ref",
                   "reporting_org_name"):
        values[column] = cells.get(column, "").strip()
    for column in ("parent_identifier", "implementing_structure", "default_currency",
                   "handling", "owner_unit"):
        values[column] = _optional(cells.get(column, ""))
    values["level"] = cells.get("level", "").strip().lower() or "activity"
    values["reporting_org_type"] = cells.get("reporting_org_type", "").strip() or "40"
    values["language"] = cells.get("language", "").strip().lower() or "en"
    if values["handling"]:
        values["handling"] = values["handling"].upper()
    if values["default_currency"]:
        values["default_currency"] = values["default_currency"].upper()
    read("status", lambda t: parse_int(t, "status") if t.strip() else 1)
    for column in ("planned_start", "planned_end", "actual_start", "actual_end"):
        read(column, parse_date)
    read("is_external", parse_bool)
    read("participants", lambda t: parse_participants(t, organizations))
    read("countries", lambda t: parse_shares(t, upper=True))
    read("regions", parse_regions)
    read("crime_areas", parse_shares)
    read("stages", parse_shares)
    finance: list[FinanceSpec] = []
    for column, kind in (("budget", "budget"), ("commitments", "commitment"),
                         ("expenditure", "expenditure")):
        try:
            finance += parse_finance(cells.get(column, ""), kind)
        except CellError as exc:
            errors.append((column, _said(exc)))
    values["finance"] = finance
    if values["level"] not in ("programme", "project", "activity"):
        errors.append(("level", N_("%(value)s is not programme, project or activity",
                                   value=repr(values["level"]))))
    if errors:
        return None, errors
    return ActivitySpec(**values), []


def spec_to_row(spec: ActivitySpec) -> dict[str, str]:
    """The row of one activity, every cell as text."""
    def day(value: date | None) -> str:
        return value.isoformat() if value else ""

    return {
        "identifier": spec.identifier,
        "level": spec.level,
        "parent_identifier": spec.parent_identifier or "",
        "title": spec.title,
        "description": spec.description,
        "implementing_structure": spec.implementing_structure or "",
        "status": str(spec.status),
        "planned_start": day(spec.planned_start),
        "planned_end": day(spec.planned_end),
        "actual_start": day(spec.actual_start),
        "actual_end": day(spec.actual_end),
        "reporting_org_ref": spec.reporting_org_ref,
        "reporting_org_name": spec.reporting_org_name,
        "reporting_org_type": spec.reporting_org_type,
        "is_external": "yes" if spec.is_external else "no",
        "language": spec.language,
        "default_currency": spec.default_currency or "",
        "handling": spec.handling or "",
        "owner_unit": spec.owner_unit or "",
        "participants": format_participants(spec.participants),
        "countries": format_shares(spec.countries),
        "regions": format_regions(list(spec.regions)),
        "crime_areas": format_shares(spec.crime_areas),
        "stages": format_shares(spec.stages),
        "budget": format_finance(spec, "budget"),
        "commitments": format_finance(spec, "commitment"),
        "expenditure": format_finance(spec, "expenditure"),
    }


def column_of(field: str, spec: ActivitySpec) -> str:
    """The table column a spec field (``finance[2].amount`` …) is read from."""
    head = field.split(".", 1)[0].split("[", 1)[0]
    if head == "finance" and "[" in field:
        index = int(field.split("[", 1)[1].split("]", 1)[0])
        kind = spec.finance[index].kind if index < len(spec.finance) else "budget"
        return {"budget": "budget", "commitment": "commitments",
                "expenditure": "expenditure"}[kind]
    if head == "finance":
        return "budget"
    if head == "documents" or head == "results":
        return "identifier"
    return head if head in NAMES else "identifier"
