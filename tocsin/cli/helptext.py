"""The command line's help in the language of the command (``--language`` or the locale).

Typer builds every command, its help (the function's docstring) and its options' help
when a module is imported, long before the language is known, and the help strings are
plain literals. So they are translated when help is shown: :func:`install` wraps the
``format_help`` of typer's command classes (which typer picks for every command, so no
module has to name a class of its own), and while one help screen is drawn the command's
help, its options' and arguments' help and its sub-commands' help are swapped for their
translations and put back after. :func:`extract_command_help` reads those literals from
``tocsin/cli/*.py`` into the catalogs (``babel.cfg``), as the help will look them up. The
generated ``docs/cli.md`` is made in English.

Nothing here imports rich or a command group: ``tocsin --help`` stays as quick as before.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

from tocsin import i18n
from tocsin.i18n import N_

#: typer's own words on a help screen, by the name of the constant that holds them.
TYPER_WORDS = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "DEPRECATED_STRING": N_("(deprecated) "),
}
#: click's help of ``--help`` on every command.
HELP_OPTION = N_("Show this message and exit.")
#: The first word of the usage line (a literal of the click that typer carries).
USAGE = N_("Usage:")
#: The heading of the root command's examples (``tocsin.cli.main._examples``).
EXAMPLES = N_("Examples:")
#: The help of typer's completion options on the root command.
COMPLETION_HELP = (N_("Install completion for the current shell."),
                   N_("Show completion for the current shell, to copy it or customize the "
                      "installation."))


#: What an attribute had before :func:`patched` set it: nothing of its own.
_ABSENT = object()
Put = Callable[[object, str, object], None]


@contextmanager
def patched() -> Iterator[Put]:
    """``put(target, name, value)`` sets attributes for the length of the block; after it
    each is put back as it was, or removed if the object had none of its own (a method
    then shows through again)."""
    undo: list[tuple[object, str, object]] = []

    def put(target: object, name: str, value: object) -> None:
        undo.append((target, name, vars(target).get(name, _ABSENT)))
        setattr(target, name, value)

    try:
        yield put
    finally:
        for target, name, old in reversed(undo):
            if old is _ABSENT:
                delattr(target, name)
            else:
                setattr(target, name, old)


def _swap(target: object, name: str, put: Put) -> None:
    value = getattr(target, name, None)
    if isinstance(value, str) and value:
        put(target, name, i18n.gettext(inspect.cleandoc(value)))


@contextmanager
def translated(command: Any, ctx: Any = None) -> Iterator[None]:
    """Within the block, ``command``'s help texts are in the current language."""
    if i18n.current() == i18n.DEFAULT:
        yield
        return
    with patched() as put:
        listed = getattr(command, "commands", {})
        for item in (command, *(listed.values() if isinstance(listed, Mapping) else ())):
            _swap(item, "help", put)
            _swap(item, "short_help", put)
        epilog = getattr(command, "epilog", None)
        if isinstance(epilog, str) and epilog.startswith(EXAMPLES):  # the commands as typed
            put(command, "epilog", EXAMPLES.translated() + epilog.removeprefix(EXAMPLES))
        for param in getattr(command, "params", ()):
            _swap(param, "help", put)
        if ctx is not None:  # --help itself, which click adds to every command
            help_option = command.get_help_option(ctx)
            if help_option is not None:
                _swap(help_option, "help", put)
            if "format_usage" not in vars(command):  # the usage line's first word
                put(command, "format_usage", usage(command))
        from typer import rich_utils  # loaded by typer to draw this help anyway

        for name, word in TYPER_WORDS.items():
            if hasattr(rich_utils, name):
                put(rich_utils, name, word.translated())
        yield


def usage(command: Any) -> Callable[[Any, Any], None]:
    """``command``'s ``format_usage`` with the translated first word (click's writes
    ``Usage: `` whatever the language)."""
    def format_usage(ctx: Any, formatter: Any) -> None:
        formatter.write_usage(ctx.command_path, " ".join(command.collect_usage_pieces(ctx)),
                              prefix=f"{USAGE.translated()} ")

    return format_usage


def _translating(format_help: Callable[..., None]) -> Callable[..., None]:
    def format_translated(self: Any, ctx: Any, formatter: Any) -> None:
        with translated(self, ctx):
            format_help(self, ctx, formatter)

    format_translated.__wrapped__ = format_help  # type: ignore[attr-defined]
    return format_translated


def install() -> None:
    """Translate the help of every typer command and group when it is shown (once)."""
    from typer.core import TyperCommand, TyperGroup

    for cls in (TyperCommand, TyperGroup):
        if not hasattr(cls.format_help, "__wrapped__"):
            cls.format_help = _translating(cls.format_help)  # type: ignore[method-assign]


def _literal(node: ast.expr) -> str | None:
    try:
        value = ast.literal_eval(node)
    except ValueError:  # an f-string or a name: nothing the catalogs can hold
        return None
    return value if isinstance(value, str) and value.strip() else None


def command_help(source: str) -> Iterator[tuple[int, str]]:
    """``(line, text)`` of the help a command-line module gives: ``help=`` and
    ``short_help=`` literals, the docstrings of commands and callbacks (cleaned the way
    typer shows them; a function registered by a call is known by its ``Example:`` line),
    the help of the groups listed in ``tocsin.cli.main.GROUPS`` and the literal headings
    of the tables of data (``tocsin.cli.common.Table``)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in ("help", "short_help"):
                    text = _literal(keyword.value)
                    if text is not None:
                        yield keyword.value.lineno, inspect.cleandoc(text)
            called = node.func
            if isinstance(called, ast.Name) and called.id == "Table":  # a table's headings
                for heading in node.args:
                    text = _literal(heading)
                    if text is not None:
                        yield heading.lineno, text
            if isinstance(called, ast.Name) and called.id == "Group" and len(node.args) > 1:
                text = _literal(node.args[1])
                if text is not None:
                    yield node.args[1].lineno, text
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node)
            decorated = any(isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute)
                            and d.func.attr in ("command", "callback")
                            for d in node.decorator_list)
            # a command registered by a call (``app.command()(init)``) shows its example
            example = any(line.startswith("Example:") for line in (doc or "").splitlines())
            if doc and (decorated or example):
                yield node.body[0].lineno, doc


def extract_command_help(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                         options: Any) -> Iterator[tuple[int, Any, Any, Any]]:
    """Babel extractor for a command-line module (``babel.cfg``): its marked messages, as
    Babel's Python extractor finds them, then the help its commands and options show."""
    from io import BytesIO

    from babel.messages.extract import extract_python

    data = fileobj.read()
    yield from extract_python(BytesIO(data), keywords, comment_tags, options)
    for line, text in command_help(data.decode("utf-8")):
        yield line, "_", text, []
