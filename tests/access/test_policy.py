"""The read rule of every role against every handling code, in SQL and in memory."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tocsin.access import policy
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import AuditEntry, Unit
from tocsin.errors import NotFound, PermissionDenied
from tocsin.store.database import Database
from tocsin.taskforce.programmes.tables import Activity

OWN, OTHER = 1, 2
CODES = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]

# role → handling codes readable in the *other* unit, and in the *own* unit
EXPECTED = {
    Role.ADMINISTRATOR: (set(CODES), set(CODES)),
    Role.COORDINATOR: ({"CLEAR", "GREEN", "AMBER"}, set(CODES)),
    Role.ANALYST: ({"CLEAR", "GREEN", "AMBER"}, set(CODES)),
    Role.FUND_MANAGER: ({"CLEAR", "GREEN", "AMBER"}, {"CLEAR", "GREEN", "AMBER", "AMBER+STRICT"}),
    Role.PARTNER_VIEWER: ({"CLEAR", "GREEN"}, {"CLEAR", "GREEN", "AMBER", "AMBER+STRICT"}),
    Role.DATA_PROTECTION_OFFICER: ({"CLEAR", "GREEN", "AMBER"},
                                   {"CLEAR", "GREEN", "AMBER", "AMBER+STRICT"}),
}


@pytest.fixture
def records(db: Database) -> dict[tuple[int, str], int]:
    ids: dict[tuple[int, str], int] = {}
    with db.transaction() as session:
        session.add_all([Unit(id=OWN, code="own", name="Own unit"),
                         Unit(id=OTHER, code="other", name="Other unit")])
        session.flush()
        for unit in (OWN, OTHER):
            for code in CODES:
                activity = Activity(identifier=f"XM-T-{unit}-{code}", level="activity",
                                    title=f"{code} record of unit {unit}", handling=code,
                                    owner_unit_id=unit, reporting_org_ref="XM-T")
                session.add(activity)
                session.flush()
                ids[(unit, code)] = activity.id
    return ids


@pytest.mark.parametrize("role", list(Role))
def test_read_rule(db: Database, records: dict[tuple[int, str], int], role: Role) -> None:
    principal = Principal(user_id=7, username="u", role=role, unit_id=OWN)
    other_ok, own_ok = EXPECTED[role]
    with db.transaction() as session:
        visible = {(a.owner_unit_id, a.handling)
                   for a in session.scalars(policy.readable(Activity, principal))}
        expected = {(OTHER, c) for c in other_ok} | {(OWN, c) for c in own_ok}
        assert visible == expected
        for (unit, code), record_id in records.items():
            record = session.get(Activity, record_id)
            assert policy.may_read(record, principal) == ((unit, code) in expected)
            if (unit, code) not in expected:
                with pytest.raises(NotFound):  # hidden records look absent, not forbidden
                    policy.get_readable(session, Activity, record_id, principal)


def test_reads_above_green_are_audited(db: Database, records: dict[tuple[int, str], int]) -> None:
    analyst = Principal(user_id=7, username="ana", role=Role.ANALYST, unit_id=OWN)
    with db.transaction() as session:
        policy.get_readable(session, Activity, records[(OWN, "GREEN")], analyst)
        policy.get_readable(session, Activity, records[(OWN, "RED")], analyst)
        policy.list_readable(session, policy.readable(Activity, analyst), analyst)
    with db.transaction() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "read")).all()
    audited = {(e.record_id, e.handling) for e in entries}
    assert (str(records[(OWN, "RED")]), "RED") in audited
    assert all(e.handling not in ("CLEAR", "GREEN") for e in entries)
    assert all(e.username == "ana" and e.record_type == "activity" for e in entries)


def test_write_rule() -> None:
    assert policy.may_write(Principal(1, "c", Role.COORDINATOR, OWN), OTHER)
    assert policy.may_write(Principal(1, "a", Role.ANALYST, OWN), OWN)
    assert not policy.may_write(Principal(1, "a", Role.ANALYST, OWN), OTHER)
    for role in (Role.FUND_MANAGER, Role.PARTNER_VIEWER, Role.DATA_PROTECTION_OFFICER):
        with pytest.raises(PermissionDenied):
            policy.require_write(Principal(1, "x", role, OWN), OWN)
