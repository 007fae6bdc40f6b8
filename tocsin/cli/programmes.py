"""``tocsin programmes``: programmes, projects and activities; IATI and table exchange."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from tocsin import types
from tocsin.cli.common import Table, acting_as, console, transaction
from tocsin.errors import InputError
from tocsin.i18n import N_, N_plural, _, format_number, ngettext
from tocsin.outputs import writable
from tocsin.settings import get_settings
from tocsin.taskforce.iati.codes import DEFAULT_ORG_REF
from tocsin.taskforce.iati.exchange import (
    export_iati,
    import_iati,
    named_problems,
    report_lines,
)
from tocsin.taskforce.iati.organisations import import_organisations, organisation_report_lines
from tocsin.taskforce.programmes import records
from tocsin.taskforce.programmes.bulk import ImportSummary
from tocsin.taskforce.programmes.spec import ACTIVITY_STATUSES, format_amount
from tocsin.taskforce.programmes.totals import rollup
from tocsin.taskforce.tabular.exchange import export_table, import_table, write_template
from tocsin.taskforce.tabular.files import table_format

app = typer.Typer(name="programmes", help="Programmes, projects and activities: list, show, "
                  "import and export as IATI 2.03, CSV or Excel.", no_args_is_help=True)

AS = typer.Option(None, "--as", "--user", help="Act as this user (default: the platform).")
IDS = typer.Option(None, "--ids", help="Only these activity ids (repeat the option).")


def _unit_id(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    return types.unit.require_id(session, code, "--unit")


def _report(summary: ImportSummary, source: Path) -> None:
    console.print(_("%(file)s: %(created)s created, %(updated)s updated.", file=source.name,
                    created=summary.created, updated=summary.updated), highlight=False)
    for note in summary.notes:
        console.print("  " + _("note: %(note)s", note=note), highlight=False)


def _shares(rows: Iterable[tuple[str, Decimal | None]]) -> str:
    return ", ".join(code + (f" {pct:g}%" if pct is not None else "") for code, pct in rows)


def _written(count: int, output: Path) -> None:
    console.print(ngettext("%(count)s activity written to %(path)s",
                           "%(count)s activities written to %(path)s", count,
                           count=format_number(count), path=str(output)), highlight=False)


@app.command("list")
def list_(
    level: str | None = typer.Option(None, help="programme, project or activity."),
    crime_area: str | None = typer.Option(None, help="Only this crime area code."),
    country: str | None = typer.Option(None, help="Only this recipient country (ISO code)."),
    structure: str | None = typer.Option(None, help="Only this implementing structure."),
    text: str | None = typer.Option(None, help="Words in the title, identifier or description."),
    as_user: str | None = AS,
) -> None:
    """List the programmes, projects and activities you may read.

    Example: tocsin programmes list --level programme --crime-area money_laundering
    """
    with transaction() as session:
        table = Table("id", "identifier", "level", "title", "structure", "status", "handling")
        for a in records.list_activities(session, acting_as(session, as_user), level=level,
                                         crime_area=crime_area, country=country,
                                         structure=structure, text=text):
            table.add_row(str(a.id), a.identifier, a.level, a.title,
                          a.implementing_structure or "", ACTIVITY_STATUSES[a.status], a.handling)
    console.print(table)


@app.command()
def show(activity_id: int = typer.Argument(..., help="Activity id (see `list`)."),
         as_user: str | None = AS) -> None:
    """Show one activity with its hierarchy, shares and finance roll-up.

    Example: tocsin programmes show 12
    """
    with transaction() as session:
        who = acting_as(session, as_user)
        a = records.get_activity(session, who, activity_id)
        chain = records.ancestors(session, who, a)
        console.print(f"[bold]{a.title}[/] ({a.level}, {a.identifier})", highlight=False)
        if chain:
            console.print(_("under: %(chain)s", chain=" > ".join(p.identifier for p in chain)),
                          highlight=False)
        console.print(_("status: %(status)s; structure: %(structure)s; handling: %(handling)s",
                        status=str(ACTIVITY_STATUSES[a.status]),
                        structure=a.implementing_structure or "-", handling=a.handling))
        if a.countries:
            console.print(_("countries: %(shares)s", shares=_shares(
                (c.country_code, c.percentage) for c in a.countries)))
        if a.crime_areas:
            console.print(_("crime areas: %(shares)s", shares=_shares(
                (c.crime_area_code, c.percentage) for c in a.crime_areas)))
        if a.stages:
            console.print(_("stages: %(shares)s", shares=_shares(
                (s.stage_code, s.percentage) for s in a.stages)))
        table = Table("kind", "year", "currency", "own", "below", "total")
        for t in rollup(session, who, [a.id]).get(a.id, []):
            table.add_row(t.kind, str(t.year), t.currency,
                          format_amount(t.own) if t.own is not None else "",
                          format_amount(t.children), format_amount(t.total))
        console.print(table)
        for child in records.children_of(session, who, a.id):
            console.print(f"  - {child.id} {child.identifier} {child.title}", highlight=False)


@app.command("import-iati")
def import_iati_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                help="iati-activities XML, or an IATI Datastore answer "
                                "(JSON or CSV with iati_xml)."),
    unit: str | None = typer.Option(None, help="Owning unit code for new activities "
                                    "(default: the implementing structure's unit)."),
    handling: str = typer.Option("GREEN", help="Handling code for new activities."),
    org_ref: str = typer.Option(DEFAULT_ORG_REF, help="The organization's IATI identifier; "
                                "activities reported by others are marked external."),
    each: bool = typer.Option(False, "--each", help="Activity by activity: import the valid "
                              "ones and list the broken ones (default: all or nothing)."),
    as_user: str | None = AS,
) -> None:
    """Import an IATI activity file (2.01, 2.02 or 2.03), or an IATI Datastore answer in
    JSON or CSV: all of it, or nothing if any element is bad; with --each, every valid
    activity. Activities imported before are updated in place and the report names what
    changed.

    Example: tocsin programmes import-iati partner-activities.xml --unit unodc --each
    """
    with transaction() as session:
        report = import_iati(session, acting_as(session, as_user), file,
                             owner_unit_id=_unit_id(session, unit),
                             handling=handling.upper(), own_org_ref=org_ref,
                             mode="each" if each else "all")
    console.print(_("%(file)s:", file=file.name), highlight=False)
    for line in report_lines(report):
        console.print(f"  {line}", highlight=False)


@app.command("import-iati-organisations")
def import_iati_organisations_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                help="iati-organisations XML."),
    unit: str | None = typer.Option(None, help="Owning unit code for new partners."),
    handling: str = typer.Option("GREEN", help="Handling code for new partners."),
    as_user: str | None = AS,
) -> None:
    """Import an IATI organisation file into the partners registry (all or nothing).

    Example: tocsin programmes import-iati-organisations donor-organisation.xml --unit tntd
    """
    with transaction() as session:
        report = import_organisations(session, acting_as(session, as_user), file,
                                      owner_unit_id=_unit_id(session, unit),
                                      handling=handling.upper())
    # a portal's download declares no version on its root: each organisation's is noted
    version = report.version or N_("(version per organisation)")
    console.print(str(N_plural("%(file)s: IATI %(version)s, %(created)s partner created, "
                               "%(updated)s updated.",
                               "%(file)s: IATI %(version)s, %(created)s partners created, "
                               "%(updated)s updated.", report.created, file=file.name,
                               version=version, created=report.created,
                               updated=report.updated)), highlight=False)
    for line in organisation_report_lines(report):
        console.print(f"  {line}", highlight=False)


@app.command("export-iati")
def export_iati_(
    output: Path = typer.Option(..., "--output", "-o", help="File to write."),
    ids: list[int] | None = IDS,
    strict: bool = typer.Option(False, "--strict", help="Write nothing when the file fails "
                                "the IATI 2.03 schema or rulesets."),
    as_user: str | None = AS,
) -> None:
    """Export activities (all you may read, or --ids) as one IATI 2.03 file, checked
    against the 2.03 schema and the IATI rulesets as the IATI Validator does.

    Example: tocsin programmes export-iati --output activities.xml --ids 3 --ids 4
    """
    writable(output)
    with transaction() as session:
        count = export_iati(session, acting_as(session, as_user), output, ids=ids or None,
                            strict=strict)
    for identifier, problem in named_problems(output.read_bytes()):
        line = (N_("IATI rule %(location)s (%(identifier)s): %(reason)s",
                   location=problem.location, identifier=identifier, reason=problem.reason)
                if identifier else
                N_("IATI rule %(location)s: %(reason)s", location=problem.location,
                   reason=problem.reason))
        console.print(f"  {line}", highlight=False)
    _written(count, output)


@app.command("import-table")
def import_table_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A filled .csv or "
                                ".xlsx template."),
    unit: str | None = typer.Option(None, help="Owning unit code for rows without owner_unit."),
    replace_changed: bool = typer.Option(
        False, "--replace-changed", help="Also replace activities changed in the platform "
        "since the table was exported (or named by rows without a version)."),
    as_user: str | None = AS,
) -> None:
    """Import a filled CSV or Excel template: every row, or none if any row is bad.

    Activities changed in the platform since the table was exported are not replaced
    unless --replace-changed confirms it: the import refuses and names them.

    Example: tocsin programmes import-table activities.xlsx
    """
    max_bytes = get_settings().upload_max_bytes
    if file.stat().st_size > max_bytes:
        raise InputError.single(file.name, N_("larger than the limit of %(size)s bytes",
                                              size=f"{max_bytes:,}"))
    with transaction() as session, file.open("rb") as source:
        summary = import_table(session, acting_as(session, as_user), source, name=file.name,
                               replace_changed=replace_changed,
                               owner_unit_id=_unit_id(session, unit))
    _report(summary, file)


@app.command("export-table")
def export_table_(
    output: Path = typer.Option(..., "--output", "-o", help="A .csv or .xlsx file to write."),
    ids: list[int] | None = IDS,
    as_user: str | None = AS,
) -> None:
    """Export activities as CSV or Excel in the template's format (formula-safe).

    Example: tocsin programmes export-table --output activities.xlsx
    """
    fmt = table_format(writable(output).name)
    with transaction() as session, output.open("wb") as out:
        count = export_table(session, acting_as(session, as_user), out, fmt, ids=ids or None)
    _written(count, output)


@app.command()
def template(output: Path = typer.Option(..., "--output", "-o",
                                         help="A .csv or .xlsx file to write.")) -> None:
    """Write an empty activities template with the explanation of every column.

    Example: tocsin programmes template --output activities.xlsx
    """
    fmt = table_format(writable(output).name)
    help_path = output.with_name(output.stem + ".columns.csv")
    with transaction() as session, output.open("wb") as out:
        if fmt == "csv":
            with help_path.open("wb") as explanations:
                write_template(session, out, fmt, explanations)
        else:
            write_template(session, out, fmt)
    if fmt == "csv":
        console.print(_("template written to %(path)s and %(columns)s", path=str(output),
                        columns=str(help_path)), highlight=False)
    else:
        console.print(_("template written to %(path)s", path=str(output)), highlight=False)
