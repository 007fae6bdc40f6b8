"""Bitcoin sets in the investigations area: clusters, tags, traces and paths.

The page ``/investigations/sets/{id}/bitcoin`` and the JSON under
``/api/v1/investigations/sets/{id}/bitcoin/…`` call
:mod:`tocsin.money.crypto.service`, which reads the set under the read rule
(audited above TLP:GREEN), lets only the owning unit store a clustering or add
tags (audited as updates) and audits every export of a cluster's addresses.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tocsin import i18n
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.errors import InputError, NotFound
from tocsin.i18n import N_
from tocsin.money import sets
from tocsin.money.crypto import service
from tocsin.money.crypto.change import HEURISTICS
from tocsin.money.crypto.cluster import ClusterConfig
from tocsin.money.crypto.tags import vocabulary
from tocsin.money.crypto.taint import RULES, TraceConfig
from tocsin.money.crypto.utxo import has_utxo
from tocsin.settings import Settings
from tocsin.web import deps
from tocsin.web.deps import CurrentPrincipal, DbSession, FormRoute
from tocsin.web.routers.investigations import _receive, _set_view, _unit_codes
from tocsin.web.templating import render, request_language

pages = APIRouter(prefix="/investigations", include_in_schema=False, route_class=FormRoute)
api = APIRouter(prefix="/investigations", tags=["bitcoin"], route_class=FormRoute)

RULE_NAMES = {"haircut": N_("haircut (proportional)"), "fifo": N_("FIFO (first in, first out)"),
              "lifo": N_("LIFO (last in, first out)"),
              "tiho": N_("TIHO (taint in, highest out)"),
              "poison": N_("poison (any touch taints all)")}
RuleName = Literal["haircut", "fifo", "lifo", "tiho", "poison"]
HeuristicName = Literal["one_time_change", "script_type", "round_payment"]


def _bitcoin(request: Request, session: Session, principal: Principal, set_id: int) -> Any:
    record = sets.get_set(session, principal, set_id)
    if not has_utxo(sets.set_path(deps.settings(request), record)):
        raise NotFound(f"transaction_set {set_id} holds no Bitcoin transactions")
    return record


# --------------------------------------------------------------------------- page


@pages.get("/sets/{set_id}/bitcoin", response_class=HTMLResponse)
def bitcoin_page(
    set_id: int, request: Request, session: DbSession, principal: CurrentPrincipal,
    address: Annotated[str, Query(max_length=100)] = "",
    start: Annotated[str, Query(max_length=100)] = "",
    rule: RuleName = "haircut",
    direction: Literal["forward", "backward"] = "forward",
    depth: Annotated[int, Query(ge=1, le=50)] = 6,
    degree: Annotated[int, Query(ge=1, le=10_000)] = 100,
    source: Annotated[str, Query(max_length=100)] = "",
    target: Annotated[str, Query(max_length=100)] = "",
    done: Annotated[str, Query(max_length=200)] = "",
    fiat: Annotated[str, Query(max_length=100)] = "",
    days: Annotated[float, Query(gt=0, le=366)] = 3.0,
) -> Response:
    record = _bitcoin(request, session, principal, set_id)
    settings = deps.settings(request)
    problems: list[str] = []
    clusters = service.clusters_view(session, principal, settings, set_id, 50, address)
    trace = None
    if start.strip():
        try:
            trace = service.run_trace(session, principal, settings, set_id, start,
                                      TraceConfig(rule=rule, direction=direction,
                                                  max_depth=depth, max_degree=degree),
                                      engine="embedded")
        except InputError as exc:
            problems += [p.reason for p in exc.problems]
    path: list[dict[str, Any]] | None = None
    path_asked = bool(source.strip() and target.strip())
    if path_asked:
        try:
            path = service.find_path(session, principal, settings, set_id, source, target)
        except InputError as exc:
            problems += [p.reason for p in exc.problems]
    links = _page_links(session, principal, settings, set_id, fiat, days, problems)
    may_store = sets.may_store_results(principal, record)
    return render(request, "investigations/bitcoin.html",
                  set=_set_view(record, _unit_codes(session)), clusters=clusters,
                  address=address, start=start, rule=rule, trace_direction=direction, depth=depth,
                  degree=degree, rules=RULES, rule_names=RULE_NAMES, trace=trace,
                  source=source, target=target, path=path, path_asked=path_asked,
                  problems=problems, may_store=may_store, done=done,
                  can_export=principal.can(Action.EXPORT), heuristics=HEURISTICS,
                  categories=vocabulary().categories, account="", fiat=fiat, days=days,
                  links=links)


@pages.post("/sets/{set_id}/bitcoin/cluster")
def cluster_page(set_id: int, request: Request, session: DbSession,
                 principal: CurrentPrincipal,
                 change: Annotated[list[HeuristicName], Form()] = []) -> Response:  # noqa: B006
    _bitcoin(request, session, principal, set_id)
    config = ClusterConfig(change_heuristics=tuple(dict.fromkeys(change)))
    run = service.run_clustering(session, principal, deps.settings(request), set_id, config,
                                 engine="embedded")
    note = (f"Clustered: {run.result.clusters.num_rows} clusters, "
            f"{run.result.coinjoins.num_rows} CoinJoin-like transactions left out"
            + (f", {run.result.change_links.num_rows} change address(es) joined by "
               f"{', '.join(config.change_heuristics)}" if change else ""))
    return RedirectResponse(f"/investigations/sets/{set_id}/bitcoin?{urlencode({'done': note})}",
                            status_code=303)


@pages.post("/sets/{set_id}/bitcoin/tags")
async def tags_page(set_id: int, request: Request, session: DbSession,
                    principal: CurrentPrincipal,
                    file: Annotated[UploadFile, File(description="A TagPack (YAML)")]) -> Response:
    from fastapi.concurrency import run_in_threadpool

    settings = deps.settings(request)
    await run_in_threadpool(_bitcoin, request, session, principal, set_id)
    upload = await _receive(file, settings, None, "tagpack.yaml")
    try:
        done = await run_in_threadpool(service.import_tags, session, principal, settings,
                                       set_id, [upload], [file.filename or "tagpack.yaml"])
    finally:
        shutil.rmtree(upload.parent, ignore_errors=True)
    note = urlencode({"done": f"{done['added']} tag(s) added"})
    return RedirectResponse(f"/investigations/sets/{set_id}/bitcoin?{note}", status_code=303)


@pages.get("/sets/{set_id}/bitcoin/clusters/{cluster_id}.csv")
def cluster_csv_page(set_id: int, cluster_id: str, request: Request, session: DbSession,
                     principal: CurrentPrincipal) -> Response:
    _bitcoin(request, session, principal, set_id)
    text = service.cluster_csv(session, principal, deps.settings(request), set_id, cluster_id)
    return Response(text, media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="cluster-{cluster_id}.csv"'})


# --------------------------------------------------------------------------- actor table


@pages.get("/sets/{set_id}/actors", response_class=HTMLResponse)
def actors_page(set_id: int, request: Request, session: DbSession,
                principal: CurrentPrincipal,
                done: Annotated[str, Query(max_length=300)] = "") -> Response:
    """A bank set's actor table: which accounts belong to an exchange known by its actor."""
    from tocsin.money.crypto.fiat import actor_accounts

    record = sets.get_set(session, principal, set_id)
    view = actor_accounts(session, principal, deps.settings(request), set_id)
    return render(request, "investigations/actors.html",
                  set=_set_view(record, _unit_codes(session)), view=view, done=done,
                  account="")


