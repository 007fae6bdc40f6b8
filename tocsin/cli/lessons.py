"""``tocsin lessons``: observations, the lessons-learned cycle, pending lessons, design checks."""

from __future__ import annotations

from datetime import datetime

import typer

from tocsin import i18n
from tocsin.cli.common import Table, acting_as, console, transaction
from tocsin.taskforce.lessons import records
from tocsin.taskforce.lessons.cycle import load_cycle
from tocsin.taskforce.lessons.spec import ActionSpec, ReviewSpec

app = typer.Typer(name="lessons", help="Lessons learned: submit after-action reviews, move "
                  "lessons through the cycle, list pending ones.", no_args_is_help=True)

AS = typer.Option(None, "--as", help="Act as this user (default: the platform itself).")


@app.command("list")
def list_(status: str | None = typer.Option(None, help="Only this status, e.g. identified."),
          crime_area: str | None = typer.Option(None, help="Only this crime area code."),
          as_user: str | None = AS) -> None:
    """List lessons and observations with their status.

    Example: tocsin lessons list --status identified
    """
    with transaction() as session:
        who = acting_as(session, as_user)
        table = Table("id", "status", "title", "outcome", "crime areas", "handling")
        for x in records.list_lessons(session, who, status=status, crime_area=crime_area):
            table.add_row(str(x.id), x.status, x.title, x.outcome, ", ".join(x.crime_areas),
                          x.handling)
    console.print(table)


@app.command()
def submit(
    title: str = typer.Option(..., help="What the review is about."),
    planned: str = typer.Option(..., help="What was planned."),
    happened: str = typer.Option(..., help="What happened."),
    why: str = typer.Option(..., help="Why there was a difference."),
    next_time: str = typer.Option(..., help="What to do next time."),
    outcome: str = typer.Option(..., help="worked, partly or did_not_work."),
    tool: str = typer.Option("", help="The tool or method concerned."),
    activity: int | None = typer.Option(None, help="Id of the activity it came from."),
    crime_area: list[str] = typer.Option([], help="Crime area code (repeatable)."),
    stage: list[str] = typer.Option([], help="Stage code (repeatable)."),
    country: list[str] = typer.Option([], help="Country code (repeatable)."),
    handling: str = typer.Option("GREEN", help="Handling code (TLP)."),
    unit: str | None = typer.Option(None, help="Owning unit code (default: your unit)."),
    as_user: str | None = AS,
) -> None:
    """Submit an after-action review; it creates an observation.

    Example: tocsin lessons submit --title "FIU training" --planned "train 20" --happened "12 came" --why "late invitations" --next-time "invite early" --outcome partly
    """  # noqa: E501
    spec = ReviewSpec(title=title, planned=planned, happened=happened, why_different=why,
                      next_time=next_time, outcome=outcome, tool_method=tool,
                      activity_id=activity, crime_areas=crime_area, stages=stage,
                      countries=country, handling=handling, owner_unit=unit)
    with transaction() as session:
        _, made = records.submit_review(session, acting_as(session, as_user), spec)
        console.print(i18n._("Observation %(id)s submitted.", id=made[0].id))


@app.command()
def advance(
    lesson_id: int,
    transition: str = typer.Argument(..., help="accept, reject, reopen, analyse, identify, "
                                     "assign or validate."),
    note: str = typer.Option("", help="Reason or remark (required to reject or reopen)."),
    analysis: str = typer.Option("", help="The analysis (for analyse)."),
    statement: str = typer.Option("", help="The lesson identified (for identify)."),
    action_body: str = typer.Option("", help="Unit code of the action body (for assign)."),
    action: str = typer.Option("", help="The remedial action (for assign)."),
    due: datetime | None = typer.Option(None, formats=["%Y-%m-%d"],
                                        help="Due date of the remedial action."),
    as_user: str | None = AS,
) -> None:
    """Move a lesson one step through the cycle.

    Example: tocsin lessons advance 12 accept --as coordinator
    """
    remedial = (ActionSpec(action_body=action_body, description=action, due_on=due.date())
                if due is not None else None)
    with transaction() as session:
        lesson = records.advance(session, acting_as(session, as_user), lesson_id, transition,
                                 note=note, analysis=analysis, statement=statement,
                                 action=remedial)
        console.print(i18n._("Lesson %(id)s is now %(status)s.", id=lesson.id,
                             status=i18n.gettext(load_cycle().label(lesson.status))))


@app.command()
def pending(as_user: str | None = AS) -> None:
    """Lessons identified that never reached learned, oldest first.

    Example: tocsin lessons pending
    """
    with transaction() as session:
        table = Table("id", "title", "identified", "age (days)", "action bodies", "overdue")
        for p in records.pending_lessons(session, acting_as(session, as_user)):
            table.add_row(str(p.lesson.id), p.lesson.title, p.identified_on.isoformat(),
                          str(p.age_days), ", ".join(p.action_bodies), str(p.overdue_actions))
    console.print(table)


@app.command("design")
def design_(activity: int = typer.Option(..., help="Id of an activity in pipeline."),
            as_user: str | None = AS) -> None:
    """Lessons that apply to an activity being designed, with why each matches.

    Example: tocsin lessons design --activity 42
    """
    from tocsin.taskforce.lessons import design  # scikit-learn: only for this command

    with transaction() as session:
        who = acting_as(session, as_user)
        draft = design.draft_from_activity(session, who, activity)
        table = Table("id", "score", "title", "why", "acknowledged")
        for m in design.lessons_for_design(session, who, draft, activity_id=activity):
            table.add_row(str(m.lesson.id), f"{m.score:.2f}", m.lesson.title, m.explanation,
                          m.acknowledged.username if m.acknowledged else "")
    console.print(table)
