"""Threat indicators: import them from CSV (validated first, all or nothing) and read them.

The CSV has one row per crime area, country, year, indicator kind and source::

    crime_area,country,year,kind,value,unit,source,reliability,credibility,handling,note
    drug_trafficking,RS,2024,seizures,412,seizures,National police annual report,B,2,GREEN,

``reliability`` is the source reliability (A-F) and ``credibility`` the
information credibility (1-6) of the 6x6 intelligence grading; ``handling`` and
``note`` may be left out. A row with the same crime area, country, year, kind
and source as an indicator already stored replaces it.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from tocsin import limits, types
from tocsin.access import audit
from tocsin.access.handling import Handling
from tocsin.access.policy import (
    list_readable,
    may_read,
    may_write,
    readable,
    require_write,
    unguarded_select,
)
from tocsin.access.principal import Principal
from tocsin.coherence.method import method
from tocsin.coherence.tables import ThreatIndicator
from tocsin.errors import InputError, Problem
from tocsin.reference.tables import RefCountry, RefCrimeArea

REQUIRED = ("crime_area", "country", "year", "kind", "value", "unit", "source", "reliability",
            "credibility")
OPTIONAL = ("handling", "note")
YEARS = range(1990, 2101)

Key = tuple[str, str, int, str, str]


@dataclass(frozen=True)
class IndicatorRow:
    """One validated CSV row, ready to be written."""

    line: int
    crime_area: str
    country: str
    year: int
    kind: str
    value: float
    unit: str
    source: str
    reliability: str
    credibility: int
    handling: str
    note: str

    @property
    def key(self) -> Key:
        return (self.crime_area, self.country, self.year, self.kind, self.source)


@dataclass(frozen=True)
class ImportResult:
    created: int
    replaced: int

    def __str__(self) -> str:
        return f"{self.created} indicator(s) added, {self.replaced} replaced"


def _records(reader: csv.DictReader[str], where: str,
             problems: list[Problem]) -> Iterator[dict[str | Any, str | Any]]:
    """The rows of ``reader``; a row the csv module cannot read ends the file with a problem."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(Problem(f"{where}: line {reader.line_num + 1}",
                                    f"not readable as CSV ({exc})"))
            return


def parse_csv(text: str, crime_areas: set[str], countries: set[str],
              where: str = "<csv>", default_handling: str = "GREEN") -> list[IndicatorRow]:
    """Every row of ``text`` validated; raises :class:`InputError` listing each bad row."""
    # newline="": a lone CR (a spreadsheet saved on an old Mac) ends a row like LF does
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    problems: list[Problem] = []
    try:
        header = [h.strip() for h in reader.fieldnames or []]
    except csv.Error as exc:
        raise InputError.single(f"{where}: line 1", f"not readable as CSV ({exc})") from None
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if missing:
        problems.append(Problem(f"{where}: line 1", f"missing column(s): {', '.join(missing)}"))
    if unknown:
        problems.append(Problem(f"{where}: line 1", f"unknown column(s): {', '.join(unknown)}; "
                                f"expected {', '.join(REQUIRED + OPTIONAL)}"))
    if problems:
        raise InputError(problems)
    kinds = method().indicator_kinds
    grading = method().grading
    rows: list[IndicatorRow] = []
    seen: dict[Key, int] = {}
    for raw in limits.capped(_records(reader, where, problems), where):
        line = reader.line_num
        cell = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            problems.append(Problem(f"{where}: line {line}", "more values than columns"))
            continue
        here: list[Problem] = []

        def bad(column: str, reason: str, _line: int = line, _here: list[Problem] = here) -> None:
            _here.append(Problem(f"{where}: line {_line}, column {column}", reason))

        area = cell["crime_area"]
        if area not in crime_areas:
            bad("crime_area", f"unknown crime area {area!r}" if area else "empty")
        country = cell["country"].upper()
        if country not in countries:
            bad("country", f"unknown country code {cell['country']!r}" if country else "empty")
        year = 0
        try:
            year = int(cell["year"])
            if year not in YEARS:
                bad("year", f"{year} is outside {YEARS.start}-{YEARS.stop - 1}")
        except ValueError:
            bad("year", f"not a whole number: {cell['year']!r}")
        kind = cell["kind"]
        if kind not in kinds:
            bad("kind", f"unknown indicator kind {kind!r}; use one of {', '.join(kinds)}")
        value = 0.0
        try:
            value = float(cell["value"].replace(",", "").replace("_", ""))
            if not math.isfinite(value) or value < 0:
                bad("value", "must be a finite number of zero or more")
        except ValueError:
            bad("value", f"not a number: {cell['value']!r}")
        unit = cell["unit"]
        if kind in kinds and unit.lower() != kinds[kind].unit.lower():
            bad("unit", f"{kind} is counted in {kinds[kind].unit!r}, not {unit!r}")
        source = cell["source"]
        if not source:
            bad("source", "say where the figure comes from")
        elif len(source) > 300:
            bad("source", "longer than 300 characters")
        reliability = cell["reliability"].upper()
        if reliability not in grading.source_reliability:
            bad("reliability",
                f"source reliability must be one of A-F, not {cell['reliability']!r}")
        credibility = 0
        if cell["credibility"] not in grading.credibility:
            bad("credibility", f"information credibility must be 1-6, not {cell['credibility']!r}")
        else:
            credibility = int(cell["credibility"])
        handling = default_handling
        if cell.get("handling"):
            try:
                handling = Handling.parse(cell["handling"]).value
            except ValueError as exc:
                bad("handling", str(exc))
        if here:
            problems.extend(here)
            continue
        row = IndicatorRow(line, area, country, year, kind, value, kinds[kind].unit, source,
                           reliability, credibility, handling, cell.get("note", ""))
        if row.key in seen:
            problems.append(Problem(f"{where}: line {line}",
                                    f"repeats line {seen[row.key]} (same crime area, country, "
                                    "year, kind and source)"))
            continue
        seen[row.key] = line
        rows.append(row)
    if problems:
        raise InputError(problems)
    if not rows:
        raise InputError.single(where, "the file has no indicator rows")
    return rows


