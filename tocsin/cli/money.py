"""``tocsin money``: import transaction data, list and export transaction sets."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import typer

from tocsin.access.users import unit_by_code
from tocsin.cli.common import Table, acting_as, confirm, console, fail, transaction
from tocsin.errors import InputError, TocsinError
from tocsin.i18n import N_, _, format_number, format_size, ngettext
from tocsin.money import sets
from tocsin.money.export import EXPORT_FORMATS, Selection
from tocsin.outputs import not_written
from tocsin.settings import get_settings

app = typer.Typer(name="money", help="Follow the money: ingest, trace, detect, score, "
                  "evaluate, export.", no_args_is_help=True)

USER = typer.Option(None, "--user", "--as", help="Act as this user (default: the platform).")


@app.command()
def ingest(
    fmt: str = typer.Argument(..., metavar="FORMAT",
                              help="amlworld, amlsim, goaml, camt053, ftm, bitcoin, ethereum, "
                                   "csv or xlsx."),
    sources: list[Path] = typer.Argument(..., help="Files (or an AMLSim folder) to import."),
    name: str | None = typer.Option(None, help="Name of the new transaction set (needed "
                                    "unless --check)."),
    handling: str = typer.Option("AMBER", help="Handling code (TLP) of the set."),
    unit: str | None = typer.Option(None, help="Owning unit code (default: your unit)."),
    patterns: list[Path] = typer.Option([], help="AMLworld *_Patterns.txt (repeatable)."),
    mapping: Path | None = typer.Option(None, help="YAML column mapping (csv, xlsx)."),
    base_currency: str = typer.Option("EUR", help="Currency amounts are converted into."),
    rates: Path | None = typer.Option(None, help="Rate table, YAML or CSV (default: the "
                                      "indicative table shipped with Tocsin)."),
    start: datetime | None = typer.Option(None, help="AMLSim and PaySim: the date of step 0."),
    currency: str | None = typer.Option(None, help="AMLSim and PaySim: the currency of the "
                                        "amounts."),
    network: str | None = typer.Option(None, help="Bitcoin JSON and hex: mainnet (default), "
                                       "testnet, signet or regtest."),
    description: str = typer.Option("", help="What the set is, where it came from."),
    check: bool = typer.Option(False, "--check", help="Only check the files: read and "
                               "validate every row as the import does, report the problems "
                               "or what the set would hold, and write nothing."),
    as_user: str | None = USER,
) -> None:
    """Import transaction files into a new transaction set.

    Example: tocsin money ingest amlworld HI-Small_Trans.csv --patterns HI-Small_Patterns.txt --name "Case 12" --handling AMBER --unit tntd-spmu
    """  # noqa: E501
    if check:
        _check_files(fmt, sources, base_currency=base_currency, rates=rates, mapping=mapping,
                     options=_options(patterns, start, currency, network))
        return
    if name is None:
        raise fail(InputError.single("--name", N_("give the new transaction set a name")))
    options = _options(patterns, start, currency, network)
    try:
        with transaction() as session:
            who = acting_as(session, as_user)
            if unit is not None:
                unit_id = unit_by_code(session, unit).id
            elif who.unit_id is not None:
                unit_id = who.unit_id
            else:
                raise InputError.single("--unit", N_("give the owning unit's code"))
            item, report = sets.import_set(
                session, who, get_settings(), fmt, sources, name, handling, unit_id,
                description=description, base_currency=base_currency, rates=rates,
                mapping=mapping, options=options, progress=True)
            set_id = item.id
    except TocsinError as exc:
        raise fail(exc) from None
    console.print(_("Transaction set %(id)s %(name)s: %(counts)s (%(format)s, %(currency)s) "
                    "in %(seconds)s s (%(rate)s rows/s).", id=set_id, name=f"[bold]{name}[/]",
                    counts=_counts(report.transactions, report.accounts, report.parties),
                    format=report.format, currency=report.base_currency,
                    seconds=format_number(report.seconds, 1),
                    rate=format_number(report.rows_per_second, 0)), highlight=False)
    for note in report.notes:
        console.print(f"  {note}", highlight=False)


def _options(patterns: list[Path], start: datetime | None, currency: str | None,
             network: str | None) -> dict[str, object]:
    """The format-specific settings of an import, from its command-line options."""
    options: dict[str, object] = {}
    if patterns:
        options["patterns"] = patterns
    if start is not None:
        options["start"] = start
    if currency:
        options["currency"] = currency
    if network:
        options["network"] = network
    return options


def _check_files(fmt: str, sources: list[Path], *, base_currency: str, rates: Path | None,
                 mapping: Path | None, options: dict[str, object]) -> None:
    """``ingest --check``: the import's answer, without a set, a database or a write."""
    from tocsin.money.ingest import check

    try:
        report = check(fmt, sources, base_currency=base_currency, rates=rates, mapping=mapping,
                       options=options, progress=True)
    except TocsinError as exc:
        raise fail(exc) from None
    console.print(_("Checked: %(counts)s (%(format)s, %(currency)s) in %(seconds)s s; nothing "
                    "was written.", counts=_counts(report.transactions, report.accounts,
                                                   report.parties),
                    format=report.format, currency=report.base_currency,
                    seconds=format_number(report.seconds, 1)), highlight=False)
    for note in report.notes:
        console.print(f"  {note}", highlight=False)


