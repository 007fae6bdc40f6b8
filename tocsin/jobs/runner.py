"""Background jobs as database rows, run by a small thread pool in every server process.

A request that would take longer than a browser should wait adds a ``queued``
row (:func:`submit`) and answers at once; the browser polls the row. Every
server process runs one :class:`JobRunner`: it claims queued rows of the kinds
it knows with one atomic ``UPDATE … WHERE status = 'queued' … RETURNING``
(the row to take is picked with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so
with ``tocsin serve --workers 2`` each job runs in exactly one process while
every process shows the same list.

A runner refreshes ``heartbeat_at`` of the jobs it runs. When a process dies,
another runner (or the restarted one) marks its running jobs ``interrupted``
with the reason, and the owner may run them again (:func:`run_again`): a job
carries in ``params`` everything needed to run it in any process.

Jobs belong to the user who started them; anyone but that user and
administrators is told the job does not exist. All database work happens in
the runner's threads or in the caller's (a route running in the thread pool),
never on the event loop.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import User
from tocsin.errors import InputError, NotFound, PermissionDenied, TocsinError, reason_of
from tocsin.i18n import N_, Message, from_data, rewrite, to_data
from tocsin.jobs.tables import Job
from tocsin.settings import Settings
from tocsin.store.database import Database

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED, INTERRUPTED = "queued", "running", "done", "failed", "interrupted"
FINISHED = (DONE, FAILED, INTERRUPTED)
#: Jobs in these states may be run again.
RERUNNABLE = (FAILED, INTERRUPTED)

#: The states of a job in words (the pages show them in the reader's language).
STATE_NAMES = {QUEUED: N_("queued"), RUNNING: N_("running"), DONE: N_("done"),
               FAILED: N_("failed"), INTERRUPTED: N_("interrupted")}

#: Called by the work with a fraction in [0, 1] and a short message (best a
#: :class:`tocsin.i18n.Message`, so the pages show it in the reader's language).
ProgressFn = Callable[[float, str], None]

#: Progress is written at most this often (seconds); state changes always.
SAVE_INTERVAL = 1.0
#: Finished jobs older than this are deleted (with their result files).
KEEP = timedelta(days=7)
#: A small summary kept in the row; larger results go to a file named by ``result_ref``.
MAX_INLINE_RESULT = 64 * 1024


@dataclass
class Outcome:
    """What a finished job leaves: a small result and/or a file, and its subject if new."""

    result: Any = None
    #: A file holding the full result, relative to the data folder.
    result_ref: str | None = None
    #: The record the job made or worked on, e.g. ``("transaction_set", 7)``.
    subject: tuple[str, int] | None = None


@dataclass
class JobContext:
    """What a handler gets: the job's parameters, who runs it and where to report progress."""

    job_id: str
    kind: str
    params: dict[str, Any]
    principal: Principal
    db: Database
    settings: Settings
    progress: ProgressFn


#: A job kind's work; returns an :class:`Outcome` (or a small JSON value as the result).
Handler = Callable[[JobContext], Any]


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive times; every time stored here is UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- the rows


def submit(session: Session, principal: Principal, kind: str, params: Mapping[str, Any],
           label: Mapping[str, Any] | None = None, subject: tuple[str, int] | None = None,
           *, files: Sequence[str] = (), rerun_of: str | None = None) -> Job:
    """Queue a job in the caller's transaction; a runner picks it up once committed.

    ``params`` must be JSON and hold everything the handler needs. ``files``
    (relative to the data folder) belong to the job: they are removed when the
    job ends, or kept while it is interrupted so that it can run again.
    """
    job = Job(id=secrets.token_hex(12), kind=kind, params={**params, "files": list(files)},
              label=dict(label or {}), status=QUEUED, progress=0.0,
              message=N_("waiting for a free worker"), owner_id=principal.user_id,
              owner=principal.username, problems=[], rerun_of=rerun_of,
              subject_type=subject[0] if subject else None,
              subject_id=subject[1] if subject else None, created_at=_now())
    session.add(job)
    session.flush()
    return job


