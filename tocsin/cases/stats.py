"""The figures an asset-recovery office reports, by year, crime area, State and stage.

Every figure is counted from the asset register and the requests of the cases the
reader may read — nothing is typed in twice. Values are summed per currency; no
exchange rate is applied. The definitions (and their sources) are in
``docs/cases.md`` and in :data:`METRICS`.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.policy import list_readable, readable, require
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.cases.assets import custody_cost, figures
from tocsin.cases.tables import Asset, Case
from tocsin.i18n import N_
from tocsin.types.cells import neutralise

#: Metric → definition (see docs/cases.md for the sources).
METRICS: dict[str, str] = {
    "freezing_orders_issued": "Freezing or seizure orders made, by the year of the order; "
                              "value = amount the order covers (else the asset's value)",
    "freezing_orders_executed": "Freezing or seizure orders executed, by the year of "
                                "execution",
    "confiscation_orders_issued": "Confiscation orders made, by the year of the order",
    "confiscation_orders_executed": "Confiscation orders executed, by the year of execution",
    "confiscation_orders_final": "Confiscation orders no longer under appeal, by the year "
                                 "of the order",
    "value_recovered": "Amounts realised by disposal or interlocutory sale, by the year of "
                       "the disposal",
    "value_returned": "Disposals returning property to victims or a State or sharing it, by "
                      "the year of the disposal",
    "assets_under_management": "Assets frozen, seized or confiscated and not yet disposed of "
                               "at some time in the year; value = latest valuation",
    "management_costs": "Custody costs accrued in the year (monthly cost times started months)",
    "requests_outgoing": "Co-operation requests sent, by the year they were sent",
    "requests_incoming": "Co-operation requests received, by the year they were received",
    "requests_executed": "Requests executed in full or in part, by the year of execution",
    "requests_refused": "Requests refused, by the year of the refusal",
}
DIMENSIONS = ("year", "crime_area", "country", "stage", "kind", "currency")


@dataclass(frozen=True)
class Fact:
    metric: str
    year: int
    crime_area: str
    country: str
    stage: str
    kind: str
    currency: str
    value: Decimal


@dataclass(frozen=True)
class Row:
    metric: str
    key: tuple[str, ...]
    count: int
    value: Decimal


def _asset_facts(case: Case, asset: Asset, today: date) -> Iterable[Fact]:
    base = {"crime_area": case.crime_area or "", "country": asset.country or case.country or "",
            "stage": asset.stage, "kind": asset.kind, "currency": asset.currency}
    f = figures(asset, today)
    fallback = f.current_value
    for s in asset.stages:
        amount = s.amount if s.amount is not None else fallback
        if s.stage in ("freeze", "seize", "confiscate"):
            name = "freezing" if s.stage != "confiscate" else "confiscation"
            yield Fact(f"{name}_orders_issued", (s.order_date or s.on_date).year, value=amount,
                       **base)
            if s.executed_on:
                yield Fact(f"{name}_orders_executed", s.executed_on.year, value=amount, **base)
            if s.stage == "confiscate" and s.order_status == "final":
                yield Fact("confiscation_orders_final", (s.order_date or s.on_date).year,
                           value=amount, **base)
        if s.stage == "dispose":
            realised = f.realised or Decimal(0)
            if s.disposal in ("return_to_victim", "return_to_state", "sharing"):
                yield Fact("value_returned", s.on_date.year, value=amount, **base)
            elif realised:
                yield Fact("value_recovered", s.on_date.year, value=realised, **base)
    held_from = min((s.on_date for s in asset.stages
                     if s.stage in ("freeze", "seize", "confiscate")), default=None)
    if held_from is not None:
        until = next((s.on_date for s in asset.stages if s.stage == "dispose"), today)
        for year in range(held_from.year, until.year + 1):
            yield Fact("assets_under_management", year, value=fallback, **base)
    for c in asset.custody:
        if c.currency != asset.currency:
            continue
        end = min(c.until or today, today)
        for year in range(c.since.year, end.year + 1):
            start = max(c.since, date(year, 1, 1))
            stop = min(end, date(year, 12, 31))
            part = type(c)(custodian=c.custodian, since=start, until=stop,
                           monthly_cost=c.monthly_cost, currency=c.currency)
            cost = custody_cost(part, today)
            if cost:
                yield Fact("management_costs", year, value=cost, **base)


def facts(session: Session, principal: Principal, today: date | None = None) -> list[Fact]:
    """Every countable event of the readable cases (reads audited)."""
    today = today or date.today()
    cases = list_readable(session, readable(Case, principal).order_by(Case.id), principal,
                          action="export")
    found: list[Fact] = []
    for case in cases:
        for asset in case.assets:
            found += _asset_facts(case, asset, today)
        for req in case.requests:
            base: dict[str, Any] = {
                "crime_area": case.crime_area or "", "country": req.counterpart_country,
                "stage": req.status, "kind": req.kind, "currency": "", "value": Decimal(0)}
            if req.sent_on and req.direction == "outgoing":
                found.append(Fact("requests_outgoing", req.sent_on.year, **base))
            if req.sent_on and req.direction == "incoming":
                found.append(Fact("requests_incoming", req.sent_on.year, **base))
            if req.status in ("executed", "partly_executed") and req.closed_on:
                found.append(Fact("requests_executed", req.closed_on.year, **base))
            if req.status == "refused" and req.closed_on:
                found.append(Fact("requests_refused", req.closed_on.year, **base))
    return found


def aggregate(found: Sequence[Fact], by: Sequence[str] = ("year",)) -> list[Row]:
    """Count and sum the facts per metric and the chosen dimensions."""
    bad = [d for d in by if d not in DIMENSIONS]
    if bad:
        from tocsin.errors import InputError

        raise InputError.single("by", N_("%(value)s is not one of %(known)s",
                                         value=repr(bad[0]), known=", ".join(DIMENSIONS)))
    keys = tuple(by) if "currency" in by else (*by, "currency")
    totals: dict[tuple[str, tuple[str, ...]], list[Decimal]] = defaultdict(
        lambda: [Decimal(0), Decimal(0)])
    for fact in found:
        key = tuple(str(getattr(fact, k)) for k in keys)
        slot = totals[(fact.metric, key)]
        slot[0] += 1
        slot[1] += fact.value
    order = list(METRICS)
    return [Row(m, k, int(v[0]), v[1]) for (m, k), v in
            sorted(totals.items(), key=lambda item: (order.index(item[0][0]), item[0][1]))]


def headers(by: Sequence[str]) -> list[str]:
    keys = list(by) if "currency" in by else [*by, "currency"]
    return ["metric", *keys, "count", "value"]


def to_csv(session: Session, principal: Principal, rows: Sequence[Row],
           by: Sequence[str]) -> str:
    """The rows as CSV (formula-safe cells); audited as an export."""
    require(principal, Action.EXPORT)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers(by))
    for row in rows:
        writer.writerow([row.metric, *(neutralise(k) for k in row.key), row.count,
                         f"{row.value:.2f}"])
    audit.record(session, principal, "export", "case_statistics", "",
                 detail=f"by={','.join(by)} rows={len(rows)}")
    return out.getvalue()
