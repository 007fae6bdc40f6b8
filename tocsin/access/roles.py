"""Roles and what each may do. Read rules by handling code live in :mod:`policy`."""

from __future__ import annotations

from enum import StrEnum

from tocsin.i18n import N_, Message


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    COORDINATOR = "coordinator"
    ANALYST = "analyst"
    FUND_MANAGER = "fund_manager"
    PARTNER_VIEWER = "partner_viewer"
    #: The data-protection officer: oversight of the log, subject-access reports, the
    #: review queue; reads records like a fund manager and changes none.
    DATA_PROTECTION_OFFICER = "dp_officer"

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls(value.strip().lower().replace(" ", "_").replace("-", "_"))
        except ValueError:
            allowed = ", ".join(r.value for r in cls)
            raise ValueError(N_("unknown role %(value)s; use one of %(allowed)s",
                                value=repr(value), allowed=allowed)) from None


class Action(StrEnum):
    WRITE_OWN_UNIT = "write_own_unit"  # create/update/delete records of one's own unit
    WRITE_ANY_UNIT = "write_any_unit"
    JUDGE = "judge"  # judge duplicate pairs, accept recommendations
    EXPORT = "export"
    ADMINISTER = "administer"  # users, audit log, backup
    OVERSEE = "oversee"  # data protection: oversight of consultations, subject-access reports


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.ADMINISTRATOR: frozenset(Action),
    Role.COORDINATOR: frozenset(
        {Action.WRITE_OWN_UNIT, Action.WRITE_ANY_UNIT, Action.JUDGE, Action.EXPORT}
    ),
    Role.ANALYST: frozenset({Action.WRITE_OWN_UNIT, Action.JUDGE, Action.EXPORT}),
    Role.FUND_MANAGER: frozenset({Action.JUDGE, Action.EXPORT}),
    Role.PARTNER_VIEWER: frozenset(),
    Role.DATA_PROTECTION_OFFICER: frozenset({Action.OVERSEE}),
}


def allows(role: Role, action: Action) -> bool:
    return action in PERMISSIONS[role]


def least_privileged() -> Role:
    """The role allowed the fewest actions: what a new user gets unless chosen otherwise."""
    return min(Role, key=lambda role: len(PERMISSIONS[role]))


#: How a refusal names a role and an action, translated where it is shown.
ROLE_LABELS: dict[Role, Message] = {
    Role.ADMINISTRATOR: N_("administrator"), Role.COORDINATOR: N_("coordinator"),
    Role.ANALYST: N_("analyst"), Role.FUND_MANAGER: N_("fund manager"),
    Role.PARTNER_VIEWER: N_("partner viewer"), Role.DATA_PROTECTION_OFFICER: N_("dp officer"),
}
ACTION_LABELS: dict[Action, Message] = {
    Action.WRITE_OWN_UNIT: N_("change records of their unit"),
    Action.WRITE_ANY_UNIT: N_("change records of any unit"),
    Action.JUDGE: N_("judge"), Action.EXPORT: N_("export"),
    Action.ADMINISTER: N_("administer"), Action.OVERSEE: N_("oversee"),
}
