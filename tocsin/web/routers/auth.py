"""Login, logout, password change, the current user, and the API documentation."""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from pydantic import Field as PydanticField

from tocsin.access import login as logins
from tocsin.access.tables import User
from tocsin.access.users import change_password, set_language
from tocsin.errors import AuthenticationError, InputError, RateLimited
from tocsin.i18n import LANGUAGES, N_
from tocsin.store.database import Database
from tocsin.web.deps import (
    SESSION_COOKIE,
    CurrentPrincipal,
    DbSession,
    FormRoute,
    LoginRequired,
    database,
    settings,
)
from tocsin.web.origin import request_client
from tocsin.web.templating import LANGUAGE_COOKIE, render

pages = APIRouter(tags=["account"], route_class=FormRoute)
api = APIRouter(tags=["account"], route_class=FormRoute)

PRE_LOGIN_COOKIE = "tocsin_login_csrf"


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect would let a phishing link bounce through Tocsin.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@pages.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_form(request: Request, next: str = "/", language: str | None = None) -> Response:
    if language is not None:
        # the sign-in page's language switch: no session yet, so the choice is the cookie
        # (it changes nothing but the reader's own language, hence a plain GET form)
        chosen = RedirectResponse("/login?" + urlencode({"next": _safe_next(next)}),
                                  status_code=303)
        if language in LANGUAGES:
            chosen.set_cookie(LANGUAGE_COOKIE, language, httponly=True, samesite="lax",
                              secure=settings(request).cookie_secure,
                              max_age=365 * 24 * 3600, path="/")
        elif not language:
            chosen.delete_cookie(LANGUAGE_COOKIE, path="/")
        return chosen
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", login_csrf=token, next=_safe_next(next), error="")
    response.set_cookie(PRE_LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=settings(request).cookie_secure, max_age=3600)
    return response


@pages.post("/login", include_in_schema=False)
async def login_submit(
    request: Request,
    username: str = Form(...),
    password: str = Form(...),
    csrf_token: str = Form(...),
    next: str = Form("/"),
) -> Response:
    expected = request.cookies.get(PRE_LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return render(request, "login.html", status_code=403, login_csrf=expected,
                      next=_safe_next(next), error=N_("The form expired; please try again."))
    config = settings(request)
    address = request_client(request, config)
    db = database(request)
    # The password check holds no database slot while argon2 runs, and only as many run
    # at once as there are cores: a crowd signing in at the start of the day must not
    # take every slot from the pages of those already signed in.
    async with request.app.state.password_checks.hold():
        if await request.is_disconnected():
            # the client stopped waiting (a timeout, a closed tab): under a burst, checking
            # its password anyway would only delay the logins of those still waiting
            return Response(status_code=503, headers={"Retry-After": "2"})
        checked = await run_in_threadpool(logins.check, db.engine, config, username,
                                          password, address)
    async with request.app.state.database_slots.hold():
        return await run_in_threadpool(_open_session, request, db, checked, expected, next)


def _open_session(request: Request, db: Database, checked: logins.Checked, expected: str,
                  next: str) -> Response:
    config = settings(request)
    with db.transaction() as session:  # refusals are audited: committed with the answer
        try:
            opened = logins.open_session(session, config, checked)
        except RateLimited as exc:
            refused = render(request, "login.html", status_code=429, login_csrf=expected,
                             next=_safe_next(next), error=exc.args[0])
            if exc.retry_after:
                refused.headers["Retry-After"] = str(exc.retry_after)
            return refused
        except AuthenticationError:
            return render(request, "login.html", status_code=401, login_csrf=expected,
                          next=_safe_next(next), error=N_("Wrong username or password."))
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, opened.token, httponly=True, secure=config.cookie_secure,
        samesite="lax", max_age=config.session_lifetime_minutes * 60, path="/",
    )
    response.delete_cookie(PRE_LOGIN_COOKIE)
    return response


@pages.post("/logout", include_in_schema=False)
def logout(request: Request, session: DbSession, _principal: CurrentPrincipal) -> Response:
    logins.logout(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@pages.get("/account/password", response_class=HTMLResponse, include_in_schema=False)
def password_form(request: Request, _principal: CurrentPrincipal) -> Response:
    return render(request, "account/password.html", message="", error="")


@pages.post("/account/password", include_in_schema=False)
def password_submit(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    current_password: str = Form(...),
    new_password: str = Form(...),
    repeat_password: str = Form(...),
) -> Response:
    user = session.get(User, principal.user_id)
    if user is None:
        raise LoginRequired()
    try:
        if new_password != repeat_password:
            raise InputError.single("repeat_password", N_("the two new passwords differ"))
        change_password(session, user, current_password, new_password)
    except (InputError, AuthenticationError) as exc:
        return render(request, "account/password.html", status_code=422, message="",
                      error=exc.summary if isinstance(exc, InputError) else exc.args[0])
    logins.end_other_sessions(session, user, request.cookies.get(SESSION_COOKIE))
    return render(request, "account/password.html", message=N_("Your password was changed; "
                              "your other sessions were signed out."), error="")


@pages.post("/account/language", include_in_schema=False)
def language_submit(request: Request, session: DbSession, principal: CurrentPrincipal,
                    language: str = Form(""), next: str = Form("/")) -> Response:
    """The language switch of the header: saved for the user and kept in a cookie, so the
    sign-in page after a sign-out is in the same language."""
    user = session.get(User, principal.user_id)
    if user is None:
        raise LoginRequired()
    set_language(user, language)
    response = RedirectResponse(_safe_next(next), status_code=303)
    if language:
        response.set_cookie(LANGUAGE_COOKIE, language, httponly=True, samesite="lax",
                            secure=settings(request).cookie_secure,
                            max_age=365 * 24 * 3600, path="/")
    else:
        response.delete_cookie(LANGUAGE_COOKIE, path="/")
    return response


@api.get("/me")
def me(request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    """The signed-in user, their role and unit, and the CSRF token for API writes."""
    user = request.state.user
    return {"username": user.username, "full_name": user.full_name, "role": principal.role,
            "unit": user.unit_code, "csrf_token": request.state.csrf_token}


class PasswordChange(BaseModel):
    current_password: str = PydanticField(max_length=1024)
    new_password: str = PydanticField(max_length=1024)


@api.post("/me/password")
def change_my_password(request: Request, session: DbSession, principal: CurrentPrincipal,
                       body: PasswordChange) -> dict[str, str]:
    """Change the signed-in user's password (length and common-password rules apply);
    the user's other sessions end."""
    user = session.get(User, principal.user_id)
    if user is None:
        raise LoginRequired()
    change_password(session, user, body.current_password, body.new_password)
    logins.end_other_sessions(session, user, request.cookies.get(SESSION_COOKIE))
    return {"status": "changed"}


@api.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, _principal: CurrentPrincipal) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@api.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def docs(request: Request, _principal: CurrentPrincipal) -> Response:
    return render(request, "api_docs.html")
