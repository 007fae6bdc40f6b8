"""The ``tocsin`` application: the platform commands plus one group per area.

A command group's module (and whatever heavy library it needs: scikit-learn, matplotlib,
followthemoney…) is imported only when a command of that group runs. ``tocsin --help`` lists
the groups from :data:`GROUPS`, whose help and example a test keeps equal to the groups' own.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer
from typer._click.exceptions import ClickException
from typer.core import TyperGroup
from typer.exceptions import Abort

from tocsin import i18n
from tocsin.cli import helptext, mistyped, platform
from tocsin.errors import TocsinError
from tocsin.i18n import N_

if TYPE_CHECKING:  # typer carries its own copy of click
    from typer._click import Command, Context, HelpFormatter


@dataclass(frozen=True)
class Group:
    """A command group as ``tocsin --help`` shows it, before its module is imported."""

    module: str
    help: str
    example: str


#: Every command group, in the order ``tocsin --help`` lists them.
GROUPS: dict[str, Group] = {
    "user": Group("tocsin.cli.user", "Manage user accounts: add, list, disable, set-role.",
                  "tocsin user add analyst1 --role analyst --unit tntd-spmu"),
    "reference": Group(
        "tocsin.cli.reference",
        "Check and browse the reference framework: crime areas, stages, structures, States, "
        "partners, instruments.",
        "tocsin reference check --path ./my-reference-data"),
    "commitments": Group(
        "tocsin.cli.commitments",
        "Commitments of the acquis: list them, see which have no programme behind them, and "
        "record assessments.",
        "tocsin commitments list --instrument untoc"),
    "programmes": Group(
        "tocsin.cli.programmes",
        "Programmes, projects and activities: list, show, import and export as IATI 2.03, CSV "
        "or Excel.",
        "tocsin programmes list --level programme --crime-area money_laundering"),
    "lessons": Group(
        "tocsin.cli.lessons",
        "Lessons learned: submit after-action reviews, move lessons through the cycle, list "
        "pending ones.",
        "tocsin lessons list --status identified"),
    "partners": Group(
        "tocsin.cli.partners",
        "Partners and co-operation agreements: list them and see which agreements expire soon.",
        "tocsin partners list --kind international_organization"),
    "events": Group(
        "tocsin.cli.events",
        "Events: list them, show panels and recommendations, follow up actions.",
        "tocsin events list --year 2020"),
    "experts": Group("tocsin.cli.experts", "Experts: list the roster and find experts for a need.",
                     "tocsin experts list"),
    "coherence": Group("tocsin.cli.coherence",
                       "Threat picture, coverage, gaps, duplicates and recommendations.",
                       "tocsin coherence groups"),
    "report": Group("tocsin.cli.report",
                    "Reports as HTML or PDF: the fund managers' coherence report.",
                    "tocsin report coherence --output report.pdf --user fundmanager"),
    "money": Group(
        "tocsin.cli.money", "Follow the money: ingest, trace, detect, score, evaluate, export.",
        'tocsin money ingest amlworld HI-Small_Trans.csv --patterns HI-Small_Patterns.txt '
        '--name "Case 12" --handling AMBER --unit tntd-spmu'),
    "crypto": Group(
        "tocsin.cli.crypto",
        "Bitcoin sets: cluster addresses, import TagPacks, trace coins, find paths, export a "
        "cluster; TagPacks and exchange links on Ethereum sets too.",
        'tocsin crypto cluster "Blocks 2010" --change-heuristics all --as analyst'),
    "cases": Group(
        "tocsin.cli.cases",
        "Cases and asset recovery: list cases, show one with its assets and requests, "
        "reminders, statistics, request letters, the authorities directory.",
        "tocsin cases list --status open --as analyst"),
    "screening": Group(
        "tocsin.cli.screening",
        "Screen against sanctions lists: import lists, screen, judge, alerts.",
        "tocsin screening import un consolidated.xml --as analyst1"),
    "search": Group("tocsin.cli.search", "Search every record type; rebuild the search index.",
                    'tocsin search query "asset recovery" --type activity --user analyst1'),
    "audit": Group("tocsin.cli.audit", "Show the audit log, verify its hash chain, check grants.",
                   "tocsin audit verify"),
    "docs": Group("tocsin.cli.docs", "Generate docs/settings.md and docs/cli.md from the code.",
                  "tocsin docs settings --output docs/settings.md"),
}


def load_group(name: str) -> typer.Typer:
    """Import the group ``name`` and return its typer application."""
    module = importlib.import_module(GROUPS[name].module)
    group: typer.Typer = module.app
    if name == "money" and name not in _extended:  # its analysis commands live apart
        from tocsin.cli import money_analysis

        money_analysis.register(group)
        _extended.add(name)
    return group


_extended: set[str] = set()


class LazyGroups(TyperGroup):
    """The root command: platform commands at once, command groups on first use."""

    listing = False

    def list_commands(self, ctx: Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in GROUPS if n not in self.commands)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in GROUPS:
            return found
        if self.listing:  # the help screen needs the name and help only
            return TyperGroup(name=cmd_name, help=i18n.gettext(GROUPS[cmd_name].help))
        # built as add_typer would build it: the root's markup mode, no completion options
        command = typer.main.get_group_from_info(
            typer.models.TyperInfo(load_group(cmd_name)),
            pretty_exceptions_short=app.pretty_exceptions_short,
            rich_markup_mode=app.rich_markup_mode, suggest_commands=app.suggest_commands)
        command.name = cmd_name
        self.commands[cmd_name] = command
        return command

    def load_all(self, ctx: Context) -> None:
        """Import every group (for the generated command reference)."""
        for name in GROUPS:
            self.get_command(ctx, name)

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        LazyGroups.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            LazyGroups.listing = False

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        """Run the command line in the language asked for with ``--language`` (else the
        current one, which :func:`main` takes from the locale): typer draws its errors
        after the command's context, and the language its callback set, have ended."""
        listed = list(sys.argv[1:] if args is None else args)
        with i18n.using(_asked_language(listed, i18n.current())):
            return super().main(listed, *rest, **extra)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: Context | None = None, **extra: Any) -> Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except (ClickException, Abort):
            mistyped.install()  # only now: no rich for a command that runs well
            raise

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ClickException, Abort):
            mistyped.install()
            raise


