"""``tocsin commitments``: commitments of the acquis, their status and their gaps."""

from __future__ import annotations

import typer

from tocsin.cli.common import Table, acting_as, console, transaction
from tocsin.i18n import N_, _
from tocsin.taskforce.commitments import gaps as gap_queries
from tocsin.taskforce.commitments import records
from tocsin.taskforce.commitments.records import PRIORITY_LABELS, STATUS_LABELS

app = typer.Typer(name="commitments", help="Commitments of the acquis: list them, see which "
                  "have no programme behind them, and record assessments.",
                  no_args_is_help=True)

AS = typer.Option(None, "--as", "--user", help="Act as this user (default: the platform).")


@app.command("list")
def list_(
    instrument: str | None = typer.Option(None, help="Only this instrument code, e.g. untoc."),
    crime_area: str | None = typer.Option(None, help="Only this crime area code."),
    status: str | None = typer.Option(None, help="Only this status, e.g. in_progress."),
    as_user: str | None = AS,
) -> None:
    """List commitments with their priority and current status.

    Example: tocsin commitments list --instrument untoc
    """
    with transaction() as session:
        table = Table("id", "code", "paragraph", "priority", "status", "summary")
        for c in records.list_commitments(session, acting_as(session, as_user),
                                          instrument=instrument, crime_area=crime_area,
                                          status=status):
            label = " (illustrative)" if c.illustrative else ""
            table.add_row(str(c.id), c.code, c.paragraph, PRIORITY_LABELS[c.priority],
                          STATUS_LABELS[c.status], c.summary + label)
    console.print(table)


@app.command()
def gaps(
    by: str = typer.Option("instrument", help="Group by instrument or crime-area."),
    instrument: str | None = typer.Option(None, help="Only this instrument code."),
    crime_area: str | None = typer.Option(None, help="Only this crime area code."),
    as_user: str | None = AS,
) -> None:
    """Commitments with no programme behind them, per instrument or per crime area.

    Example: tocsin commitments gaps --by crime-area
    """
    grouping = {"instrument": gap_queries.gaps_by_instrument,
                "crime-area": gap_queries.gaps_by_crime_area}.get(by)
    if grouping is None:
        raise typer.BadParameter(N_("use instrument or crime-area"), param_hint="--by")
    with transaction() as session:
        groups = grouping(session, acting_as(session, as_user), instrument=instrument,
                          crime_area=crime_area)
        table = Table(by, "commitments", "with a programme", "without", "codes without")
        for g in groups:
            table.add_row(g.key or "(no crime area)", str(g.total), str(g.covered),
                          str(len(g.without)), ", ".join(c.code for c in g.without))
    console.print(table)


@app.command()
def assess(
    commitment_id: int = typer.Argument(..., help="Commitment id (see `list`)."),
    status: str = typer.Option(..., help="not_started, in_progress, implemented, ongoing "
                               "or not_applicable."),
    rationale: str = typer.Option(..., help="Why: what was done or found."),
    activity: list[int] | None = typer.Option(None, help="Evidence: an activity id (repeat)."),
    document: list[int] | None = typer.Option(None, help="Evidence: a document id (repeat)."),
    as_user: str | None = AS,
) -> None:
    """Record an assessment; it becomes the commitment's current status.

    Example: tocsin commitments assess 3 --status in_progress --rationale "Training started"
    """
    with transaction() as session:
        made = records.assess(session, acting_as(session, as_user), commitment_id, status,
                              rationale, evidence_activities=activity or (),
                              evidence_documents=document or ())
        console.print(_("commitment %(id)s is now %(status)s", id=commitment_id,
                        status=str(STATUS_LABELS[made.status])))
