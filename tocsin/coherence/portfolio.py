"""The portfolio as an in-memory frame: one row per programme, project or activity.

The analysis (coverage, gaps, duplicates, recommendations, what-if) works on a
:class:`Portfolio`, never on ORM objects, so it runs the same on a database
snapshot (:func:`load_portfolio`, a handful of queries), on a generated
portfolio (:mod:`.synthetic`) and on a what-if overlay (:mod:`.scenario`).

Shares are kept as fractions summing to one. A share without a percentage gets
an equal part of what the stated percentages leave; an activity without crime
areas, stages or places inherits its nearest ancestor's.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.access.policy import readable
from tocsin.access.principal import Principal
from tocsin.taskforce.programmes.tables import (
    Activity,
    ActivityCountry,
    ActivityCrimeArea,
    ActivityRegion,
    ActivityStage,
    Finance,
    Participant,
)

Shares = tuple[tuple[str, float], ...]
#: Place key of an activity that names a recipient region instead of countries.
REGION_PREFIX = "@"
#: IATI activity status: cancelled activities cover nothing.
CANCELLED = 5


def normalise(pairs: Iterable[tuple[str, float | Decimal | None]]) -> Shares:
    """Fractions summing to one; missing percentages share what the others leave."""
    items = [(code, None if pct is None else float(pct)) for code, pct in pairs]
    if len(items) < 2:  # most records: one code, the whole of it
        return ((items[0][0], 1.0),) if items else ()
    given = sum(p for _, p in items if p is not None)
    missing = sum(1 for _, p in items if p is None)
    rest = max(100.0 - given, 0.0) / missing if missing else 0.0
    values = [(code, rest if p is None else max(p, 0.0)) for code, p in items]
    total = sum(v for _, v in values)
    if total <= 0:
        return tuple((code, 1.0 / len(values)) for code, _ in values)
    merged: dict[str, float] = defaultdict(float)
    for code, v in values:
        merged[code] += v / total
    return tuple(merged.items())


@dataclass
class Portfolio:
    """Column lists, one entry per record; ``parents`` holds row indexes (-1 for a root)."""

    ids: list[int] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)
    structures: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    starts: list[date | None] = field(default_factory=list)
    ends: list[date | None] = field(default_factory=list)
    external: list[bool] = field(default_factory=list)
    handling: list[str] = field(default_factory=list)
    reporting_orgs: list[str] = field(default_factory=list)
    partners: list[tuple[str, ...]] = field(default_factory=list)
    countries: list[Shares] = field(default_factory=list)
    regions: list[Shares] = field(default_factory=list)
    crime_areas: list[Shares] = field(default_factory=list)
    stages: list[Shares] = field(default_factory=list)
    #: Own budget by year, in :attr:`currency` (other currencies are not converted).
    budget: list[dict[int, float]] = field(default_factory=list)
    #: Added by a what-if scenario, not stored.
    planned: list[bool] = field(default_factory=list)
    currency: str = "EUR"
    #: Budget in other currencies, left out of every figure (currency → total).
    excluded_budget: dict[str, float] = field(default_factory=dict)
    _cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, *, id: int, identifier: str, title: str, description: str = "",
            level: str = "activity", parent: int = -1, structure: str = "", status: int = 2,
            start: date | None = None, end: date | None = None, external: bool = False,
            handling: str = "GREEN", reporting_org: str = "",
            partners: Sequence[str] = (), countries: Shares = (), regions: Shares = (),
            crime_areas: Shares = (), stages: Shares = (),
            budget: dict[int, float] | None = None, planned: bool = False) -> int:
        """Append one record; returns its row index."""
        self.ids.append(id)
        self.identifiers.append(identifier)
        self.titles.append(title)
        self.descriptions.append(description)
        self.levels.append(level)
        self.parents.append(parent)
        self.structures.append(structure)
        self.statuses.append(status)
        self.starts.append(start)
        self.ends.append(end)
        self.external.append(external)
        self.handling.append(handling)
        self.reporting_orgs.append(reporting_org)
        self.partners.append(tuple(sorted(set(partners))))
        self.countries.append(countries)
        self.regions.append(regions)
        self.crime_areas.append(crime_areas)
        self.stages.append(stages)
        self.budget.append(dict(budget or {}))
        self.planned.append(planned)
        self._cache.clear()
        return len(self.ids) - 1

    def copy(self) -> Portfolio:
        """An independent overlay: lists copied, budgets copied, caches dropped."""
        clone = replace(self, excluded_budget=dict(self.excluded_budget), _cache={})
        for name in _LIST_FIELDS:
            setattr(clone, name, list(getattr(self, name)))
        clone.budget = [dict(b) for b in self.budget]
        return clone

    def changed(self) -> None:
        """Call after editing columns in place, so derived values are recomputed."""
        self._cache.clear()

    # --- derived values (cached until the next change) ---------------------------------

    def row_of(self, record_id: int) -> int:
        index = self._cached("row_of", lambda: {ident: i for i, ident in enumerate(self.ids)})
        assert isinstance(index, dict)
        return int(index[record_id])

    def children(self) -> list[list[int]]:
        def build() -> list[list[int]]:
            kids: list[list[int]] = [[] for _ in self.ids]
            for i, parent in enumerate(self.parents):
                if parent >= 0:
                    kids[parent].append(i)
            return kids
        value = self._cached("children", build)
        assert isinstance(value, list)
        return value

    def leaves(self) -> np.ndarray:
        """True for records without children: the units of work that are counted."""
        value = self._cached("leaves", lambda: np.array([not k for k in self.children()],
                                                        dtype=bool))
        assert isinstance(value, np.ndarray)
        return value

    def roots(self) -> np.ndarray:
        """Row index of each record's top ancestor (the programme)."""
        def build() -> np.ndarray:
            root = np.arange(len(self.ids))
            for i in self._topological():
                parent = self.parents[i]
                if parent >= 0:
                    root[i] = root[parent]
            return root
        value = self._cached("roots", build)
        assert isinstance(value, np.ndarray)
        return value

    def _topological(self) -> list[int]:
        """Row indexes with every parent before its children."""
        order: list[int] = []
        kids = self.children()
        stack = [i for i, p in enumerate(self.parents) if p < 0]
        while stack:
            i = stack.pop()
            order.append(i)
            stack.extend(kids[i])
        return order

    def effective(self, name: str) -> list[Shares]:
        """Shares of ``crime_areas``, ``stages`` or ``places``, inherited where missing."""
        def build() -> list[Shares]:
            own = self.places() if name == "places" else getattr(self, name)
            out: list[Shares] = list(own)
            for i in self._topological():
                parent = self.parents[i]
                if not out[i] and parent >= 0:
                    out[i] = out[parent]
            return out
        value = self._cached(f"effective:{name}", build)
        assert isinstance(value, list)
        return value

    def places(self) -> list[Shares]:
        """Countries, or the recipient regions (``@code``) when no country is named."""
        def build() -> list[Shares]:
            return [c if c else tuple((REGION_PREFIX + code, s) for code, s in r)
                    for c, r in zip(self.countries, self.regions, strict=True)]
        value = self._cached("places", build)
        assert isinstance(value, list)
        return value

    def years(self) -> list[int]:
        found = {y for b in self.budget for y in b}
        return sorted(found)

    def effective_budget(self) -> tuple[list[int], np.ndarray]:
        """(years, matrix records x years) of the budget each record adds on its own.

        A record's figure for a year is its envelope when it has one, otherwise
        the sum of its children's. What a record adds on its own is its envelope
        minus what its children already account for (never below zero), so an
        envelope fully split into projects is counted once, at the projects.
        """
        def build() -> tuple[list[int], np.ndarray]:
            years = self.years()
            col = {y: j for j, y in enumerate(years)}
            n = len(self.ids)
            own = np.zeros((n, len(years)))
            has_own = np.zeros((n, len(years)), dtype=bool)
            for i, b in enumerate(self.budget):
                for y, amount in b.items():
                    own[i, col[y]] = amount
                    has_own[i, col[y]] = True
            rolled = np.zeros_like(own)
            below = np.zeros_like(own)
            for i in reversed(self._topological()):
                rolled[i] = np.where(has_own[i], own[i], below[i])
                parent = self.parents[i]
                if parent >= 0:
                    below[parent] += rolled[i]
            adds = np.where(has_own, np.maximum(own - below, 0.0), 0.0)
            return years, adds
        value = self._cached("effective_budget", build)
        assert isinstance(value, tuple)
        return value

    def period_budget(self, start: int, end: int) -> np.ndarray:
        """Each record's own addition to the budget over the years ``start``..``end``."""
        years, matrix = self.effective_budget()
        cols = [j for j, y in enumerate(years) if start <= y <= end]
        if not cols:
            return np.zeros(len(self.ids))
        return np.asarray(matrix[:, cols].sum(axis=1))

    def active(self, start: int, end: int) -> np.ndarray:
        """Records at work in the period: budget in it, or dates overlapping it (not cancelled)."""
        budget = self.period_budget(start, end) > 0
        first, last = date(start, 1, 1), date(end, 12, 31)
        dated = np.array([(s is None or s <= last) and (e is None or e >= first)
                          and not (s is None and e is None and bool(self.budget[i]))
                          for i, (s, e) in enumerate(zip(self.starts, self.ends, strict=True))],
                         dtype=bool)
        live = np.array([s != CANCELLED for s in self.statuses], dtype=bool)
        return (budget | dated) & live

    def fingerprint(self, i: int) -> str:
        """A digest of what makes two activities the same work; a change of it is material."""
        parts = [self.titles[i].strip().lower(), " ".join(self.descriptions[i].lower().split()),
                 ",".join(sorted(c for c, _ in self.crime_areas[i])),
                 ",".join(sorted(c for c, _ in self.places()[i])),
                 ",".join(sorted(c for c, _ in self.stages[i])),
                 str(self.starts[i] or ""), str(self.ends[i] or ""), self.structures[i]]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def _cached(self, key: str, build: object) -> object:
        if key not in self._cache:
            assert callable(build)
            self._cache[key] = build()
        return self._cache[key]


