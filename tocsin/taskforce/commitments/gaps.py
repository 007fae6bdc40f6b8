"""Which commitments have no programme behind them.

A commitment has a programme behind it when it is linked to at least one
activity the principal may read that is not cancelled (IATI status 5) - a
programme itself, or any project or activity below one (its programme is then
behind the commitment through it). Commitments assessed "not applicable" need
no programme and are left out by default.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from sqlalchemy import Exists, exists
from sqlalchemy.orm import Session

from tocsin.access.policy import list_readable, read_clause, readable_rows
from tocsin.access.principal import Principal
from tocsin.taskforce.commitments.records import commitments_query, links
from tocsin.taskforce.commitments.tables import Commitment, commitment_activities
from tocsin.taskforce.programmes.tables import Activity

CANCELLED = 5


class Filters(TypedDict, total=False):
    instrument: str | None
    crime_area: str | None
    stage: str | None
    structure: str | None


NO_CRIME_AREA = ""


def _covering(principal: Principal) -> Exists:
    """SQL: the commitment is linked to a readable, not cancelled activity."""
    return exists().where(
        commitment_activities.c.commitment_id == Commitment.id,
        commitment_activities.c.activity_id == Activity.id,
        Activity.status != CANCELLED,
        read_clause(Activity, principal),
    )


def commitments_without_programme(
    session: Session,
    principal: Principal,
    *,
    instrument: str | None = None,
    crime_area: str | None = None,
    stage: str | None = None,
    structure: str | None = None,
    exclude_statuses: Sequence[str] = ("not_applicable",),
) -> Sequence[Commitment]:
    """Readable commitments with no readable, running or planned activity linked to them."""
    stmt = commitments_query(principal, instrument=instrument, crime_area=crime_area,
                             stage=stage, structure=structure).where(~_covering(principal))
    if exclude_statuses:
        stmt = stmt.where(Commitment.status.not_in(list(exclude_statuses)))
    return list_readable(session, stmt, principal)


def programmes_behind(session: Session, principal: Principal,
                      commitment_ids: Iterable[int]) -> dict[int, list[int]]:
    """Top-level programme ids behind each commitment (through any linked activity).

    Only readable activities count, and the climb stops below a parent the
    principal may not read: its readable child is then the top shown.
    """
    ids = list(commitment_ids)
    out: dict[int, set[int]] = {i: set() for i in ids}
    if not ids:
        return {}
    rows = session.execute(
        readable_rows(Activity, principal, commitment_activities.c.commitment_id, Activity.id,
                      Activity.parent_id)
        .select_from(commitment_activities)
        .join(Activity, Activity.id == commitment_activities.c.activity_id)
        .where(commitment_activities.c.commitment_id.in_(ids), Activity.status != CANCELLED))
    parents: dict[int, int | None] = {}
    linked: list[tuple[int, int]] = []
    for commitment_id, activity_id, parent_id in rows:
        parents[activity_id] = parent_id
        linked.append((commitment_id, activity_id))
    frontier = {p for p in parents.values() if p is not None and p not in parents}
    while frontier:  # climb to the top, a level at a time, through readable parents only
        found = session.execute(readable_rows(Activity, principal, Activity.id,
                                              Activity.parent_id)
                                .where(Activity.id.in_(frontier)))
        frontier = set()
        for ident, parent in found:
            parents[ident] = parent
            if parent is not None and parent not in parents:
                frontier.add(parent)
    for commitment_id, activity_id in linked:
        top, steps = activity_id, 0
        while parents.get(top) in parents and steps < 10:
            top, steps = parents[top], steps + 1  # type: ignore[assignment]
        out[commitment_id].add(top)
    return {k: sorted(v) for k, v in out.items()}


@dataclass
class GapGroup:
    """Commitments of one instrument or one crime area, and those without programme."""

    key: str
    total: int = 0
    without: list[Commitment] = field(default_factory=list)

    @property
    def covered(self) -> int:
        return self.total - len(self.without)


def _both(session: Session, principal: Principal, filters: Filters
          ) -> tuple[Sequence[Commitment], set[int]]:
    every = list_readable(session, commitments_query(principal, **filters), principal)
    gaps = {c.id for c in commitments_without_programme(session, principal, **filters)}
    return every, gaps


def gaps_by_instrument(session: Session, principal: Principal, *,
                       instrument: str | None = None, crime_area: str | None = None,
                       stage: str | None = None, structure: str | None = None,
                       ) -> list[GapGroup]:
    """One group per instrument, those with the most gaps first."""
    every, gaps = _both(session, principal, Filters(instrument=instrument, crime_area=crime_area,
                                                    stage=stage, structure=structure))
    groups: dict[str, GapGroup] = {}
    for c in every:
        group = groups.setdefault(c.instrument_code, GapGroup(c.instrument_code))
        if c.status == "not_applicable":
            continue
        group.total += 1
        if c.id in gaps:
            group.without.append(c)
    return sorted(groups.values(), key=lambda g: (-len(g.without), g.key))


def gaps_by_crime_area(session: Session, principal: Principal, *,
                       instrument: str | None = None, crime_area: str | None = None,
                       stage: str | None = None, structure: str | None = None,
                       ) -> list[GapGroup]:
    """One group per crime area (a commitment counts in each of its areas)."""
    every, gaps = _both(session, principal, Filters(instrument=instrument, crime_area=crime_area,
                                                    stage=stage, structure=structure))
    areas = links(session, [c.id for c in every])
    groups: dict[str, GapGroup] = defaultdict(lambda: GapGroup(""))
    for c in every:
        if c.status == "not_applicable":
            continue
        for area in areas[c.id].crime_areas or [NO_CRIME_AREA]:
            group = groups[area]
            group.key = area
            group.total += 1
            if c.id in gaps:
                group.without.append(c)
    return sorted(groups.values(), key=lambda g: (-len(g.without), g.key))