def _transactions(count: int) -> str:
    return ngettext("%(count)s transaction", "%(count)s transactions", count,
                    count=format_number(count))


def _counts(transactions: int, accounts: int, parties: int) -> str:
    """What an import read, each count with the word its number takes (Russian has three)."""
    return ", ".join([
        _transactions(transactions),
        ngettext("%(count)s account", "%(count)s accounts", accounts,
                 count=format_number(accounts)),
        ngettext("%(count)s party", "%(count)s parties", parties, count=format_number(parties))])


@app.command()
def suggest(
    source: Path = typer.Argument(..., metavar="FILE", help="A transactions CSV or Excel file."),
    write: Path | None = typer.Option(None, "--write", help="Write the suggested mapping to "
                                      "this YAML file (for --mapping of ingest)."),
    force: bool = typer.Option(False, "--force", help="Replace the YAML file if it exists."),
    currency: str = typer.Option("EUR", help="Currency of every row when no column holds "
                                 "one."),
    rows: int = typer.Option(5, min=0, max=100, help="Rows to preview."),
) -> None:
    """Suggest a column mapping for a CSV or Excel file, preview it, optionally write it.

    Example: tocsin money suggest export.csv --write export.yaml
    """
    from tocsin.money.ingest import suggest as wizard

    try:
        found = wizard.suggest(source, currency=currency)
    except TocsinError as exc:
        raise fail(exc) from None
    smp = found.sample
    if smp.format == "csv":
        kind = _("%(format)s, %(delimiter)s separated, %(encoding)s", format=smp.format.upper(),
                 delimiter=str(wizard.DELIMITERS.get(smp.delimiter, repr(smp.delimiter))),
                 encoding=smp.encoding)
    else:
        kind = _("%(format)s, sheet %(sheet)s", format=smp.format.upper(), sheet=smp.sheet)
    dates = wizard.DATE_FORMATS.get(found.date_format or "") or N_("ISO 8601 or native")
    console.print(_("%(file)s: %(kind)s, header on row %(row)s, decimal %(decimal)s, dates "
                    "%(dates)s", file=smp.name, kind=kind, row=smp.header_row,
                    decimal=str(wizard.DECIMALS[found.decimal][1]), dates=str(dates)),
                  highlight=False)
    if found.footer_rows:
        console.print(ngettext(
            "The last %(count)s line of the file does not fit its columns (a total or a "
            "balance): it is not read (footer_rows).",
            "The last %(count)s lines of the file do not fit its columns (totals or a "
            "balance): they are not read (footer_rows).", found.footer_rows,
            count=found.footer_rows), highlight=False)
        for line in smp.footer:
            console.print(f"  {line!r}", highlight=False, markup=False)
    table = Table("field", "column", "why")
    for key, label in wizard.FIELDS.items():
        if key in found.fields:
            table.add_row(label, found.fields[key], found.reasons.get(key, ""))
        elif key == "transaction.currency" and found.currency:
            table.add_row(label, _("(every row: %(currency)s)", currency=found.currency),
                          _("no column holds currencies"))
    console.print(table)
    missing = found.missing()
    if missing:
        said = _("Missing:")
        for problem in missing:
            console.print(f"[bold red]{said}[/] {problem}", highlight=False)
        raise typer.Exit(code=1)
    try:
        mapping = found.mapping()
        shown = wizard.preview(source, mapping, rows=rows)
    except TocsinError as exc:
        raise fail(exc) from None
    if rows and shown.rows:
        view = Table("line", "date", "amount", "currency", "payer", "payee")
        for item in shown.rows:
            view.add_row(str(item["source_line"]), item["ts"].isoformat(sep=" "),
                         format_number(item["amount_orig"], 2), item["currency_orig"],
                         _who(item, "source"), _who(item, "target"))
        console.print(view)
    said = _("Problem:")
    for problem in shown.problems:
        console.print(f"[bold red]{said}[/] {problem}", highlight=False)
    if write is not None:
        if write.exists() and not force:
            raise fail(InputError.single(str(write), N_("exists already (add --force to "
                                                        "replace it)")))
        write.write_text(found.yaml(), encoding="utf-8")
        console.print(_("Mapping written to %(path)s.", path=str(write)), highlight=False)
    if shown.problems:
        raise typer.Exit(code=1)


