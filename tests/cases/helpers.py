"""Builders shared by the case tests: signed-in principals with real user rows."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from tests.taskforce.lessons.helpers import unit_id
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import User
from tocsin.cases import records
from tocsin.cases.spec import CaseSpec
from tocsin.cases.tables import Case


def user(session: Session, role: str, unit: str = "tntd-spmu",
         name: str | None = None) -> Principal:
    """A principal backed by a user row (team membership needs a user id)."""
    username = name or f"{role}-{unit}".replace("_", "-")
    row = User(username=username, full_name=username.title(), password_hash="x", role=role,
               unit_id=unit_id(session, unit))
    session.add(row)
    session.flush()
    return Principal(user_id=row.id, username=username, role=Role.parse(role),
                     unit_id=row.unit_id)


def case(session: Session, principal: Principal, reference: str = "CASE-1", *,
         need_to_know: bool = False, handling: str = "AMBER",
         opened_on: date = date(2030, 1, 10)) -> Case:
    return records.create_case(session, principal, CaseSpec(
        reference=reference, title=f"Fictional case {reference}", crime_area="money_laundering",
        country="MD", opened_on=opened_on, need_to_know=need_to_know, handling=handling))
