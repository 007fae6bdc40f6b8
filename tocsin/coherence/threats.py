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
from tocsin.i18n import N_, N_plural
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
        return str(N_plural("%(created)s indicator added, %(replaced)s replaced",
                            "%(created)s indicators added, %(replaced)s replaced", self.created,
                            created=self.created, replaced=self.replaced))


def _records(reader: csv.DictReader[str], where: str,
             problems: list[Problem]) -> Iterator[dict[str | Any, str | Any]]:
    """The rows of ``reader``; a row the csv module cannot read ends the file with a problem."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(Problem(_line(where, reader.line_num + 1),
                                    N_("not readable as CSV (%(why)s)", why=str(exc))))
            return


def _line(where: str, line: int) -> str:
    return N_("%(where)s: line %(line)s", where=where, line=line)


def parse_csv(text: str, crime_areas: set[str], countries: set[str],
              where: str = "<csv>", default_handling: str = "GREEN") -> list[IndicatorRow]:
    """Every row of ``text`` validated; raises :class:`InputError` listing each bad row."""
    # newline="": a lone CR (a spreadsheet saved on an old Mac) ends a row like LF does
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    problems: list[Problem] = []
    try:
        header = [h.strip() for h in reader.fieldnames or []]
    except csv.Error as exc:
        raise InputError.single(_line(where, 1), N_("not readable as CSV (%(why)s)",
                                                       why=str(exc))) from None
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if missing:
        problems.append(Problem(_line(where, 1), N_plural(
            "missing column: %(columns)s", "missing columns: %(columns)s", len(missing),
            columns=", ".join(missing))))
    if unknown:
        problems.append(Problem(_line(where, 1), N_plural(
            "unknown column: %(columns)s; expected %(expected)s",
            "unknown columns: %(columns)s; expected %(expected)s", len(unknown),
            columns=", ".join(unknown), expected=", ".join(REQUIRED + OPTIONAL))))
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
            problems.append(Problem(_line(where, line), N_("more values than columns")))
            continue
        here: list[Problem] = []

        def bad(column: str, reason: str, _line: int = line, _here: list[Problem] = here) -> None:
            _here.append(Problem(N_("%(where)s: line %(line)s, column %(column)s", where=where,
                                    line=_line, column=column), reason))

        area = cell["crime_area"]
        if area not in crime_areas:
            bad("crime_area", N_("unknown crime area %(code)s", code=repr(area)) if area
                else N_("empty"))
        country = cell["country"].upper()
        if country not in countries:
            bad("country", N_("unknown country code %(code)s", code=repr(cell["country"]))
                if country else N_("empty"))
        year = 0
        try:
            year = int(cell["year"])
            if year not in YEARS:
                bad("year", N_("%(year)s is outside %(first)s-%(last)s", year=year,
                               first=YEARS.start, last=YEARS.stop - 1))
        except ValueError:
            bad("year", N_("not a whole number: %(value)s", value=repr(cell["year"])))
        kind = cell["kind"]
        if kind not in kinds:
            bad("kind", N_("unknown indicator kind %(kind)s; use one of %(allowed)s",
                           kind=repr(kind), allowed=", ".join(kinds)))
        value = 0.0
        try:
            value = float(cell["value"].replace(",", "").replace("_", ""))
            if not math.isfinite(value) or value < 0:
                bad("value", N_("must be a finite number of zero or more"))
        except ValueError:
            bad("value", N_("not a number: %(value)s", value=repr(cell["value"])))
        unit = cell["unit"]
        if kind in kinds and unit.lower() != kinds[kind].unit.lower():
            bad("unit", N_("%(kind)s is counted in %(unit)s, not %(value)s", kind=kind,
                           unit=repr(kinds[kind].unit), value=repr(unit)))
        source = cell["source"]
        if not source:
            bad("source", N_("say where the figure comes from"))
        elif len(source) > 300:
            bad("source", N_("longer than %(most)s characters", most=300))
        reliability = cell["reliability"].upper()
        if reliability not in grading.source_reliability:
            bad("reliability",
                N_("source reliability must be one of A-F, not %(value)s",
                   value=repr(cell["reliability"])))
        credibility = 0
        if cell["credibility"] not in grading.credibility:
            bad("credibility", N_("information credibility must be 1-6, not %(value)s",
                                  value=repr(cell["credibility"])))
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
            problems.append(Problem(_line(where, line), N_(
                "repeats line %(line)s (same crime area, country, year, kind and source)",
                line=seen[row.key])))
            continue
        seen[row.key] = line
        rows.append(row)
    if problems:
        raise InputError(problems)
    if not rows:
        raise InputError.single(where, N_("the file has no indicator rows"))
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
            raise InputError.single(where, N_("not UTF-8 text (%(why)s)",
                                              why=exc.reason)) from exc
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
        Problem(_line(where, r.line), N_("replaces an indicator you may not change"))
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
