"""``tocsin docs``: write the reference documents that are generated from the code."""

from __future__ import annotations

from pathlib import Path

import typer

from tocsin.cli.common import console
from tocsin.i18n import _
from tocsin.settings import settings_reference

app = typer.Typer(name="docs", help="Generate docs/settings.md and docs/cli.md from the code.",
                  no_args_is_help=True)


@app.command()
def settings(output: Path = typer.Option(Path("docs/settings.md"), help="File to write.")) -> None:
    """Write the settings reference.

    Example: tocsin docs settings --output docs/settings.md
    """
    output.write_text(settings_reference())
    console.print(_("Wrote %(path)s", path=str(output)), highlight=False)


@app.command()
def cli(output: Path = typer.Option(Path("docs/cli.md"), help="File to write.")) -> None:
    """Write the command-line reference.

    Example: tocsin docs cli --output docs/cli.md
    """
    from tocsin.cli.reference_doc import cli_reference

    output.write_text(cli_reference())
    console.print(_("Wrote %(path)s", path=str(output)), highlight=False)
