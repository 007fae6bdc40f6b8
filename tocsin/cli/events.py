"""``tocsin events``: conferences and meetings, their recommendations and follow-up actions."""

from __future__ import annotations

import typer

from tocsin.cli.common import Table, acting_as, console, transaction
from tocsin.i18n import _
from tocsin.taskforce.events import records

app = typer.Typer(name="events", help="Events: list them, show panels and recommendations, "
                  "follow up actions.", no_args_is_help=True)

AS = typer.Option(None, "--as", help="Act as this user (default: the platform itself).")


@app.command("list")
def list_(year: int | None = typer.Option(None, help="Only events starting in this year."),
          as_user: str | None = AS) -> None:
    """List events, newest first.

    Example: tocsin events list --year 2020
    """
    with transaction() as session:
        table = Table("id", "starts", "kind", "title", "panels")
        for e in records.list_events(session, acting_as(session, as_user), year=year):
            table.add_row(str(e.id), e.starts_on.isoformat(), e.kind, e.title,
                          str(len(e.panels)))
    console.print(table)


@app.command()
def show(event_id: int, as_user: str | None = AS) -> None:
    """Show one event with its panels, recommendations and actions.

    Example: tocsin events show 1
    """
    with transaction() as session:
        event = records.get_event(session, acting_as(session, as_user), event_id)
        console.print(f"[bold]{event.title}[/] ({event.kind}, {event.starts_on}, "
                      f"{event.location}) TLP:{event.handling}", highlight=False)
        for panel in event.panels:
            console.print(f"  [bold]{panel.title}[/]", highlight=False)
            for rec in panel.recommendations:
                console.print(f"    - [{rec.status}] {rec.text}", highlight=False, markup=False)
                for a in rec.actions:
                    due = _("due %(date)s", date=str(a.due_on))
                    console.print(f"        · {a.status}: {a.description} ({a.owner.code}, "
                                  f"{due})", highlight=False, markup=False)


@app.command()
def actions(overdue: bool = typer.Option(False, "--overdue", help="Only overdue actions."),
            as_user: str | None = AS) -> None:
    """List follow-up actions, soonest due first; overdue ones marked.

    Example: tocsin events actions --overdue
    """
    with transaction() as session:
        table = Table("id", "due", "status", "owner", "action", "event")
        for row in records.list_actions(session, acting_as(session, as_user),
                                        overdue_only=overdue):
            late = _("%(day)s overdue", day=str(row.action.due_on))
            due = f"[red]{late}[/]" if row.overdue else str(row.action.due_on)
            table.add_row(str(row.action.id), due, row.action.status, row.action.owner.code,
                          row.action.description, row.event.title)
    console.print(table)
