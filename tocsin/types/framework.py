"""Values of the reference framework and the handling codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tocsin.i18n import N_, current
from tocsin.types.base import Choice, ValueType, text_of

if TYPE_CHECKING:
    from tocsin.reference.registry import Registry


def _registry() -> Registry:
    # imported late: the reference YAML is read on first use, not on import
    from tocsin.reference.registry import load_registry

    return load_registry()


class CrimeAreaType(ValueType[str]):
    """A crime area of the reference framework, by its code (``drug_trafficking``)."""

    name = "crime area"

    def clean(self, raw: object) -> str:
        text = text_of(raw).lower()
        try:
            return str(_registry().crime_area(text).code)
        except KeyError:
            known = ", ".join(c.code for c in _registry().crime_areas)
            raise ValueError(N_("unknown crime area %(code)s; use one of %(known)s",
                                    code=repr(raw), known=known)) from None

    def label(self, value: str) -> str:
        try:
            return _registry().crime_area(value).name_in(current())
        except KeyError:
            return value

    def choices(self) -> list[Choice]:
        return [Choice(c.code, c.name_in(current())) for c in _registry().crime_areas]


class StageType(ValueType[str]):
    """A stage of the criminal-justice chain, by its code, offered in the chain's order."""

    name = "stage"

    def clean(self, raw: object) -> str:
        text = text_of(raw).lower()
        try:
            return str(_registry().stage(text).code)
        except KeyError:
            known = ", ".join(s.code for s in _registry().stages)
            raise ValueError(N_("unknown stage %(code)s; use one of %(known)s",
                                    code=repr(raw), known=known)) from None

    def label(self, value: str) -> str:
        try:
            return _registry().stage(value).name_in(current())
        except KeyError:
            return value

    def choices(self) -> list[Choice]:
        return [Choice(s.code, s.name_in(current())) for s in _registry().stages]


class HandlingType(ValueType[str]):
    """A Traffic Light Protocol handling code (``TLP:`` prefix and any case accepted)."""

    name = "handling code"

    def clean(self, raw: object) -> str:
        from tocsin.access.handling import Handling

        return Handling.parse(text_of(raw)).value

    def label(self, value: str) -> str:
        return f"TLP:{value}"

    def choices(self) -> list[Choice]:
        from tocsin.access.handling import HANDLING_CODES

        return [Choice(code, f"TLP:{code}") for code in HANDLING_CODES]
