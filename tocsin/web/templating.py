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
    #: The menu it belongs to; empty: the one :data:`MENUS` gives its path, else its own.
    group: str = ""


#: The few menus of the top navigation (it must fit one row at 1280 px): path → menu.
MENUS = {
    "/framework": "Strategy", "/commitments": "Strategy", "/coherence": "Strategy",
    "/programmes": "Programmes", "/lessons": "Programmes", "/partners": "Programmes",
    "/events": "Programmes", "/experts": "Programmes",
    "/investigations": "Investigations", "/cases": "Investigations",
    "/screening": "Investigations",
}


@dataclass(frozen=True)
class Menu:
    label: str
    items: list[NavItem]

    def current(self, path: str) -> bool:
        return any(path.startswith(item.path.rsplit("/", 1)[0] if item.admin_only
                                   else item.path) for item in self.items)


def menus(items: list[NavItem]) -> list[Menu]:
    """Navigation items grouped into menus, in the order of each menu's first item."""
    grouped: dict[str, list[NavItem]] = {}
    for item in sorted(items, key=lambda i: i.order):
        grouped.setdefault(item.group or MENUS.get(item.path, item.label), []).append(item)
    return [Menu(label, entries) for label, entries in grouped.items()]


def label(value: object, kind: str) -> str:
    """The label people read for a code of a value type (``{{ code|label('crime area') }}``):
    ``money_laundering`` → "Money laundering", ``MD`` → "Moldova". An unknown code shows
    as itself, never as an error."""
    from tocsin import types

    if value is None or value == "":
        return ""
    try:
        return str(types.get(kind).label(value))
    except (KeyError, ValueError, LookupError):  # an unknown code shows as itself
        return str(value).replace("_", " ")


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.autoescape = True
    # Compiled once per process: no stat of every template file on every page, and a
    # template changed on disk under a running server (an upgrade) cannot mix versions.
    templates.env.auto_reload = False
    templates.env.filters["label"] = label
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
            "menus": menus(nav),
            "rights": Rights(getattr(request.state, "principal", None)),
            "demo": app_state.settings.demo,
            **context,
        },
        status_code=status_code,
    )
    return response
