"""Search: one box over every record type and attached documents (page and JSON API).

Both call :func:`tocsin.search.search`, which filters by the read policy in SQL
and audits the reads of results above TLP:GREEN.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from tocsin.access.principal import Principal
from tocsin.errors import ConfigurationError, reason_of
from tocsin.i18n import N_
from tocsin.search import SearchFilters, SearchResults, search, service
from tocsin.search.service import FACET_NAMES, TYPE_LABELS
from tocsin.settings import Settings
from tocsin.web.deps import CurrentPrincipal, DbSession, FormRoute
from tocsin.web.templating import NavItem, render

NAV = NavItem(N_("Search"), "/search", order=90)
pages = APIRouter(prefix="/search", include_in_schema=False, route_class=FormRoute)
api = APIRouter(prefix="/search", tags=["search"], route_class=FormRoute)

Values = Annotated[list[str] | None, Query()]
FACET_TITLES = {"type": N_("Record type"), "crime_area": N_("Crime area"),
                "stage": N_("Justice-chain stage"), "country": N_("Country"),
                "structure": N_("Structure"), "year": N_("Year")}


def facet_filters(type: Values = None, crime_area: Values = None, stage: Values = None,
                  country: Values = None, structure: Values = None,
                  year: Values = None) -> SearchFilters:
    """The facet filters of a request (each parameter may repeat)."""
    return SearchFilters.from_lists(types=type or [], crime_areas=crime_area or [],
                                    stages=stage or [], countries=country or [],
                                    structures=structure or [], years=year or [])


Filters = Annotated[SearchFilters, Depends(facet_filters)]


def _run(request: Request, session: Session, principal: Principal, q: str,
         filters: SearchFilters, page: int, size: int) -> tuple[SearchResults, str]:
    settings: Settings = request.app.state.settings
    embedder, notice = None, ""
    if settings.semantic_search and q.strip():
        from tocsin.search.semantic import load_embedder

        try:
            embedder = load_embedder()
        except ConfigurationError as exc:
            notice = N_("Semantic ranking is unavailable: %(why)s. Results use full-text "
                        "ranking.", why=reason_of(exc))
    results = search(session, principal, q, filters, page=page, size=size, semantic=embedder)
    return results, notice


def _query_args(q: str, filters: SearchFilters) -> list[tuple[str, str]]:
    args = [("q", q)] if q else []
    return args + [(name, value) for name in FACET_NAMES for value in filters.selected(name)]


@pages.get("", response_class=HTMLResponse)
def search_page(request: Request, session: DbSession, principal: CurrentPrincipal,
                filters: Filters, q: str = "", page: int = 1) -> Response:
    results, notice = _run(request, session, principal, q, filters, page, 20)
    return render(request, "search/search.html", results=results, notice=notice,
                  facet_names=FACET_NAMES, facet_titles=FACET_TITLES, type_labels=TYPE_LABELS,
                  query_args=_query_args(q, filters), window=f"{service.WINDOW:,}")


@api.get("")
def api_search(request: Request, session: DbSession, principal: CurrentPrincipal,
               filters: Filters, q: str = "", page: int = 1, size: int = 20) -> dict[str, Any]:
    """Search every record type you may read; facets count the readable matches only.

    Filters (``type``, ``crime_area``, ``stage``, ``country``, ``structure``,
    ``year``) may repeat: values of one filter are alternatives, filters combine.
    When more than ``window`` readable records match, ``capped`` is true: the
    newest ``window`` of them are ranked, paged and counted in the facets, and
    ``total`` is ``window``.
    """
    results, notice = _run(request, session, principal, q, filters, page, size)
    return {
        "query": results.query,
        "understood": results.understood,
        "ranking": results.ranking,
        "notice": notice,
        "total": results.total,
        "capped": results.capped,
        "window": service.WINDOW,
        "page": results.page,
        "pages": results.pages,
        "size": results.size,
        "hits": [{k: v for k, v in asdict(hit).items() if k != "document_id"}
                 for hit in results.hits],
        "facets": {name: [asdict(v) for v in values]
                   for name, values in results.facets.items()},
    }
