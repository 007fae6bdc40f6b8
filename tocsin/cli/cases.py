"""``tocsin cases``: cases, assets, co-operation requests, letters, directory, statistics."""

from __future__ import annotations

from pathlib import Path

import typer

from tocsin.cli.common import Table, acting_as, console, transaction
from tocsin.i18n import N_, _, format_money, format_number, gettext, ngettext

app = typer.Typer(name="cases", help="Cases and asset recovery: list cases, show one with its "
                  "assets and requests, reminders, statistics, request letters, the authorities "
                  "directory.", no_args_is_help=True)

AS = typer.Option(None, "--as", help="Act as this user (default: the platform itself).")


def _term(code: str) -> str:
    """A stored code (``in_execution``) in the catalogs' words, as the case pages show it."""
    return gettext(code.replace("_", " "))


@app.command("list")
def list_(status: str | None = typer.Option(None, help="open or closed."),
          as_user: str | None = AS) -> None:
    """List the cases you may read, newest first.

    Example: tocsin cases list --status open --as analyst
    """
    from tocsin.cases import records

    with transaction() as session:
        table = Table("id", "opened", "reference", "title", "assets", "requests", "status",
                      "handling")
        for c in records.list_cases(session, acting_as(session, as_user), status=status):
            table.add_row(str(c.id), c.opened_on.isoformat(), c.reference, c.title,
                          str(len(c.assets)), str(len(c.requests)), c.status, c.handling)
    console.print(table)


@app.command()
def show(case_id: int, as_user: str | None = AS) -> None:
    """Show a case: assets with their stage and value, requests, timeline.

    Example: tocsin cases show 1
    """
    from tocsin.cases import assets, records

    with transaction() as session:
        case = records.get_case(session, acting_as(session, as_user), case_id)
        console.print(f"[bold]{case.reference}[/] {case.title} ({_term(case.status)}) "
                      f"TLP:{case.handling}", highlight=False)
        table = Table("asset", "kind", "stage", "value", "cost so far", "net proceeds")
        for a in case.assets:
            f = assets.figures(a)
            table.add_row(f"{a.id} {a.description}", _term(a.kind), _term(a.stage),
                          format_money(f.current_value, a.currency),
                          format_number(f.accumulated_cost, 2),
                          "" if f.net_proceeds is None else format_number(f.net_proceeds, 2))
        console.print(table)
        for r in case.requests:
            console.print("  " + _("request %(id)s: %(kind)s %(direction)s %(country)s — "
                                   "%(status)s", id=r.id, kind=r.kind.upper(),
                                   direction=_term(r.direction), country=r.counterpart_country,
                                   status=_term(r.status)),
                          highlight=False, markup=False)
        for m in records.timeline(case):
            console.print(f"  {m.on} {m.text}", highlight=False, markup=False)


@app.command()
def reminders(as_user: str | None = AS) -> None:
    """Request deadlines, unanswered requests and tasks due.

    Example: tocsin cases reminders --as analyst
    """
    from tocsin.cases import requests

    with transaction() as session:
        table = Table("due", "case", "reminder")
        for r in requests.reminders(session, acting_as(session, as_user)):
            due = f"[red]{r.due} overdue[/]" if r.overdue else str(r.due)
            table.add_row(due, r.case_reference, r.text)
    console.print(table)


@app.command()
def requests(status: str | None = typer.Option(None, help="Only requests in this status."),
             as_user: str | None = AS) -> None:
    """List co-operation requests and the time to execution per State.

    Example: tocsin cases requests --status sent
    """
    from tocsin.cases import requests as library

    with transaction() as session:
        principal = acting_as(session, as_user)
        table = Table("id", "case", "kind", "direction", "State", "status", "deadline")
        for c, r in library.list_requests(session, principal, status=status):
            table.add_row(str(r.id), c.reference, r.kind, r.direction, r.counterpart_country,
                          r.status, str(r.deadline or ""))
        console.print(table)
        durations = Table("State", "executed", "median days", "slowest", "still open")
        for d in library.time_to_execution(session, principal):
            durations.add_row(d.country, str(d.requests), f"{d.median_days:g}",
                              str(d.slowest_days), str(d.open_requests))
    console.print(durations)