def _actors_done(set_id: int, note: str) -> Response:
    return RedirectResponse(f"/investigations/sets/{set_id}/actors?{urlencode({'done': note})}",
                            status_code=303)


@pages.post("/sets/{set_id}/actors")
def actors_add_page(set_id: int, request: Request, session: DbSession,
                    principal: CurrentPrincipal,
                    actor: Annotated[str, Form(max_length=200)],
                    accounts: Annotated[str, Form(max_length=20_000)]) -> Response:
    """Add accounts to an actor (the set's owning unit; audited)."""
    from tocsin.money.crypto.fiat import map_actor

    ids = [a for a in accounts.replace(",", " ").split() if a]
    map_actor(session, principal, deps.settings(request), set_id, actor, ids, mode="add")
    return _actors_done(set_id, f"{actor.strip()}: {', '.join(ids)} added")


@pages.post("/sets/{set_id}/actors/remove")
def actors_remove_page(set_id: int, request: Request, session: DbSession,
                       principal: CurrentPrincipal,
                       actor: Annotated[str, Form(max_length=200)],
                       account: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Remove one account from an actor, or the actor (the set's owning unit; audited)."""
    from tocsin.money.crypto.fiat import map_actor

    map_actor(session, principal, deps.settings(request), set_id, actor,
              [account] if account.strip() else [], mode="remove")
    return _actors_done(set_id, f"{actor.strip()}: {account.strip()} removed" if account.strip()
                        else f"{actor.strip()} removed")


class ActorChange(BaseModel):
    actor: str = Field(..., min_length=1, max_length=200,
                       description="The actor as TagPacks name it (example-exchange).")
    accounts: list[str] = Field(default_factory=list, max_length=10_000,
                                description="Account ids of the set.")
    mode: Literal["replace", "add", "remove"] = Field(
        "replace", description="replace the actor's accounts (none removes the actor), add "
        "to them, or remove these (all when none is given).")


@api.get("/sets/{set_id}/actors")
def api_actors(set_id: int, request: Request, session: DbSession,
               principal: CurrentPrincipal) -> dict[str, Any]:
    """A bank set's actor table: each actor with its accounts, their holder and bank."""
    from tocsin.money.crypto.fiat import actor_accounts

    return actor_accounts(session, principal, deps.settings(request), set_id)


@api.post("/sets/{set_id}/actors")
def api_change_actor(set_id: int, body: ActorChange, request: Request, session: DbSession,
                     principal: CurrentPrincipal) -> dict[str, Any]:
    """Change an actor's accounts (the set's owning unit; audited); the table after it."""
    from tocsin.money.crypto.fiat import map_actor

    table = map_actor(session, principal, deps.settings(request), set_id, body.actor,
                      body.accounts, mode=body.mode)
    return {"actors": table}


# --------------------------------------------------------------------------- API


class ClusterRequest(BaseModel):
    min_inputs: int = Field(3, ge=2, le=1000)
    min_equal_outputs: int = Field(3, ge=2, le=1000)
    exclude_coinjoins: bool = True
    change_heuristics: list[HeuristicName] = Field(
        default_factory=list, description="Change-address heuristics to apply as well "
        "(guesses; each link is kept with its heuristics and confidence).")
    round_to: int = Field(100_000, ge=1, description="round_payment: satoshi.")


@api.post("/sets/{set_id}/bitcoin/cluster")
def api_cluster(set_id: int, body: ClusterRequest, request: Request, session: DbSession,
                principal: CurrentPrincipal) -> dict[str, Any]:
    """Cluster the addresses; ``stored`` is true when kept with the set (owning unit only)."""
    _bitcoin(request, session, principal, set_id)
    run = service.run_clustering(session, principal, deps.settings(request), set_id,
                                 ClusterConfig(body.min_inputs, body.min_equal_outputs,
                                               body.exclude_coinjoins,
                                               tuple(dict.fromkeys(body.change_heuristics)),
                                               body.round_to),
                                 engine="embedded")
    return {"stored": run.stored, "preview": not run.stored,
            "addresses": run.result.addresses.num_rows,
            "clusters": run.result.clusters.num_rows,
            "coinjoins": run.result.coinjoins.num_rows,
            "change_links": run.result.change_links.num_rows}


@api.get("/sets/{set_id}/bitcoin/clusters")
def api_clusters(set_id: int, request: Request, session: DbSession,
                 principal: CurrentPrincipal,
                 address: Annotated[str, Query(max_length=100)] = "",
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """The largest clusters (tagged first), or the cluster of ``address``, with their tags."""
    _bitcoin(request, session, principal, set_id)
    return service.clusters_view(session, principal, deps.settings(request), set_id, limit,
                                 address)


@api.get("/sets/{set_id}/bitcoin/clusters/{cluster_id}.csv")
def api_cluster_csv(set_id: int, cluster_id: str, request: Request, session: DbSession,
                    principal: CurrentPrincipal) -> Response:
    """The cluster's addresses as CSV (needs the export right; audited)."""
    return cluster_csv_page(set_id, cluster_id, request, session, principal)


@api.get("/sets/{set_id}/bitcoin/tags")
def api_tags(set_id: int, request: Request, session: DbSession,
             principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """Every tag of the set with its source, confidence and TagPack."""
    _bitcoin(request, session, principal, set_id)
    return service.list_tags(session, principal, deps.settings(request), set_id)


@api.post("/sets/{set_id}/bitcoin/tags")
async def api_add_tags(set_id: int, request: Request, session: DbSession,
                       principal: CurrentPrincipal,
                       file: Annotated[UploadFile, File(description="A TagPack (YAML)")],
                       name: Annotated[str, Form(max_length=200)] = "") -> dict[str, Any]:
    """Add a TagPack (owning unit only; audited). Every problem is listed with its tag."""
    return await _import_tagpack(request, session, principal, set_id, file, name,
                                 lambda: _bitcoin(request, session, principal, set_id))


class CryptoTraceRequest(BaseModel):
    start: str = Field(..., min_length=1, max_length=100, description="Address or txid.")
    rule: RuleName = "haircut"
    direction: Literal["forward", "backward"] = "forward"
    max_depth: int = Field(6, ge=1, le=50)
    max_degree: int = Field(100, ge=1, le=10_000)
    min_amount: int = Field(1000, ge=0, description="Satoshi.")


@api.post("/sets/{set_id}/bitcoin/trace")
def api_trace(set_id: int, body: CryptoTraceRequest, request: Request, session: DbSession,
              principal: CurrentPrincipal) -> dict[str, Any]:
    """Trace coins through the UTXOs: every step explained, the end points with their tags."""
    _bitcoin(request, session, principal, set_id)
    view = service.run_trace(session, principal, deps.settings(request), set_id, body.start,
                             TraceConfig(rule=body.rule, direction=body.direction,
                                         max_depth=body.max_depth, max_degree=body.max_degree,
                                         min_amount=body.min_amount),
                             engine="embedded")
    with i18n.using(request_language(request)):  # the *_shown texts in the asker's language
        return service.trace_shown(view)


@api.get("/sets/{set_id}/bitcoin/path")
def api_path(set_id: int, request: Request, session: DbSession, principal: CurrentPrincipal,
             source: Annotated[str, Query(min_length=1, max_length=100)],
             target: Annotated[str, Query(min_length=1, max_length=100)],
             depth: Annotated[int, Query(ge=1, le=20)] = 8) -> dict[str, Any]:
    """The shortest chain of transactions from ``source`` to ``target`` (null when none)."""
    _bitcoin(request, session, principal, set_id)
    return {"path": service.find_path(session, principal, deps.settings(request), set_id,
                                      source, target, depth)}


@api.get("/sets/{set_id}/bitcoin/exchange-links")
def api_exchange_links(set_id: int, request: Request, session: DbSession,
                       principal: CurrentPrincipal,
                       subject: Annotated[str, Query(min_length=1, max_length=100,
                                                     description="Address or cluster id.")],
                       window_days: Annotated[float, Query(gt=0, le=366)] = 3.0
                       ) -> dict[str, Any]:
    """The bank accounts of the exchange ``subject`` is tagged as, in the sets you may read,
    and their fiat transactions within ``window_days`` of each deposit to the exchange."""
    from tocsin.money.crypto.fiat import LinkConfig, exchange_links

    _bitcoin(request, session, principal, set_id)
    return exchange_links(session, principal, deps.settings(request), set_id, subject,
                          LinkConfig(window_days=window_days))


# --------------------------------------------------------------------------- Ethereum


def _ethereum(session: Session, principal: Principal, set_id: int) -> Any:
    record = sets.get_set(session, principal, set_id)
    if record.format != "ethereum":
        raise NotFound(f"transaction_set {set_id} holds no Ethereum transactions")
    return record


@pages.get("/sets/{set_id}/ethereum", response_class=HTMLResponse)
def ethereum_page(set_id: int, request: Request, session: DbSession,
                  principal: CurrentPrincipal,
                  fiat: Annotated[str, Query(max_length=100)] = "",
                  days: Annotated[float, Query(gt=0, le=366)] = 3.0,
                  done: Annotated[str, Query(max_length=200)] = "") -> Response:
    """An Ethereum set's tags and the link from an exchange-tagged address to the bank."""
    record = _ethereum(session, principal, set_id)
    settings = deps.settings(request)
    tags = service.list_tags(session, principal, settings, set_id)
    problems: list[str] = []
    links = _page_links(session, principal, settings, set_id, fiat, days, problems)
    return render(request, "investigations/ethereum.html",
                  set=_set_view(record, _unit_codes(session)), tags=tags, fiat=fiat, days=days,
                  links=links, problems=problems, categories=vocabulary().categories,
                  account="", done=done, may_store=sets.may_store_results(principal, record))


@pages.post("/sets/{set_id}/ethereum/tags")
async def ethereum_tags_page(set_id: int, request: Request, session: DbSession,
                             principal: CurrentPrincipal,
                             file: Annotated[UploadFile, File(description="A TagPack (YAML)")]
                             ) -> Response:
    """Add a TagPack to an Ethereum set (owning unit; audited)."""
    done = await _add_ethereum_tags(request, session, principal, set_id, file, "")
    note = urlencode({"done": f"{done['added']} tag(s) added"})
    return RedirectResponse(f"/investigations/sets/{set_id}/ethereum?{note}#tags",
                            status_code=303)


@api.post("/sets/{set_id}/ethereum/tags", tags=["ethereum"])
async def api_add_ethereum_tags(set_id: int, request: Request, session: DbSession,
                                principal: CurrentPrincipal,
                                file: Annotated[UploadFile, File(description="A TagPack (YAML)")],
                                name: Annotated[str, Form(max_length=200)] = ""
                                ) -> dict[str, Any]:
    """Add a TagPack (``currency: ETH``) to an Ethereum set (owning unit only; audited)."""
    return await _add_ethereum_tags(request, session, principal, set_id, file, name)


async def _add_ethereum_tags(request: Request, session: Session, principal: Principal,
                             set_id: int, file: UploadFile, name: str) -> dict[str, Any]:
    return await _import_tagpack(request, session, principal, set_id, file, name,
                                 lambda: _ethereum(session, principal, set_id))


async def _import_tagpack(request: Request, session: Session, principal: Principal,
                          set_id: int, file: UploadFile, name: str,
                          require_set: Callable[[], Any]) -> dict[str, Any]:
    """Check the set (``require_set``: readable, of its chain) before the upload is read,
    then import the TagPack; the session is used off the event loop only."""
    from fastapi.concurrency import run_in_threadpool

    settings = deps.settings(request)
    await run_in_threadpool(require_set)
    upload = await _receive(file, settings, None, "tagpack.yaml")
    try:
        done: dict[str, Any] = await run_in_threadpool(
            service.import_tags, session, principal, settings, set_id, [upload],
            [name or file.filename or "tagpack.yaml"])
        return done
    finally:
        shutil.rmtree(upload.parent, ignore_errors=True)


@api.get("/sets/{set_id}/ethereum/tags", tags=["ethereum"])
def api_ethereum_tags(set_id: int, request: Request, session: DbSession,
                      principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """Every tag of an Ethereum set with its source, confidence and TagPack."""
    _ethereum(session, principal, set_id)
    return service.list_tags(session, principal, deps.settings(request), set_id)


@api.get("/sets/{set_id}/ethereum/exchange-links", tags=["ethereum"])
def api_ethereum_exchange_links(
        set_id: int, request: Request, session: DbSession, principal: CurrentPrincipal,
        subject: Annotated[str, Query(min_length=1, max_length=100,
                                      description="An address tagged as an exchange.")],
        window_days: Annotated[float, Query(gt=0, le=366)] = 3.0) -> dict[str, Any]:
    """From an exchange-tagged Ethereum address to the exchange's bank accounts in the sets
    you may read, and their fiat transactions within ``window_days`` of each deposit (a
    payment into any address tagged with the same actor)."""
    from tocsin.money.crypto.fiat import LinkConfig, exchange_links

    _ethereum(session, principal, set_id)
    return exchange_links(session, principal, deps.settings(request), set_id, subject,
                          LinkConfig(window_days=window_days))


def _page_links(session: Session, principal: Principal, settings: Settings, set_id: int,
                subject: str, days: float, problems: list[str]) -> Any:
    """The exchange-to-bank section of a Bitcoin or Ethereum page, or None when not asked;
    an input problem joins the page's ``problems``."""
    if not subject.strip():
        return None
    from tocsin.money.crypto.fiat import LinkConfig, exchange_links

    try:
        return exchange_links(session, principal, settings, set_id, subject,
                              LinkConfig(window_days=days))
    except InputError as exc:
        problems += [p.reason for p in exc.problems]
        return None
