"""``tocsin experts``: the expert roster and search by need."""

from __future__ import annotations

from datetime import datetime

import typer

from tocsin.cli.common import Table, acting_as, console, transaction
from tocsin.taskforce.experts import records, search
from tocsin.taskforce.experts.spec import Need

app = typer.Typer(name="experts", help="Experts: list the roster and find experts for a need.",
                  no_args_is_help=True)

AS = typer.Option(None, "--as", help="Act as this user (default: the platform itself).")
DAY = ["%Y-%m-%d"]


@app.command("list")
def list_(as_user: str | None = AS) -> None:
    """List experts with their expertise and languages.

    Example: tocsin experts list
    """
    with transaction() as session:
        table = Table("id", "name", "organization", "expertise", "languages")
        for x in records.list_experts(session, acting_as(session, as_user)):
            table.add_row(str(x.id), x.name, x.organization,
                          "; ".join(f"{e.crime_area_code or ''} {e.stage_code or ''} "
                                    f"({e.level_name})" for e in x.expertise),
                          ", ".join(x.language_codes))
    console.print(table)


@app.command()
def find(crime_area: str | None = typer.Option(None, help="Crime area code."),
         stage: str | None = typer.Option(None, help="Stage code."),
         language: list[str] = typer.Option([], help="Language code (repeatable)."),
         available_from: datetime | None = typer.Option(None, "--from", formats=DAY,
                                                        help="Start of the period."),
         available_to: datetime | None = typer.Option(None, "--to", formats=DAY,
                                                      help="End of the period."),
         as_user: str | None = AS) -> None:
    """Find experts for a need, ranked, with the requirements each meets.

    Example: tocsin experts find --crime-area money_laundering --language ru
    """
    need = Need(crime_area=crime_area, stage=stage, languages=language,
                available_from=available_from.date() if available_from else None,
                available_to=available_to.date() if available_to else None)
    with transaction() as session:
        table = Table("score", "name", "organization", "why")
        for c in search.find_experts(session, acting_as(session, as_user), need):
            table.add_row(f"{c.score:.2f}", c.expert.name, c.expert.organization, c.explanation)
    console.print(table)
