"""``tocsin report``: reports for people who prefer paper."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tocsin.cli.common import acting_as, console, transaction
from tocsin.i18n import N_, _, format_number
from tocsin.outputs import writable

if TYPE_CHECKING:
    from tocsin.reports.coherence import Format

app = typer.Typer(name="report", no_args_is_help=True,
                  help="Reports as HTML or PDF: the fund managers' coherence report.")


@app.command("coherence")
def coherence(
    output: Path = typer.Option(Path("coherence-report.html"), "--output", "-o",
                                help="File to write; .pdf gives a PDF, anything else HTML."),
    year: int | None = typer.Option(None, help="Threat year (default: the latest)."),
    start: int | None = typer.Option(None, help="First budget year (default: the threat year)."),
    end: int | None = typer.Option(None, help="Last budget year (default: start)."),
    geo: str = typer.Option("country", help="country or region."),
    user: str | None = typer.Option(None, "--user",
                                    help="Build it for this user: only what they may read."),
) -> None:
    """Write the fund managers' coherence report (audited as an export).

    Example: tocsin report coherence --output report.pdf --user fundmanager
    """
    # the analysis and the charts (scikit-learn, matplotlib) load only for this command
    from tocsin.coherence.analysis import Options
    from tocsin.reports.coherence import generate

    if geo not in ("country", "region"):
        raise typer.BadParameter(N_("use country or region"), param_hint="--geo")
    fmt: Format = "pdf" if writable(output).suffix.lower() == ".pdf" else "html"
    with transaction() as session:
        content = generate(session, acting_as(session, user), fmt,
                           Options(year=year, start=start, end=end, geo=geo))  # type: ignore[arg-type]
    output.write_bytes(content)
    console.print(_("Wrote %(path)s (%(format)s, %(size)s bytes).", path=str(output),
                    format=fmt.upper(), size=format_number(len(content))), highlight=False)
