"""Helpers shared by the command groups: opening the database, acting as a user."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from tocsin.access.principal import Principal
from tocsin.access.users import get_user, principal_for
from tocsin.errors import TocsinError
from tocsin.settings import get_settings
from tocsin.store.database import Database

console = Console()
err_console = Console(stderr=True)


@contextmanager
def database() -> Iterator[Database]:
    db = Database.from_settings(get_settings())
    try:
        yield db
    finally:
        db.engine.dispose()


@contextmanager
def transaction() -> Iterator[Session]:
    with database() as db, db.transaction() as session:
        yield session


def acting_as(session: Session, username: str | None) -> Principal:
    """The principal a command acts as: a named user, or the platform itself."""
    if not username:
        return Principal.system()
    return principal_for(get_user(session, username))


def fail(exc: TocsinError) -> typer.Exit:
    """Print a deliberate error plainly (no traceback) and return the exit to raise."""
    err_console.print(f"[bold red]Error:[/] {exc}", highlight=False)
    return typer.Exit(code=1)
