"""Managing user accounts: add, list, disable, change role, change password."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin import types
from tocsin.access import audit
from tocsin.access.passwords import hash_password, verify_password
from tocsin.access.policy import require
from tocsin.access.principal import Principal
from tocsin.access.roles import Action, Role
from tocsin.access.tables import LoginSession, Unit, User
from tocsin.errors import AuthenticationError, InputError, NotFound
from tocsin.i18n import LANGUAGES, N_

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")


def principal_for(user: User) -> Principal:
    return Principal(user_id=user.id, username=user.username, role=Role(user.role),
                     unit_id=user.unit_id)


def unit_by_code(session: Session, code: str) -> Unit:
    return session.get_one(Unit, types.unit.require_id(session, code, "unit"))


def list_units(session: Session) -> Sequence[Unit]:
    """Every unit, structures of the organization first, by name (for forms)."""
    return session.scalars(select(Unit).order_by(Unit.kind.desc(), Unit.name)).all()


def parse_role(value: str, location: str = "role") -> Role:
    """A role typed into a form, or an :class:`InputError` naming the field."""
    try:
        return Role.parse(value)
    except ValueError as exc:
        raise InputError.single(location, str(exc)) from None


def generate_password() -> str:
    return secrets.token_urlsafe(15) + "A1"


def add_user(session: Session, actor: Principal, username: str, password: str, role: Role,
             unit_code: str, full_name: str = "") -> User:
    require(actor, Action.ADMINISTER)
    if not USERNAME.match(username):
        raise InputError.single(
            "username", N_("use 2-80 lower-case letters, digits, '.', '_' or '-'"))
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise InputError.single("username", N_("%(username)s already exists",
                                                   username=repr(username)))
    unit = unit_by_code(session, unit_code)
    user = User(username=username, full_name=full_name,
                password_hash=hash_password(password, username),
                role=role.value, unit_id=unit.id)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user_admin", "user", user.id,
                 detail=f"added {username} as {role.value} in {unit.code}")
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(N_("no user %(username)s", username=repr(username)))
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.username)).all()


def set_active(session: Session, actor: Principal, username: str, active: bool) -> User:
    require(actor, Action.ADMINISTER)
    user = get_user(session, username)
    user.active = active
    if not active:  # a disabled account loses its open sessions at once
        for open_session in session.scalars(
            select(LoginSession).where(LoginSession.user_id == user.id)
        ):
            session.delete(open_session)
    audit.record(session, actor, "user_admin", "user", user.id,
                 detail=f"{'enabled' if active else 'disabled'} {username}")
    return user


def set_role(session: Session, actor: Principal, username: str, role: Role,
             unit_code: str | None = None) -> User:
    require(actor, Action.ADMINISTER)
    user = get_user(session, username)
    user.role = role.value
    if unit_code:
        user.unit_id = unit_by_code(session, unit_code).id
    audit.record(session, actor, "user_admin", "user", user.id,
                 detail=f"set role of {username} to {role.value}")
    return user


def change_password(session: Session, user: User, old: str, new: str) -> None:
    if not verify_password(user.password_hash, old):
        raise AuthenticationError(N_("the current password is wrong"))
    if old == new:
        raise InputError.single("new_password", N_("must differ from the current password"))
    user.password_hash = hash_password(new, user.username)
    audit.record(session, principal_for(user), "password_change", "user", user.id)


def set_language(user: User, language: str) -> None:
    """Save the language the user chose for pages; empty: follow the browser again."""
    if language and language not in LANGUAGES:
        raise InputError.single("language", N_(
            "%(language)s is not one of the offered languages (%(offered)s)",
            language=repr(language), offered=", ".join(LANGUAGES)))
    user.language = language or None
