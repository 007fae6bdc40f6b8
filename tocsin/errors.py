"""Errors the platform raises on purpose.

Every error names *where* (a file, line, XPath, record or field) and *why*, so
that a user can fix the input without reading the code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tocsin.i18n import N_, Joined, Message, N_plural


class TocsinError(Exception):
    """Base class for every error Tocsin raises deliberately."""


class ConfigurationError(TocsinError):
    """A setting is missing or unsafe (for example a placeholder secret key)."""


@dataclass(frozen=True)
class Problem:
    """One bad row, element or field: where it is and why it is wrong.

    ``reason`` is best a :class:`tocsin.i18n.Message` (``N_("…", name=value)``): English
    where it is stored or sent as JSON, in the reader's language where it is shown.
    """

    location: str
    reason: str

    def __str__(self) -> str:
        return str(located(self.location, self.reason))  # French: "ligne 3 : …"


class InputError(TocsinError):
    """Input was rejected; nothing of it was written.

    Carries every problem found, so an importer can report all bad rows at once
    instead of stopping at the first. ``summary`` is the first line; ``str()`` of the
    error is built in the language of what is being rendered (a page, a command).
    """

    def __init__(self, problems: Iterable[Problem], summary: str | None = None) -> None:
        self.problems = list(problems)
        self.summary: str = summary if summary is not None else N_plural(
            "%(count)s problem found; nothing was applied",
            "%(count)s problems found; nothing was applied", len(self.problems),
            count=len(self.problems))
        super().__init__(self._text())

    def _text(self) -> str:
        if len(self.problems) == 1 and str(self.summary) == str(self.problems[0]):
            return str(self.summary)  # one problem, already the first line (``single``)
        shown = "\n".join(f"  - {p}" for p in self.problems[:50])
        more = len(self.problems) - 50
        tail = "\n  " + str(N_("… and %(count)s more", count=more)) if more > 0 else ""
        return f"{self.summary}\n{shown}{tail}" if self.problems else f"{self.summary}"

    def __str__(self) -> str:
        return self._text()

    @classmethod
    def single(cls, location: str, reason: str) -> InputError:
        return cls([Problem(location, reason)], summary=located(location, reason))


def reason_of(exc: Exception) -> str:
    """What an exception says, kept as the :class:`~tocsin.i18n.Message` it was raised with
    (translated where it is shown), else its text."""
    said = exc.args[0] if len(exc.args) == 1 else None
    return said if isinstance(said, str) else str(exc)


def located(location: str, reason: str) -> Message:
    """``location: reason`` as one message (French puts a space before the colon)."""
    return N_("%(location)s: %(reason)s", location=location, reason=reason)


def _choices(expected: object) -> str:
    """Pydantic's ``'a', 'b' or 'c'`` with the reader's word for "or" (the codes as given)."""
    text = str(expected)
    head, joined, last = text.rpartition(" or ")
    if not joined:
        return text
    return N_("%(choices)s or %(last)s", choices=Joined(head.split(", "), ", "), last=last)


def _error_text(context: Mapping[str, Any]) -> str:
    """A validator's own message (a platform validator raises one) kept as a message."""
    error = context.get("error")
    if isinstance(error, Exception):
        return reason_of(error)
    return str(error or "")


#: Pydantic's usual error types as messages of the catalogs, by ``type``, with the values
#: of the error's context; a type not listed keeps Pydantic's English text.
PYDANTIC_REASONS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "missing": lambda c: N_("a value is required here"),
    "extra_forbidden": lambda c: N_("not a field of this file: remove it or check its spelling"),
    "string_type": lambda c: N_("should be text"),
    "int_type": lambda c: N_("should be a whole number"),
    "int_parsing": lambda c: N_("should be a whole number"),
    "int_from_float": lambda c: N_("should be a whole number"),
    "float_type": lambda c: N_("should be a number"),
    "float_parsing": lambda c: N_("should be a number"),
    "bool_type": lambda c: N_("should be true or false"),
    "bool_parsing": lambda c: N_("should be true or false"),
    "dict_type": lambda c: N_("should be a mapping of keys to values"),
    "model_type": lambda c: N_("should be a mapping of keys to values"),
    "model_attributes_type": lambda c: N_("should be a mapping of keys to values"),
    "list_type": lambda c: N_("should be a list"),
    "date_type": lambda c: N_("should be a date (YYYY-MM-DD)"),
    "date_parsing": lambda c: N_("should be a date (YYYY-MM-DD): %(error)s",
                                 error=_error_text(c)),
    "date_from_datetime_parsing": lambda c: N_("should be a date (YYYY-MM-DD): %(error)s",
                                               error=_error_text(c)),
    "literal_error": lambda c: N_("should be %(expected)s", expected=_choices(c.get("expected"))),
    "enum": lambda c: N_("should be %(expected)s", expected=_choices(c.get("expected"))),
    "string_too_short": lambda c: N_plural("should have at least %(count)s character",
                                           "should have at least %(count)s characters",
                                           c["min_length"], count=c["min_length"]),
    "string_too_long": lambda c: N_plural("should have at most %(count)s character",
                                          "should have at most %(count)s characters",
                                          c["max_length"], count=c["max_length"]),
    "string_pattern_mismatch": lambda c: N_("should match the pattern %(pattern)s",
                                            pattern=repr(c.get("pattern"))),
    "too_short": lambda c: N_plural("should have at least %(count)s item, not %(actual)s",
                                    "should have at least %(count)s items, not %(actual)s",
                                    c["min_length"], count=c["min_length"],
                                    actual=c.get("actual_length")),
    "too_long": lambda c: N_plural("should have at most %(count)s item, not %(actual)s",
                                   "should have at most %(count)s items, not %(actual)s",
                                   c["max_length"], count=c["max_length"],
                                   actual=c.get("actual_length")),
    "greater_than": lambda c: N_("should be greater than %(limit)s", limit=c.get("gt")),
    "greater_than_equal": lambda c: N_("should be at least %(limit)s", limit=c.get("ge")),
    "less_than": lambda c: N_("should be less than %(limit)s", limit=c.get("lt")),
    "less_than_equal": lambda c: N_("should be at most %(limit)s", limit=c.get("le")),
    # a validator's own words: the platform's validators raise messages of the catalogs
    "value_error": lambda c: _error_text(c),
    "assertion_error": lambda c: _error_text(c),
}


