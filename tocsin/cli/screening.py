"""``tocsin screening``: import lists as versions, screen subjects and sets, judge, alerts."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from tocsin.cli.common import Table, acting_as, console, database, transaction
from tocsin.errors import InputError
from tocsin.i18n import N_, N_plural, _, ngettext
from tocsin.screening.formats import FORMATS

app = typer.Typer(name="screening",
                  help="Screen against sanctions lists: import lists, screen, judge, alerts.",
                  no_args_is_help=True)

AS = typer.Option(None, "--as", help="Act as this user (default: the platform itself).")


@app.command("import")
def import_(fmt: str = typer.Argument(..., metavar="FORMAT",
                                      help=f"One of {', '.join(FORMATS)}."),
            files: list[Path] = typer.Argument(..., help="The list file (OFAC CSV: the set)."),
            key: str | None = typer.Option(None, "--list", help="List key (default by format)."),
            title: str | None = typer.Option(None, help="Title of a new list."),
            as_user: str | None = AS) -> None:
    """Import a list file as a new version of its list; show what changed and re-screen.

    Example: tocsin screening import un consolidated.xml --as analyst1
    """
    from tocsin.screening import service

    with transaction() as session:
        report, rescreen = service.import_list(session, acting_as(session, as_user), fmt,
                                               files, key=key, title=title)
    console.print(str(report.summary()), highlight=False)  # a message: translated by str()
    if report.notes:
        console.print(ngettext("%(count)s value in the file could not be held and was left out:",
                               "%(count)s values in the file could not be held and were left "
                               "out:", len(report.notes), count=len(report.notes)),
                      highlight=False)
        for note in report.notes[:50]:
            console.print(f"  {note}", highlight=False, markup=False)
    console.print(ngettext("re-screened %(subjects)s subject against %(entries)s new or changed "
                           "entries: %(alerts)s",
                           "re-screened %(subjects)s subjects against %(entries)s new or "
                           "changed entries: %(alerts)s", rescreen.subjects,
                           subjects=rescreen.subjects, entries=rescreen.entries,
                           alerts=N_plural("%(count)s alert", "%(count)s alerts",
                                           rescreen.alerts, count=rescreen.alerts)))


@app.command("lists")
def lists_() -> None:
    """List the lists with their active version.

    Example: tocsin screening lists
    """
    from tocsin.screening import lists

    with transaction() as session:
        table = Table("key", "title", "format", "version", "entries", "published")
        for item in lists.all_lists(session):
            view = lists.list_view(session, item)
            table.add_row(view["key"], view["title"], view["format"],
                          str(view["active_version"] or ""), str(view["entries"]),
                          view["published"] or "")
    console.print(table)


@app.command()
def changes(key: str = typer.Argument(..., help="List key."),
            version: int | None = typer.Option(None, help="Version (default: the newest).")
            ) -> None:
    """Show what a version of a list added, removed and changed.

    Example: tocsin screening changes un_sc --version 2
    """
    from tocsin.screening import lists

    with transaction() as session:
        item = lists.get_list(session, key)
        found = lists.versions(session, item)
        if not found:
            raise InputError.single(key, N_("the list has no version"))
        shown = lists.get_version(session, item, version) if version else found[0]
        table = Table("change", "entry", "id", "fields", title=f"{item.key} version "
                      f"{shown.number}")
        for c in lists.changes(session, shown):
            table.add_row(c.change, c.caption, c.entity_id, ", ".join(c.fields))
    console.print(table)


@app.command()
def screen(name: str = typer.Argument(..., help="Name of the subject."),
           schema: str = typer.Option("Person", help="Person, Company, Organization, Vessel…"),
           birth_date: str | None = typer.Option(None, help="Date of birth (1970-01-31)."),
           country: str | None = typer.Option(None, help="Nationality or country."),
           id_number: str | None = typer.Option(None, help="Passport or registration number."),
           list_key: list[str] = typer.Option([], "--list", help="Only this list (repeatable)."),
           output_json: bool = typer.Option(False, "--json", help="Print JSON."),
           as_user: str | None = AS) -> None:
    """Screen one subject and explain every score.

    Example: tocsin screening screen "Ivan Sidorov" --birth-date 1964-01-16 --as analyst1
    """
    from tocsin.screening import service

    properties: dict[str, list[str]] = {"name": [name]}
    if birth_date:
        properties["birthDate"] = [birth_date]
    if country:
        properties["nationality" if schema == "Person" else "country"] = [country]
    if id_number:
        properties["idNumber"] = [id_number]
    with transaction() as session:
        [found] = service.screen_entities(session, acting_as(session, as_user),
                                          [{"schema": schema, "properties": properties}],
                                          lists=list_key or None, origin="cli")
    if output_json:
        console.print_json(json.dumps(found.to_dict()))
        return
    table = Table("score", "band", "list", "entry", "why")
    for r in found.results:
        table.add_row(f"{r.score:.2f}", r.band, r.list_key, r.caption,
                      str(r.explained.reason()))  # the reasons in the command's language
    console.print(table)
    if found.subject_id:
        console.print(_("kept as subject %(id)s", id=found.subject_id))


@app.command()
def judge(subject_id: int = typer.Argument(..., help="Subject id."),
          list_key: str = typer.Argument(..., help="List key."),
          entity_id: str = typer.Argument(..., help="Entry id."),
          verdict: str = typer.Argument(..., help="match, no_match or unsure."),
          note: str = typer.Option("", help="Why."),
          as_user: str = typer.Option(..., "--as", help="The analyst who judges.")) -> None:
    """Record a judgement on one subject and one list entry.

    Example: tocsin screening judge 12 un_sc NK-abc no_match --note "other father" --as analyst1
    """
    from tocsin.screening import service

    with transaction() as session:
        service.judge(session, acting_as(session, as_user), subject_id, list_key, entity_id,
                      verdict, note)
    console.print(_("subject %(id)s: %(entry)s judged %(verdict)s", id=subject_id,
                    entry=f"{list_key}:{entity_id}", verdict=verdict), highlight=False)


@app.command()
def alerts(as_user: str = typer.Option(..., "--as", help="Whose unit's alerts.")) -> None:
    """Show the open alerts raised by new list versions.

    Example: tocsin screening alerts --as analyst1
    """
    from tocsin.screening import service

    with transaction() as session:
        table = Table("id", "subject", "list", "entry", "score", "change", "created")
        for a in service.alerts(session, acting_as(session, as_user)):
            table.add_row(str(a["id"]), a["subject"], a["list"], a["entry"],
                          f"{a['score']:.2f}", a["change"], a["created"])
    console.print(table)


@app.command("set")
def screen_set(set_ref: str = typer.Argument(..., metavar="SET", help="Set id or name."),
               detect: bool = typer.Option(False, help="Also report payments to or from "
                                                       "listed parties."),
               as_user: str = typer.Option(..., "--as", help="Who screens (keeps subjects "
                                                              "if allowed).")) -> None:
    """Screen every party of a transaction set (with a progress bar).

    Example: tocsin screening set "Case 12" --detect --as analyst1
    """
    from rich.progress import Progress

    from tocsin.money import sets
    from tocsin.screening import sets as screening_sets
    from tocsin.settings import get_settings

    settings = get_settings()
    with database() as db, db.transaction() as session, Progress(console=console) as bar:
        principal = acting_as(session, as_user)
        item = sets.find_set(session, principal, set_ref)
        task = bar.add_task(_("screening parties"), total=1.0)
        screened, stored = screening_sets.screen_parties(
            session, principal, settings, item.id,
            progress=lambda f, m: bar.update(task, completed=f, description=m))
        data = screening_sets.summary(screened, stored)
        found = screening_sets.listed_party(session, principal, settings, item.id) \
            if detect else None
    said = ngettext("%(parties)s parties: %(matches)s match, %(review)s to review",
                    "%(parties)s parties: %(matches)s matches, %(review)s to review",
                    data["matches"], parties=data["parties"], matches=data["matches"],
                    review=data["review"])
    console.print(said if stored else said + " " + _("(a preview: nothing kept)"))
    table = Table("score", "band", "party", "list", "entry")
    for r in data["results"]:
        table.add_row(f"{r['score']:.2f}", r["band"], r["party"], r["list"], r["caption"])
    console.print(table)
    if found is not None:
        for f in found["findings"]:
            console.print(f"[bold]{f['score']:.2f}[/] {f['subject']}: {f['reason']}")
