"""Generic CSV and Excel (``.xlsx``) files, read through a YAML column mapping.

See :mod:`tocsin.money.ingest.mapping` for the mapping. Rows are streamed (the
``csv`` module, or ``openpyxl`` in read-only mode) and every bad cell is
reported as ``file:line`` (CSV) or ``file:Sheet!row`` (Excel) with the mapping
key it was read for.
"""

from __future__ import annotations

import csv
import io
import re
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from tocsin import limits, types
from tocsin.errors import InputError
from tocsin.i18n import N_, N_plural
from tocsin.money.ingest.base import (
    Context,
    FewLines,
    TrackedFile,
    accounts_table,
    flush_transactions,
    parties_table,
    signed_amount,
)
from tocsin.money.ingest.entities import PartyBook, describe
from tocsin.money.ingest.mapping import (
    FieldSpec,
    FilterSpec,
    Mapping,
    SideSpec,
    load_mapping,
)
from tocsin.money.schema import ACCOUNT_KINDS

FLUSH_ROWS = 50_000
_NUMBER = re.compile(r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")


@dataclass
class _Row:
    where: str  # file:line for problems
    ref: str  # name:line for source_ref
    cells: dict[str, Any]
    file: str  # the file's name
    line: int  # 1-based line (CSV) or sheet row (Excel) where the record starts


class _State:
    def __init__(self, ctx: Context, mapping: Mapping) -> None:
        self.ctx = ctx
        self.mapping = mapping
        self.book = PartyBook()
        self.accounts: dict[str, dict[str, Any]] = {}
        self.rows: list[dict[str, Any]] = []
        self.ids: set[str] = set()


def read(sources: Sequence[Path], ctx: Context) -> None:
    if ctx.mapping is None:
        raise InputError.single("mapping", N_("a CSV or Excel file needs a column mapping: "
                                              "use the guided import, or give a mapping file"))
    mapping = load_mapping(ctx.mapping)
    state = _State(ctx, mapping)
    ctx.has_labels = mapping.transaction.label is not None
    for path in sources:
        ctx.files.append(path)
        left_out = FewLines()  # rows the filters leave out
        for row in _rows(path, mapping, state):
            if _keep(row, mapping.filters):
                _convert(row, state)
            else:
                left_out.add([row.line])
            if len(state.rows) >= FLUSH_ROWS:
                flush_transactions(state.ctx, state.rows)
            if ctx.problems.full:
                break
        if left_out.count:
            ctx.notes.append(N_plural(
                "%(file)s: %(count)s row left out by the filters (line %(lines)s)",
                "%(file)s: %(count)s rows left out by the filters (lines %(lines)s)",
                left_out.count, file=path.name, count=left_out.count,
                lines=left_out.places()))
    flush_transactions(state.ctx, state.rows)
    if ctx.problems:
        return
    ctx.writer.write_accounts(accounts_table(list(state.accounts.values())))
    ctx.writer.write_parties(parties_table(state.book.rows()))


# -- reading rows -------------------------------------------------------------------------


def _rows(path: Path, mapping: Mapping, state: _State) -> Iterator[_Row]:
    kind = mapping.format or ("xlsx" if path.suffix.lower() in (".xlsx", ".xlsm") else "csv")
    if kind == "xlsx":
        yield from _excel_rows(path, mapping, state)
    else:
        yield from _csv_rows(path, mapping, state)


def _check_header(header: list[str], mapping: Mapping, where: str, state: _State) -> bool:
    missing = {key: col for key, col in mapping.columns().items() if col not in header}
    for key, column in missing.items():
        shown = ", ".join(header[:30])
        state.ctx.problems.add(f"{state.ctx.mapping}: {key}",
                               N_("column %(column)s is not in the header of %(where)s "
                                  "(it has: %(header)s)", column=repr(column), where=where,
                                  header=shown))
    return not missing


def _csv_rows(path: Path, mapping: Mapping, state: _State) -> Iterator[_Row]:
    size = path.stat().st_size
    with path.open("rb") as raw, state.ctx.progress.track(f"CSV {path.name}", size) as bar:
        handle = io.TextIOWrapper(TrackedFile(raw, bar),  # type: ignore[type-var]
                                  encoding=mapping.encoding, newline="")
        reader = csv.reader(handle, delimiter=mapping.delimiter)
        try:
            for _ in range(mapping.header_row - 1):
                if next(reader, None) is None:
                    break
            header = [h.strip() for h in next(reader, [])]
            if not _check_header(header, mapping, N_("%(file)s line %(line)s", file=path.name,
                                                     line=reader.line_num), state):
                return
            _note_layout(path.name, header, mapping, state)

            def records() -> Iterator[tuple[int, list[str]]]:
                ended = reader.line_num
                for cells in reader:
                    # a quoted field may span lines: the record starts after the previous one
                    line, ended = ended + 1, reader.line_num
                    if any(c.strip() for c in cells):
                        yield line, cells

            footer: list[int] = []
            for line, cells in _hold_back(records(), mapping.footer_rows, footer):
                if len(cells) != len(header):
                    state.ctx.problems.add(f"{path}:{line}", N_(
                        "expected %(expected)s fields, found %(found)s", expected=len(header),
                        found=len(cells)))
                    continue
                yield _Row(f"{path}:{line}", f"{path.name}:{line}",
                           dict(zip(header, cells, strict=True)), path.name, line)
            _note_footer(path.name, footer, state)
        except (UnicodeDecodeError, csv.Error) as exc:
            state.ctx.problems.add(f"{path}:{reader.line_num + 1}",
                                   N_("cannot read the file as %(encoding)s CSV (%(error)s)",
                                      encoding=mapping.encoding, error=str(exc)))


def _hold_back(records: Iterator[tuple[int, Any]], count: int,
               held: list[int]) -> Iterator[tuple[int, Any]]:
    """Every record but the last ``count`` (totals after the data), whose lines go to
    ``held``; no buffering when there are none."""
    if count == 0:
        yield from records
        return
    window: deque[tuple[int, Any]] = deque()
    for record in records:
        window.append(record)
        if len(window) > count:
            yield window.popleft()
    held.extend(line for line, _ in window)


def _note_layout(name: str, header: list[str], mapping: Mapping, state: _State) -> None:
    """Name what the mapping leaves unread: the lines above the header, the other columns."""
    if mapping.header_row > 1:
        state.ctx.notes.append(N_("%(file)s: lines 1 to %(last)s before the header not read "
                                  "(header_row)", file=name, last=mapping.header_row - 1))
    read = set(mapping.columns().values())
    unread = [h for h in header if h and h not in read]
    if unread:
        state.ctx.notes.append(N_("%(file)s: columns not read: %(columns)s", file=name,
                                  columns=", ".join(unread)))


def _note_footer(name: str, lines: list[int], state: _State) -> None:
    if lines:
        state.ctx.notes.append(N_("%(file)s: lines %(lines)s after the data not read "
                                  "(footer_rows)", file=name,
                                  lines=", ".join(str(n) for n in lines)))


def _excel_rows(path: Path, mapping: Mapping, state: _State) -> Iterator[_Row]:
    from openpyxl import load_workbook

    limits.check_archive(path, path.name, kind=".xlsx workbook")
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        state.ctx.problems.add(str(path), N_("cannot open the workbook (%(error)s)",
                                             error=str(exc)))
        return
    try:
        if mapping.sheet is not None and mapping.sheet not in book.sheetnames:
            state.ctx.problems.add(f"{state.ctx.mapping}: sheet",
                                   N_("%(file)s has no sheet %(sheet)s (it has: %(sheets)s)",
                                      file=path.name, sheet=repr(mapping.sheet),
                                      sheets=", ".join(book.sheetnames)))
            return
        sheet = book[mapping.sheet] if mapping.sheet else book.worksheets[0]
        rows = sheet.iter_rows(min_row=mapping.header_row, values_only=True)
        first = next(rows, None) or ()
        header = [str(h).strip() if h is not None else "" for h in first]
        if not _check_header(header, mapping, N_("%(file)s sheet %(sheet)s", file=path.name,
                                                 sheet=sheet.title), state):
            return
        _note_layout(path.name, header, mapping, state)
        filled = ((number, values) for number, values in
                  enumerate(rows, start=mapping.header_row + 1)
                  if any(v not in (None, "") for v in values))
        footer: list[int] = []
        for number, values in _hold_back(filled, mapping.footer_rows, footer):
            cells = dict(zip(header, values, strict=False))
            yield _Row(f"{path}:{sheet.title}!{number}", f"{path.name}:{sheet.title}!{number}",
                       cells, path.name, number)
        _note_footer(path.name, footer, state)
    finally:
        book.close()


def _keep(row: _Row, filters: list[FilterSpec]) -> bool:
    for flt in filters:
        value = _as_text(row.cells.get(flt.column))
        if flt.not_empty and not value:
            return False
        if flt.equals is not None and value not in flt.equals:
            return False
        if flt.not_equals is not None and value in flt.not_equals:
            return False
    return True


# -- converting one row ---------------------------------------------------------------------


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _get(spec: FieldSpec | None, row: _Row) -> str | None:
    if spec is None:
        return None
    raw = spec.value if spec.value is not None else _as_text(row.cells.get(spec.column or ""))
    value = spec.map.get(raw, raw) if raw else raw
    return value or spec.default


def _convert(row: _Row, state: _State) -> None:
    spec = state.mapping.transaction
    problems = state.ctx.problems
    before = len(problems)
    ts = _date(row, state)
    amount = _amount(row, state)
    currency = (_get(spec.currency, row) or "").upper()
    if not types.currency.known(currency):
        problems.add(row.where, N_("%(field)s: %(value)s is not an ISO 4217 currency code",
                                   field="transaction.currency", value=repr(currency)))
    elif not state.ctx.rates.knows(currency):
        problems.add(row.where, N_("%(field)s: no exchange rate for %(currency)s into "
                                   "%(base)s", field="transaction.currency", currency=currency,
                                   base=state.ctx.base_currency))
    txn_id = _get(spec.id, row) or row.ref
    if txn_id in state.ids:
        problems.add(row.where, N_("%(field)s: %(value)s appears twice", field="transaction.id",
                                   value=repr(txn_id)))
    source = _side(state.mapping.source, "source", row, state)
    target = _side(state.mapping.target, "target", row, state)
    if len(problems) > before or ts is None or amount is None or not source or not target:
        return
    state.ids.add(txn_id)
    if amount < 0:
        amount, source, target = -amount, target, source
    label = None
    if spec.label is not None:
        label = (_get(spec.label, row) or "").lower() in {v.lower() for v in
                                                          spec.label.true_values}
    state.rows.append({
        "txn_id": txn_id, "ts": ts, "source": source, "target": target, "amount_orig": amount,
        "currency_orig": currency, "channel": _get(spec.channel, row), "label": label,
        "label_pattern": _get(spec.pattern, row) if label else None,
        "source_ref": row.ref, "source_file": row.file, "source_line": row.line,
    })


def _date(row: _Row, state: _State) -> datetime | None:
    spec = state.mapping.transaction.date
    raw = row.cells.get(spec.column or "") if spec.column else spec.value
    parsed: datetime
    if isinstance(raw, datetime):
        parsed = raw
    elif isinstance(raw, date):
        parsed = datetime(raw.year, raw.month, raw.day)
    else:
        text = _as_text(raw)
        if not text:
            state.ctx.problems.add(row.where, N_("%(field)s: empty", field="transaction.date"))
            return None
        try:
            parsed = datetime.strptime(text, spec.format) if spec.format else \
                datetime.fromisoformat(text)
        except ValueError:
            expected = spec.format or "ISO 8601"
            state.ctx.problems.add(row.where, N_(
                "%(field)s: %(value)s does not match %(format)s", field="transaction.date",
                value=repr(text), format=expected))
            return None
    if spec.time is not None:
        moment = _time_of_day(row, spec.time, state)
        if moment is None:
            return None
        parsed = datetime.combine(parsed.date(), moment, parsed.tzinfo)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _time_of_day(row: _Row, column: str, state: _State) -> time | None:
    """The time of day of a column beside the date: ``HH:MM[:SS]``, or an Excel time."""
    raw = row.cells.get(column)
    if isinstance(raw, time):
        return raw
    if isinstance(raw, datetime):  # Excel keeps a time as a moment of 1899-12-30
        return raw.time()
    text = _as_text(raw)
    for layout in ("%H:%M:%S", "%H:%M"):
        try:
            return datetime.strptime(text, layout).time()
        except ValueError:
            continue
    state.ctx.problems.add(row.where, N_(
        "%(field)s: %(value)s is not a time of day (HH:MM or HH:MM:SS)",
        field="transaction.date.time", value=repr(text)))
    return None


def _amount(row: _Row, state: _State) -> float | None:
    spec = state.mapping.transaction.amount
    value: float | None
    if spec.debit is not None:
        value = _credit_or_debit(row, state)
    else:
        value = _number(row.cells.get(spec.column or "") if spec.column else spec.value,
                        "transaction.amount", row, state)
    if value is None:
        return None
    if spec.sign is not None and _get(spec.sign, row) in spec.sign.negative:
        value = -abs(value)
    if value < 0 and spec.negative == "abs":
        return -value  # the payer and payee columns already say which way it flowed
    if value < 0 and spec.negative == "error":
        state.ctx.problems.add(row.where, N_(
            "%(field)s: %(value)s is negative (set amount.negative: swap if it means money "
            "flowing the other way)", field="transaction.amount", value=str(value)))
        return None
    return value


def _credit_or_debit(row: _Row, state: _State) -> float | None:
    """One amount from a credit column and a debit column, the debit made negative."""
    spec = state.mapping.transaction.amount
    assert spec.debit is not None
    credit_raw = row.cells.get(spec.column or "") if spec.column else spec.value
    debit_raw = _get(spec.debit, row)
    credit = _number(credit_raw, "transaction.amount", row, state) \
        if _as_text(credit_raw) else None
    debit = _number(debit_raw, "transaction.amount.debit", row, state) if debit_raw else None
    if (credit_raw and credit is None) or (debit_raw and debit is None):
        return None  # told by _number
    if credit and debit:
        state.ctx.problems.add(row.where, N_(
            "%(field)s: both a credit (%(credit)s) and a debit (%(debit)s)",
            field="transaction.amount", credit=_as_text(credit_raw), debit=debit_raw))
        return None
    if debit:
        return -abs(debit)
    if credit is None:
        state.ctx.problems.add(row.where, N_("%(field)s: neither a credit nor a debit",
                                             field="transaction.amount"))
    return credit


def _number(raw: Any, field: str, row: _Row, state: _State) -> float | None:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    shown = _as_text(raw)
    text = shown.replace(" ", "").replace("\u00a0", "")
    if state.mapping.thousands:
        text = text.replace(state.mapping.thousands, "")
    if state.mapping.decimal != ".":
        text = text.replace(state.mapping.decimal, ".")
    if _NUMBER.match(text):
        return float(text)
    # only for cells the plain form does not read
    loose = signed_amount(text)
    value = float(loose) if loose is not None and _NUMBER.match(loose) else None
    if value is None:
        state.ctx.problems.add(row.where, N_("%(field)s: %(value)s is not a number",
                                             field=field, value=repr(shown)))
    return value


def _side(spec: SideSpec, key: str, row: _Row, state: _State) -> str | None:
    problems = state.ctx.problems
    country = (_get(spec.country, row) or "").upper() or None
    if country is not None and not types.country.known(country):
        problems.add(row.where, N_("%(field)s: %(value)s is not an ISO 3166-1 alpha-2 "
                                   "country code", field=f"{key}.country", value=repr(country)))
        country = None
    kind = _get(spec.kind, row) or "unknown"
    if kind not in ACCOUNT_KINDS:
        problems.add(row.where, N_("%(field)s: %(value)s is not one of %(choices)s",
                                   field=f"{key}.kind", value=repr(kind),
                                   choices=", ".join(ACCOUNT_KINDS)))
        return None
    party_id = None
    if spec.party is not None:
        name = _get(spec.party.name, row)
        schema = _get(spec.party.schema_, row) or "LegalEntity"
        if schema not in ("Person", "Company", "Organization", "LegalEntity"):
            problems.add(row.where, N_("%(field)s: %(value)s is not a party schema (map the "
                                       "value with 'map')", field=f"{key}.party.schema",
                                       value=repr(schema)))
            return None
        if name:
            party_country = (_get(spec.party.country, row) or "").upper() or country
            ident = _get(spec.party.id_number, row)
            described = describe(schema, ["tabular", name, party_country, ident], {
                "name": name, "country": party_country, "idNumber": ident})
            party_id = state.book.add_spec(described, row.ref)
    account = _get(spec.account, row)
    if not account:
        if party_id is None:
            problems.add(row.where, N_("%(field)s: neither an account nor a party name",
                                       field=key))
            return None
        account = f"party:{party_id}"
    known = state.accounts.get(account)
    if known is None:
        state.accounts[account] = {"account_id": account, "bank": _get(spec.bank, row),
                                   "country": country, "kind": kind, "party_id": party_id,
                                   "source_ref": row.ref}
    else:
        for field, value in (("bank", _get(spec.bank, row)), ("country", country),
                             ("party_id", party_id)):
            if known[field] is None and value is not None:
                known[field] = value
        if known["kind"] == "unknown":
            known["kind"] = kind
    return account
