"""Background work of follow-the-money: import, detection, tracing, scoring.

A request that would take longer than a browser should wait starts a job
(:func:`start_ingest`, :func:`start_detect` …) and answers at once; the job is
a row run by :mod:`tocsin.jobs.runner` in whichever server process claims it.
Its parameters are ids and settings, never objects, so it can run in another
process or again after a restart; the handlers below re-check the read rule
with the job owner's current rights when they run.

Small sets are analysed while the request waits (:func:`detect_now` …) with
the same functions. Findings are kept through the set service
(:func:`tocsin.money.sets.keep_findings`), exactly as on the command line, and
a job's result is stored in the set's folder, so it goes when the set goes.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tocsin.access.policy import readable
from tocsin.access.principal import Principal
from tocsin.errors import InputError, NotFound, Problem, located
from tocsin.i18n import N_, Joined, rewrite, to_data
from tocsin.jobs import runner
from tocsin.jobs.runner import JobContext, Outcome, ProgressFn
from tocsin.jobs.tables import Job
from tocsin.money import sets
from tocsin.money.detect import REGISTRY, Detector, make
from tocsin.money.engines.base import open_engine
from tocsin.money.findings import Finding, reason_of
from tocsin.money.rank import Ranking, detect, with_model
from tocsin.money.tables import TransactionSet
from tocsin.money.trace import TraceConfig
from tocsin.settings import Settings

#: Sets up to this many transactions are analysed while the request waits.
SYNC_LIMIT = 200_000
#: The browser draws at most this many trace nodes.
WEB_TRACE_NODES = 2_000

INGEST, DETECT, TRACE, SCORE = "ingest", "detect", "trace", "score"


def _quiet(_fraction: float, _message: str) -> None:
    """Progress of work the request waits for: nobody polls it."""


class Stepper:
    """Spreads progress over a fixed number of steps: ``step("detecting fan-out")``."""

    def __init__(self, progress: ProgressFn, steps: int) -> None:
        self.progress = progress
        self.steps = max(1, steps)
        self.done = 0

    def step(self, message: str) -> None:
        self.progress(self.done / self.steps, message)
        self.done += 1


# --------------------------------------------------------------------------- detectors


def detectors_from(names: Sequence[str] | None,
                   overrides: Mapping[str, Mapping[str, Any]] | None) -> list[Detector]:
    """Detectors by name (all when ``names`` is empty) with checked config overrides.

    Overrides come from JSON, so each value is checked against the type of the
    setting's default: a wrong type is a problem named ``detector <name>.<setting>``.
    """
    chosen = list(names) if names else list(REGISTRY)
    overrides = overrides or {}
    problems = [Problem(f"detector {n!r}", N_("unknown; choose from %(choices)s",
                                              choices=", ".join(REGISTRY)))
                for n in [*chosen, *overrides] if n not in REGISTRY]
    problems += [Problem(f"config.{n}", N_("settings for a detector that is not selected"))
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
                                        N_("expects %(expected)s, got %(value)s",
                                           expected=type(defaults[key]).__name__,
                                           value=repr(value))))
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


# --------------------------------------------------------------------------- the work


def find_findings(set_dir: Path, detectors: Sequence[Detector], settings: Settings,
                  progress: ProgressFn = _quiet) -> tuple[Ranking, dict[str, Any]]:
    """Run ``detectors`` on the set's files and rank their findings (the same
    :func:`tocsin.money.rank.detect` as the command line): the ranking and the
    configs used. Sets of at most ``money_weigh_max_transactions`` transactions are
    weighed by the shipped model (:func:`weigh`)."""
    limit = settings.money_weigh_max_transactions
    steps = Stepper(progress, len(detectors) + (3 if limit else 2))
    steps.step(N_("loading the transaction set"))
    engine = open_engine(set_dir, settings=settings)
    try:
        ranking, configs = detect(engine, detectors, progress=steps.step)
        size = int(engine.fetch("SELECT COUNT(*) AS n FROM txn")["n"].iloc[0]) if limit else 0
    finally:
        engine.close()
    if limit and 0 < size <= limit:
        steps.step(N_("weighing the ranking by the shipped model"))
        ranking = weigh(ranking, set_dir, settings.money_engine)
    return ranking, configs


def weigh(ranking: Ranking, set_dir: Path, engine: str | None = None) -> Ranking:
    """The ranking weighed by the shipped model's account scores
    (:func:`tocsin.money.rank.with_model`)."""
    from tocsin.money import model

    chosen = model.load_default()
    return with_model(ranking, *model.account_support(chosen, set_dir, engine),
                      "shipped model")


def trace_set(set_dir: Path, accounts: Sequence[str], transactions: Sequence[str],
              config: TraceConfig, settings: Settings, since: int | None = None,
              progress: ProgressFn = _quiet) -> dict[str, Any]:
    """Trace over the set; the flow tree and its Sankey shape."""
    from tocsin.money.trace import trace
    from tocsin.money.views import sankey

    if settings.money_engine == "embedded":
        # The set's persisted index answers a trace without loading the rows.
        from tocsin.money.index import IndexedSet

        progress(0.1, N_("opening the set's index"))
        result = trace(IndexedSet(set_dir), accounts=accounts, transactions=transactions,
                       config=config, since=since)
    else:
        progress(0.1, N_("loading the payment graph"))
        engine = open_engine(set_dir, settings=settings)
        try:
            progress(0.5, N_("tracing backward with %(rule)s", rule=config.rule.upper())
                     if config.direction == "backward" else
                     N_("tracing forward with %(rule)s", rule=config.rule.upper()))
            result = trace(engine, accounts=accounts, transactions=transactions, config=config,
                           since=since)
        finally:
            engine.close()
    data = result.to_dict()
    return {"trace": data, "sankey": sankey(data), "stored": False}


def score_findings(set_dir: Path, findings_run: Mapping[str, Any], settings: Settings,
                   top: int = 50, progress: ProgressFn = _quiet) -> dict[str, Any]:
    """Rank accounts by risk from a detection run combined with graph features."""
    from tocsin.money.score import score_accounts

    findings = [Finding.build(f["detector"], f["subject"], f["score"], f["accounts"],
                              f["transactions"], f["amount"], reason_of(f))
                for f in findings_run["findings"]]
    progress(0.85, N_("scoring accounts"))
    engine = open_engine(set_dir, settings=settings)
    try:
        risks = score_accounts(engine, findings)
    finally:
        engine.close()
    progress(0.9, N_("scoring with the supervised model"))
    from tocsin.money import model
    from tocsin.money.views import payments

    try:
        ranked: dict[str, Any] = model.set_ranking(
            set_dir, top, settings, set_dir / sets.MODELS_DIR / "model.json")
    except InputError as exc:  # no usable model: the rule ranking still stands
        said = exc.summary if len(exc.problems) <= 1 else Joined(
            [exc.summary, *(located(p.location, p.reason) for p in exc.problems)], "; ")
        ranked = {"error": said, "error_message": to_data(said)}
    else:  # each payment the model scored, as a person asks about it: who paid whom, when
        found = payments(set_dir, [r["subject"] for r in ranked["transactions"]])
        for item in ranked["transactions"]:
            item["payment"] = found.get(item["subject"])
    return {"findings_run_at": findings_run["run_at"], "scored": len(risks),
            "accounts": [r.to_dict() for r in risks[:max(1, top)]], "model": ranked}


def _set_dir(session: Session, principal: Principal, settings: Settings, set_id: int) -> Path:
    """The folder of a set the principal may read (the read is audited above GREEN)."""
    return sets.set_path(settings, sets.get_set(session, principal, set_id))


# --------------------------------------------------------------------------- while waiting


def detect_now(session: Session, principal: Principal, settings: Settings, set_id: int,
               detectors: Sequence[Detector]) -> dict[str, Any]:
    """Detect while the request waits; kept as the set's latest run if the principal may."""
    ranking, configs = find_findings(_set_dir(session, principal, settings, set_id), detectors,
                                     settings)
    return sets.keep_findings(session, principal, settings, set_id, ranking,
                              [d.name for d in detectors], configs)


