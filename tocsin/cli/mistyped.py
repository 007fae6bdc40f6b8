"""Click's and typer's own errors on a mistyped command line, in the command's language.

The click that typer carries builds these messages from English literals (no gettext),
and typer draws them with words of its own (the ``Error`` panel, ``Try '… --help' for
help.``). So they are translated when shown: :func:`install` wraps typer's
``rich_format_error`` (the one place that draws them), and while one error is drawn its
message is rebuilt from the exception's parts (the option, the parameter, the values) as
a message of the catalogs, typer's words and the usage line's first word are swapped for
their translations, and all is put back after. A message of a shape not known here keeps
its English text, inside translated words (``Недопустимое значение для '--x': …``).

:func:`install` is called only once an error is on its way (``LazyGroups`` in
``tocsin.cli.main``), so neither rich nor typer's ``rich_utils`` is imported for a command
that runs well, and ``tocsin --help`` starts as fast as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from typer._click.exceptions import BadParameter, FileError, MissingParameter, NoSuchOption

from tocsin import i18n
from tocsin.cli import helptext
from tocsin.errors import validation_reason
from tocsin.i18n import N_, Message, N_plural

#: typer's words around an error, by the name of the constant of ``typer.rich_utils``.
ERROR_TITLE = N_("Error")
ABORTED = N_("Aborted.")


def try_help(command: str) -> Message:
    """typer's hint under the usage line (``command``: how to ask for the help)."""
    return N_("Try %(command)s for help.", command=command)


#: The English messages click and typer build, as patterns whose groups fill the values of
#: the catalog's message. The first that matches the whole text is taken.
PATTERNS: tuple[tuple[re.Pattern[str], Callable[[dict[str, str]], Message]], ...] = (
    (re.compile(r"No such option: (?P<option>.+)"),
     lambda v: N_("No such option: %(option)s", option=v["option"])),
    (re.compile(r"Option (?P<option>'.*') does not take a value\."),
     lambda v: N_("Option %(option)s does not take a value.", option=v["option"])),
    (re.compile(r"Option (?P<option>'.*') requires an argument\."),
     lambda v: N_("Option %(option)s requires a value.", option=v["option"])),
    (re.compile(r"Option (?P<option>'.*') requires (?P<count>\d+) arguments\."),
     lambda v: N_("Option %(option)s requires %(count)s values.", option=v["option"],
                  count=v["count"])),
    (re.compile(r"Argument (?P<argument>'.*') takes (?P<count>\d+) values\."),
     lambda v: N_("Argument %(argument)s takes %(count)s values.", argument=v["argument"],
                  count=v["count"])),
    (re.compile(r"Got unexpected extra argument\(s\) \((?P<arguments>.*)\)"),
     # typer joins the arguments with spaces: counted back from the text
     lambda v: N_plural("Got unexpected extra argument (%(arguments)s)",
                        "Got unexpected extra arguments (%(arguments)s)",
                        len(v["arguments"].split()), arguments=v["arguments"])),
    (re.compile(r"Missing command\."), lambda v: N_("Missing command.")),
    (re.compile(r"No such command (?P<command>'.*')\. Did you mean (?P<suggestions>.*)\?"),
     lambda v: N_("No such command %(command)s. Did you mean %(suggestions)s?",
                  command=v["command"], suggestions=v["suggestions"])),
    (re.compile(r"No such command (?P<command>'.*')\."),
     lambda v: N_("No such command %(command)s.", command=v["command"])),
    (re.compile(r"Value must be an iterable\."), lambda v: N_("Value must be a list.")),
    (re.compile(r"(?:file|dir|path) (?P<path>'.*') does not exist\."),
     lambda v: N_("%(path)s does not exist.", path=v["path"])),
    (re.compile(r"(?:dir|path) (?P<path>'.*') is a file\."),
     lambda v: N_("%(path)s is a file, not a folder.", path=v["path"])),
    (re.compile(r"(?:file|path) (?P<path>'.*') is a directory\."),
     lambda v: N_("%(path)s is a folder, not a file.", path=v["path"])),
    (re.compile(r"(?:file|dir|path) (?P<path>'.*') is not readable\."),
     lambda v: N_("%(path)s cannot be read.", path=v["path"])),
    (re.compile(r"(?:file|dir|path) (?P<path>'.*') is not writable\."),
     lambda v: N_("%(path)s cannot be written.", path=v["path"])),
    (re.compile(r"Value (?P<value>.*) is not a valid (?P<kind>\w+)\."),
     lambda v: N_("Value %(value)s is not a valid %(kind)s.", value=v["value"],
                  kind=v["kind"])),
    # a choice (an enumeration), as the validator of typer's choices says it
    (re.compile(r"(?:Value error, )?(?P<value>.*) is not one of (?P<choices>.*)\."),
     lambda v: N_("%(value)s is not one of %(choices)s.", value=v["value"],
                  choices=v["choices"])),
)

