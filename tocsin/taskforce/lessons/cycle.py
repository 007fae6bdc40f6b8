"""The lessons-learned cycle, read from ``cycle.yaml``: statuses, transitions, roles.

The rules live in the data file so the task force can change who may accept or
validate without a code change; this module only loads and checks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from tocsin.access.roles import Role
from tocsin.errors import InputError, Problem
from tocsin.i18n import N_, Message

CYCLE_FILE = Path(__file__).parent / "cycle.yaml"
#: Inputs a transition may require; each is checked by :mod:`records`.
REQUIREMENTS = frozenset({"note", "analysis", "statement", "action", "actions_done"})


@dataclass(frozen=True)
class Status:
    code: str
    label: str
    final: bool


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[Role]
    requires: frozenset[str]

    def allowed_for(self, role: Role) -> bool:
        return role is Role.ADMINISTRATOR or role in self.roles


@dataclass(frozen=True)
class Cycle:
    statuses: dict[str, Status]
    transitions: dict[str, Transition]

    def transition(self, name: str, current: str) -> Transition:
        """The named transition, refused unless it starts from ``current``."""
        found = self.transitions.get(name)
        if found is None:
            known = ", ".join(self.transitions)
            raise InputError.single("transition", N_(
                "unknown transition %(name)s; use one of %(known)s", name=repr(name), known=known))
        if current not in found.sources:
            label = self.statuses[current].label
            allowed = ", ".join(t.name for t in self.available(current)) or "-"
            raise InputError.single("transition", N_(
                "cannot %(transition)s a lesson in status %(status)s (%(label)s); allowed from "
                "here: %(allowed)s", transition=name, status=repr(current),
                label=Message(label), allowed=allowed))
        return found

    def available(self, current: str, role: Role | None = None) -> list[Transition]:
        """Transitions leaving ``current`` (only those ``role`` may make, if given)."""
        return [t for t in self.transitions.values() if current in t.sources
                and (role is None or t.allowed_for(role))]

    def label(self, status: str) -> str:
        return self.statuses[status].label


def parse_cycle(data: object, where: str = "cycle.yaml") -> Cycle:
    """Build and check a cycle; every problem names the transition and field."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise InputError.single(where, N_("expected a mapping with statuses and transitions"))
    statuses = {code: Status(code, str(v.get("label", code)), bool(v.get("final", False)))
                for code, v in (data.get("statuses") or {}).items()}
    transitions: dict[str, Transition] = {}
    for name, spec in (data.get("transitions") or {}).items():
        at = f"{where}: transitions.{name}"
        sources = tuple(spec.get("from") or ())
        target = spec.get("to", "")
        for status in (*sources, target):
            if status not in statuses:
                problems.append(Problem(at, N_("unknown status %(status)s", status=repr(status))))
        roles: set[Role] = set()
        for value in spec.get("roles") or ():
            try:
                roles.add(Role.parse(value))
            except ValueError as exc:
                problems.append(Problem(f"{at}.roles", str(exc)))
        requires = frozenset(spec.get("requires") or ())
        for unknown in sorted(requires - REQUIREMENTS):
            problems.append(Problem(f"{at}.requires", N_("unknown requirement %(name)s",
                                                         name=repr(unknown))))
        transitions[name] = Transition(name, str(spec.get("label", name)), sources, target,
                                       frozenset(roles), requires)
    if problems:
        raise InputError(problems)
    return Cycle(statuses, transitions)


@cache
def load_cycle() -> Cycle:
    with CYCLE_FILE.open(encoding="utf-8") as handle:
        return parse_cycle(yaml.safe_load(handle))