def trace_now(session: Session, principal: Principal, settings: Settings, set_id: int,
              accounts: Sequence[str], transactions: Sequence[str], config: TraceConfig,
              since: int | None = None) -> dict[str, Any]:
    return trace_set(_set_dir(session, principal, settings, set_id), accounts, transactions,
                     config, settings, since)


def score_now(session: Session, principal: Principal, settings: Settings, set_id: int,
              top: int = 50) -> dict[str, Any]:
    """Scores from the set's latest run; the detectors run first (and the run is kept if
    the principal may) when there is none."""
    item = sets.get_set(session, principal, set_id)
    run = sets.load_findings(session, principal, settings, set_id)
    stored_now = False
    if run is None:
        run = detect_now(session, principal, settings, set_id, detectors_from(None, None))
        stored_now = bool(run["stored"])
    return score_findings(sets.set_path(settings, item), run, settings, top) | {
        "stored": stored_now, "preview": not sets.may_store_results(principal, item)}


# --------------------------------------------------------------------------- starting jobs


def _label(set_id: int) -> dict[str, Any]:
    return {"set": set_id}


def start_ingest(session: Session, principal: Principal, settings: Settings, upload: Path,
                 fmt: str, name: str, handling: str, unit_id: int, description: str = "",
                 base_currency: str = "EUR", mapping: Path | None = None,
                 names: Mapping[str, str] | None = None,
                 fingerprint: str | None = None, rates: Path | None = None) -> Job:
    """Queue the import of an upload (a file in its own folder under the data folder).

    The folder belongs to the job: removed when the job ends, kept while it is
    interrupted so that it can run again. ``names`` gives the ``file`` and
    ``mapping`` the names the user knows them by, for error messages;
    ``fingerprint`` (the file's SHA-256) lets a later import of the same file be noticed;
    ``rates``: a rate table uploaded with the file (default: the shipped indicative one).
    """
    folder = sets.relative(settings, upload.parent)
    params = {"upload": sets.relative(settings, upload), "format": fmt, "name": name,
              "handling": handling, "unit_id": unit_id, "description": description,
              "base_currency": base_currency,
              "mapping": sets.relative(settings, mapping) if mapping else None,
              "rates": sets.relative(settings, rates) if rates else None,
              "names": dict(names or {})}
    if fingerprint:
        params["sha256"] = fingerprint
    return runner.submit(session, principal, INGEST, params, {"name": name}, files=[folder])


