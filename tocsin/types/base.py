"""What every value type offers: clean a raw value, a label for people, choices for facets."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Generic, TypeGuard, TypeVar

from tocsin.errors import InputError, Problem, reason_of
from tocsin.i18n import N_

T = TypeVar("T")


@dataclass(frozen=True)
class Choice:
    """One value a facet or a form's select list offers: the stored value and its label."""

    value: str
    label: str


class ValueType(ABC, Generic[T]):
    """A kind of value shared by importers, forms, search facets and validation.

    :meth:`clean` turns a raw value (as typed, or read from a file) into the stored form or
    raises :class:`ValueError` with a reason a person can act on; the helpers around it turn
    that reason into a :class:`~tocsin.errors.Problem` naming where the value came from.
    """

    #: The registry key (``"country"``) and the word used in messages.
    name: str = ""

    @abstractmethod
    def clean(self, raw: object) -> T:
        """The stored form of ``raw``; :class:`ValueError` with the reason when it is not one."""

    def label(self, value: T) -> str:
        """What people read for a stored value (the value itself when it has no name)."""
        return str(value)

    def choices(self) -> list[Choice]:
        """Every value with its label, for facets and select lists (empty for open types)."""
        return []

    def is_valid(self, raw: object) -> bool:
        try:
            self.clean(raw)
        except ValueError:
            return False
        return True

    def check(self, raw: object, location: str, problems: list[Problem]) -> T | None:
        """The clean value, or ``None`` with a problem naming ``location`` added to the list."""
        try:
            return self.clean(raw)
        except ValueError as exc:
            problems.append(Problem(location, reason_of(exc)))
            return None

    def require(self, raw: object, location: str) -> T:
        """The clean value, or :class:`InputError` naming ``location`` and the reason."""
        try:
            return self.clean(raw)
        except ValueError as exc:
            raise InputError.single(location, reason_of(exc)) from None


def text_of(raw: object) -> str:
    """The stripped text of a raw value; :class:`ValueError` for anything but text."""
    if not isinstance(raw, str):
        raise ValueError(N_("%(value)s is not text", value=repr(raw)))
    return raw.strip()


def is_digits(text: str | None) -> TypeGuard[str]:
    """Whether ``text`` is ASCII digits only, a number ``int()`` reads: ``str.isdigit``
    also takes "²" and other digit signs, which ``int()`` refuses with ``ValueError``."""
    return text is not None and text.isascii() and text.isdigit()
