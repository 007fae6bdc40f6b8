"""Traffic Light Protocol (TLP 2.0) handling codes, ordered from open to closed."""

from __future__ import annotations

from enum import StrEnum

from tocsin.i18n import N_


class Handling(StrEnum):
    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"

    @property
    def rank(self) -> int:
        return HANDLING_CODES.index(self.value)

    @property
    def audited_on_read(self) -> bool:
        """Reads of anything above GREEN are written to the audit log."""
        return self.rank > HANDLING_CODES.index("GREEN")

    @classmethod
    def parse(cls, value: str) -> Handling:
        try:
            return cls(value.strip().upper().replace("TLP:", ""))
        except ValueError:
            allowed = ", ".join(HANDLING_CODES)
            raise ValueError(N_("unknown handling code %(code)s; use one of %(codes)s",
                                code=repr(value), codes=allowed)) from None


HANDLING_CODES: tuple[str, ...] = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