def may_see(job: Job, principal: Principal) -> bool:
    """Only the owner and administrators see a job."""
    if principal.role is Role.ADMINISTRATOR:
        return True
    return job.owner_id is not None and job.owner_id == principal.user_id


def get(session: Session, principal: Principal, job_id: str) -> Job:
    """The job if ``principal`` may see it; :class:`NotFound` otherwise (also for others')."""
    job = session.get(Job, job_id) if len(job_id) <= 32 else None
    if job is None or not may_see(job, principal):
        raise NotFound(f"job {job_id} not found")
    return job


def list_jobs(session: Session, principal: Principal, *, kind: str | None = None,
              everyone: bool = False, limit: int = 100) -> list[Job]:
    """The principal's jobs (an administrator's ``everyone``: all jobs), newest first."""
    stmt = select(Job).order_by(Job.created_at.desc(), Job.id).limit(max(1, min(limit, 1000)))
    if not (everyone and principal.role is Role.ADMINISTRATOR):
        if principal.user_id is None:
            stmt = stmt.where(Job.owner_id.is_(None))
        else:
            stmt = stmt.where(Job.owner_id == principal.user_id)
    if kind is not None:
        stmt = stmt.where(Job.kind == kind)
    return list(session.scalars(stmt))


def run_again(session: Session, principal: Principal, job_id: str) -> Job:
    """Queue a failed or interrupted job again, as a new job owned by ``principal``.

    The new job takes over the files of the old one (e.g. the uploaded file of
    an import), so they stay until the new job ends.
    """
    old = get(session, principal, job_id)
    if old.status not in RERUNNABLE:
        raise InputError.single("job", N_("job %(job)s is %(state)s; only a failed or "
                                          "interrupted job can run again", job=job_id,
                                          state=STATE_NAMES.get(old.status, old.status)))
    params = dict(old.params or {})
    files = list(params.pop("files", []) or [])
    subject = (old.subject_type, old.subject_id) if old.subject_type and old.subject_id \
        else None
    new = submit(session, principal, old.kind, params, old.label, subject, files=files,
                 rerun_of=old.id)
    old.params = {**params, "files": []}
    return new


def view(job: Job) -> dict[str, Any]:
    """What the API shows of a job (never its parameters, worker or owner id)."""
    return {
        "id": job.id,
        "kind": job.kind,
        "owner": job.owner,
        "subject": dict(job.label or {}),
        "state": job.status,
        "progress": round(float(job.progress or 0.0), 4),
        "message": job.message,
        "result": job.result,
        "error": job.error,
        "problems": list(job.problems or []),
        "created": _iso(job.created_at),
        "started": _iso(job.started_at),
        "finished": _iso(job.finished_at),
        "rerun_of": job.rerun_of,
        "can_run_again": job.status in RERUNNABLE,
        "shown": shown(job),
    }


def shown(job: Job) -> dict[str, Any]:
    """The job's state, message, error and problems as the pages show them: messages,
    translated where they are shown (:func:`tocsin.i18n.as_text` for JSON). A job stored
    before its messages kept their values shows their English text (or its translation
    when that text is a message without values)."""
    texts = job.texts or {}
    return {
        "state": STATE_NAMES.get(job.status, _marked(job.status)),
        "message": _marked(from_data(texts.get("message"), job.message or "")),
        "error": _marked(from_data(texts.get("error"), job.error)) if job.error else None,
        "problems": [{"location": p.get("location", ""),
                      "reason": _marked(from_data(p.get("reason_message"),
                                                  str(p.get("reason", ""))))}
                     for p in job.problems or []],
    }


def _marked(text: str) -> Message:
    """``text`` as a message: itself, or a text the catalogs may hold as it is."""
    return text if isinstance(text, Message) else Message(text)


