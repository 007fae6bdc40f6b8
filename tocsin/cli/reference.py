"""``tocsin reference``: check and browse the built-in reference framework (the YAML files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tocsin.cli.common import Table, console, err_console
from tocsin.errors import ReferenceDataError
from tocsin.i18n import N_, _, ngettext
from tocsin.reference.registry import KINDS, Registry, load_registry

app = typer.Typer(
    name="reference",
    help="Check and browse the reference framework: crime areas, stages, structures, "
    "States, partners, instruments.",
    no_args_is_help=True,
)

#: Columns shown when listing each kind (after the code and name).
COLUMNS: dict[str, list[str]] = {
    "crime-areas": ["dac_sector"],
    "stages": ["order"],
    "structures": ["kind", "parent", "location"],
    "states": ["alpha3", "status", "region"],
    "organizations": ["acronym", "kind", "seat"],
    "instruments": ["identifier", "kind", "date", "date_text"],
    "provisions": ["number", "stages"],
}


def _load(path: Path | None) -> Registry:
    try:
        return load_registry(path)
    except ReferenceDataError as exc:
        label = _("Invalid reference data:")
        count = ngettext("%(count)s problem", "%(count)s problems", len(exc.problems),
                         count=len(exc.problems))
        err_console.print(f"[bold red]{label}[/] {count}")
        for problem in exc.problems:
            err_console.print(f"  - {problem}", highlight=False, markup=False)
        raise typer.Exit(code=1) from exc


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    return str(getattr(value, "value", value))


def _code(entry: Any) -> str:
    return str(getattr(entry, "code", None) or entry.key)


def _name(entry: Any) -> str:
    return str(getattr(entry, "title", None) or entry.name)


@app.command()
def check(
    path: Path | None = typer.Option(
        None, "--path", help="Folder of reference YAML files (default: the shipped data)."
    ),
) -> None:
    """Validate the reference YAML files and print how many entries each kind has.

    Example: tocsin reference check --path ./my-reference-data
    """
    registry = _load(path)
    table = Table("kind", "entries", title=_("Reference data %(version)s",
                                             version=registry.version))
    for kind, count in registry.counts().items():
        table.add_row(kind, str(count))
    console.print(table)
    ok = _("OK:")
    console.print(f"[green]{ok}[/] " + _("%(path)s is valid.", path=str(registry.path)),
                  highlight=False)


@app.command()
def show(
    kind: str = typer.Argument(..., help=f"One of: {', '.join(KINDS)}."),
    code: str | None = typer.Argument(None, help="Code (or provision key) of one entry."),
    path: Path | None = typer.Option(
        None, "--path", help="Folder of reference YAML files (default: the shipped data)."
    ),
) -> None:
    """List the entries of one kind, or show every field of one entry.

    Example: tocsin reference show crime-areas drug_trafficking
    """
    if kind not in KINDS:
        raise typer.BadParameter(str(N_("choose one of: %(allowed)s", allowed=", ".join(KINDS))),
                                 param_hint="KIND")
    registry = _load(path)
    if code is None:
        entries = registry.entries(kind)
        table = Table(
            "code", "name", *COLUMNS[kind], "confidence", title=f"{kind} ({len(entries)})"
        )
        for entry in entries:
            extra = [_text(getattr(entry, column)) for column in COLUMNS[kind]]
            table.add_row(_code(entry), _name(entry), *extra, _text(entry.confidence))
        console.print(table)
        return
    try:
        entry = registry.entry(kind, code)
    except KeyError as exc:
        label = _("Error:")  # the kind as typed (a code), the rest in the reader's language
        err_console.print(f"[bold red]{label}[/] " + _("%(kind)s: no entry has the code "
                                                        "%(code)s", kind=kind, code=repr(code)),
                          highlight=False)
        raise typer.Exit(code=1) from exc
    table = Table("field", "value", title=f"{kind}: {code}", show_lines=True)
    for name, value in entry.model_dump(mode="json").items():
        table.add_row(name, _text(value) if not isinstance(value, dict) else str(value))
    console.print(table)
