"""Who is acting: passed explicitly to every library function that reads or writes."""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.access.roles import Action, Role, allows


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    username: str
    role: Role
    unit_id: int | None

    def can(self, action: Action) -> bool:
        return allows(self.role, action)

    @classmethod
    def system(cls) -> Principal:
        """The platform itself (``tocsin init``, ``tocsin demo``, importers run by an admin)."""
        return cls(user_id=None, username="system", role=Role.ADMINISTRATOR, unit_id=None)
