"""A small platform with one record of every kind, signed-in users of every role, and a
way back to that state after each request.

The web tests that exercise every state-changing route (``test_write_rights.py``,
``test_form_errors.py``) share it: the application is made once by ``create_app()``;
after seeding, the SQLite file and the data folder are kept as a template, and
:meth:`World.reset` puts both back before each request, so every case starts from
the same state. The users' login sessions are part of the template, so nobody signs
in again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date
from http.cookiejar import Cookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from tests.factories import create_user, login
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import User
from tocsin.jobs import runner
from tocsin.money import jobs, sets, wizard
from tocsin.settings import Settings
from tocsin.store.base import Base
from tocsin.store.database import Database
from tocsin.taskforce.commitments import records as commitments
from tocsin.taskforce.commitments.records import CommitmentSpec
from tocsin.taskforce.events import records as events
from tocsin.taskforce.events.spec import EventSpec, FollowUpSpec, PanelSpec
from tocsin.taskforce.experts import records as experts
from tocsin.taskforce.experts.spec import ExpertSpec
from tocsin.taskforce.lessons import records as lessons
from tocsin.taskforce.lessons.spec import ActionSpec, ObservationSpec
from tocsin.taskforce.partners import records as partners
from tocsin.taskforce.partners.spec import AgreementSpec, PartnerSpec
from tocsin.taskforce.programmes import documents
from tocsin.taskforce.programmes import records as programmes
from tocsin.taskforce.programmes.spec import ActivitySpec
from tocsin.taskforce.tabular.columns import spec_to_row
from tocsin.taskforce.tabular.files import write_csv
from tocsin.trash import TrashItem
from tocsin.web.app import create_app

FIXTURES = Path(__file__).parents[1] / "fixtures"
OWN, OTHER = "tntd-spmu", "oceea"

#: Who signs in: name → (role, unit). Every record of the world belongs to ``OWN``.
PRINCIPALS: dict[str, tuple[str, str]] = {
    "administrator": ("administrator", OWN),
    "coordinator": ("coordinator", OWN),
    "analyst": ("analyst", OWN),
    "fund_manager": ("fund_manager", OWN),
    "partner_viewer": ("partner_viewer", "unodc"),
    "analyst_other_unit": ("analyst", OTHER),
}
#: Tables a request may change whoever makes it: the audit log (reads and denials are
#: logged), login sessions and attempts (seen-at times, throttling).
UNCOMPARED_TABLES = frozenset({"audit_log", "login_sessions", "login_throttle", "audit_chain_head"})
#: Folders of the data folder that belong to a user's own work, not to records.
UNCOMPARED_FOLDERS = frozenset({"jobs", "uploads"})


@dataclass
class World:
    app: FastAPI
    settings: Settings
    db_path: Path
    template: Path
    ids: dict[str, Any]
    users: dict[str, str]
    clients: dict[str, tuple[TestClient, str]] = field(default_factory=dict)
    #: Each user's cookies after signing in (a logout or password change replaces them).
    cookies: dict[str, list[Cookie]] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    def reset(self) -> None:
        """Back to the seeded state: the database file and the data folder."""
        with self.quiet():
            self._restore()

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """No job runner holding a connection while the database file is replaced."""
        runner = getattr(self.app.state, "jobs", None)
        if runner is not None:
            runner.stop()
            # a job still running past stop's grace would write into the restored state
            deadline = time.monotonic() + 60
            while runner.active and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not runner.active, "a job was still running after 60 s"
        self.app.state.db.engine.dispose()
        try:
            yield
        finally:
            if runner is not None:
                runner.start()

    def _restore(self) -> None:
        # through SQLite's own locking, not by replacing the file and unlinking its -wal
        # and -shm: a connection still open somewhere then kept locks no new connection
        # could see past, and a loaded machine once answered 503 ("database is locked")
        with closing(sqlite3.connect(self.template / "tocsin.db")) as source, \
                closing(sqlite3.connect(self.db_path, timeout=60)) as target:
            source.backup(target)
        for path in self.data_dir.iterdir():  # the job runner keeps its folder open
            if path.name not in UNCOMPARED_FOLDERS:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        shutil.copytree(self.template / "data", self.data_dir, dirs_exist_ok=True)

    def snapshot(self) -> dict[str, Any]:
        """Every row of every compared table, and every file of the data folder."""
        tables: dict[str, Any] = {}
        with self.app.state.db.engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                if table.name in UNCOMPARED_TABLES:
                    continue
                rows = sorted(repr(tuple(row)) for row in conn.execute(select(table)))
                tables[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        files = {}
        for path in sorted(self.data_dir.rglob("*")):
            relative = path.relative_to(self.data_dir)
            if path.is_file() and relative.parts[0] not in UNCOMPARED_FOLDERS:
                files[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
        return {"tables": tables, "files": files}

    def request(self, who: str, method: str, path: str, *, json: Any = None,
                form: dict[str, Any] | None = None,
                files: dict[str, tuple[str, bytes, str]] | None = None) -> Response:
        """A request as ``who``, with the CSRF token where a browser would put it."""
        client, token = self.clients[who]
        client.cookies.clear()
        for cookie in self.cookies[who]:
            client.cookies.jar.set_cookie(cookie)
        if path.startswith("/api/"):
            return client.request(method, path, json=json, data=form, files=files,
                                  headers={"X-CSRF-Token": token}, follow_redirects=False)
        return client.request(method, path, data={**(form or {}), "csrf_token": token},
                              files=files, follow_redirects=False)

    def finish_jobs(self, who: str, response: Response, timeout: float = 60.0) -> None:
        """Wait for a background job a response started, so the next reset finds it done."""
        if response.status_code == 202:
            job = response.json().get("job", {}).get("id")
        elif response.status_code == 303:  # a page's submit goes on to the job list
            query = parse_qs(urlsplit(response.headers.get("location", "")).query)
            job = query.get("job", [None])[0]
        else:
            return
        if not job:
            return
        client, _ = self.clients[who]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = client.get(f"/api/v1/investigations/jobs/{job}").json()["state"]
            if state in ("done", "failed"):
                return
            time.sleep(0.05)
        raise TimeoutError(f"job {job} still running after {timeout:g} s")


def _table_csv(identifier: str) -> bytes:
    # no owning unit: the import places it in the importer's unit
    row = spec_to_row(ActivitySpec(identifier=identifier, title="Imported from a table",
                                   reporting_org_ref="XM-OSCE",
                                   planned_start=date(2026, 1, 1)))
    out = io.BytesIO()
    write_csv([row], out)
    return out.getvalue()


def _seed(db: Database, settings: Settings) -> dict[str, Any]:
    system = Principal.system()
    own = {"handling": "GREEN", "owner_unit": OWN}
    ids: dict[str, Any] = {}
    with db.transaction() as session:
        def activity(identifier: str, level: str, parent: str | None = None) -> int:
            return programmes.create_activity(session, system, ActivitySpec(
                identifier=identifier, title=f"World {level} {identifier}", level=level,  # type: ignore[arg-type]
                parent_identifier=parent, reporting_org_ref="XM-OSCE",
                planned_start=date(2026, 1, 1), **own)).id
        ids["programme"] = activity("XM-W-P", "programme")
        ids["activity"] = activity("XM-W-A1", "project", "XM-W-P")
        ids["leaf"] = activity("XM-W-A2", "project", "XM-W-P")
        ids["document"] = documents.add_document(
            session, system, settings, ids["activity"], "World agenda",
            content=b"%PDF-1.4 world agenda", original_name="agenda.pdf").id
        ids["commitment"] = commitments.create_commitment(session, system, CommitmentSpec(
            code="world:1", instrument_code="untoc", summary="World commitment", **own)).id
        commitments.link_activities(session, system, ids["commitment"], [ids["activity"]])
        deleted = commitments.create_commitment(session, system, CommitmentSpec(
            code="world:deleted", instrument_code="untoc", summary="In the trash", **own)).id
        commitments.delete_commitment(session, system, deleted)
        ids["trash_item"] = session.scalar(select(TrashItem.id))
        ids["lesson"] = lessons.submit_observation(session, system, ObservationSpec(
            title="World observation", observation="Seen in the world.", outcome="worked",
            activity_id=ids["activity"], **own)).id
        acted = lessons.submit_observation(session, system, ObservationSpec(
            title="World lesson with an action", observation="Seen.", outcome="partly",
            **own))
        for step, extra in (("accept", {}), ("analyse", {"analysis": "why"}),
                            ("identify", {"statement": "what"}),
                            ("assign", {"action": ActionSpec(
                                action_body=OWN, description="Fix it",
                                due_on=date(2026, 6, 1))})):
            lessons.advance(session, system, acted.id, step, **extra)  # type: ignore[arg-type]
        ids["remedial_action"] = acted.actions[0].id
        ids["partner"] = partners.create_partner(session, system, PartnerSpec(
            name="World institute", kind="civil_society", **own)).id
        ids["agreement"] = partners.create_agreement(session, system, AgreementSpec(
            title="World memorandum", kind="letter_of_intent",
            parties=[str(ids["partner"]), "unodc"], **own)).id
        event = events.create_event(session, system, EventSpec(
            title="World conference", starts_on=date(2026, 3, 1), **own))
        ids["event"] = event.id
        ids["panel"] = events.add_panel(session, system, event.id, PanelSpec(title="Panel")).id
        ids["recommendation"] = events.add_recommendation(session, system, ids["panel"],
                                                          "Do better").id
        ids["follow_up"] = events.add_action(session, system, ids["recommendation"],
                                             FollowUpSpec(description="Follow up", owner=OWN,
                                                          due_on=date(2026, 6, 1))).id
        ids["expert"] = experts.create_expert(session, system, ExpertSpec(
            name="World expert", **own)).id
        record, _ = sets.import_set(
            session, system, settings, "amlworld",
            [FIXTURES / "money" / "amlworld" / "Tiny_Trans.csv"], name="World set",
            handling="GREEN", unit_id=_unit(session, OWN))
        ids["set"] = record.id
        ids["findings"] = sets.set_path(settings, record)
        # the set's actor table names one account of an exchange, for its edit routes
        first = sets.open_stored(settings, record).accounts().column("account_id")[0].as_py()
        ids["actor_account"] = first
        (sets.set_path(settings, record) / "actors.json").write_text(
            json.dumps({"actors": {"world-exchange": [first]}}), encoding="utf-8")
        bitcoin, _ = sets.import_set(
            session, system, settings, "bitcoin",
            [FIXTURES / "crypto" / "block-99960.hex", FIXTURES / "crypto" / "block-13b8ab.hex"],
            name="World blocks", handling="GREEN", unit_id=_unit(session, OWN))
        ids["btc_set"] = bitcoin.id
        ethereum, _ = sets.import_set(
            session, system, settings, "ethereum", [FIXTURES / "crypto" / "eth-transactions.csv"],
            name="World wallets", handling="GREEN", unit_id=_unit(session, OWN))
        ids["eth_set"] = ethereum.id
    # the owner's detection run: what a reader's request must never replace
    with db.transaction() as session:
        run = jobs.detect_now(session, system, settings, ids["set"],
                              jobs.detectors_from(None, None))
        assert run["stored"], "the world's detection run must be stored"
        # an interrupted job of the analyst's: only its owner (or an administrator) reruns it
        analyst = session.scalars(select(User).where(User.username == "world-analyst")).one()
        job = jobs.start_detect(session, Principal(analyst.id, analyst.username, analyst.role,
                                                   analyst.unit_id),
                                settings, ids["set"], None, None)
        job.status = runner.INTERRUPTED
        ids["job"] = job.id
        # a file of the analyst's half-way through the guided import: only they go on with it
        folder = settings.data_dir / "uploads" / "upload-world0001"
        folder.mkdir(parents=True)
        shutil.copy(FIXTURES / "money" / "wizard" / "transfers_us.csv", folder / "upload.csv")
        ids["upload"] = wizard.receive(settings, Principal(
            analyst.id, analyst.username, analyst.role, analyst.unit_id),
            folder / "upload.csv", "transfers_us.csv")
    ids["pair"] = f"{ids['activity']}-{ids['leaf']}"
    # an IATI file of the analyst's held while the import asks to replace what was changed
    # in the platform: only they answer
    from tocsin import uploads
    from tocsin.web.routers.programmes import HELD_STATE

    with db.transaction() as session:
        analyst = session.scalars(select(User).where(User.username == "world-analyst")).one()
        uploader = Principal(analyst.id, analyst.username, Role.parse(analyst.role),
                             analyst.unit_id)
    ids["iati_upload"] = uploads.hold(
        settings, uploader, (FIXTURES / "iati" / "partner_activities.xml").read_bytes(),
        "iati", HELD_STATE, name="partner_activities.xml", mode="all")
    ids["target_user"] = create_user(db, "analyst", OTHER, "world-target")[0]
    from tests.cases.world import seed as seed_cases
    from tests.safeguards.world import seed as seed_safeguards

    with db.transaction() as session:
        seed_cases(session, settings, ids, OWN)
        seed_safeguards(session, ids)
    ids["iati"] = (FIXTURES / "iati" / "partner_activities.xml").read_bytes()
    ids["table"] = _table_csv("XM-W-T1")
    ids["transactions"] = (FIXTURES / "money" / "amlworld" / "Tiny_Trans.csv").read_bytes()
    ids["wizard_file"] = (FIXTURES / "money" / "wizard" / "transfers_us.csv").read_bytes()
    ids["tagpack"] = (FIXTURES / "crypto" / "tagpack-case.yaml").read_bytes()
    ids["eth_tagpack"] = (b"source: world\nconfidence: 50\ncurrency: ETH\ntags:\n"
                          b"  - {address: 0x03c105954b5f012ff13f798a75f2523264a66f6b, "
                          b"label: World exchange, category: exchange, actor: world-exchange}\n")
    ids.update(_screening(db))
    return ids


def _screening(db: Database) -> dict[str, Any]:
    """A list in two versions, a subject of ``OWN`` screened before the second, its alert."""
    from tocsin.screening import service as screening
    from tocsin.screening.tables import Alert, ScreenedSubject

    folder = FIXTURES / "screening"
    system = Principal.system()
    with db.transaction() as session:
        screening.import_list(session, system, "un", [folder / "un_v1.xml"])
        subject = ScreenedSubject(subject_key="world-subject", schema="Person",
                                  caption="Ivan Sidorov", properties={"name": ["Ivan Sidorov"]},
                                  origin="form", handling="GREEN",
                                  owner_unit_id=_unit(session, OWN))
        session.add(subject)
        session.flush()
        screening.import_list(session, system, "un", [folder / "un_v2.xml"])
        alert = session.scalars(select(Alert).where(Alert.subject_id == subject.id)).one()
        return {"subject": subject.id, "alert": alert.id, "entry": alert.entity_id,
                "dataset": "un_sc", "un_list": (folder / "un_v1.xml").read_bytes()}


def _unit(session: Any, code: str) -> int:
    from tocsin.access.users import unit_by_code

    return unit_by_code(session, code).id


def build(root: Path, sqlite_platform_template: Path) -> Iterator[World]:
    """Seed the world under ``root``, sign everyone in, keep the template; yields it."""
    db_path = root / "tocsin.db"
    shutil.copy(sqlite_platform_template, db_path)
    settings = Settings(data_dir=root / "data", database_url=f"sqlite:///{db_path}",
                        secret_key="w" * 40, cookie_secure=True)  # type: ignore[arg-type]
    db = Database.from_settings(settings)
    users = {name: create_user(db, role, unit, f"world-{name.replace('_', '-')}")[0]
             for name, (role, unit) in PRINCIPALS.items()}
    ids = _seed(db, settings)
    db.engine.dispose()
    app = create_app(settings)
    world = World(app, settings, db_path, root / "template", ids, users)
    with TestClient(app, base_url="https://testserver") as main:
        for name, username in users.items():
            client = main if name == "administrator" else TestClient(
                app, base_url="https://testserver")
            world.clients[name] = (client, login(client, username))
            world.cookies[name] = list(client.cookies.jar)
        with world.quiet():
            world.template.mkdir()
            shutil.copy(db_path, world.template / "tocsin.db")
            shutil.copytree(settings.data_dir, world.template / "data",
                            ignore=shutil.ignore_patterns(*UNCOMPARED_FOLDERS))
        for name in UNCOMPARED_FOLDERS:
            (settings.data_dir / name).mkdir(exist_ok=True)
        yield world
    app.state.db.engine.dispose()


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()
