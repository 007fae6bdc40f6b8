"""The month calendar: events and follow-up action due dates, laid out in weeks."""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import Session

from tocsin.access.policy import list_readable, readable
from tocsin.access.principal import Principal
from tocsin.taskforce.events.records import ActionRow, list_actions
from tocsin.taskforce.events.tables import Event


@dataclass
class Day:
    day: date
    in_month: bool
    events: list[Event] = field(default_factory=list)
    actions: list[ActionRow] = field(default_factory=list)


@dataclass
class Month:
    year: int
    month: int
    weeks: list[list[Day]]

    @property
    def title(self) -> str:
        return f"{_calendar.month_name[self.month]} {self.year}"

    @property
    def previous(self) -> tuple[int, int]:
        return (self.year, self.month - 1) if self.month > 1 else (self.year - 1, 12)

    @property
    def next(self) -> tuple[int, int]:
        return (self.year, self.month + 1) if self.month < 12 else (self.year + 1, 1)


def month_calendar(session: Session, principal: Principal, year: int, month: int,
                   today: date | None = None) -> Month:
    """Weeks (Monday first) of one month with the events running and actions due each day."""
    weeks = _calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = weeks[0][0], weeks[-1][-1]
    days = {d: Day(d, d.month == month) for week in weeks for d in week}
    stmt = readable(Event, principal).where(Event.starts_on <= last)
    for event in list_readable(session, stmt, principal):
        end = event.ends_on or event.starts_on
        if end < first:
            continue
        current = max(event.starts_on, first)
        while current <= min(end, last):
            days[current].events.append(event)
            current += timedelta(days=1)
    for row in list_actions(session, principal, today=today):
        if first <= row.action.due_on <= last:
            days[row.action.due_on].actions.append(row)
    return Month(year, month, [[days[d] for d in week] for week in weeks])
