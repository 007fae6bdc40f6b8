"""Jinja2 environment and the ``render`` helper every page uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

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
            "demo": app_state.settings.demo,
            **context,
        },
        status_code=status_code,
    )
    return response
