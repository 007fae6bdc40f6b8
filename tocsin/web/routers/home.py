"""The start page after login."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tocsin.cases.requests import reminders
from tocsin.reference import browse
from tocsin.screening import service as screening
from tocsin.taskforce.dashboard import dashboard
from tocsin.web.deps import CurrentPrincipal, DbSession, FormRoute
from tocsin.web.templating import render

pages = APIRouter(route_class=FormRoute)


@pages.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    return render(request, "home.html", overview=browse.overview(session), principal=principal,
                  board=dashboard(session, principal),
                  case_reminders=reminders(session, principal),
                  screening_alerts=screening.alerts(session, principal, limit=10))
