"""Errors the platform raises on purpose.

Every error names *where* (a file, line, XPath, record or field) and *why*, so
that a user can fix the input without reading the code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tocsin.i18n import N_, Message


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
        return f"{self.location}: {self.reason}"


class InputError(TocsinError):
    """Input was rejected; nothing of it was written.

    Carries every problem found, so an importer can report all bad rows at once
    instead of stopping at the first. ``summary`` is the first line; ``str()`` of the
    error is built in the language of what is being rendered (a page, a command).
    """

    def __init__(self, problems: Iterable[Problem], summary: str | None = None) -> None:
        self.problems = list(problems)
        self.summary: str = summary if summary is not None else N_(
            "%(count)s problem(s) found; nothing was applied", count=len(self.problems))
        super().__init__(self._text())

    def _text(self) -> str:
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
        exc = cls(N_("%(record_type)s %(record_id)s not found", record_type=record_type,
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
    N_("statement"), N_("structure"), N_("task"), N_("trash item"))


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