#: What a missing parameter is, by click's ``param_type_name``.
MISSING = {
    "argument": lambda name: N_("Missing argument %(name)s.", name=name),
    "option": lambda name: N_("Missing option %(name)s.", name=name),
    "parameter": lambda name: N_("Missing parameter %(name)s.", name=name),
}
CHOOSE_FROM = N_("Choose from:")


def known(text: str) -> str:
    """``text`` as a message of the catalogs when it has a shape click or typer builds,
    else ``text`` itself (English, as it came)."""
    if isinstance(text, Message):
        return text
    for pattern, made in PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            return made(found.groupdict())
    if text.startswith(CHOOSE_FROM):  # typer's list of choices for a missing one
        return CHOOSE_FROM.translated() + text.removeprefix(CHOOSE_FROM)
    return text


def _hint(exc: Any) -> str | None:
    """The parameter an error is about (``'--count'``, ``'name'``), as click names it."""
    hint = getattr(exc, "param_hint", None)
    if hint is None and getattr(exc, "param", None) is not None:
        hint = exc.param.get_error_hint()
    if hint is not None and not isinstance(hint, str):
        hint = " / ".join(repr(item) for item in hint)
    return hint


def _reason(exc: Any) -> str:
    """Why a value was refused: Pydantic's error (typer checks values with it) by its
    type, a message click or typer builds, or the platform's own message."""
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors):
        listed = errors()
        if listed:
            return known(validation_reason(listed[0]))
    return known(exc.message)


def shown(exc: Any) -> str:
    """The message of a click or typer error in the current language (in English it is
    what the error's ``format_message`` gives)."""
    if isinstance(exc, MissingParameter):
        param = exc.param
        param_type = exc.param_type or (param.param_type_name if param else "parameter")
        missing = MISSING.get(param_type, MISSING["parameter"])(_hint(exc) or "")
        extra = getattr(param, "get_missing_message", None)  # typer's list of choices
        details = [known(text) for text in (exc.message, extra(exc.ctx) if extra else None)
                   if text]
        return " ".join([str(missing), ". ".join(str(text) for text in details)]).strip()
    if isinstance(exc, BadParameter):
        hint = _hint(exc)
        reason = _reason(exc)
        if hint is None:
            return str(N_("Invalid value: %(reason)s", reason=reason))
        return str(N_("Invalid value for %(name)s: %(reason)s", name=hint, reason=reason))
    if isinstance(exc, NoSuchOption) and exc.possibilities:
        return str(N_("%(message)s (Possible options: %(options)s)", message=known(exc.message),
                      options=", ".join(sorted(exc.possibilities))))
    if isinstance(exc, FileError):
        return str(N_("Could not open file %(file)s: %(reason)s", file=repr(exc.ui_filename),
                      reason=known(exc.message)))
    return str(known(exc.message))


@contextmanager
def translated(exc: Any) -> Iterator[None]:
    """Within the block, ``exc`` and typer's words around it are in the current language."""
    if i18n.current() == i18n.DEFAULT:
        yield
        return
    from typer import rich_utils  # loaded by typer to draw this error anyway

    with helptext.patched() as put:
        text = shown(exc)
        put(exc, "format_message", lambda: text)
        put(rich_utils, "ERRORS_PANEL_TITLE", ERROR_TITLE.translated())
        put(rich_utils, "RICH_HELP",
            try_help("[blue]'{command_path} {help_option}'[/]").translated())
        ctx = getattr(exc, "ctx", None)
        command = getattr(ctx, "command", None)
        if command is not None and "format_usage" not in vars(command):
            put(command, "format_usage", helptext.usage(command))
        yield


def _translating(rich_format_error: Callable[[Any], None]) -> Callable[[Any], None]:
    def format_translated(exc: Any) -> None:
        with translated(exc):
            rich_format_error(exc)

    format_translated.__wrapped__ = rich_format_error  # type: ignore[attr-defined]
    return format_translated


def _aborting(rich_abort_error: Callable[[], None]) -> Callable[[], None]:
    def abort_translated() -> None:
        from typer import rich_utils

        english = rich_utils.ABORTED_TEXT
        rich_utils.ABORTED_TEXT = ABORTED.translated()
        try:
            rich_abort_error()
        finally:
            rich_utils.ABORTED_TEXT = english

    abort_translated.__wrapped__ = rich_abort_error  # type: ignore[attr-defined]
    return abort_translated


def install() -> None:
    """Draw click's and typer's errors in the command's language from now on (once)."""
    from typer import rich_utils

    if not hasattr(rich_utils.rich_format_error, "__wrapped__"):
        rich_utils.rich_format_error = _translating(  # type: ignore[assignment]
            rich_utils.rich_format_error)
    if not hasattr(rich_utils.rich_abort_error, "__wrapped__"):
        rich_utils.rich_abort_error = _aborting(rich_utils.rich_abort_error)