def start_detect(session: Session, principal: Principal, settings: Settings, set_id: int,
                 names: Sequence[str] | None,
                 overrides: Mapping[str, Mapping[str, Any]] | None) -> Job:
    """Queue a detection run (the detectors and settings are checked now)."""
    sets.get_set(session, principal, set_id)
    detectors_from(names, overrides)
    params = {"set": set_id, "detectors": list(names or []),
              "config": {k: dict(v) for k, v in (overrides or {}).items()}}
    return runner.submit(session, principal, DETECT, params, _label(set_id),
                         (sets.SUBJECT, set_id))


def start_trace(session: Session, principal: Principal, settings: Settings, set_id: int,
                accounts: Sequence[str], transactions: Sequence[str], config: TraceConfig,
                since: int | None = None) -> Job:
    sets.get_set(session, principal, set_id)
    params = {"set": set_id, "accounts": list(accounts), "transactions": list(transactions),
              "config": asdict(config), "since": since}
    return runner.submit(session, principal, TRACE, params, _label(set_id),
                         (sets.SUBJECT, set_id))


def start_score(session: Session, principal: Principal, settings: Settings, set_id: int,
                top: int = 50) -> Job:
    sets.get_set(session, principal, set_id)
    return runner.submit(session, principal, SCORE, {"set": set_id, "top": top},
                         _label(set_id), (sets.SUBJECT, set_id))


# --------------------------------------------------------------------------- handlers


def _ingest(ctx: JobContext) -> Outcome:
    params, settings = ctx.params, ctx.settings
    try:
        upload = runner.resolve(settings, params["upload"])
        mapping = runner.resolve(settings, params["mapping"]) if params.get("mapping") \
            else None
        rates = runner.resolve(settings, params["rates"]) if params.get("rates") else None
    except ValueError:
        raise InputError.single("file", N_("the upload is not where the job expects it")) \
            from None
    if not upload.is_file():
        raise InputError.single("file", N_("the uploaded file is no longer on the server; "
                                           "upload it again"))
    ctx.progress(0.05, N_("reading and checking every row"))
    names = params.get("names") or {}
    known = {str(upload): names.get("file", upload.name)}
    if mapping is not None:
        known[str(mapping)] = names.get("mapping", mapping.name)
    if rates is not None:
        known[str(rates)] = names.get("rates", rates.name)
    try:
        with ctx.db.transaction() as session:
            record, report = sets.import_set(
                session, ctx.principal, settings, params["format"], [upload],
                name=params["name"], handling=params["handling"],
                unit_id=int(params["unit_id"]), description=params.get("description", ""),
                base_currency=params.get("base_currency", "EUR"), rates=rates,
                mapping=mapping)
            # No progress report in here: on SQLite it would wait for this transaction's
            # own write lock.
            session.flush()
            set_id = record.id
            # the notes say what the import left out or could not tell
            result = {"set": set_id, "name": record.name,
                      "transactions": record.transaction_count,
                      "url": f"/investigations/sets/{set_id}", "notes": list(report.notes),
                      "notes_message": [to_data(note) for note in report.notes]}
    except InputError as exc:
        raise named_as_sent(exc, known) from None
    return Outcome(result=result, subject=(sets.SUBJECT, set_id))


def named_as_sent(exc: InputError, known: Mapping[str, str]) -> InputError:
    """``exc`` with the server's copies of uploaded files (``known``: path → name) named as
    the user named them, never by their place on the server."""
    return InputError([Problem(_rename(p.location, known), _rename(p.reason, known))
                       for p in exc.problems], summary=_rename(exc.summary, known))


def _rename(text: str, known: Mapping[str, str]) -> str:
    """``text`` with the server's copies of uploaded files named as the user named them
    (a message stays a message, its values renamed)."""
    def renamed(plain: str) -> str:
        for path, name in sorted(known.items(), key=lambda item: -len(item[0])):
            plain = plain.replace(path, name)
        return plain

    return rewrite(text, renamed)


