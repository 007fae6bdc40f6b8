"""Jinja2 environment and the ``render`` helper every page uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from tocsin.access.policy import may_write
from tocsin.access.principal import Principal
from tocsin.access.roles import Action

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation; areas declare theirs as ``NAV`` in their router."""

    label: str
    path: str
    order: int
    admin_only: bool = False


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.autoescape = True
    return templates


class Rights:
    """What the signed-in user may do, asked of the same policy functions as the routes.

    Templates show an action, a form or an export link only when ``rights`` allows it,
    e.g. ``{% if rights.write(record.owner_unit_id) %}`` or ``{% if rights.export %}``,
    so a page never offers what the server would refuse.
    """

    def __init__(self, principal: Principal | None) -> None:
        self.principal = principal

    def can(self, action: str) -> bool:
        return self.principal is not None and self.principal.can(Action(action))

    def write(self, unit_id: int | None = None) -> bool:
        """May change records of ``unit_id`` (without one: of their own unit)."""
        if self.principal is None:
            return False
        return may_write(self.principal, self.principal.unit_id if unit_id is None else unit_id)

    @property
    def create(self) -> bool:
        """May create records (in their own unit at least)."""
        return self.write()

    @property
    def export(self) -> bool:
        return self.can(Action.EXPORT)

    @property
    def judge(self) -> bool:
        return self.can(Action.JUDGE)

    @property
    def admin(self) -> bool:
        return self.can(Action.ADMINISTER)


def render(request: Request, template: str, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """Render a page with the user, CSRF token, navigation and demo flag filled in."""
    app_state = request.app.state
    user = getattr(request.state, "user", None)
    nav = [item for item in app_state.nav
           if user is not None and (not item.admin_only or user.role == "administrator")]
    response: HTMLResponse = app_state.templates.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "csrf_token": getattr(request.state, "csrf_token", ""),
            "nav": nav,
            "rights": Rights(getattr(request.state, "principal", None)),
            "demo": app_state.settings.demo,
            **context,
        },
        status_code=status_code,
    )
    return response
