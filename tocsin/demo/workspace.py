"""The fictional demo workspace: users for every role and example content per area.

Everything loaded here is invented for demonstration and says so. Loading is
idempotent: a part already present is not loaded twice. The generated demo
passwords are kept in ``<data_dir>/demo-credentials.json`` (readable by the
owner only) so that ``tocsin serve --demo`` can print them at every start.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.access import users
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import User
from tocsin.errors import located
from tocsin.i18n import N_
from tocsin.settings import Settings
from tocsin.store.database import Database
from tocsin.store.private import private_file, private_folder

#: (username, full name, role, unit code) — one account per role.
DEMO_USERS = [
    ("admin", "Demo Administrator", Role.ADMINISTRATOR, "tntd"),
    ("coordinator", "Demo Task Force Coordinator", Role.COORDINATOR, "tntd-spmu"),
    ("analyst", "Demo Analyst", Role.ANALYST, "tntd-spmu"),
    ("fundmanager", "Demo Fund Manager", Role.FUND_MANAGER, "oceea"),
    ("partner", "Demo Partner Viewer", Role.PARTNER_VIEWER, "unodc"),
    ("dpo", "Demo Data-Protection Officer", Role.DATA_PROTECTION_OFFICER, "tntd"),
]

#: A part of the demo: loads its fictional records and returns a one-line summary.
DemoPart = Callable[[Session, Settings], str]


def _parts() -> list[tuple[str, DemoPart]]:
    """The demo content of each area, in loading order (later parts build on earlier)."""
    from tocsin.cases import demo as cases_demo
    from tocsin.coherence import demo as coherence_demo
    from tocsin.money import demo as money_demo
    from tocsin.safeguards import demo as safeguards_demo
    from tocsin.taskforce.events import demo as events_demo

    return [
        (N_("Commitments"), _commitments),
        (N_("Partners, events, lessons, experts"), events_demo.load),
        (N_("Programmes and threat picture"), coherence_demo.load),
        (N_("Follow-the-money case"), money_demo.load),
        (N_("Asset-recovery case"), cases_demo.load),
        (N_("Data protection"), safeguards_demo.load),
    ]


def _commitments(session: Session, _settings: Settings) -> str:
    from tocsin.taskforce.commitments.demo import demo_commitments

    added = demo_commitments(session)
    return str(N_("%(count)s illustrative commitments (fictional demo content)",
                  count=len(added)))


@dataclass
class DemoReport:
    credentials: dict[str, str]
    summaries: list[str] = field(default_factory=list)

    def credentials_lines(self) -> list[str]:
        lines = [str(N_("Demo accounts (fictional; passwords generated for this "
                        "installation):"))]
        for username, _name, role, unit in DEMO_USERS:
            lines.append(f"  {username:<12} {self.credentials.get(username, '?'):<24} "
                         f"{role.value} ({unit})")
        return lines

    def summary_lines(self) -> list[str]:
        return self.summaries


def _credentials_file(settings: Settings) -> Path:
    return settings.data_dir / "demo-credentials.json"


def _ensure_users(session: Session, settings: Settings) -> dict[str, str]:
    path = _credentials_file(settings)
    credentials: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    for username, full_name, role, unit in DEMO_USERS:
        if session.scalar(select(User).where(User.username == username)) is not None:
            continue
        password = users.generate_password()
        users.add_user(session, Principal.system(), username, password, role, unit, full_name)
        credentials[username] = password
    private_folder(settings.data_dir)
    private_file(path).write_text(json.dumps(credentials, indent=2))
    return credentials


def load_demo(settings: Settings) -> DemoReport:
    """Load the demo users and every area's fictional content (idempotent)."""
    db = Database.from_settings(settings)
    try:
        with db.transaction() as session:
            report = DemoReport(credentials=_ensure_users(session, settings))
        for name, part in _parts():
            with db.transaction() as session:  # one transaction per part: all or nothing each
                report.summaries.append(str(located(name, part(session, settings))))
        return report
    finally:
        db.engine.dispose()