_LIST_FIELDS = ("ids", "identifiers", "titles", "descriptions", "levels", "parents",
                "structures", "statuses", "starts", "ends", "external", "handling",
                "reporting_orgs", "partners", "countries", "regions", "crime_areas", "stages",
                "planned")


def load_portfolio(session: Session, principal: Principal, currency: str | None = None
                   ) -> Portfolio:
    """The activities the principal may read, in seven queries.

    ``currency`` picks the currency budgets are counted in (default: the one most
    budget lines use); budgets in other currencies are reported, never converted.
    """
    visible = readable(Activity, principal).with_only_columns(Activity.id).scalar_subquery()
    rows = session.execute(
        readable(Activity, principal).with_only_columns(
            Activity.id, Activity.identifier, Activity.title, Activity.description,
            Activity.level, Activity.parent_id, Activity.implementing_structure,
            Activity.status, Activity.planned_start, Activity.actual_start,
            Activity.planned_end, Activity.actual_end, Activity.is_external,
            Activity.handling, Activity.reporting_org_name, Activity.reporting_org_ref,
        ).order_by(Activity.id)
    ).all()

    def shares(model: type, column: str) -> dict[int, list[tuple[str, Decimal | None]]]:
        out: dict[int, list[tuple[str, Decimal | None]]] = defaultdict(list)
        stmt = (select(model.activity_id, getattr(model, column), model.percentage)  # type: ignore[attr-defined]
                .where(model.activity_id.in_(visible))  # type: ignore[attr-defined]
                .order_by(model.activity_id, model.position))  # type: ignore[attr-defined]
        for activity_id, code, pct in session.execute(stmt):
            out[activity_id].append((code, pct))
        return out

    countries = shares(ActivityCountry, "country_code")
    regions = shares(ActivityRegion, "code")
    areas = shares(ActivityCrimeArea, "crime_area_code")
    stages = shares(ActivityStage, "stage_code")
    partners: dict[int, set[str]] = defaultdict(set)
    for activity_id, code, name, ref in session.execute(
        select(Participant.activity_id, Participant.organization_code, Participant.name,
               Participant.org_ref).where(Participant.activity_id.in_(visible))
    ):
        label = code or ref or (name or "").strip().lower()
        if label:
            partners[activity_id].add(label)
    lines = session.execute(
        select(Finance.activity_id, Finance.year, Finance.amount, Finance.currency)
        .where(Finance.activity_id.in_(visible), Finance.kind == "budget")
    ).all()
    if currency is None:
        counts = Counter(c for _, _, _, c in lines)
        currency = counts.most_common(1)[0][0] if counts else "EUR"
    budgets: dict[int, dict[int, float]] = defaultdict(dict)
    excluded: dict[str, float] = defaultdict(float)
    for activity_id, year, amount, cur in lines:
        if cur == currency:
            budgets[activity_id][year] = budgets[activity_id].get(year, 0.0) + float(amount)
        else:
            excluded[cur] += float(amount)

    p = Portfolio(currency=currency, excluded_budget=dict(excluded))
    row_of = {r.id: i for i, r in enumerate(rows)}
    for r in rows:
        p.add(id=r.id, identifier=r.identifier, title=r.title, description=r.description or "",
              level=r.level, parent=row_of.get(r.parent_id, -1) if r.parent_id else -1,
              structure=r.implementing_structure or "", status=r.status,
              start=r.actual_start or r.planned_start, end=r.actual_end or r.planned_end,
              external=bool(r.is_external), handling=r.handling,
              reporting_org=r.reporting_org_name or r.reporting_org_ref,
              partners=sorted(partners.get(r.id, ())),
              countries=normalise(countries.get(r.id, ())),
              regions=normalise(regions.get(r.id, ())),
              crime_areas=normalise(areas.get(r.id, ())),
              stages=normalise(stages.get(r.id, ())),
              budget=budgets.get(r.id))
    return p
