"""``tocsin coherence``: threat picture, coverage, gaps, duplicates and recommendations."""

from __future__ import annotations

from pathlib import Path

import typer

from tocsin.cli.common import Table, acting_as, console, transaction
from tocsin.coherence import groups as group_scores
from tocsin.coherence import judgements
from tocsin.coherence.analysis import Options, coverage_for, run
from tocsin.coherence.coverage import DIMENSIONS, Period
from tocsin.coherence.tables import VERDICTS
from tocsin.coherence.threats import import_indicators
from tocsin.i18n import N_, _, gettext

app = typer.Typer(name="coherence", no_args_is_help=True,
                  help="Threat picture, coverage, gaps, duplicates and recommendations.")
threats = typer.Typer(name="threats", no_args_is_help=True, help="Threat indicators.")
app.add_typer(threats)

USER = typer.Option(None, "--user", help="Act as this user (default: the platform itself).")
YEAR = typer.Option(None, help="Threat year (default: the latest with indicators).")
GEO = typer.Option("country", help="country or region.")


def _options(year: int | None, geo: str, start: int | None = None,
             end: int | None = None) -> Options:
    if geo not in ("country", "region"):
        raise typer.BadParameter(N_("use country or region"), param_hint="--geo")
    return Options(year=year, start=start, end=end, geo=geo)  # type: ignore[arg-type]


@threats.command("import")
def threats_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV file."),
    unit: str | None = typer.Option(None, help="Owning unit code, e.g. tntd-spmu."),
    handling: str = typer.Option("GREEN", help="Handling code of rows that give none."),
    user: str | None = USER,
) -> None:
    """Import threat indicators from CSV (all rows or none).

    Example: tocsin coherence threats import indicators.csv --unit tntd-spmu
    """
    with transaction() as session:
        result = import_indicators(session, acting_as(session, user), file, unit=unit,
                                   default_handling=handling)
    console.print(_("Imported %(file)s: %(result)s.", file=file.name, result=str(result)),
                  highlight=False)


@app.command("groups")
def groups_(user: str | None = USER) -> None:
    """Rank organized crime groups with the workspace's weights.

    Example: tocsin coherence groups
    """
    with transaction() as session:
        ranked, used = group_scores.ranking(session, acting_as(session, user))
    console.print(_("Weights: %(weights)s", weights=", ".join(f"{k} {v:g}"
                                                              for k, v in used.items())))
    table = Table("rank", "group", "score", "complete", "crime areas", "countries")
    for g in ranked:
        table.add_row(str(g.rank), g.name, f"{g.score:.0f}", f"{g.completeness:.0%}",
                      ", ".join(g.crime_areas), ", ".join(g.countries))
    console.print(table)


@app.command("coverage")
def coverage_(
    rows: str = typer.Option("crime_area", help=f"One of {', '.join(DIMENSIONS)}."),
    cols: str = typer.Option("country", help=f"One of {', '.join(DIMENSIONS)}."),
    start: int = typer.Option(..., help="First budget year."),
    end: int | None = typer.Option(None, help="Last budget year (default: start)."),
    user: str | None = USER,
) -> None:
    """Budget and activity count per cell over a period.

    Example: tocsin coherence coverage --start 2025 --rows crime_area --cols region
    """
    if rows not in DIMENSIONS or cols not in DIMENSIONS:
        raise typer.BadParameter(str(N_("use %(allowed)s", allowed=", ".join(DIMENSIONS))))
    with transaction() as session:
        matrix = coverage_for(session, acting_as(session, user), Period(start, end or start),
                              rows, cols)
    table = Table(f"{rows} \\ {cols}", *matrix.cols, "total",
                  title=f"Budget ({matrix.currency}) and activities, {matrix.period}")
    for r in matrix.rows:
        cells = [f"{matrix.get(r, c).budget:,.0f} ({matrix.get(r, c).activities})"
                 if (r, c) in matrix.cells else "" for c in matrix.cols]
        table.add_row(r or "not stated", *cells, f"{matrix.row_totals.get(r, 0):,.0f}")
    console.print(table)


@app.command("gaps")
def gaps_(year: int | None = YEAR, geo: str = GEO, user: str | None = USER) -> None:
    """Hot spots with low coverage, and commitments without a programme.

    Example: tocsin coherence gaps --geo region
    """
    options = _options(year, geo)  # refused before the database is opened
    with transaction() as session:
        analysis = run(session, acting_as(session, user), options)
    names = analysis.inputs.names
    console.print(_("Threat year %(year)s; coverage %(period)s.", year=analysis.year,
                    period=str(analysis.period)))
    currency = analysis.portfolio.currency
    for i, g in enumerate(analysis.gaps, 1):
        console.print(f"{i:>3}. [bold]{g.score:5.1f}[/] {g.reason(currency, names)}",
                      highlight=False)
    for cg in analysis.commitment_gaps:
        console.print(f"  - {cg.reason(names)}", highlight=False)
    for note in analysis.inputs.notes:
        console.print(f"[yellow]{note}[/]")


@app.command("duplicates")
def duplicates(limit: int = typer.Option(20, help="How many pairs to show."),
               user: str | None = USER) -> None:
    """Candidate duplicate and overlapping activities, with reasons.

    Example: tocsin coherence duplicates --limit 10
    """
    with transaction() as session:
        analysis = run(session, acting_as(session, user), Options(candidate_limit=limit))
    p = analysis.portfolio
    for c in analysis.candidates:
        judged = " — " + _("judged %(verdict)s", verdict=c.judgement.verdict) \
            if c.judgement else ""
        kind = gettext(c.kind)  # one of overlaps.KIND_TERMS
        console.print(f"[bold]{c.key(p)}[/] {c.score:.2f} {kind}{judged}: "
                      f"{p.identifiers[c.a]} / {p.identifiers[c.b]}", highlight=False)
        for reason in c.reasons:
            console.print(f"    {reason}", highlight=False)


@app.command("judge")
def judge(
    pair: str = typer.Argument(..., help="Two activity ids, e.g. 12-34."),
    verdict: str = typer.Option(..., "--as", help=f"One of {', '.join(VERDICTS)}."),
    note: str = typer.Option("", help="Why."),
    user: str | None = USER,
) -> None:
    """Judge a candidate pair; later runs respect it.

    Example: tocsin coherence judge 12-34 --as duplicate --note "same course" --user analyst
    """
    with transaction() as session:
        view = judgements.judge(session, acting_as(session, user), judgements.parse_pair(pair),
                                verdict, note)
    console.print(_("Judged %(pair)s %(verdict)s.", pair=f"{view.activity_a_id}-"
                    f"{view.activity_b_id}", verdict=view.verdict))


@app.command("recommendations")
def recommendations(year: int | None = YEAR, geo: str = GEO,
                    limit: int = typer.Option(20, help="How many to show."),
                    user: str | None = USER) -> None:
    """Ranked recommended actions with their rationale and evidence.

    Example: tocsin coherence recommendations --limit 10
    """
    options = _options(year, geo)  # refused before the database is opened
    with transaction() as session:
        analysis = run(session, acting_as(session, user), options)
    for r in analysis.recommendations[:limit]:
        console.print(f"{r.rank:>3}. [bold]{r.title}[/] ({r.kind_label}, {r.score:.0f})",
                      highlight=False)
        console.print(f"     {r.rationale}", highlight=False)
        console.print("     " + _("evidence: %(evidence)s", evidence="; ".join(
            f"{e.label} <{e.link}>" for e in r.evidence)), highlight=False)