def _keep_result(ctx: JobContext, set_id: int, data: Any) -> Outcome:
    with ctx.db.transaction() as session:
        ref = sets.store_job_result(session, ctx.principal, ctx.settings, set_id, ctx.job_id,
                                    data)
    return Outcome(result_ref=ref)


def _detect(ctx: JobContext) -> Outcome:
    set_id = int(ctx.params["set"])
    detectors = detectors_from(ctx.params.get("detectors"), ctx.params.get("config"))
    with ctx.db.transaction() as session:
        set_dir = _set_dir(session, ctx.principal, ctx.settings, set_id)
    ranking, configs = find_findings(set_dir, detectors, ctx.settings, ctx.progress)
    with ctx.db.transaction() as session:
        data = sets.keep_findings(session, ctx.principal, ctx.settings, set_id, ranking,
                                  [d.name for d in detectors], configs)
    return _keep_result(ctx, set_id, data)


def _trace(ctx: JobContext) -> Outcome:
    set_id = int(ctx.params["set"])
    config = TraceConfig(**ctx.params["config"])
    with ctx.db.transaction() as session:
        set_dir = _set_dir(session, ctx.principal, ctx.settings, set_id)
    data = trace_set(set_dir, ctx.params.get("accounts", []),
                     ctx.params.get("transactions", []), config, ctx.settings,
                     ctx.params.get("since"), ctx.progress)
    return _keep_result(ctx, set_id, data)


def _score(ctx: JobContext) -> Outcome:
    set_id = int(ctx.params["set"])
    with ctx.db.transaction() as session:
        item = sets.get_set(session, ctx.principal, set_id)
        set_dir = sets.set_path(ctx.settings, item)
        may_store = sets.may_store_results(ctx.principal, item)
        run = sets.load_findings(session, ctx.principal, ctx.settings, set_id)
    stored_now = False
    if run is None:
        detectors = detectors_from(None, None)
        ranking, configs = find_findings(set_dir, detectors, ctx.settings,
                                         lambda f, m: ctx.progress(0.8 * f, m))
        with ctx.db.transaction() as session:
            run = sets.keep_findings(session, ctx.principal, ctx.settings, set_id, ranking,
                                     [d.name for d in detectors], configs)
        stored_now = bool(run["stored"])
    data = score_findings(set_dir, run, ctx.settings, int(ctx.params.get("top", 50)),
                          ctx.progress) | {"stored": stored_now, "preview": not may_store}
    return _keep_result(ctx, set_id, data)


#: The kinds the web application's job runner runs.
HANDLERS = {INGEST: _ingest, DETECT: _detect, TRACE: _trace, SCORE: _score}


# --------------------------------------------------------------------------- showing jobs


def _subject_readable(session: Session, principal: Principal, job: Job) -> bool:
    """A job about a set is shown only while its set is readable (no existence leak)."""
    if job.subject_type != sets.SUBJECT or job.subject_id is None:
        return True
    try:
        sets.get_set(session, principal, job.subject_id)
    except NotFound:
        return False
    return True


def job_view(session: Session, principal: Principal, settings: Settings,
             job_id: str) -> dict[str, Any]:
    """One job with its result: for its owner and administrators, while its set is readable."""
    job = runner.get(session, principal, job_id)
    if not _subject_readable(session, principal, job):
        raise NotFound(f"job {job_id} not found")
    data = runner.view(job)
    if job.status == runner.DONE and job.result_ref:
        data["result"] = sets.load_job_result(settings, job.result_ref)
    return data


def job_list(session: Session, principal: Principal, everyone: bool = False,
             limit: int = 100) -> list[dict[str, Any]]:
    """The principal's jobs, newest first, without their results."""
    found = runner.list_jobs(session, principal, everyone=everyone, limit=limit)
    set_ids = {j.subject_id for j in found if j.subject_type == sets.SUBJECT and j.subject_id}
    readable_ids = {item.id for item in session.scalars(
        readable(TransactionSet, principal).where(TransactionSet.id.in_(set_ids)))} \
        if set_ids else set()
    return [runner.view(j) | {"result": None} for j in found
            if j.subject_type != sets.SUBJECT or j.subject_id in readable_ids]


def run_again(session: Session, principal: Principal, job_id: str) -> Job:
    """Queue a failed or interrupted job again (its set must still be readable)."""
    job = runner.get(session, principal, job_id)
    if not _subject_readable(session, principal, job):
        raise NotFound(f"job {job_id} not found")
    return runner.run_again(session, principal, job_id)


def remove_upload(upload: Path) -> None:
    """Remove an upload's folder (when its job could not even be queued)."""
    shutil.rmtree(upload.parent, ignore_errors=True)
