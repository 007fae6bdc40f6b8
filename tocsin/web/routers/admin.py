"""Administration: users and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin import trash
from tocsin.access import audit, chain, users
from tocsin.access.roles import Role, least_privileged
from tocsin.access.tables import AuditEntry
from tocsin.errors import InputError
from tocsin.i18n import N_
from tocsin.settings import Settings
from tocsin.web.deps import AdminPrincipal, DbSession, FormRoute, settings
from tocsin.web.templating import NavItem, render

NAV = NavItem(N_("Admin"), "/admin/users", order=100, admin_only=True)
pages = APIRouter(prefix="/admin", include_in_schema=False, route_class=FormRoute)
api = APIRouter(prefix="/admin", tags=["admin"], route_class=FormRoute)


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise InputError.single(
            "since", N_("use a date like 2026-11-22 or 2026-11-22T10:00")) from exc


@pages.get("/users", response_class=HTMLResponse)
def user_list(request: Request, session: DbSession, _admin: AdminPrincipal) -> Response:
    return render(request, "admin/users.html", users=users.list_users(session),
                  units=users.list_units(session),
                  roles=list(Role), default_role=least_privileged(), created=None, error="")


@pages.post("/users")
def user_add(request: Request, session: DbSession, admin: AdminPrincipal,
             username: str = Form(...), role: str = Form(...), unit: str = Form(...),
             full_name: str = Form("")) -> Response:
    password = users.generate_password()
    units = users.list_units(session)
    try:
        users.add_user(session, admin, username.strip().lower(), password,
                       users.parse_role(role), unit, full_name)
    except InputError as exc:
        return render(request, "admin/users.html", status_code=422,
                      users=users.list_users(session), units=units, roles=list(Role),
                      default_role=role if role in set(Role) else least_privileged(),
                      created=None, error=N_("the user was not added"),
                      problems=[{"location": p.location, "reason": p.reason}
                                for p in exc.problems])
    return render(request, "admin/users.html", users=users.list_users(session), units=units,
                  roles=list(Role), default_role=least_privileged(),
                  created=(username, password), error="")


@pages.post("/users/{username}/active")
def user_active(username: str, session: DbSession, admin: AdminPrincipal,
                active: str = Form(...)) -> Response:
    users.set_active(session, admin, username, active == "1")
    return RedirectResponse("/admin/users", status_code=303)


@pages.post("/users/{username}/role")
def user_role(username: str, session: DbSession, admin: AdminPrincipal,
              role: str = Form(...)) -> Response:
    users.set_role(session, admin, username, users.parse_role(role))
    return RedirectResponse("/admin/users", status_code=303)


@pages.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: DbSession, _admin: AdminPrincipal,
               since: str | None = None, user: str | None = None,
               record: str | None = None) -> Response:
    entries = audit.query(session, since=_parse_since(since), username=user or None,
                          record=record or None)
    return render(request, "admin/audit.html", entries=entries,
                  filters={"since": since or "", "user": user or "", "record": record or ""})


def _entry(e: AuditEntry) -> dict[str, Any]:
    return {"id": e.id, "at": e.at.isoformat(), "username": e.username, "action": e.action,
            "record_type": e.record_type, "record_id": e.record_id, "handling": e.handling,
            "detail": e.detail, "seq": e.seq, "row_hash": e.row_hash}


@api.get("/audit/verify")
def api_audit_verify(request: Request, session: DbSession,
                     _admin: AdminPrincipal) -> dict[str, Any]:
    """Check the audit log's hash chain, as `tocsin audit verify` does (administrators only)."""
    report = chain.verify(session.connection(), settings(request).audit_hmac_key())
    return {"ok": report.ok, "rows": report.rows, "unchained": report.unchained,
            "head": {"seq": report.head_seq, "hash": report.head_hash},
            "findings": [{"kind": f.kind, "message": f.message} for f in report.findings]}


@api.get("/audit")
def api_audit(session: DbSession, _admin: AdminPrincipal, since: str | None = None,
              user: str | None = None, record: str | None = None,
              limit: int = 500) -> list[dict[str, Any]]:
    """The audit log, newest first (administrators only)."""
    return [_entry(e) for e in audit.query(session, since=_parse_since(since), username=user,
                                           record=record, limit=min(limit, 5000))]


@api.get("/users")
def api_users(session: DbSession, _admin: AdminPrincipal) -> list[dict[str, Any]]:
    """User accounts (administrators only)."""
    return [{"username": u.username, "full_name": u.full_name, "role": u.role,
             "unit": u.unit.code, "active": u.active} for u in users.list_users(session)]


SettingsDep = Annotated[Settings, Depends(settings)]


@pages.get("/trash", response_class=HTMLResponse)
def trash_page(request: Request, session: DbSession, admin: AdminPrincipal,
               settings: SettingsDep, restored: str = "") -> Response:
    """Deleted records an administrator may restore; items past their period are purged
    (and the purge audited) as the page opens."""
    days = settings.trash_retention_days
    purged = trash.purge(session, admin, days)
    return render(request, "admin/trash.html", items=trash.list_items(session, admin, days),
                  days=days, purged=purged, restored=restored)


@pages.post("/trash/{item_id:int}/restore")
def trash_restore(item_id: int, session: DbSession, admin: AdminPrincipal) -> Response:
    item = trash.restore(session, admin, item_id)
    return RedirectResponse(f"/admin/trash?restored={quote(item.title[:200])}", status_code=303)