def _iso(moment: datetime | None) -> str | None:
    value = _aware(moment)
    return value.isoformat(timespec="seconds") if value else None


def delete_for_subject(session: Session, settings: Settings, subject_type: str,
                       subject_id: int) -> int:
    """Delete the jobs about one record and their files, once the transaction commits.

    Used when the record itself is deleted: its job results go with it. A job
    still running finds its row gone and stores nothing more.
    """
    rows = list(session.scalars(select(Job).where(Job.subject_type == subject_type,
                                                   Job.subject_id == subject_id)))
    paths = [p for job in rows for p in _job_paths(settings, job)]
    for job in rows:
        session.delete(job)
    session.flush()
    _remove_after_commit(session, paths)
    return len(rows)


def referenced_files(session: Session) -> set[str]:
    """Every file a job still refers to (results and owned files), relative to the data folder."""
    refs: set[str] = set()
    for ref, params in session.execute(select(Job.result_ref, Job.params)):
        if ref:
            refs.add(ref)
        refs.update(str(f) for f in (params or {}).get("files", []) or [])
    return refs


def prune(session: Session, settings: Settings, older_than: timedelta = KEEP) -> int:
    """Delete finished jobs older than ``older_than`` with their files (after commit)."""
    cutoff = _now() - older_than
    rows = list(session.scalars(select(Job).where(Job.status.in_(FINISHED),
                                                   Job.finished_at < cutoff)))
    paths = [p for job in rows for p in _job_paths(settings, job)]
    for job in rows:
        session.delete(job)
    session.flush()
    _remove_after_commit(session, paths)
    return len(rows)


def resolve(settings: Settings, relative: str) -> Path:
    """A path stored in a job, inside the data folder (refuses anything that leaves it)."""
    root = settings.data_dir.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or path == root:
        raise ValueError(f"job file outside the data folder: {relative!r}")
    return path


def _job_paths(settings: Settings, job: Job) -> list[Path]:
    names = [job.result_ref] if job.result_ref else []
    names += [str(f) for f in (job.params or {}).get("files", []) or []]
    paths = []
    for name in names:
        try:
            paths.append(resolve(settings, name))
        except ValueError:
            log.warning("job %s refers to a file outside the data folder", job.id)
    return paths


def _remove(paths: Sequence[Path]) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _remove_after_commit(session: Session, paths: Sequence[Path]) -> None:
    if not paths:
        return
    from sqlalchemy import event

    state = {"done": False}

    def committed(_session: Session) -> None:
        if not state["done"]:
            state["done"] = True
            _remove(paths)

    def rolled_back(_session: Session) -> None:
        state["done"] = True

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_rollback", rolled_back)


def wait(db: Database, job_id: str, timeout: float = 60.0, poll: float = 0.05) -> Job:
    """Block until the job has finished (for the command line and tests)."""
    deadline = time.monotonic() + timeout
    while True:
        with db.transaction() as session:
            job = session.get(Job, job_id)
            if job is None:
                raise NotFound(f"job {job_id} not found")
            if job.status in FINISHED:
                return job
            status = job.status
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still {status} after {timeout:g} s")
        time.sleep(poll)


# --------------------------------------------------------------------------- the runner


def _worker_name() -> str:
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{secrets.token_hex(4)}"


#: Runners alive in this process (a process may run several, e.g. in tests).
_ALIVE: set[str] = set()
_ALIVE_LOCK = threading.Lock()


def _process_gone(worker: str | None, me: str) -> bool:
    """Whether the runner named ``worker`` has certainly stopped (same machine only).

    A runner on another machine is judged by its heartbeat alone.
    """
    if not worker:
        return True
    host, _, rest = worker.partition(":")
    pid_text, _, _token = rest.partition(":")
    if host != socket.gethostname()[:120] or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():  # this process, or an earlier one that had the same id
        with _ALIVE_LOCK:
            return worker != me and worker not in _ALIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