def validation_reason(error: Mapping[str, Any]) -> str:
    """The reason of one Pydantic error (an item of ``ValidationError.errors()``) in the
    reader's language: a message of the catalogs for the usual types, with the values of
    its context; Pydantic's own English text for the others. The location is the
    caller's, written as the file spells it."""
    made = PYDANTIC_REASONS.get(str(error.get("type")))
    if made is None:
        return str(error.get("msg", ""))
    return made(error.get("ctx") or {})


class ReferenceDataError(InputError):
    """A reference YAML file breaks its schema (names the file, entry and field)."""


class NotFound(TocsinError):
    """The record does not exist *or the caller may not see it*.

    Both cases look the same to the caller so that access control does not leak
    the existence of a record.
    """

    #: Set when a guarded record was asked for by id: the denial is audited with them.
    record_type: str = ""
    record_id: str = ""
    #: The record exists but the caller may not read it (for the audit log only).
    hidden: bool = False

    @classmethod
    def guarded(cls, record_type: str, record_id: object, hidden: bool) -> NotFound:
        # the type's word, translated where it is shown ("transaction set", not the
        # table's "transaction_set"); the audit keeps the type itself
        word = RECORD_TYPE_WORDS.get(record_type) or Message(record_type)
        exc = cls(N_("%(record_type)s %(record_id)s not found", record_type=word,
                     record_id=record_id))
        exc.record_type, exc.record_id, exc.hidden = record_type, str(record_id)[:80], hidden
        return exc

    @classmethod
    def of(cls, record_type: str, record_id: object) -> NotFound:
        """``asset 12 not found``, the record's word translated where it is shown
        (:data:`RECORD_WORDS`)."""
        return cls(N_("%(record_type)s %(record_id)s not found",
                      record_type=Message(record_type), record_id=record_id))


#: The words :meth:`NotFound.of` names records with, marked for the catalogs.
RECORD_WORDS = (
    N_("activity"), N_("alert"), N_("asset"), N_("authority"), N_("commitment"),
    N_("crime area"), N_("document"), N_("follow-up action"), N_("instrument"), N_("list"),
    N_("list version"), N_("notification"), N_("panel"), N_("person"),
    N_("processing record"), N_("recommendation"), N_("request"), N_("stage"),
    N_("statement"), N_("structure"), N_("task"), N_("trash item"),
    # guarded records whose type is their word (:meth:`NotFound.guarded`)
    N_("agreement"), N_("case"), N_("event"), N_("expert"), N_("lesson"), N_("partner"),
    N_("provision"))

#: The word :meth:`NotFound.guarded` names a guarded record's type with, where the type
#: is not a word itself.
RECORD_TYPE_WORDS: dict[str, Message] = {
    "after_action_review": N_("after-action review"), "case_asset": N_("asset"),
    "coop_request": N_("co-operation request"), "crime_area": N_("crime area"),
    "ocg_profile": N_("crime group profile"), "remedial_action": N_("remedial action"),
    "screened_subject": N_("screened subject"), "threat_indicator": N_("threat indicator"),
    "transaction_set": N_("transaction set")}


class PermissionDenied(TocsinError):
    """The caller may see the record but not perform this action on it."""


class AuthenticationError(TocsinError):
    """Wrong credentials, disabled account or expired session."""


class RateLimited(AuthenticationError):
    """Too many failed logins for this account from this address; try again later."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        #: Seconds until the next attempt is checked, when known.
        self.retry_after = retry_after
