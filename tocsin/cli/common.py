"""Helpers shared by the command groups: opening the database, acting as a user."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console, ConsoleDimensions
from rich.table import Table as RichTable
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tocsin import i18n
from tocsin.access.principal import Principal
from tocsin.access.users import get_user, principal_for
from tocsin.errors import ConfigurationError, TocsinError
from tocsin.i18n import _
from tocsin.settings import get_settings
from tocsin.store.database import Database


class _Console(Console):
    """A console whose tables keep every column whole when the output is piped or captured.

    Rich assumes 80 columns when it cannot ask a terminal, which cuts names in
    ``tocsin money sets | grep`` to "Cas…"; piped output takes the width it needs.
    """

    @property
    def size(self) -> ConsoleDimensions:
        size = Console.size.fget(self)  # type: ignore[attr-defined]
        if self._width is None and "COLUMNS" not in self._environ and not self.is_terminal:
            return ConsoleDimensions(max(size.width, 240), size.height)
        return size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]

    def print(self, *objects: Any, **options: Any) -> None:
        super().print(*(_shown(o) for o in objects), **options)


def _shown(value: Any) -> Any:
    """A message in the command's language. Rich reads a ``str`` through its characters,
    which for a :class:`~tocsin.i18n.Message` are the English ones, not through ``str()``."""
    return value.translated() if isinstance(value, i18n.Message | i18n.Number | i18n.Date) \
        else value


class Table(RichTable):
    """A table of data whose headings (and title) are in the command's language: the
    literal headings of ``Table(…)`` in ``tocsin/cli`` are read into the catalogs
    (``tocsin.cli.helptext``); the data in the rows stays as stored."""

    def __init__(self, *headers: Any, title: Any = None, **options: Any) -> None:
        super().__init__(*(i18n.gettext(h) if isinstance(h, str) else h for h in headers),
                         title=i18n.gettext(title) if isinstance(title, str) else title,
                         **options)

    def add_row(self, *renderables: Any, **options: Any) -> None:
        super().add_row(*(_shown(r) for r in renderables), **options)


console = _Console()
err_console = _Console(stderr=True)


@contextmanager
def database() -> Iterator[Database]:
    db = Database.from_settings(get_settings())
    try:
        yield db
    finally:
        db.engine.dispose()


@contextmanager
def transaction() -> Iterator[Session]:
    with database() as db:
        try:
            with db.transaction() as session:
                yield session
        except DBAPIError:
            _require_schema(db)
            raise


def _require_schema(db: Database) -> None:
    """A command on the platform's records needs its tables: where the database failed on
    one ``tocsin init`` has not set up, say so (the driver's "no such table" and its SQL
    named no way out). Asked only once the database failed, so that what a command
    checks before reading (a name, a value) is said first, as it always was."""
    from tocsin.store.migrate import current_heads

    if not current_heads(db.engine):
        raise fail(ConfigurationError(_(
            "%(database)s holds no Tocsin database yet: run `tocsin init` first (or set "
            "TOCSIN_DATA_DIR or TOCSIN_DATABASE_URL to the platform's)",
            database=db.engine.url.render_as_string(hide_password=True))))


def acting_as(session: Session, username: str | None) -> Principal:
    """The principal a command acts as: a named user, or the platform itself."""
    if not username:
        return Principal.system()
    return principal_for(get_user(session, username))


def confirm(question: str) -> bool:
    """Ask a yes-or-no question in the reader's language (click's own ``[y/N]`` is
    English): the language's answers for yes, or ``y``/``yes``, mean yes; anything
    else, an empty answer too, means no."""
    answer = typer.prompt(question, default="", show_default=False,
                          prompt_suffix=_(" [y/N]: "))
    yes = {word.strip() for word in _("y,yes").split(",")} | {"y", "yes"}
    return str(answer).strip().lower() in yes


def fail(exc: TocsinError) -> typer.Exit:
    """Print a deliberate error plainly (no traceback) and return the exit to raise."""
    label = _("Error:")  # outside the f-string, where the catalogs' extractor finds it
    err_console.print(f"[bold red]{label}[/] {exc}", highlight=False)
    return typer.Exit(code=1)