def _example(help_text: str | None) -> str | None:
    for line in (help_text or "").splitlines():
        if line.strip().startswith("Example:"):
            return line.strip().removeprefix("Example:").strip()
    return None


helptext.install()  # option and command help in the command's language, when shown
app = typer.Typer(
    name="tocsin",
    cls=LazyGroups,
    help="Tocsin: a platform for countering transnational organized crime.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
platform.register(app)


def _language_option(value: str | None) -> str:
    """The language asked for with ``--language``, else the locale's (``LANG`` …)."""
    if value is None:
        return i18n.from_environment(os.environ)
    if value not in i18n.LANGUAGES:
        raise typer.BadParameter(N_("%(value)s: use one of %(languages)s", value=repr(value),
                                    languages=", ".join(i18n.LANGUAGES)))
    return value


@app.callback()
def root(ctx: typer.Context, language: str | None = typer.Option(
        None, "--language", metavar="CODE",
        help="Language of messages and errors: en, fr, ru or ar (default: from LANG or "
             "LC_MESSAGES).")) -> None:
    """Tocsin: a platform for countering transnational organized crime."""
    token = i18n.set_language(_language_option(language))
    ctx.call_on_close(lambda: i18n.restore(token))


def _examples() -> str:
    """One example per top-level command and group (the groups' from :data:`GROUPS`)."""
    lines: list[str] = []
    for command in app.registered_commands:
        found = _example(command.callback.__doc__ if command.callback else None)
        if found:
            lines.append(found)
    lines += [group.example for group in GROUPS.values()]
    return "Examples:\n\n" + "\n\n".join(lines)


app.info.epilog = _examples()


def root_command() -> Any:
    """The click command of the whole application with every group loaded."""
    root = typer.main.get_command(app)
    if isinstance(root, LazyGroups):
        root.load_all(typer.Context(root))
    return root


def _asked_language(args: list[str], default: str | None = None) -> str:
    """The language of the errors printed after the command has ended: ``--language``,
    else ``default``, else the locale's."""
    for i, arg in enumerate(args):
        if arg == "--language" and i + 1 < len(args) and args[i + 1] in i18n.LANGUAGES:
            return args[i + 1]
        if arg.startswith("--language=") and arg.split("=", 1)[1] in i18n.LANGUAGES:
            return arg.split("=", 1)[1]
    return default or i18n.from_environment(os.environ)


def main() -> None:
    with i18n.using(_asked_language(sys.argv[1:])):
        try:
            app()
        except TocsinError as exc:
            from rich.console import Console

            label = i18n._("Error:")
            Console(stderr=True).print(f"[bold red]{label}[/] {exc}", highlight=False)
            sys.exit(1)


if __name__ == "__main__":
    main()
