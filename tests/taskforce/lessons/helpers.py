"""Small builders shared by the co-operation tests: principals, units, activities."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import Unit
from tocsin.taskforce.programmes.tables import (
    Activity,
    ActivityCountry,
    ActivityCrimeArea,
    ActivityStage,
    Participant,
)


def unit_id(session: Session, code: str) -> int:
    return session.scalars(select(Unit.id).where(Unit.code == code)).one()


def principal(session: Session, role: str, unit: str = "tntd-spmu",
              name: str | None = None) -> Principal:
    return Principal(user_id=None, username=name or f"{role}@{unit}", role=Role.parse(role),
                     unit_id=unit_id(session, unit))


def activity(session: Session, identifier: str, *, title: str = "An activity",
             description: str = "", status: int = 2, unit: str = "tntd-spmu",
             handling: str = "GREEN", crime_areas: tuple[str, ...] = (),
             stages: tuple[str, ...] = (), countries: tuple[str, ...] = (),
             structure: str | None = None, partners: tuple[str, ...] = ()) -> Activity:
    item = Activity(
        identifier=f"XM-OSCE-{identifier}", level="activity", title=title,
        description=description, status=status, reporting_org_ref="XM-OSCE",
        implementing_structure=structure, handling=handling,
        owner_unit_id=unit_id(session, unit),
        crime_areas=[ActivityCrimeArea(crime_area_code=c, position=i)
                     for i, c in enumerate(crime_areas)],
        stages=[ActivityStage(stage_code=s, position=i) for i, s in enumerate(stages)],
        countries=[ActivityCountry(country_code=c, position=i) for i, c in enumerate(countries)],
        participants=[Participant(role=4, organization_code=p, position=i)
                      for i, p in enumerate(partners)],
    )
    session.add(item)
    session.flush()
    return item