_PATH = re.compile(r"(?:[A-Za-z]:)?[/\\][^\s'\"():,]+")


def scrub(text: str, settings: Settings) -> str:
    """``text`` without server paths: a path under the data folder becomes its file name."""
    roots = [str(settings.data_dir.resolve()), str(settings.data_dir)]

    def short(match: re.Match[str]) -> str:
        value = match.group(0)
        if any(value.startswith(r) for r in roots) or value.count("/") > 1:
            return Path(value).name
        return value

    return _PATH.sub(short, text)


class JobRunner:
    """Claims queued jobs of the kinds in ``handlers`` and runs them in a thread pool.

    ``start()`` marks jobs of dead runners interrupted and starts polling;
    ``stop()`` stops claiming, gives running jobs ``grace`` seconds and marks
    those still running interrupted, since the process is about to end.
    """

    def __init__(self, db: Database, settings: Settings, handlers: Mapping[str, Handler], *,
                 workers: int = 2, poll: float = 1.0, heartbeat: float = 5.0,
                 stale_after: float = 30.0) -> None:
        self.db = db
        self.settings = settings
        self.handlers = dict(handlers)
        self.workers = max(1, workers)
        self.poll = poll
        self.heartbeat = heartbeat
        self.stale_after = max(stale_after, 3 * heartbeat)
        self.worker = _worker_name()
        self._slots = threading.Semaphore(self.workers)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        #: Daemon threads, so that a process that must stop is not held by a long job.
        self._running: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        #: Held from a claim until its thread is registered, so recover() never takes a
        #: job this runner has just claimed for one whose thread ended.
        self._claiming = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> JobRunner:
        """Start polling (again, after :meth:`stop`)."""
        self._stopping.clear()
        with _ALIVE_LOCK:
            _ALIVE.add(self.worker)
        self.recover()
        with self.db.transaction() as session:
            prune(session, self.settings)
        self._thread = threading.Thread(target=self._loop, name="tocsin-job-poll", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """Look for queued jobs now rather than at the next poll."""
        self._wake.set()

    def stop(self, grace: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=max(grace, self.poll) + 5)
        deadline = time.monotonic() + grace
        with self._lock:
            threads = list(self._running.values())
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self._interrupt_own(N_("the server stopped before the job finished; run it again"))
        with _ALIVE_LOCK:
            _ALIVE.discard(self.worker)

    @property
    def active(self) -> int:
        with self._lock:
            return len(self._running)

    # ------------------------------------------------------------------ polling

    def _loop(self) -> None:
        last_beat = last_recover = time.monotonic()
        while not self._stopping.is_set():
            try:
                now = time.monotonic()
                if now - last_beat >= self.heartbeat:
                    self._beat()
                    last_beat = now
                if now - last_recover >= self.stale_after / 2:
                    self.recover()
                    last_recover = now
                self._fill()
            except Exception:  # the database may be away for a moment: try again later
                log.exception("job runner %s: polling failed", self.worker)
            self._wake.wait(self.poll)
            self._wake.clear()

    def _fill(self) -> None:
        """Claim queued jobs while a worker thread is free."""
        while not self._stopping.is_set() and self._slots.acquire(blocking=False):
            with self._claiming:
                try:
                    claimed = self.claim()
                except BaseException:
                    self._slots.release()
                    raise
                if claimed is None:
                    self._slots.release()
                    return
                thread = threading.Thread(target=self._work, args=claimed, daemon=True,
                                          name=f"tocsin-job-{claimed[0][:8]}")
                with self._lock:
                    self._running[claimed[0]] = thread
            thread.start()

    def _work(self, job_id: str, kind: str, params: dict[str, Any],
              owner_id: int | None) -> None:
        try:
            self._run(job_id, kind, params, owner_id)
        except Exception:  # its end could not be written; recover() marks it interrupted
            log.exception("job %s (%s): could not record how it ended", job_id, kind)
        finally:
            with self._lock:
                self._running.pop(job_id, None)
            self._slots.release()
            self._wake.set()

    def claim(self) -> tuple[str, str, dict[str, Any], int | None] | None:
        """Take one queued job for this runner, atomically; None when there is none."""
        if not self.handlers:
            return None
        now = _now()
        with self.db.transaction() as session:
            pick = (select(Job.id).where(Job.status == QUEUED, Job.kind.in_(list(self.handlers)))
                    .order_by(Job.created_at, Job.id).limit(1))
            if session.get_bind().dialect.name == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            stmt = (update(Job).where(Job.id == pick.scalar_subquery(), Job.status == QUEUED)
                    .values(status=RUNNING, worker=self.worker, started_at=now,
                            heartbeat_at=now, message=N_("started"), texts=None)
                    .returning(Job.id, Job.kind, Job.params, Job.owner_id)
                    .execution_options(synchronize_session=False))
            row = session.execute(stmt).first()
        if row is None:
            return None
        return str(row[0]), str(row[1]), dict(row[2] or {}), row[3]

    def _beat(self) -> None:
        """Refresh the jobs this runner's threads still work on (a job whose end could not
        be written goes stale, and another runner marks it interrupted)."""
        with self._lock:
            ids = list(self._running)
        if not ids:
            return
        with self.db.transaction() as session:
            session.execute(update(Job).where(Job.worker == self.worker, Job.status == RUNNING,
                                              Job.id.in_(ids))
                            .values(heartbeat_at=_now())
                            .execution_options(synchronize_session=False))

    def recover(self) -> int:
        """Mark running jobs of runners that stopped as interrupted; how many were."""
        cutoff = _now() - timedelta(seconds=self.stale_after)
        count = 0
        with self._claiming, self.db.transaction() as session:
            with self._lock:
                mine = set(self._running)
            rows = session.execute(select(Job.id, Job.worker, Job.heartbeat_at).where(
                Job.status == RUNNING)).all()
            for job_id, worker, beat in rows:
                beat = _aware(beat)
                if worker == self.worker:
                    if job_id in mine:
                        continue
                    reason = N_("its outcome could not be recorded")
                elif _process_gone(worker, self.worker):
                    reason = N_("the server process running it stopped before it finished")
                elif beat is None or beat < cutoff:
                    reason = N_("the server running it stopped answering before it finished")
                else:
                    continue
                error = N_("Interrupted: %(reason)s; run it again.", reason=reason)
                done = session.execute(
                    update(Job).where(Job.id == job_id, Job.status == RUNNING,
                                      Job.worker == worker)
                    .values(status=INTERRUPTED, message=N_("interrupted"), error=error,
                            texts={"error": to_data(error)}, finished_at=_now())
                    .execution_options(synchronize_session=False))
                count += done.rowcount or 0  # type: ignore[attr-defined]
        if count:
            log.warning("job runner %s marked %d job(s) of stopped runners interrupted",
                        self.worker, count)
        return count

    def _interrupt_own(self, reason: str) -> None:
        error = N_("Interrupted: %(reason)s.", reason=reason)
        try:
            with self.db.transaction() as session:
                session.execute(update(Job).where(Job.worker == self.worker,
                                                  Job.status == RUNNING)
                                .values(status=INTERRUPTED, message=N_("interrupted"),
                                        error=error, texts={"error": to_data(error)},
                                        finished_at=_now())
                                .execution_options(synchronize_session=False))
        except Exception:
            log.exception("job runner %s: could not mark its jobs interrupted", self.worker)

    # ------------------------------------------------------------------ running

    def _update(self, job_id: str, **values: Any) -> bool:
        """Change the job if this runner still holds it; False when it no longer does."""
        with self.db.transaction() as session:
            result = session.execute(
                update(Job).where(Job.id == job_id, Job.worker == self.worker,
                                  Job.status == RUNNING)
                .values(**values).execution_options(synchronize_session=False))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def _principal(self, owner_id: int | None) -> Principal:
        if owner_id is None:
            return Principal.system()
        from tocsin.access.users import principal_for

        with self.db.transaction() as session:
            user = session.get(User, owner_id)
            if user is None or not user.active:
                raise PermissionDenied("the user who started the job can no longer sign in")
            return principal_for(user)

    def _run(self, job_id: str, kind: str, params: dict[str, Any],
             owner_id: int | None) -> None:
        state = {"progress": 0.0, "saved": 0.0}

        def progress(fraction: float, message: str) -> None:
            # Progress never goes backwards, even if a step reports late.
            value = max(state["progress"], min(1.0, max(0.0, float(fraction))))
            state["progress"] = value
            now = time.monotonic()
            if now - state["saved"] >= SAVE_INTERVAL:
                state["saved"] = now
                self._update(job_id, progress=value, message=message[:300],
                             texts={"message": to_data(message)}, heartbeat_at=_now())

        files = [str(f) for f in params.get("files", []) or []]
        try:
            principal = self._principal(owner_id)
            context = JobContext(job_id, kind, params, principal, self.db, self.settings,
                                 progress)
            raw = self.handlers[kind](context)
            outcome = raw if isinstance(raw, Outcome) else Outcome(result=raw)
            _check_inline(outcome.result)
        except InputError as exc:
            self._fail(job_id, exc.summary, [self._problem(p.location, p.reason)
                                             for p in exc.problems], files)
        except TocsinError as exc:
            self._fail(job_id, reason_of(exc), [], files)
        except Exception as exc:
            log.exception("job %s (%s) failed", job_id, kind)
            self._fail(job_id, N_("the %(kind)s job stopped on an unexpected error "
                                  "(%(error)s); the server log has the details",
                                  kind=kind, error=type(exc).__name__), [], files)
        else:
            self._finish(job_id, outcome, files)

    def _finish(self, job_id: str, outcome: Outcome, files: Sequence[str]) -> None:
        values: dict[str, Any] = {"status": DONE, "progress": 1.0, "message": N_("done"),
                                  "texts": None,
                                  "result": outcome.result,
                                  "result_ref": outcome.result_ref, "finished_at": _now()}
        if outcome.subject is not None:
            values.update(subject_type=outcome.subject[0], subject_id=outcome.subject[1])
        if not self._update(job_id, **values):
            # Interrupted meanwhile or deleted with its subject: keep nothing behind.
            self._discard([outcome.result_ref] if outcome.result_ref else [])
        self._discard(files)

    def _scrub(self, text: str) -> str:
        return rewrite(text, lambda plain: scrub(plain, self.settings))

    def _problem(self, location: str, reason: str) -> dict[str, Any]:
        """A problem as the job keeps it: English, and the reason's message for the pages."""
        said = self._scrub(reason)
        message = to_data(said)
        kept = {"location": scrub(location, self.settings), "reason": str.__str__(said)}
        return kept | {"reason_message": message} if message else kept

    def _fail(self, job_id: str, error: str, problems: list[dict[str, Any]],
              files: Sequence[str]) -> None:
        said = self._scrub(error)
        self._update(job_id, status=FAILED, message=N_("failed"), finished_at=_now(),
                     error=said[:2000], texts={"error": to_data(said)},
                     problems=problems[:200])
        self._discard(files)

    def _discard(self, names: Sequence[str]) -> None:
        paths = []
        for name in names:
            try:
                paths.append(resolve(self.settings, name))
            except ValueError:
                log.warning("not removing %r: outside the data folder", name)
        _remove(paths)


def _check_inline(value: Any) -> None:
    """Refuse an inline result too large for a row (a handler stores those in a file)."""
    if value is not None and len(json.dumps(value, default=str)) > MAX_INLINE_RESULT:
        raise ValueError("a job's inline result is too large; store it in a file")

