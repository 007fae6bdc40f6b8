"""Reading and writing the activities table as CSV or Excel (``.xlsx``).

Every cell is written as text with formula-like values neutralised (a leading
``'``), so a spreadsheet never evaluates them; reading undoes the prefix. Line
numbers in problems are those a spreadsheet shows (the header is line 1).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from tocsin import i18n, limits
from tocsin.errors import InputError, Problem, TocsinError
from tocsin.i18n import N_, N_plural
from tocsin.taskforce.programmes.vocabulary import Vocabulary
from tocsin.taskforce.tabular.columns import COLUMNS, NAMES, neutralise, restore

if TYPE_CHECKING:
    from openpyxl import Workbook

SHEET = "activities"
#: The help sheet's name, in the language of the template (never read back).
HELP_SHEET = N_("columns")


def table_format(name: str) -> str:
    """``csv`` or ``xlsx`` from a file name; anything else is refused."""
    suffix = Path(name).suffix.lower()
    if suffix in (".csv", ".xlsx"):
        return suffix[1:]
    raise InputError.single(name, N_("use a .csv or .xlsx file"))


# --- reading ----------------------------------------------------------------------------


def read_rows(source: Path | IO[bytes], fmt: str) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line, {column: text})`` per filled row; unknown or missing headers are refused."""
    if fmt == "csv":
        yield from _read_csv(source)
    else:
        yield from _read_xlsx(source)


def _check_header(header: list[str], where: str) -> list[str]:
    names = [h.strip().lower() for h in header]
    problems = [Problem(N_("%(where)s, column %(column)s", where=where, column=i + 1),
                        N_("unknown column %(name)s", name=repr(h)))
                for i, h in enumerate(names) if h and h not in NAMES]
    missing = [c.name for c in COLUMNS if c.required and c.name not in names]
    if missing:
        problems.append(Problem(where, N_plural("required column missing: %(columns)s",
                                                "required columns missing: %(columns)s",
                                                len(missing), columns=", ".join(missing))))
    if problems:
        raise InputError(problems)
    return names


def _read_csv(source: Path | IO[bytes]) -> Iterator[tuple[int, dict[str, str]]]:
    raw = source.read_bytes() if isinstance(source, Path) else source.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.single(N_("byte %(offset)s", offset=exc.start),
                                N_("the file is not UTF-8 text")) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError.single(N_("line %(line)s", line=1), N_("the file is empty")) from None
    names = _check_header(header, N_("line %(line)s", line=1))
    line = reader.line_num
    for cells in reader:
        start, line = line + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(names):
            raise InputError.single(N_("line %(line)s", line=start), N_(
                "%(cells)s cells but only %(columns)s columns", cells=len(cells),
                columns=len(names)))
        yield start, {n: restore(c) for n, c in zip(names, cells, strict=False) if n}


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(source: Path | IO[bytes]) -> Iterator[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook  # only for workbooks: not every process needs it

    limits.check_archive(source, "file", kind=".xlsx workbook")
    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InputError.single(N_("file"), N_("not a readable .xlsx workbook (%(why)s)",
                                                 why=str(exc))) from None
    try:
        if not book.worksheets:
            raise InputError.single(N_("file"), N_("the workbook has no sheet"))
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        line = 1
        try:
            header = next(rows, None)
            if header is None:
                raise InputError.single(N_("sheet %(sheet)s, line %(line)s", sheet=sheet.title,
                                           line=1), N_("the sheet is empty"))
            names = _check_header([_cell_text(h) for h in header],
                                  N_("sheet %(sheet)s, line %(line)s", sheet=sheet.title, line=1))
            for line, values in enumerate(limits.capped(rows, f"sheet {sheet.title}"),
                                          start=2):
                cells = [_cell_text(v) for v in values]
                if not any(c.strip() for c in cells):
                    continue
                yield line, {n: restore(c) for n, c in zip(names, cells, strict=False) if n}
        except TocsinError:
            raise
        except Exception as exc:  # openpyxl reads the sheet lazily: a damaged part fails here
            raise InputError.single(
                N_("sheet %(sheet)s, after line %(line)s", sheet=sheet.title, line=line),
                N_("the workbook is damaged (%(why)s)", why=str(exc))) from None
    finally:
        book.close()


# --- writing ----------------------------------------------------------------------------


def write_csv(rows: Iterable[dict[str, str]], target: IO[bytes]) -> None:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(NAMES)
    for row in rows:
        writer.writerow([neutralise(row.get(name, "")) for name in NAMES])
    target.write(text.getvalue().encode("utf-8-sig"))


def write_xlsx(rows: Iterable[dict[str, str]], target: IO[bytes], vocab: Vocabulary) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append(list(NAMES))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([neutralise(row.get(name, "")) for name in NAMES])
    for index, name in enumerate(NAMES, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(name) + 4))
    sheet.freeze_panes = "A2"
    _help_sheet(book, vocab)
    # all cells are text: nothing a user typed can run as a formula
    for worksheet in book.worksheets:
        for line in worksheet.iter_rows():
            for cell in line:
                if cell.value is not None:
                    cell.data_type = "s"
    book.save(target)


#: The help sheet's header row.
HEADER = (N_("column"), N_("required"), N_("format"), N_("meaning"), N_("allowed codes"))


def _named(kind: str, code: str, english: str) -> str:
    """The name of a listed code in the current language (the reference data's ``names``,
    CLDR for countries); what the platform holds when there is none."""
    if i18n.current() == i18n.DEFAULT or not english:
        return english
    from tocsin.reference.registry import load_registry

    if kind == "countries":
        return i18n.country_name(code, english)
    try:
        if kind == "crime_areas":
            return load_registry().crime_area(code).name_in(i18n.current())
        if kind == "stages":
            return load_registry().stage(code).name_in(i18n.current())
        if kind == "structures":
            return load_registry().structure(code).name_in(i18n.current())
    except KeyError:
        return english
    return english


def explanations(vocab: Vocabulary) -> list[list[str]]:
    """One row per column: name, required, format, meaning, allowed codes, in the current
    language (:func:`tocsin.i18n.using`); the column names stay those the import reads."""
    lists = {
        "structures": vocab.structures, "countries": vocab.countries,
        "crime_areas": vocab.crime_areas, "stages": vocab.stages,
        "organizations": vocab.organizations, "units": dict.fromkeys(vocab.units, ""),
    }
    out = [[str(title) for title in HEADER]]
    for column in COLUMNS:
        codes = lists.get(column.codes, {})
        allowed = "; ".join(f"{code} ({_named(column.codes, code, name)})" if name else code
                            for code, name in sorted(codes.items()))
        out.append([column.name, str(N_("yes") if column.required else N_("no")),
                    str(column.format), str(column.meaning), allowed])
    return out


def _help_sheet(book: Workbook, vocab: Vocabulary) -> None:
    from openpyxl.styles import Font

    sheet = book.create_sheet(str(HELP_SHEET)[:31])
    for row in explanations(vocab):
        sheet.append([neutralise(v) for v in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDE", (22, 9, 60, 50, 120), strict=True):
        sheet.column_dimensions[letter].width = width


def write_explanations_csv(vocab: Vocabulary, target: IO[bytes]) -> None:
    """The column explanations as CSV (the companion of a CSV template)."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    for row in explanations(vocab):
        writer.writerow([neutralise(v) for v in row])
    target.write(text.getvalue().encode("utf-8-sig"))