def import_indicators(session: Session, principal: Principal, source: Path | str, *,
                      unit: str | None = None, default_handling: str = "GREEN",
                      illustrative: bool = False) -> ImportResult:
    """Validate every row of a CSV file (or CSV text), then write all of them or none."""
    if isinstance(source, Path):
        where = source.name
        try:
            text = source.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputError.single(where, f"not UTF-8 text ({exc.reason})") from exc
    else:
        where, text = "<csv>", source
    unit_id = _unit_id(session, principal, unit)
    require_write(principal, unit_id)
    areas = set(session.scalars(select(RefCrimeArea.code).where(RefCrimeArea.retired.is_(False))))
    countries = set(session.scalars(select(RefCountry.code).where(RefCountry.retired.is_(False))))
    rows = parse_csv(text, areas, countries, where, default_handling)

    existing = {
        (i.crime_area_code, i.country_code, i.year, i.kind, i.source): i
        for i in session.scalars(unguarded_select(
            ThreatIndicator, why="indicator keys are unique across units; rows the "
            "importer may not read or change are refused below").where(
            tuple_(ThreatIndicator.crime_area_code, ThreatIndicator.country_code,
                   ThreatIndicator.year).in_({(r.crime_area, r.country, r.year) for r in rows})))
    }
    problems = [
        Problem(f"{where}: line {r.line}", "replaces an indicator you may not change")
        for r in rows
        if r.key in existing and not (may_read(existing[r.key], principal)
                                      and may_write(principal, existing[r.key].owner_unit_id))
    ]
    if problems:
        raise InputError(problems)
    created = replaced = 0
    for r in rows:
        item = existing.get(r.key)
        if item is None:
            item = ThreatIndicator(owner_unit_id=unit_id, crime_area_code=r.crime_area,
                                   country_code=r.country, year=r.year, kind=r.kind,
                                   source=r.source)
            session.add(item)
            created += 1
        else:
            replaced += 1
        item.value, item.unit, item.handling, item.note = r.value, r.unit, r.handling, r.note
        item.source_reliability, item.credibility = r.reliability, r.credibility
        item.illustrative = illustrative
    session.flush()
    audit.record(session, principal, "create", ThreatIndicator.record_type, "",
                 default_handling, detail=f"import {where}: {created} added, {replaced} replaced")
    return ImportResult(created, replaced)


def _unit_id(session: Session, principal: Principal, code: str | None) -> int | None:
    if not code:
        return principal.unit_id
    return types.unit.require_id(session, code, "unit")


def list_indicators(session: Session, principal: Principal, *, year: int | None = None,
                    crime_area: str | None = None, country: str | None = None,
                    ) -> Sequence[ThreatIndicator]:
    """Indicators the principal may read (reads above GREEN are audited)."""
    stmt = readable(ThreatIndicator, principal)
    if year is not None:
        stmt = stmt.where(ThreatIndicator.year == year)
    if crime_area:
        stmt = stmt.where(ThreatIndicator.crime_area_code == crime_area)
    if country:
        stmt = stmt.where(ThreatIndicator.country_code == country.upper())
    stmt = stmt.order_by(ThreatIndicator.year, ThreatIndicator.crime_area_code,
                         ThreatIndicator.country_code, ThreatIndicator.kind)
    return list_readable(session, stmt, principal)
