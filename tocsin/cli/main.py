"""The ``tocsin`` application: the platform commands plus one group per area."""

from __future__ import annotations

import sys

import typer

from tocsin.cli import docs, platform, user
from tocsin.cli.common import err_console
from tocsin.errors import TocsinError

app = typer.Typer(
    name="tocsin",
    help="Tocsin: a platform for countering transnational organized crime.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
platform.register(app)
app.add_typer(user.app)
app.add_typer(docs.app)


def _optional_groups() -> None:
    """Groups of areas; each module defines ``app`` (see docs/architecture.md)."""
    import importlib

    for name in GROUPS:
        module = importlib.import_module(f"tocsin.cli.{name}")
        app.add_typer(module.app)


#: Command groups beyond the platform's own, in the order ``--help`` shows them.
GROUPS: list[str] = []
_optional_groups()


def main() -> None:
    try:
        app()
    except TocsinError as exc:
        err_console.print(f"[bold red]Error:[/] {exc}", highlight=False)
        sys.exit(1)