@app.command()
def stats(by: str = typer.Option("year", help="Dimensions, comma-separated: year, "
                                 "crime_area, country, stage, kind, currency."),
          output: Path | None = typer.Option(None, help="Write CSV here instead of a table."),
          as_user: str | None = AS) -> None:
    """Asset-recovery statistics: orders, values frozen, confiscated, recovered, returned,
    assets under management and their costs.

    Example: tocsin cases stats --by year,country --output stats.csv
    """
    from tocsin.cases import stats as library

    dims = [b.strip() for b in by.split(",") if b.strip()] or ["year"]
    with transaction() as session:
        principal = acting_as(session, as_user)
        rows = library.aggregate(library.facts(session, principal), dims)
        if output is not None:
            output.write_text(library.to_csv(session, principal, rows, dims), encoding="utf-8")
            console.print(ngettext("%(count)s row written to %(path)s",
                                   "%(count)s rows written to %(path)s", len(rows),
                                   count=len(rows), path=str(output)), highlight=False)
            return
    table = Table(*library.headers(dims))
    for r in rows:
        table.add_row(r.metric, *r.key, str(r.count), f"{r.value:,.2f}")
    console.print(table)


@app.command("import-entities")
def import_entities(case_id: int,
                    file: Path = typer.Argument(..., help="FollowTheMoney entities, JSON lines."),
                    as_user: str | None = AS) -> None:
    """Add the people, companies, bank accounts and crypto wallets of a FollowTheMoney file
    to a case as subjects; what the case does not hold is listed and noted in the case.

    Example: tocsin cases import-entities 1 entities.jsonl --as analyst
    """
    from tocsin.cases import entities
    from tocsin.errors import InputError

    if not file.is_file():
        raise InputError.single(str(file), N_("file not found"))
    with transaction() as session:
        items = entities.read_lines(file.read_bytes(), file.name)
        result = entities.import_entities(session, acting_as(session, as_user), case_id,
                                          items, file.name)
    console.print(str(result.summary()), highlight=False, markup=False)  # translated


@app.command()
def letter(request_id: int,
           format: str = typer.Option("docx", "--format", help="docx or pdf."),
           output: Path = typer.Option(..., help="Where to write the letter."),
           as_user: str | None = AS) -> None:
    """Generate a request letter (kept as a new version in the case) and write it out.

    Example: tocsin cases letter 1 --format pdf --output request.pdf --as analyst
    """
    from tocsin.cases import letters

    with transaction() as session:
        document = letters.generate(session, acting_as(session, as_user), request_id, format)
        output.write_bytes(document.content)
        console.print(_("version %(version)s written to %(path)s (sha256 %(digest)s…)",
                        version=document.version, path=str(output),
                        digest=document.sha256[:12]), highlight=False)


@app.command()
def authorities(load: Path | None = typer.Option(None, help="Load entries from this YAML "
                                                 "file first (coordinators)."),
                country: str | None = typer.Option(None, help="Only this State."),
                as_user: str | None = AS) -> None:
    """List the competent authorities directory; load entries from a YAML file.

    Example: tocsin cases authorities --country AT
    """
    from tocsin.cases import requests as library

    with transaction() as session:
        if load is not None:
            added = library.load_directory(session, acting_as(session, as_user), load)
            console.print(ngettext("%(count)s entry added", "%(count)s entries added", added,
                                   count=added), highlight=False)
        table = Table("State", "kind", "authority", "languages", "source", "as of")
        for a in library.list_authorities(session, country):
            fictional = " " + _("(fictional)") if a.fictional else ""
            table.add_row(a.country, a.kind, a.name + fictional,
                          ", ".join(a.languages), a.source, a.as_of.isoformat())
    console.print(table)
