"""The framework: crime areas, justice-chain stages, structures, instruments, crosswalks.

The example every area follows: pages under ``/framework`` and the same data as
JSON under ``/api/v1/framework``; both call :mod:`tocsin.reference.browse`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tocsin.i18n import N_
from tocsin.reference import browse
from tocsin.reference.tables import RefCrimeArea, RefInstrument, RefStage
from tocsin.web.deps import CurrentPrincipal, DbSession, FormRoute
from tocsin.web.templating import NavItem, render

NAV = NavItem(N_("Framework"), "/framework", order=10)
pages = APIRouter(prefix="/framework", include_in_schema=False, route_class=FormRoute)
api = APIRouter(prefix="/framework", tags=["framework"], route_class=FormRoute)


@pages.get("", response_class=HTMLResponse)
def overview(request: Request, session: DbSession, _p: CurrentPrincipal) -> Response:
    return render(request, "framework/overview.html", overview=browse.overview(session),
                  areas=browse.crime_areas(session), stages=browse.stages(session))


@pages.get("/crime-areas", response_class=HTMLResponse)
def crime_areas(request: Request, session: DbSession, _p: CurrentPrincipal) -> Response:
    return render(request, "framework/crime_areas.html", areas=browse.crime_areas(session))


@pages.get("/crime-areas/{code}", response_class=HTMLResponse)
def crime_area(code: str, request: Request, session: DbSession, _p: CurrentPrincipal) -> Response:
    return render(request, "framework/crime_area.html", view=browse.crime_area(session, code),
                  schemes=browse.SCHEMES)


@pages.get("/crosswalks/{scheme}/{value}", response_class=HTMLResponse)
def crosswalk(scheme: str, value: str, request: Request, session: DbSession,
              _p: CurrentPrincipal) -> Response:
    return render(request, "framework/crosswalk.html",
                  view=browse.crosswalk(session, scheme, value))


@pages.get("/stages", response_class=HTMLResponse)
def stages(request: Request, session: DbSession, _p: CurrentPrincipal) -> Response:
    return render(request, "framework/stages.html", stages=browse.stages(session))


@pages.get("/stages/{code}", response_class=HTMLResponse)
def stage(code: str, request: Request, session: DbSession, _p: CurrentPrincipal) -> Response:
    return render(request, "framework/stage.html", view=browse.stage(session, code))


@pages.get("/structures", response_class=HTMLResponse)
def structures(request: Request, session: DbSession, _p: CurrentPrincipal) -> Response:
    return render(request, "framework/structures.html", tree=browse.structure_tree(session))


@pages.get("/structures/{code}", response_class=HTMLResponse)
def structure(code: str, request: Request, session: DbSession, _p: CurrentPrincipal) -> Response:
    return render(request, "framework/structure.html", node=browse.structure(session, code))


@pages.get("/instruments", response_class=HTMLResponse)
def instruments(request: Request, session: DbSession, _p: CurrentPrincipal) -> Response:
    return render(request, "framework/instruments.html", groups=browse.instruments(session))


@pages.get("/instruments/{code:path}", response_class=HTMLResponse)
def instrument(code: str, request: Request, session: DbSession, _p: CurrentPrincipal) -> Response:
    return render(request, "framework/instrument.html", view=browse.instrument(session, code))


@pages.get("/states", response_class=HTMLResponse)
def states(request: Request, session: DbSession, _p: CurrentPrincipal) -> Response:
    return render(request, "framework/states.html", states=browse.states(session),
                  organizations=browse.organizations(session))


# --- JSON API -----------------------------------------------------------------

def _area(area: RefCrimeArea) -> dict[str, Any]:
    return {"code": area.code, "name": area.name, "definition": area.definition,
            "dac_sector": area.dac_sector, "confidence": area.confidence}


@api.get("/crime-areas")
def api_crime_areas(session: DbSession, _p: CurrentPrincipal) -> list[dict[str, Any]]:
    """Every crime area of the framework."""
    return [_area(a) for a in browse.crime_areas(session)]


@api.get("/crime-areas/{code}")
def api_crime_area(code: str, session: DbSession, _p: CurrentPrincipal) -> dict[str, Any]:
    """One crime area with its crosswalks, instruments and provisions."""
    view = browse.crime_area(session, code)
    return {
        **_area(view.area),
        "crosswalks": {scheme: [w.value for w in walks]
                       for scheme, walks in view.crosswalks.items()},
        "instruments": [i.code for i in view.instruments],
        "provisions": [p.key for p in view.provisions],
    }


@api.get("/crosswalks/{scheme}/{value}")
def api_crosswalk(scheme: str, value: str, session: DbSession,
                  _p: CurrentPrincipal) -> dict[str, Any]:
    """The crime areas that map to one value of an external scheme."""
    view = browse.crosswalk(session, scheme, value)
    return {"scheme": scheme, "value": value, "crime_areas": [a.code for a in view.areas]}


def _stage(stage: RefStage) -> dict[str, Any]:
    return {"code": stage.code, "name": stage.name, "position": stage.position,
            "definition": stage.definition}


@api.get("/stages")
def api_stages(session: DbSession, _p: CurrentPrincipal) -> list[dict[str, Any]]:
    """The stages of the criminal-justice chain, in order."""
    return [_stage(s) for s in browse.stages(session)]


@api.get("/structures")
def api_structures(session: DbSession, _p: CurrentPrincipal) -> list[dict[str, Any]]:
    """The organization's structures as a tree."""
    def node(n: browse.StructureNode) -> dict[str, Any]:
        s = n.structure
        return {"code": s.code, "name": s.name, "kind": s.kind, "location": s.location,
                "children": [node(c) for c in n.children]}
    return [node(n) for n in browse.structure_tree(session)]


def _instrument(item: RefInstrument) -> dict[str, Any]:
    return {"code": item.code, "identifier": item.identifier, "title": item.name,
            "kind": item.kind, "date": item.date.isoformat() if item.date else None,
            "date_text": item.date_text, "confidence": item.confidence}


@api.get("/instruments")
def api_instruments(session: DbSession, _p: CurrentPrincipal) -> list[dict[str, Any]]:
    """Every instrument of the acquis."""
    return [_instrument(i) for group in browse.instruments(session).values() for i in group]


@api.get("/instruments/{code:path}")
def api_instrument(code: str, session: DbSession, _p: CurrentPrincipal) -> dict[str, Any]:
    """One instrument with its provisions and their crime areas and stages."""
    view = browse.instrument(session, code)
    return {**_instrument(view.instrument),
            "crime_areas": [a.code for a in view.crime_areas],
            "provisions": [{"key": p.key, "number": p.number, "heading": p.name,
                            "confidence": p.confidence, "crime_areas": areas, "stages": stages}
                           for p, areas, stages in view.provisions]}


@api.get("/states")
def api_states(session: DbSession, _p: CurrentPrincipal) -> list[dict[str, Any]]:
    """Participating States and Partners for Co-operation."""
    return [{"code": c.code, "alpha3": c.alpha3, "name": c.name, "status": c.status,
             "region": c.region} for c in browse.states(session)]
