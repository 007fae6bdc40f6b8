"""What needs attention now: the start page's warnings for the signed-in user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from tocsin.access.principal import Principal
from tocsin.taskforce.events.records import ActionRow, list_actions
from tocsin.taskforce.lessons.records import Pending, pending_lessons
from tocsin.taskforce.partners.records import Expiring, expiring_agreements

#: How far ahead the start page warns of expiring agreements.
EXPIRY_WARNING_DAYS = 90


@dataclass(frozen=True)
class Dashboard:
    expiring: list[Expiring]
    overdue_actions: list[ActionRow]
    pending_lessons: list[Pending]


def dashboard(session: Session, principal: Principal, today: date | None = None) -> Dashboard:
    """Expiring agreements, overdue follow-up actions and lessons never learned —
    each through its topic's access-controlled query."""
    return Dashboard(
        expiring=expiring_agreements(session, principal, EXPIRY_WARNING_DAYS, today=today),
        overdue_actions=list_actions(session, principal, overdue_only=True, today=today)[:10],
        pending_lessons=pending_lessons(session, principal, today=today)[:10],
    )
