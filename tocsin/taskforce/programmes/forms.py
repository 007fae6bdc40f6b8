"""Results and indicators entered on the programme form, as repeatable rows.

The form names each field by its place: ``result-0-title``,
``result-0-indicator-1-baseline_year``. Rows can be added and removed in the
browser, so the numbers may have gaps; rows are taken in numeric order and
blank ones (nothing typed) are dropped. Problems name the row the same way
:mod:`.check` does (``results[1].indicators[0].title``), counted over the rows
that remain, so a page can show each problem at its row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from tocsin.errors import Problem
from tocsin.i18n import N_, Message
from tocsin.taskforce.programmes.spec import (
    INDICATOR_MEASURES,
    RESULT_TYPES,
    IndicatorSpec,
    PeriodSpec,
    ResultSpec,
)
from tocsin.types.base import is_digits

RESULT_FIELDS = ("type", "title", "description", "aggregation_status")
INDICATOR_FIELDS = ("title", "measure", "ascending", "description", "baseline_year",
                    "baseline_value", "period_start", "period_end", "target", "actual")
#: Fields whose value alone does not make a row worth keeping (choices with a default).
_CHOICES = {"type", "measure", "ascending", "aggregation_status"}
_NAME = re.compile(r"result-(\d{1,4})-(?:indicator-(\d{1,4})-)?([a-z_]+)")
_YES = {"yes": True, "no": False, "": None}


@dataclass
class ResultRow:
    """The text of one result row and its indicator rows, as typed."""

    values: dict[str, str] = field(default_factory=dict)
    indicators: list[dict[str, str]] = field(default_factory=list)


def blank_result() -> ResultRow:
    """The empty row a new form starts with: one result with one indicator."""
    return ResultRow({"type": "1"}, [{"measure": "1"}])


def _blank(values: Mapping[str, str]) -> bool:
    return not any(v.strip() for k, v in values.items() if k not in _CHOICES)


def result_rows(form: Mapping[str, str]) -> list[ResultRow]:
    """The result rows of a submitted form in their order, blank rows dropped."""
    results: dict[int, dict[str, str]] = {}
    indicators: dict[int, dict[int, dict[str, str]]] = {}
    for name, value in form.items():
        match = _NAME.fullmatch(name)
        if not match:
            continue
        r, i, key = int(match[1]), match[2], match[3]
        if i is None and key in RESULT_FIELDS:
            results.setdefault(r, {})[key] = value
        elif i is not None and key in INDICATOR_FIELDS:
            indicators.setdefault(r, {}).setdefault(int(i), {})[key] = value
            results.setdefault(r, {})
    rows = []
    for r in sorted(results):
        kept = [values for _, values in sorted(indicators.get(r, {}).items())
                if not _blank(values)]
        if kept or not _blank(results[r]):
            rows.append(ResultRow(results[r], kept))
    return rows


def _choice(text: str, allowed: Mapping[int, str], what: Message, where: str,
            problems: list[Problem], default: int) -> int:
    value = text.strip()
    if not value:
        return default
    if is_digits(value) and int(value) in allowed:
        return int(value)
    names = ", ".join(f"{name} ({code})" for code, name in allowed.items())
    problems.append(Problem(where, N_("%(value)s is not %(what)s; choose %(names)s",
                                      value=repr(value), what=what, names=names)))
    return default


def _day(text: str, where: str, problems: list[Problem]) -> date | None:
    value = text.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(Problem(where, N_("%(value)s is not a date (YYYY-MM-DD)",
                                          value=repr(value))))
        return None


def _yes_no(text: str, where: str, problems: list[Problem]) -> bool | None:
    value = text.strip().lower()
    if value in _YES:
        return _YES[value]
    problems.append(Problem(where, N_("%(value)s is not yes, no or empty",
                                      value=repr(text.strip()))))
    return None


def _indicator(values: Mapping[str, str], where: str,
               problems: list[Problem]) -> IndicatorSpec:
    def text(key: str) -> str:
        return values.get(key, "").strip()

    measure = _choice(text("measure"), INDICATOR_MEASURES, N_("an indicator measure"),
                      f"{where}.measure", problems, 1)
    year = None
    if text("baseline_year"):
        if re.fullmatch(r"\d{4}", text("baseline_year")):
            year = int(text("baseline_year"))
        else:
            problems.append(Problem(f"{where}.baseline_year",
                                    N_("%(value)s is not a year such as 2025",
                                       value=repr(text("baseline_year")))))
    start = _day(text("period_start"), f"{where}.period_start", problems)
    end = _day(text("period_end"), f"{where}.period_end", problems)
    periods = []
    if start and end:
        periods.append(PeriodSpec(start=start, end=end, target=text("target") or None,
                                  actual=text("actual") or None))
    elif text("period_start") or text("period_end"):
        for key in ("period_start", "period_end"):
            if not text(key):  # a date typed but not a date is reported above
                problems.append(Problem(f"{where}.{key}",
                                        N_("a period needs both its start and its end")))
    elif text("target") or text("actual"):
        problems.append(Problem(f"{where}.period_start",
                                N_("a target or actual value needs the period's start "
                                   "and end")))
    return IndicatorSpec(title=text("title"), description=text("description"),
                         measure=measure,
                         ascending=_yes_no(values.get("ascending", ""), f"{where}.ascending",
                                           problems),
                         baseline_year=year, baseline_value=text("baseline_value") or None,
                         periods=periods)


def results_from_rows(rows: list[ResultRow]) -> tuple[list[ResultSpec], list[Problem]]:
    """Typed results from the rows; the problems name ``results[i]…`` and the field.

    Rules that hold for every result however it arrives (a title, at least one
    indicator, a period that ends after it starts) are left to
    :func:`tocsin.taskforce.programmes.check.check_activity`.
    """
    problems: list[Problem] = []
    results = []
    for i, row in enumerate(rows):
        where = f"results[{i}]"
        kind = _choice(row.values.get("type", ""), RESULT_TYPES, N_("a result type"),
                       f"{where}.type", problems, 1)
        results.append(ResultSpec(
            type=kind, title=row.values.get("title", "").strip(),
            description=row.values.get("description", "").strip(),
            aggregation_status=_yes_no(row.values.get("aggregation_status", ""),
                                       f"{where}.aggregation_status", problems),
            indicators=[_indicator(values, f"{where}.indicators[{j}]", problems)
                        for j, values in enumerate(row.indicators)]))
    return results, problems


_PLACE = re.compile(r"results\[(\d+)\](?:\.indicators\[(\d+)\])?(?:\.(\w+))?")


def place_of(location: str) -> tuple[int, int | None, str] | None:
    """``(result, indicator or None, field)`` a problem's location points at, if a result."""
    match = _PLACE.search(location)
    if not match:
        return None
    return int(match[1]), int(match[2]) if match[2] is not None else None, match[3] or ""