def _who(item: dict[str, object], side: str) -> str:
    name, account = str(item[f"{side}_name"] or ""), str(item[f"{side}_account"] or "")
    return f"{name} ({account})" if name and account else name or account


@app.command("sets")
def list_sets(as_user: str | None = USER,
              as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the transaction sets you may read: ids, names, owners and sizes on disk.

    Example: tocsin money sets --as analyst
    """
    try:
        with transaction() as session:
            found = sets.summaries(session, acting_as(session, as_user), get_settings())
    except TocsinError as exc:
        raise fail(exc) from None
    if as_json:
        console.print_json(json.dumps([asdict(s) for s in found]))
        return
    table = Table("id", "name", "owner unit", "imported by", "handling", "format",
                  "transactions", "accounts", "labels", "size")
    for item in found:
        table.add_row(str(item.id), item.name, item.owner_unit, item.created_by, item.handling,
                      item.format, format_number(item.transactions),
                      format_number(item.accounts),
                      _("yes") if item.has_labels else _("no"), format_size(item.size))
    console.print(table)


@app.command()
def leftovers(remove: bool = typer.Option(False, "--remove", help="Remove what is found.")
              ) -> None:
    """List (or remove) stored files no transaction set or job accounts for.

    Example: tocsin money leftovers --remove
    """
    settings = get_settings()
    with transaction() as session:
        found = sets.orphaned_folders(session, settings)
    if not found:
        console.print(_("Nothing left over."))
        return
    table = Table("kind", "path", "size", "why")
    for item in found:
        table.add_row(item.kind, str(item.path), format_size(item.size), item.reason)
    console.print(table)
    if remove:
        freed = sets.remove_leftovers(found)
        console.print(ngettext("Removed %(count)s leftover, %(size)s.",
                               "Removed %(count)s leftovers, %(size)s.", len(found),
                               count=len(found), size=format_size(freed)), highlight=False)


@app.command()
def export(
    set_ref: str = typer.Argument(..., metavar="SET", help="Id or exact name of the set."),
    fmt: str = typer.Option(..., "--format", help=f"One of {', '.join(EXPORT_FORMATS)}."),
    output: Path = typer.Option(..., help="File to write (csv: a .csv file for the "
                                "transactions, or a folder for all three tables)."),
    account: list[str] = typer.Option([], help="Only these accounts and the flows between "
                                      "them (repeatable)."),
    txn: list[str] = typer.Option([], "--transaction", help="Only these transactions "
                                  "(repeatable)."),
    as_user: str | None = USER,
) -> None:
    """Export a transaction set, or a selection of it, for other tools.

    Example: tocsin money export "Case 12" --format graphml --output case12.graphml
    """
    selection = Selection(accounts=set(account) or None, transactions=set(txn) or None)
    try:
        with transaction() as session:
            who = acting_as(session, as_user)
            item = sets.find_set(session, who, set_ref)
            report = sets.export(session, who, get_settings(), item.id, fmt, output, selection)
    except TocsinError as exc:
        raise fail(exc) from None
    except OSError as exc:  # a folder named as the file, a folder that cannot be made
        raise fail(not_written(output, exc)) from None
    parts = [_transactions(report.transactions)]
    if report.edges:
        parts.append(ngettext("%(count)s edge", "%(count)s edges", report.edges,
                              count=format_number(report.edges)))
    if report.entities:
        parts.append(ngettext("%(count)s entity", "%(count)s entities", report.entities,
                              count=format_number(report.entities)))
    console.print(_("Wrote %(files)s (%(counts)s).", files=", ".join(str(f) for f in report.files),
                    counts=", ".join(parts)), highlight=False)


@app.command()
def delete(set_ref: str = typer.Argument(..., metavar="SET", help="Id or exact name."),
           yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
           as_user: str | None = USER) -> None:
    """Delete a transaction set with everything stored for it (findings, jobs, models).

    Example: tocsin money delete 3 --yes
    """
    try:
        with transaction() as session:
            who = acting_as(session, as_user)
            item = sets.find_set(session, who, set_ref)
            if not yes and not confirm(_("Delete transaction set %(id)s (%(name)s)?",
                                         id=item.id, name=item.name)):
                raise typer.Abort()
            sets.delete_set(session, who, get_settings(), item.id)
            name = item.name
    except TocsinError as exc:
        raise fail(exc) from None
    console.print(_("Deleted transaction set %(name)s.", name=name), highlight=False)
