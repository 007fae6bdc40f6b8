"""Partners and co-operation: organizations, focal points, agreements, the network view.

Pages under ``/partners`` and JSON under ``/api/v1/partners``; both call
:mod:`tocsin.taskforce.partners`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin.i18n import N_, Message
from tocsin.taskforce.iati.published import organisations_of
from tocsin.taskforce.lessons import codes
from tocsin.taskforce.partners import network, records
from tocsin.taskforce.partners.spec import AgreementSpec, FocalPointSpec, PartnerSpec
from tocsin.taskforce.partners.tables import (
    AGREEMENT_KINDS,
    AGREEMENT_STATUSES,
    PARTNER_KINDS,
    Agreement,
    Partner,
)
from tocsin.web.deps import CurrentPrincipal, DbSession, FormRoute
from tocsin.web.templating import NavItem, render

NAV = NavItem(N_("Partners"), "/partners", order=50)

#: What each budget or expenditure element of an IATI organisation file is, in words.
ORGANISATION_ELEMENTS: dict[str, Message] = {
    "total-budget": N_("Total budget"),
    "recipient-org-budget": N_("Budget for an organisation"),
    "recipient-region-budget": N_("Budget for a region"),
    "recipient-country-budget": N_("Budget for a country"),
    "total-expenditure": N_("Total expenditure"),
}
pages = APIRouter(prefix="/partners", include_in_schema=False, route_class=FormRoute)
api = APIRouter(prefix="/partners", tags=["partners"], route_class=FormRoute)


def _split(values: list[str]) -> list[str]:
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


# --- pages --------------------------------------------------------------------------------

@pages.get("", response_class=HTMLResponse)
def partner_list(request: Request, session: DbSession, principal: CurrentPrincipal,
                 kind: str | None = None, q: str | None = None) -> Response:
    return render(request, "partners/list.html",
                  partners=records.list_partners(session, principal, kind=kind or None,
                                                 query=q or None),
                  kinds=PARTNER_KINDS, kind=kind or "", q=q or "",
                  choices=codes.choices(session),
                  expiring=records.expiring_agreements(session, principal))


@pages.post("")
def partner_create(session: DbSession, principal: CurrentPrincipal, name: str = Form(...),
                   kind: str = Form(...), acronym: str = Form(""), country: str = Form(""),
                   description: str = Form(""), handling: str = Form("GREEN"),
                   owner_unit: str = Form("")) -> Response:
    partner = records.create_partner(session, principal, PartnerSpec(
        name=name, kind=kind, acronym=acronym, country=country.upper() or None,
        description=description, handling=handling, owner_unit=owner_unit or None))
    return RedirectResponse(f"/partners/{partner.id}", status_code=303)


@pages.get("/agreements", response_class=HTMLResponse)
def agreement_list(request: Request, session: DbSession, principal: CurrentPrincipal,
                   days: int = records.DEFAULT_EXPIRY_WARNING_DAYS) -> Response:
    agreements = records.list_agreements(session, principal)
    return render(request, "partners/agreements.html", agreements=agreements,
                  links=records.agreement_links(session, principal, agreements),
                  expiring=records.expiring_agreements(session, principal, days), days=days,
                  partners=records.list_partners(session, principal),
                  kinds=AGREEMENT_KINDS, statuses=AGREEMENT_STATUSES,
                  choices=codes.choices(session), today=date.today())


@pages.post("/agreements")
def agreement_create(session: DbSession, principal: CurrentPrincipal, title: str = Form(...),
                     kind: str = Form(...), status: str = Form("in_force"),
                     signed_on: str = Form(""), valid_from: str = Form(""),
                     expires_on: str = Form(""), scope: str = Form(""),
                     parties: list[str] = Form([]), crime_areas: list[str] = Form([]),
                     stages: list[str] = Form([]), activity_ids: str = Form(""),
                     handling: str = Form("GREEN"), owner_unit: str = Form("")) -> Response:
    agreement = records.create_agreement(session, principal, AgreementSpec(
        title=title, kind=kind, status=status, scope=scope,
        signed_on=codes.day(signed_on, "agreement.signed_on"),
        valid_from=codes.day(valid_from, "agreement.valid_from"),
        expires_on=codes.day(expires_on, "agreement.expires_on"),
        parties=_split(parties), crime_areas=_split(crime_areas), stages=_split(stages),
        activity_ids=codes.record_ids(activity_ids, "activity_ids"),
        handling=handling, owner_unit=owner_unit or None))
    return RedirectResponse(f"/partners/agreements/{agreement.id}", status_code=303)


@pages.get("/agreements/{agreement_id:int}", response_class=HTMLResponse)
def agreement_page(agreement_id: int, request: Request, session: DbSession,
                   principal: CurrentPrincipal) -> Response:
    agreement = records.get_agreement(session, principal, agreement_id)
    return render(request, "partners/agreement.html", agreement=agreement,
                  links=records.agreement_links(session, principal, [agreement])[agreement.id],
                  names={"crime area": codes.names(session, "crime area", agreement.crime_areas),
                         "stage": codes.names(session, "stage", agreement.stages)})


@pages.get("/network", response_class=HTMLResponse)
def network_page(request: Request, _p: CurrentPrincipal) -> Response:
    return render(request, "partners/network.html")


@pages.get("/{partner_id:int}", response_class=HTMLResponse)
def partner_page(partner_id: int, request: Request, session: DbSession,
                 principal: CurrentPrincipal) -> Response:
    partner = records.get_partner(session, principal, partner_id)
    graph = network.cooperation_network(session, principal)
    return render(request, "partners/partner.html", partner=partner,
                  agreements=records.list_agreements(session, principal, partner_id=partner.id),
                  organisations=organisations_of(session, partner.id),
                  org_elements=ORGANISATION_ELEMENTS,
                  neighbours=graph.neighbours(partner.id) if partner.id in graph.partners
                  else [])


@pages.post("/{partner_id:int}/focal-points")
def focal_point_add(partner_id: int, session: DbSession, principal: CurrentPrincipal,
                    name: str = Form(...), role: str = Form(""), email: str = Form(""),
                    phone: str = Form("")) -> Response:
    records.add_focal_point(session, principal, partner_id, FocalPointSpec(
        name=name, role=role, email=email, phone=phone))
    return RedirectResponse(f"/partners/{partner_id}", status_code=303)


# --- JSON API -----------------------------------------------------------------------------

def _partner(p: Partner) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "acronym": p.acronym, "kind": p.kind,
            "country": p.country_code, "reference_code": p.reference_code,
            "handling": p.handling,
            "focal_points": [{"name": f.name, "role": f.role, "email": f.email,
                              "phone": f.phone} for f in p.focal_points]}


def _agreements(session: DbSession, principal: CurrentPrincipal,
                found: Sequence[Agreement]) -> list[dict[str, Any]]:
    links = records.agreement_links(session, principal, found)
    return [_agreement(a, links[a.id]) for a in found]


def _agreement(a: Agreement, links: records.AgreementLinks) -> dict[str, Any]:
    """An agreement as JSON, with only the parties, activities and events the reader sees."""
    def day(value: date | None) -> str | None:
        return value.isoformat() if value else None

    return {"id": a.id, "title": a.title, "kind": a.kind, "status": a.status,
            "signed_on": day(a.signed_on), "valid_from": day(a.valid_from),
            "expires_on": day(a.expires_on), "scope": a.scope, "handling": a.handling,
            "parties": [{"id": p.id, "name": p.name} for p in links.parties],
            "crime_areas": a.crime_areas, "stages": a.stages,
            "activity_ids": [x.id for x in links.activities],
            "event_ids": [x.id for x in links.events]}


@api.get("")
def api_partners(session: DbSession, principal: CurrentPrincipal, kind: str | None = None,
                 q: str | None = None) -> list[dict[str, Any]]:
    """Partner organizations (reference organizations and structures included)."""
    return [_partner(p) for p in records.list_partners(session, principal, kind=kind, query=q)]


@api.post("", status_code=201)
def api_partner_create(spec: PartnerSpec, session: DbSession,
                       principal: CurrentPrincipal) -> dict[str, Any]:
    """Add a national institution, civil-society organization, company or other partner."""
    return _partner(records.create_partner(session, principal, spec))


@api.get("/agreements")
def api_agreements(session: DbSession, principal: CurrentPrincipal,
                   partner_id: int | None = None,
                   status: str | None = None) -> list[dict[str, Any]]:
    """Agreements, soonest expiry first."""
    return _agreements(session, principal, records.list_agreements(
        session, principal, partner_id=partner_id, status=status))


@api.post("/agreements", status_code=201)
def api_agreement_create(spec: AgreementSpec, session: DbSession,
                         principal: CurrentPrincipal) -> dict[str, Any]:
    """Record an agreement between two or more partners."""
    return _agreements(session, principal, [records.create_agreement(session, principal,
                                                                     spec)])[0]


@api.get("/agreements/expiring")
def api_expiring(session: DbSession, principal: CurrentPrincipal,
                 within_days: int = records.DEFAULT_EXPIRY_WARNING_DAYS) -> list[dict[str, Any]]:
    """Agreements in force expiring within ``within_days`` (negative days: already lapsed)."""
    expiring = records.expiring_agreements(session, principal, within_days)
    shown = _agreements(session, principal, [e.agreement for e in expiring])
    return [{**data, "days_left": e.days_left}
            for e, data in zip(expiring, shown, strict=True)]


@api.get("/agreements/{agreement_id}")
def api_agreement(agreement_id: int, session: DbSession,
                  principal: CurrentPrincipal) -> dict[str, Any]:
    """One agreement."""
    return _agreements(session, principal,
                       [records.get_agreement(session, principal, agreement_id)])[0]


@api.get("/network")
def api_network(session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """The co-operation network as Cytoscape elements; edge weight = activities + agreements
    + events shared."""
    return network.cooperation_network(session, principal).as_json()


@api.get("/{partner_id}")
def api_partner(partner_id: int, session: DbSession,
                principal: CurrentPrincipal) -> dict[str, Any]:
    """One partner with its focal points."""
    return _partner(records.get_partner(session, principal, partner_id))


@api.post("/{partner_id}/focal-points", status_code=201)
def api_focal_point(partner_id: int, spec: FocalPointSpec, session: DbSession,
                    principal: CurrentPrincipal) -> dict[str, Any]:
    """Add a focal point to a partner."""
    records.add_focal_point(session, principal, partner_id, spec)
    return _partner(records.get_partner(session, principal, partner_id))
