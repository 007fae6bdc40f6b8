"""Coverage of the portfolio: budget and activity count per crime area, justice-chain
stage, place (country or region) and implementing structure, over any period.

*Allocation.* A record's budget for the period (what it adds on its own, see
:meth:`Portfolio.effective_budget`) is spread over its cells by the product of
its shares: ``budget x crime-area share x stage share x place share`` — a record
70 % on drug trafficking, 50/50 on investigation and prosecution and 100 % in
Serbia puts 35 % of its budget in each (drug trafficking, investigation, RS)
and (drug trafficking, prosecution, RS) cell. A missing dimension is "not
stated" (an empty code) rather than guessed.

*Count.* A cell counts the records without children (the units of work) that
are active in the period and have a share in the cell; a record in several
cells counts in each, so counts do not add up across cells, budgets do.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from tocsin.coherence.portfolio import REGION_PREFIX, Portfolio

DIMENSIONS = ("crime_area", "stage", "country", "region", "structure")
NOT_STATED = ""


@dataclass
class Allocation:
    """The exploded shares: one row per (record, crime area, stage, place) with its fraction."""

    record: np.ndarray
    fraction: np.ndarray
    codes: dict[str, np.ndarray]
    labels: dict[str, list[str]]

    def code_index(self, dimension: str) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.labels[dimension])}


def region_of_place(place: str, regions: Mapping[str, str]) -> str:
    if not place:
        return NOT_STATED
    if place.startswith(REGION_PREFIX):
        return f"IATI region {place[len(REGION_PREFIX):]}"
    return regions.get(place, place)


def explode(portfolio: Portfolio, regions: Mapping[str, str]) -> Allocation:
    """The allocation table of a portfolio (cached on it until it changes)."""
    key = f"allocation:{id(regions)}:{len(regions)}"
    cached = portfolio._cache.get(key)
    if isinstance(cached, Allocation):
        return cached
    areas = portfolio.effective("crime_areas")
    stages = portfolio.effective("stages")
    places = portfolio.effective("places")
    labels: dict[str, dict[str, int]] = {d: {} for d in DIMENSIONS}

    def code(dimension: str, value: str) -> int:
        table = labels[dimension]
        found = table.get(value)
        if found is None:
            found = table[value] = len(table)
        return found

    unstated: tuple[tuple[str, float], ...] = ((NOT_STATED, 1.0),)
    record: list[int] = []
    fraction: list[float] = []
    cols: dict[str, list[int]] = {d: [] for d in DIMENSIONS}
    for i in range(len(portfolio)):
        structure = code("structure", portfolio.structures[i])
        for area, fa in areas[i] or unstated:
            a = code("crime_area", area)
            for stage, fs in stages[i] or unstated:
                s = code("stage", stage)
                for place, fp in places[i] or unstated:
                    record.append(i)
                    fraction.append(fa * fs * fp)
                    cols["crime_area"].append(a)
                    cols["stage"].append(s)
                    cols["country"].append(code("country", place))
                    cols["region"].append(code("region", region_of_place(place, regions)))
                    cols["structure"].append(structure)
    allocation = Allocation(
        record=np.asarray(record, dtype=np.int64),
        fraction=np.asarray(fraction, dtype=np.float64),
        codes={d: np.asarray(v, dtype=np.int64) for d, v in cols.items()},
        labels={d: list(table) for d, table in labels.items()},
    )
    portfolio._cache[key] = allocation
    return allocation


@dataclass(frozen=True)
class Period:
    start: int
    end: int

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"


@dataclass
class CoverageCell:
    row: str
    col: str
    budget: float
    activities: int


@dataclass
class CoverageMatrix:
    rows_dimension: str
    cols_dimension: str
    period: Period
    currency: str
    rows: list[str]
    cols: list[str]
    cells: dict[tuple[str, str], CoverageCell] = field(default_factory=dict)
    total_budget: float = 0.0
    row_totals: dict[str, float] = field(default_factory=dict)
    col_totals: dict[str, float] = field(default_factory=dict)

    def get(self, row: str, col: str) -> CoverageCell:
        return self.cells.get((row, col)) or CoverageCell(row, col, 0.0, 0)


def _mask(allocation: Allocation, filters: Mapping[str, object] | None) -> np.ndarray:
    mask = np.ones(len(allocation.record), dtype=bool)
    for dimension, wanted in (filters or {}).items():
        if wanted is None or wanted == "":
            continue
        values = {wanted} if isinstance(wanted, str) else set(wanted)  # type: ignore[call-overload]
        index = allocation.code_index(dimension)
        codes = [index[v] for v in values if v in index]
        mask &= np.isin(allocation.codes[dimension], np.asarray(codes, dtype=np.int64))
    return mask


def coverage(portfolio: Portfolio, regions: Mapping[str, str], period: Period,
             rows: str = "crime_area", cols: str = "country",
             filters: Mapping[str, object] | None = None) -> CoverageMatrix:
    """Budget and activity count per (row, column) cell over ``period``."""
    for d in (rows, cols):
        if d not in DIMENSIONS:
            raise ValueError(f"unknown dimension {d!r}; use one of {', '.join(DIMENSIONS)}")
    alloc = explode(portfolio, regions)
    budget = portfolio.period_budget(period.start, period.end)
    counted = portfolio.leaves() & portfolio.active(period.start, period.end)
    mask = _mask(alloc, filters)
    row_codes, col_codes = alloc.codes[rows][mask], alloc.codes[cols][mask]
    rec, frac = alloc.record[mask], alloc.fraction[mask]
    n_cols = max(len(alloc.labels[cols]), 1)
    key = row_codes * n_cols + col_codes
    amounts = frac * budget[rec]
    size = len(alloc.labels[rows]) * n_cols
    cell_budget = np.bincount(key, weights=amounts, minlength=size)
    live = counted[rec] & (frac > 0)
    pairs = np.unique(key[live] * len(portfolio) + rec[live]) if live.any() else np.array([], int)
    cell_count = np.bincount(pairs // max(len(portfolio), 1), minlength=size)

    matrix = CoverageMatrix(rows, cols, period, portfolio.currency, [], [])
    row_totals: dict[str, float] = defaultdict(float)
    col_totals: dict[str, float] = defaultdict(float)
    for k in np.flatnonzero((cell_budget > 0) | (cell_count > 0)):
        r, c = divmod(int(k), n_cols)
        row, col = alloc.labels[rows][r], alloc.labels[cols][c]
        matrix.cells[(row, col)] = CoverageCell(row, col, float(cell_budget[k]),
                                                int(cell_count[k]))
        row_totals[row] += float(cell_budget[k])
        col_totals[col] += float(cell_budget[k])
    matrix.rows = sorted({r for r, _ in matrix.cells}, key=lambda v: (v == NOT_STATED, v))
    matrix.cols = sorted({c for _, c in matrix.cells}, key=lambda v: (v == NOT_STATED, v))
    matrix.row_totals, matrix.col_totals = dict(row_totals), dict(col_totals)
    matrix.total_budget = float(cell_budget.sum())
    return matrix


@dataclass
class DrillActivity:
    row: int  # portfolio row index
    amount: float
    share: float  # the record's fraction in the cell


@dataclass
class DrillProgramme:
    root: int  # portfolio row index of the programme
    amount: float
    activities: list[DrillActivity]


def drill(portfolio: Portfolio, regions: Mapping[str, str], period: Period,
          filters: Mapping[str, object]) -> list[DrillProgramme]:
    """The programmes (and their records) behind a cell given by ``filters``, largest first."""
    alloc = explode(portfolio, regions)
    budget = portfolio.period_budget(period.start, period.end)
    counted = portfolio.leaves() & portfolio.active(period.start, period.end)
    mask = _mask(alloc, filters)
    per_record: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for rec, frac in zip(alloc.record[mask].tolist(), alloc.fraction[mask].tolist(),
                         strict=True):
        entry = per_record[rec]
        entry[0] += frac * float(budget[rec])
        entry[1] += frac
    roots = portfolio.roots()
    programmes: dict[int, DrillProgramme] = {}
    for rec, (amount, share) in per_record.items():
        if amount <= 0 and not counted[rec]:
            continue
        root = int(roots[rec])
        prog = programmes.setdefault(root, DrillProgramme(root, 0.0, []))
        prog.amount += amount
        prog.activities.append(DrillActivity(rec, amount, share))
    for prog in programmes.values():
        prog.activities.sort(key=lambda a: (-a.amount, portfolio.identifiers[a.row]))
    return sorted(programmes.values(), key=lambda p: (-p.amount, portfolio.identifiers[p.root]))
