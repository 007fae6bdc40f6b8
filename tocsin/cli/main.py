"""The ``tocsin`` application: the platform commands plus one group per area."""

from __future__ import annotations

import sys
from typing import Any

import typer

from tocsin.cli import (
    coherence,
    commitments,
    docs,
    events,
    experts,
    lessons,
    money,
    money_analysis,
    partners,
    platform,
    programmes,
    reference,
    report,
    search,
    user,
)
from tocsin.cli.common import err_console
from tocsin.errors import TocsinError

app = typer.Typer(
    name="tocsin",
    help="Tocsin: a platform for countering transnational organized crime.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
platform.register(app)
money_analysis.register(money.app)
for group in (user, reference, commitments, programmes, lessons, partners, events, experts,
              coherence, report, money, search, docs):
    app.add_typer(group.app)


def _example(help_text: str | None) -> str | None:
    for line in (help_text or "").splitlines():
        if line.strip().startswith("Example:"):
            return line.strip().removeprefix("Example:").strip()
    return None


def _examples() -> str:
    """One example per top-level command, taken from the commands' own help."""
    lines: list[str] = []
    for command in app.registered_commands:
        found = _example(command.callback.__doc__ if command.callback else None)
        if found:
            lines.append(found)
    for group in app.registered_groups:
        sub: Any = group.typer_instance
        for command in sub.registered_commands if sub else []:
            found = _example(command.callback.__doc__ if command.callback else None)
            if found:
                lines.append(found)
                break
    return "Examples:\n\n" + "\n\n".join(lines)


app.info.epilog = _examples()


def main() -> None:
    try:
        app()
    except TocsinError as exc:
        err_console.print(f"[bold red]Error:[/] {exc}", highlight=False)
        sys.exit(1)
