"""Background jobs for long follow-the-money work: ingest, detect, score, trace.

A request that would take longer than a browser should wait starts a job and
returns its id at once; the work runs in a small thread pool and reports its
progress through a callback; the browser polls the job until it is done.

Jobs belong to the user who started them: anyone else is told the job does
not exist. Each job is kept in memory and mirrored to one JSON file under
``<data_dir>/jobs/``, so a finished job's result survives a restart and a job
cut off by a restart is reported as failed instead of running for ever.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from tocsin.access.principal import Principal
from tocsin.errors import InputError, NotFound, PermissionDenied, Problem
from tocsin.money.detect import REGISTRY, Detector, make
from tocsin.money.engines.base import open_engine, run_detector
from tocsin.money.findings import Finding, sort_findings
from tocsin.money.score import score_accounts
from tocsin.money.trace import TraceConfig, trace
from tocsin.money.views import findings_run, load_findings, sankey, save_findings
from tocsin.settings import Settings

log = logging.getLogger(__name__)

State = Literal["queued", "running", "done", "failed"]
#: Called by the work with a fraction in [0, 1] and a short message.
ProgressFn = Callable[[float, str], None]
Work = Callable[[ProgressFn], Any]

#: Progress is written to disk at most this often (seconds); state changes always.
SAVE_INTERVAL = 1.0
#: Finished jobs older than this are forgotten when new jobs start.
KEEP_SECONDS = 7 * 24 * 3600


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Job:
    """One unit of background work and what is known about it."""

    id: str
    kind: str
    owner_id: int | None
    owner: str
    #: What the job is about, e.g. ``{"set": 3}``, for listing and links.
    subject: dict[str, Any] = field(default_factory=dict)
    state: State = "queued"
    progress: float = 0.0
    message: str = "waiting for a free worker"
    result: Any = None
    error: str | None = None
    problems: list[dict[str, str]] = field(default_factory=list)
    created: str = field(default_factory=_now)
    started: str | None = None
    finished: str | None = None

    def view(self) -> dict[str, Any]:
        """What the API shows (everything but the owner's user id)."""
        data = asdict(self)
        data.pop("owner_id")
        return data

    @property
    def finished_at(self) -> float | None:
        return datetime.fromisoformat(self.finished).timestamp() if self.finished else None


class JobRunner:
    """A small thread pool that runs jobs and remembers them.

    ``folder`` (usually ``<data_dir>/jobs``) holds one JSON file per job; with
    ``None`` jobs are kept in memory only.
    """

    def __init__(self, folder: Path | None, workers: int = 2) -> None:
        self.folder = folder
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._saved: dict[str, float] = {}
        self._pool = ThreadPoolExecutor(max_workers=max(1, min(workers, 2)),
                                        thread_name_prefix="tocsin-job")
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            self._load()

    # ------------------------------------------------------------------ public

    def submit(self, principal: Principal, kind: str, work: Work,
               subject: dict[str, Any] | None = None) -> Job:
        """Queue ``work`` (called with a progress callback); returns the job at once."""
        job = Job(id=secrets.token_hex(12), kind=kind, owner_id=principal.user_id,
                  owner=principal.username, subject=dict(subject or {}))
        with self._lock:
            self._forget_old()
            self._jobs[job.id] = job
        self._save(job, force=True)
        self._pool.submit(self._run, job, work)
        return job

    def get(self, job_id: str, principal: Principal) -> Job:
        """The job if ``principal`` started it; :class:`NotFound` otherwise."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or not self._owns(job, principal):
            raise NotFound(f"job {job_id} not found")
        return job

    def jobs(self, principal: Principal, kind: str | None = None) -> list[Job]:
        """The principal's jobs, newest first."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if self._owns(j, principal)
                    and (kind is None or j.kind == kind)]
        return sorted(jobs, key=lambda j: (j.created, j.id), reverse=True)

    def wait(self, job_id: str, timeout: float = 60.0) -> Job:
        """Block until the job has finished (for the CLI and tests)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                job = self._jobs[job_id]
                if job.state in ("done", "failed"):
                    return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job.state} after {timeout:g} s")
            time.sleep(0.05)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    # ----------------------------------------------------------------- running

    @staticmethod
    def _owns(job: Job, principal: Principal) -> bool:
        return job.owner_id == principal.user_id and job.owner == principal.username

    def _update(self, job: Job, **changes: Any) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(job, key, value)
        self._save(job, force="state" in changes)

    def _run(self, job: Job, work: Work) -> None:
        self._update(job, state="running", started=_now(), message="started")

        def progress(fraction: float, message: str) -> None:
            value = min(1.0, max(0.0, float(fraction)))
            # Progress never goes backwards, even if a step reports late.
            self._update(job, progress=max(job.progress, value), message=message[:300])

        try:
            result = work(progress)
        except InputError as exc:
            self._fail(job, str(exc).splitlines()[0],
                       [{"location": p.location, "reason": p.reason} for p in exc.problems])
        except (NotFound, PermissionDenied) as exc:
            self._fail(job, str(exc))
        except Exception as exc:
            log.exception("job %s (%s) failed", job.id, job.kind)
            self._fail(job, f"the {job.kind} job stopped on an unexpected error "
                            f"({type(exc).__name__}); the server log has the details")
        else:
            self._update(job, state="done", progress=1.0, message="done", result=result,
                         finished=_now())

    def _fail(self, job: Job, error: str, problems: list[dict[str, str]] | None = None) -> None:
        self._update(job, state="failed", error=error, problems=problems or [],
                     message="failed", finished=_now())

    # ------------------------------------------------------------- persistence

    def _path(self, job_id: str) -> Path | None:
        return self.folder / f"{job_id}.json" if self.folder is not None else None

    def _save(self, job: Job, force: bool = False) -> None:
        path = self._path(job.id)
        if path is None:
            return
        now = time.monotonic()
        with self._lock:
            if not force and now - self._saved.get(job.id, 0.0) < SAVE_INTERVAL:
                return
            self._saved[job.id] = now
            try:
                text = json.dumps(asdict(job), ensure_ascii=False, default=str)
            except (TypeError, ValueError):  # a result that is not JSON: keep the state
                text = json.dumps(asdict(job) | {"result": None}, default=str)
            temp = path.with_suffix(f".{threading.get_ident()}.tmp")
            temp.write_text(text, encoding="utf-8")
            os.replace(temp, path)

    def _load(self) -> None:
        assert self.folder is not None
        for path in sorted(self.folder.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                job = Job(**{k: v for k, v in data.items() if k in Job.__dataclass_fields__})
            except (OSError, ValueError, TypeError):
                log.warning("ignoring unreadable job file %s", path)
                continue
            if job.state in ("queued", "running"):
                job.state, job.message = "failed", "failed"
                job.error = "the server restarted before the job finished; start it again"
                job.finished = _now()
                self._jobs[job.id] = job
                self._save(job, force=True)
            else:
                self._jobs[job.id] = job

    def _forget_old(self) -> None:
        """Drop finished jobs past :data:`KEEP_SECONDS` (caller holds the lock)."""
        cutoff = time.time() - KEEP_SECONDS
        for job_id in [j.id for j in self._jobs.values()
                       if j.finished_at is not None and j.finished_at < cutoff]:
            del self._jobs[job_id]
            self._saved.pop(job_id, None)
            path = self._path(job_id)
            if path is not None:
                path.unlink(missing_ok=True)


class Stepper:
    """Spreads progress over a fixed number of steps: ``step("detecting fan-out")``."""

    def __init__(self, progress: ProgressFn, steps: int) -> None:
        self.progress = progress
        self.steps = max(1, steps)
        self.done = 0

    def step(self, message: str) -> None:
        self.progress(self.done / self.steps, message)
        self.done += 1


# --------------------------------------------------------------------------- the work

#: Sets up to this many transactions are analysed while the request waits.
SYNC_LIMIT = 200_000
#: The browser draws at most this many trace nodes.
WEB_TRACE_NODES = 2_000


def detectors_from(names: Sequence[str] | None,
                   overrides: Mapping[str, Mapping[str, Any]] | None) -> list[Detector]:
    """Detectors by name (all when ``names`` is empty) with checked config overrides.

    Overrides come from JSON, so each value is checked against the type of the
    setting's default: a wrong type is a problem named ``detector <name>.<setting>``.
    """
    chosen = list(names) if names else list(REGISTRY)
    overrides = overrides or {}
    problems = [Problem(f"detector {n!r}", f"unknown; choose from {', '.join(REGISTRY)}")
                for n in [*chosen, *overrides] if n not in REGISTRY]
    problems += [Problem(f"config.{n}", "settings for a detector that is not selected")
                 for n in overrides if n in REGISTRY and n not in chosen]
    if problems:
        raise InputError(problems)
    detectors = []
    for name in chosen:
        given = dict(overrides.get(name, {}))
        defaults = vars(REGISTRY[name].config_type())
        for key, value in list(given.items()):
            if key not in defaults:
                continue  # make() reports unknown settings
            checked = _setting(defaults[key], value)
            if checked is None:
                problems.append(Problem(f"detector {name}.{key}",
                                        f"expects {type(defaults[key]).__name__}, "
                                        f"got {value!r}"))
            else:
                given[key] = checked
        if not problems:
            detectors.append(make(name, **given))
    if problems:
        raise InputError(problems)
    return detectors


def _setting(default: Any, value: Any) -> Any:
    """``value`` converted to the type of ``default``, or None if it does not fit."""
    if isinstance(default, bool):
        return value if isinstance(value, bool) else None
    if isinstance(default, int):
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return float(value) if ok else None
    if isinstance(default, str):
        return value if isinstance(value, str) else None
    if isinstance(default, tuple):
        ok = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
        return tuple(value) if ok else None
    return None


def detect_work(set_dir: Path, findings_folder: Path, detectors: Sequence[Detector],
                settings: Settings, *, store: bool = True) -> Work:
    """Run ``detectors`` on the set and keep the findings as the set's latest run.

    With ``store=False`` (a preview, for those who may read the set but not change
    it) the findings are returned and nothing is written; ``stored`` says which.
    """

    def work(progress: ProgressFn) -> dict[str, Any]:
        steps = Stepper(progress, len(detectors) + 1)
        steps.step("loading the transaction set")
        engine = open_engine(set_dir, settings=settings)
        findings = []
        try:
            for detector in detectors:
                steps.step(f"looking for {detector.title.lower()}")
                findings += run_detector(engine, detector)
        finally:
            engine.close()
        configs = {d.name: d.describe()["config"] for d in detectors}
        names, ordered = [d.name for d in detectors], sort_findings(findings)
        if not store:
            return findings_run(ordered, names, configs) | {"stored": False, "preview": True}
        return save_findings(findings_folder, ordered, names, configs) | {
            "stored": True, "preview": False}

    return work


def trace_work(set_dir: Path, accounts: Sequence[str], transactions: Sequence[str],
               config: TraceConfig, settings: Settings, since: int | None = None) -> Work:
    """Trace over the set; the result carries the flow tree and its Sankey shape."""

    def work(progress: ProgressFn) -> dict[str, Any]:
        progress(0.1, "loading the payment graph")
        engine = open_engine(set_dir, settings=settings)
        try:
            progress(0.5, f"tracing {config.direction} with {config.rule.upper()}")
            result = trace(engine, accounts=accounts, transactions=transactions,
                           config=config, since=since)
        finally:
            engine.close()
        data = result.to_dict()
        return {"trace": data, "sankey": sankey(data), "stored": False}

    return work


def score_work(set_dir: Path, findings_folder: Path, settings: Settings, top: int = 50,
               *, store: bool = True) -> Work:
    """Rank accounts by risk: the set's latest findings (detected now if there are none)
    combined with graph features, each score with its contributions.

    Findings detected here are kept as the set's latest run only with ``store``.
    """

    def work(progress: ProgressFn) -> dict[str, Any]:
        stored = load_findings(findings_folder)
        wrote = False
        if stored is None:
            detectors = detectors_from(None, None)
            run = detect_work(set_dir, findings_folder, detectors, settings, store=store)
            stored = run(lambda fraction, message: progress(0.8 * fraction, message))
            wrote = bool(stored["stored"])
        findings = [Finding.build(f["detector"], f["subject"], f["score"], f["accounts"],
                                  f["transactions"], f["amount"], f["reason"])
                    for f in stored["findings"]]
        progress(0.85, "scoring accounts")
        engine = open_engine(set_dir, settings=settings)
        try:
            risks = score_accounts(engine, findings)
        finally:
            engine.close()
        return {"findings_run_at": stored["run_at"], "scored": len(risks),
                "accounts": [r.to_dict() for r in risks[:max(1, top)]],
                "stored": wrote, "preview": not store}

    return work
