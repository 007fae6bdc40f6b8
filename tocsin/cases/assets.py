"""The asset register: identification to disposal, with orders, valuations and custody.

The life cycle runs identify → trace → freeze/seize → confiscate → manage → dispose
(Directive (EU) 2024/1260: tracing and identification, freezing, confiscation,
management, disposal). A stage may be skipped but never recorded after a later one,
nor dated before the stage it follows or before the asset was identified; freezing,
seizure, confiscation and disposal rest on an order (authority, reference, date,
legal basis, final or under appeal) that cannot postdate the stage. Disposal needs
a confiscation first; an interlocutory sale (before final confiscation) keeps the
proceeds in place of the asset.

Custody costs accrue per started month from ``since`` to ``until`` (or today); the
net proceeds of a disposal are what it realised (or the interlocutory sale) minus
the custody costs and the disposal's own costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from tocsin import types
from tocsin.access.principal import Principal
from tocsin.cases.records import audit_case, get_case, writable_case
from tocsin.cases.spec import (
    AssetSpec,
    CustodySpec,
    Identifier,
    SaleSpec,
    StageSpec,
    TraceAssetSpec,
    ValuationSpec,
)
from tocsin.cases.tables import (
    ASSET_KINDS,
    DISPOSAL_KINDS,
    IDENTIFIER_SCHEMES,
    ORDER_STAGES,
    ORDER_STATUSES,
    STAGE_RANK,
    STAGES,
    VALUATION_METHODS,
    Asset,
    AssetStage,
    Case,
    Custody,
    Valuation,
)
from tocsin.errors import InputError, NotFound, Problem
from tocsin.i18n import N_
from tocsin.settings import Settings

CENT = Decimal("0.01")


def _currency(value: str, location: str, problems: list[Problem]) -> str:
    found = types.currency.check(value, location, problems)
    return found or value


def get_asset(session: Session, principal: Principal, asset_id: int) -> tuple[Case, Asset]:
    """An asset of a case the principal may read; a hidden one is "not found" too."""
    from tocsin.access.policy import storable_id

    asset = session.get(Asset, asset_id) if storable_id(asset_id) else None
    if asset is None:
        raise NotFound.of('asset', asset_id)
    try:
        case = get_case(session, principal, asset.case_id)
    except NotFound:
        raise NotFound.of('asset', asset_id) from None
    return case, asset


def writable_asset(session: Session, principal: Principal, asset_id: int) -> tuple[Case, Asset]:
    case, asset = get_asset(session, principal, asset_id)
    writable_case(session, principal, case.id)
    return case, asset


def _check_asset(case: Case, spec: AssetSpec, problems: list[Problem]) -> str:
    if spec.kind not in ASSET_KINDS:
        problems.append(Problem("asset.kind", N_("%(value)s is not one of %(known)s",
                                                 value=repr(spec.kind),
                                                 known=", ".join(ASSET_KINDS))))
    if not spec.description:
        problems.append(Problem("asset.description", N_("describe the asset")))
    for i, ident in enumerate(spec.identifiers):
        if ident.scheme not in IDENTIFIER_SCHEMES:
            problems.append(Problem(f"asset.identifiers[{i}].scheme",
                                    N_("%(value)s is not one of %(known)s",
                                       value=repr(ident.scheme),
                                       known=", ".join(IDENTIFIER_SCHEMES))))
        if not ident.value:
            problems.append(Problem(f"asset.identifiers[{i}].value",
                                    N_("give the identifier")))
    if spec.owner_subject_id is not None and spec.owner_subject_id not in {
            s.id for s in case.subjects}:
        problems.append(Problem("asset.owner_subject_id",
                                N_("no subject %(id)s in this case",
                                   id=spec.owner_subject_id)))
    if spec.country:
        types.country.check(spec.country, "asset.country", problems)
    return _currency(spec.currency, "asset.currency", problems)


def create_asset(session: Session, principal: Principal, case_id: int, spec: AssetSpec,
                 trace: dict[str, Any] | None = None) -> Asset:
    case = writable_case(session, principal, case_id)
    problems: list[Problem] = []
    currency = _check_asset(case, spec, problems)
    if spec.identified_on < case.opened_on:
        problems.append(Problem("asset.identified_on",
                                N_("%(date)s is before the case was opened (%(opened)s)",
                                   date=spec.identified_on, opened=case.opened_on)))
    if problems:
        raise InputError(problems)
    asset = Asset(kind=spec.kind, description=spec.description,
                  identifiers=[i.model_dump() for i in spec.identifiers],
                  owner_subject_id=spec.owner_subject_id, third_parties=spec.third_parties,
                  encumbrances=spec.encumbrances,
                  country=types.country.clean(spec.country) if spec.country else None,
                  currency=currency, estimated_value=spec.estimated_value.quantize(CENT),
                  identified_on=spec.identified_on, stage="identify", trace=trace,
                  set_id=trace["set_id"] if trace else None)
    asset.stages.append(AssetStage(stage="identify", on_date=spec.identified_on,
                                   amount=asset.estimated_value, recorded_by=principal.username))
    if spec.estimated_value:
        asset.valuations.append(Valuation(on_date=spec.identified_on,
                                          amount=asset.estimated_value, currency=currency,
                                          method="estimate", by=principal.username))
    case.assets.append(asset)
    session.flush()
    audit_case(session, principal, case, f"asset {asset.id} identified: {spec.description}")
    return asset


def asset_from_trace(session: Session, principal: Principal, settings: Settings, case_id: int,
                     spec: TraceAssetSpec) -> Asset:
    """An asset for the funds a trace shows reaching ``spec.end_account``.

    The trace runs again on the set (read rule applies), so the amount is the
    trace's, not a number typed in; the asset keeps the set, the trace's
    parameters and the amount as its link.
    """
    from tocsin.money import jobs, sets
    from tocsin.money.trace import RULES, TraceConfig

    problems: list[Problem] = []
    if spec.direction not in ("forward", "backward"):
        problems.append(Problem("trace.direction", N_("use forward or backward")))
    if spec.rule not in RULES:
        problems.append(Problem("trace.rule", N_("%(value)s is not one of %(known)s",
                                                 value=repr(spec.rule), known=", ".join(RULES))))
    if problems:
        raise InputError(problems)
    writable_case(session, principal, case_id)
    item = sets.get_set(session, principal, spec.set_id)
    config = TraceConfig(direction=spec.direction, rule=spec.rule,  # type: ignore[arg-type]
                         hops=spec.hops, window_hours=spec.window_hours,
                         max_nodes=jobs.WEB_TRACE_NODES)
    result = jobs.trace_now(session, principal, settings, item.id, spec.accounts, [], config)
    ends = result["trace"]["end_points"]
    if not ends:
        raise InputError.single("trace.accounts", N_(
            "the trace from %(accounts)s reaches no end point in this set (are the accounts in "
            "it?)", accounts=", ".join(spec.accounts)))
    end = next((e for e in ends if e["account"] == spec.end_account), None)
    if end is None:
        shown = ", ".join(e["account"] for e in ends[:10]) or "-"
        raise InputError.single("trace.end_account", N_(
            "%(account)s is not an end point of this trace (end points: %(shown)s)",
            account=repr(spec.end_account), shown=shown))
    link = {"set_id": item.id, "set": item.name, "accounts": list(spec.accounts),
            "direction": spec.direction, "rule": spec.rule, "hops": spec.hops,
            "window_hours": spec.window_hours, "end_account": end["account"],
            "end": end["end"], "amount": end["amount"], "paths": end["paths"],
            "traced_on": spec.identified_on.isoformat()}
    description = spec.description or (
        f"Funds traced to account {end['account']} ({end['end']}) from "
        f"{', '.join(spec.accounts)}")
    asset = create_asset(session, principal, case_id, AssetSpec(
        kind=spec.kind, description=description[:500],
        identifiers=[Identifier(scheme="account", value=end["account"])],
        country=spec.country, currency=item.base_currency,
        estimated_value=Decimal(str(end["amount"])).quantize(CENT),
        identified_on=spec.identified_on), trace=link)
    # the trace is a stage of its own, dated when the trace was made
    add_stage(session, principal, asset.id, StageSpec(
        stage="trace", on_date=spec.identified_on,
        amount=Decimal(str(end["amount"])).quantize(CENT),
        note=f"{spec.direction} {spec.rule.upper()} trace over set {item.name}"))
    return asset


#: The fields of an order as a refusal names them.
ORDER_FIELDS = {"authority": N_("authority"), "order_reference": N_("order reference"),
                "legal_basis": N_("legal basis")}


def _check_stage(asset: Asset, spec: StageSpec, problems: list[Problem]) -> None:
    if spec.stage not in STAGES:
        problems.append(Problem("stage.stage", N_("%(value)s is not one of %(known)s",
                                                  value=repr(spec.stage),
                                                  known=", ".join(STAGES))))
        return
    if spec.stage == "identify":
        problems.append(Problem("stage.stage",
                                N_("the asset is identified when it is recorded")))
        return
    current = STAGE_RANK[asset.stage]
    rank = STAGE_RANK[spec.stage]
    if rank < current or (rank == current and spec.stage == asset.stage
                          and spec.stage not in ("freeze", "seize")):
        problems.append(Problem("stage.stage", N_(
            "%(stage)s cannot follow %(current)s: the order is %(order)s", stage=spec.stage,
            current=asset.stage, order=" → ".join(STAGES))))
    last = asset.stages[-1] if asset.stages else None
    if spec.on_date < asset.identified_on:
        problems.append(Problem("stage.on_date", N_(
            "%(date)s is before the asset was identified (%(identified)s)", date=spec.on_date,
            identified=asset.identified_on)))
    elif last is not None and spec.on_date < last.on_date:
        problems.append(Problem("stage.on_date", N_(
            "%(date)s is before the previous stage (%(stage)s on %(on)s)", date=spec.on_date,
            stage=last.stage, on=last.on_date)))
    stages = {s.stage for s in asset.stages}
    if spec.stage == "dispose" and "confiscate" not in stages:
        problems.append(Problem("stage.stage",
                                N_("record the confiscation before the disposal")))
    if spec.stage == "manage" and not stages & {"freeze", "seize", "confiscate"}:
        problems.append(Problem("stage.stage", N_("an asset is managed once frozen, seized or "
                                                  "confiscated")))
    if spec.stage in ORDER_STAGES:
        for field in ("authority", "order_reference", "legal_basis"):
            if not getattr(spec, field):
                problems.append(Problem(f"stage.{field}", N_(
                    "a %(stage)s order needs its %(field)s", stage=spec.stage,
                    field=ORDER_FIELDS[field])))
        if spec.order_date is None:
            problems.append(Problem("stage.order_date", N_("a %(stage)s order needs its date",
                                                           stage=spec.stage)))
        elif spec.order_date > spec.on_date:
            problems.append(Problem("stage.order_date", N_(
                "the order (%(order_date)s) comes after the %(stage)s (%(on)s)",
                order_date=spec.order_date, stage=spec.stage, on=spec.on_date)))
        elif spec.order_date < asset.identified_on:
            problems.append(Problem("stage.order_date", N_(
                "the order (%(order_date)s) is before the asset was identified (%(identified)s)",
                order_date=spec.order_date, identified=asset.identified_on)))
        if spec.order_status not in ORDER_STATUSES:
            problems.append(Problem("stage.order_status", N_(
                "say whether the order is final or under appeal")))
    elif spec.order_status and spec.order_status not in ORDER_STATUSES:
        problems.append(Problem("stage.order_status", N_(
            "%(value)s is not final or under_appeal", value=repr(spec.order_status))))
    if spec.executed_on is not None and spec.executed_on < (spec.order_date or spec.on_date):
        problems.append(Problem("stage.executed_on", N_("executed before the order was made")))
    if spec.stage == "dispose":
        if spec.disposal not in DISPOSAL_KINDS:
            problems.append(Problem("stage.disposal", N_("say how: %(kinds)s",
                                                              kinds=", ".join(DISPOSAL_KINDS))))
    elif spec.disposal:
        problems.append(Problem("stage.disposal",
                                N_("only a disposal says how it was disposed of")))


def add_stage(session: Session, principal: Principal, asset_id: int, spec: StageSpec) -> AssetStage:
    case, asset = writable_asset(session, principal, asset_id)
    problems: list[Problem] = []
    _check_stage(asset, spec, problems)
    if problems:
        raise InputError(problems)
    stage = AssetStage(stage=spec.stage, on_date=spec.on_date, authority=spec.authority,
                       order_reference=spec.order_reference, order_date=spec.order_date,
                       legal_basis=spec.legal_basis, order_status=spec.order_status,
                       executed_on=spec.executed_on,
                       amount=spec.amount.quantize(CENT) if spec.amount is not None else None,
                       disposal=spec.disposal,
                       costs=spec.costs.quantize(CENT) if spec.costs is not None else None,
                       note=spec.note, recorded_by=principal.username)
    asset.stages.append(stage)
    asset.stage = spec.stage
    session.flush()
    audit_case(session, principal, case, f"asset {asset.id}: {spec.stage} on {spec.on_date}"
               + (f", order {spec.order_reference}" if spec.order_reference else ""))
    return stage


def set_order_status(session: Session, principal: Principal, stage_id: int, status: str,
                     executed_on: date | None = None) -> AssetStage:
    """An appeal decided (``final``) or lodged (``under_appeal``); the execution date."""
    from tocsin.access.policy import storable_id

    stage = session.get(AssetStage, stage_id) if storable_id(stage_id) else None
    if stage is None:
        raise NotFound.of('stage', stage_id)
    case, asset = writable_asset(session, principal, stage.asset_id)
    problems: list[Problem] = []
    if stage.stage not in ORDER_STAGES:
        problems.append(Problem("stage", N_("a %(stage)s stage has no order",
                                            stage=stage.stage)))
    if status not in ORDER_STATUSES:
        problems.append(Problem("order_status", N_("%(value)s is not final or under_appeal",
                                                   value=repr(status))))
    if executed_on is not None and executed_on < (stage.order_date or stage.on_date):
        problems.append(Problem("executed_on", N_("executed before the order was made")))
    if problems:
        raise InputError(problems)
    stage.order_status = status
    if executed_on is not None:
        stage.executed_on = executed_on
    audit_case(session, principal, case, f"asset {asset.id}: {stage.stage} order {status}")
    return stage


def add_valuation(session: Session, principal: Principal, asset_id: int,
                  spec: ValuationSpec) -> Valuation:
    case, asset = writable_asset(session, principal, asset_id)
    problems: list[Problem] = []
    currency = _currency(spec.currency, "valuation.currency", problems)
    if spec.method not in VALUATION_METHODS:
        problems.append(Problem("valuation.method", N_(
            "%(value)s is not one of %(known)s", value=repr(spec.method),
            known=", ".join(VALUATION_METHODS))))
    if spec.on_date < asset.identified_on:
        problems.append(Problem("valuation.on_date", N_("before the asset was identified")))
    if problems:
        raise InputError(problems)
    valuation = Valuation(on_date=spec.on_date, amount=spec.amount.quantize(CENT),
                          currency=currency, method=spec.method,
                          by=spec.by or principal.username)
    asset.valuations.append(valuation)
    session.flush()
    audit_case(session, principal, case, f"asset {asset.id}: valued {spec.amount} {currency}")
    return valuation


def add_custody(session: Session, principal: Principal, asset_id: int,
                spec: CustodySpec) -> Custody:
    case, asset = writable_asset(session, principal, asset_id)
    problems: list[Problem] = []
    currency = _currency(spec.currency, "custody.currency", problems)
    if not spec.custodian:
        problems.append(Problem("custody.custodian", N_("name the custodian")))
    if spec.since < asset.identified_on:
        problems.append(Problem("custody.since", N_("before the asset was identified")))
    if spec.until is not None and spec.until < spec.since:
        problems.append(Problem("custody.until", N_("ends before it starts")))
    if problems:
        raise InputError(problems)
    custody = Custody(custodian=spec.custodian, location=spec.location, since=spec.since,
                      until=spec.until, monthly_cost=spec.monthly_cost.quantize(CENT),
                      currency=currency)
    asset.custody.append(custody)
    session.flush()
    audit_case(session, principal, case, f"asset {asset.id}: custody with {spec.custodian}")
    return custody


def record_sale(session: Session, principal: Principal, asset_id: int, spec: SaleSpec) -> Asset:
    """An interlocutory sale: allowed once the asset is frozen or seized and not disposed of."""
    case, asset = writable_asset(session, principal, asset_id)
    problems: list[Problem] = []
    stages = {s.stage for s in asset.stages}
    if not stages & {"freeze", "seize"}:
        problems.append(Problem("sale", N_("only a frozen or seized asset is sold before "
                                           "confiscation")))
    if "dispose" in stages:
        problems.append(Problem("sale", N_("the asset is already disposed of")))
    if asset.sold_on is not None:
        problems.append(Problem("sale", N_("the asset was already sold")))
    if not spec.order_reference:
        problems.append(Problem("sale.order_reference", N_("give the order allowing the sale")))
    first = min((s.on_date for s in asset.stages if s.stage in ("freeze", "seize")),
                default=None)
    if first is not None and spec.sold_on < first:
        problems.append(Problem("sale.sold_on", N_(
            "before the asset was frozen or seized (%(date)s)", date=first)))
    if problems:
        raise InputError(problems)
    asset.sold_on, asset.sale_amount = spec.sold_on, spec.amount.quantize(CENT)
    asset.sale_order = spec.order_reference
    audit_case(session, principal, case, f"asset {asset.id}: interlocutory sale for "
                                         f"{spec.amount} {asset.currency}")
    return asset


# --- figures ------------------------------------------------------------------------------

def months_between(start: date, end: date) -> int:
    """Started months from ``start`` to ``end`` (a custody of one day costs one month)."""
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day >= start.day:
        months += 1
    return max(months, 1)


def custody_cost(custody: Custody, today: date) -> Decimal:
    end = min(custody.until or today, today)
    return (custody.monthly_cost * months_between(custody.since, end)).quantize(CENT)


@dataclass(frozen=True)
class AssetFigures:
    current_value: Decimal
    valued_on: date | None
    monthly_cost: Decimal
    accumulated_cost: Decimal
    realised: Decimal | None
    net_proceeds: Decimal | None
    frozen_value: Decimal | None
    confiscated_value: Decimal | None


def figures(asset: Asset, today: date | None = None) -> AssetFigures:
    """Latest valuation, custody costs so far, and what the disposal brought in net."""
    today = today or date.today()
    same = [v for v in asset.valuations if v.currency == asset.currency]
    latest = same[-1] if same else None
    running = [c for c in asset.custody if c.until is None or c.until >= today]
    accumulated = sum((custody_cost(c, today) for c in asset.custody
                       if c.currency == asset.currency), Decimal(0))
    dispose = next((s for s in asset.stages if s.stage == "dispose"), None)
    realised: Decimal | None = None
    net: Decimal | None = None
    if dispose is not None:
        realised = dispose.amount if dispose.amount is not None else asset.sale_amount
        if realised is not None:
            net = (realised - accumulated - (dispose.costs or Decimal(0))).quantize(CENT)

    def at(stage_names: tuple[str, ...]) -> Decimal | None:
        found = [s for s in asset.stages if s.stage in stage_names]
        if not found:
            return None
        last = found[-1]
        return last.amount if last.amount is not None else (
            latest.amount if latest else asset.estimated_value)

    return AssetFigures(
        current_value=latest.amount if latest else asset.estimated_value,
        valued_on=latest.on_date if latest else None,
        monthly_cost=sum((c.monthly_cost for c in running if c.currency == asset.currency),
                         Decimal(0)),
        accumulated_cost=accumulated, realised=realised, net_proceeds=net,
        frozen_value=at(("freeze", "seize")), confiscated_value=at(("confiscate",)))


def shown_trace(session: Session, principal: Principal, asset: Asset) -> dict[str, Any] | None:
    """The trace an asset came from, as ``principal`` may see it: the set it ran over (its
    name and id, the page's link to it) only when they may read that set; the accounts,
    the end point and the amount are the case's own facts and stay."""
    from tocsin.access.links import linked
    from tocsin.money.tables import TransactionSet

    trace: dict[str, Any] | None = asset.trace
    if not trace or linked(session, TransactionSet, asset.set_id, principal) is not None:
        return trace
    return {k: v for k, v in trace.items() if k not in ("set", "set_id")}


def asset_json(session: Session, principal: Principal, asset: Asset,
               today: date | None = None) -> dict[str, Any]:
    f = figures(asset, today)

    def num(v: Decimal | None) -> str | None:
        return None if v is None else str(v)

    return {
        "id": asset.id, "case_id": asset.case_id, "kind": asset.kind,
        "description": asset.description, "identifiers": asset.identifiers,
        "owner_subject_id": asset.owner_subject_id, "third_parties": asset.third_parties,
        "encumbrances": asset.encumbrances, "country": asset.country,
        "currency": asset.currency, "estimated_value": str(asset.estimated_value),
        "identified_on": asset.identified_on.isoformat(), "stage": asset.stage,
        "trace": shown_trace(session, principal, asset),
        "sale": ({"sold_on": asset.sold_on.isoformat(), "amount": num(asset.sale_amount),
                  "order_reference": asset.sale_order} if asset.sold_on else None),
        "stages": [{"id": s.id, "stage": s.stage, "on_date": s.on_date.isoformat(),
                    "authority": s.authority, "order_reference": s.order_reference,
                    "order_date": s.order_date.isoformat() if s.order_date else None,
                    "legal_basis": s.legal_basis, "order_status": s.order_status,
                    "executed_on": s.executed_on.isoformat() if s.executed_on else None,
                    "amount": num(s.amount), "disposal": s.disposal, "costs": num(s.costs),
                    "note": s.note} for s in asset.stages],
        "valuations": [{"on_date": v.on_date.isoformat(), "amount": str(v.amount),
                        "currency": v.currency, "method": v.method, "by": v.by}
                       for v in asset.valuations],
        "custody": [{"custodian": c.custodian, "location": c.location,
                     "since": c.since.isoformat(),
                     "until": c.until.isoformat() if c.until else None,
                     "monthly_cost": str(c.monthly_cost), "currency": c.currency}
                    for c in asset.custody],
        "figures": {"current_value": num(f.current_value),
                    "monthly_cost": num(f.monthly_cost),
                    "accumulated_cost": num(f.accumulated_cost), "realised": num(f.realised),
                    "net_proceeds": num(f.net_proceeds)},
    }
