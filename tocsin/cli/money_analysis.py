"""Money analytics commands (trace, detect, score, evaluate, train, detectors) for the
``money`` group. The integrator calls :func:`register` on that group.

Every analysis command works on a registered transaction set, named by id or
exact name and read as ``--as USER`` under the read rule, with the read
audited (:func:`resolve_set`); findings are kept through the same library
function the web uses, so they show in the browser. ``--set-dir`` works on a
set folder outside the platform instead: no access check, nothing stored.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tocsin import i18n
from tocsin.access.principal import Principal
from tocsin.cli.common import Table, acting_as, console, err_console, fail, transaction
from tocsin.errors import InputError, TocsinError
from tocsin.i18n import N_, Number, _
from tocsin.money import model, sets
from tocsin.money.detect import REGISTRY, describe, make
from tocsin.money.engines.base import Engine, open_engine, run_detector
from tocsin.money.evaluate import Scores, evaluate, evaluate_ranking
from tocsin.money.findings import Finding, sort_findings
from tocsin.money.rank import RankConfig, Ranking, rank, with_model
from tocsin.money.rank import detect as detect_ranked
from tocsin.money.score import score_accounts
from tocsin.money.trace import RULES, TraceConfig, trace
from tocsin.outputs import writable

SET = typer.Argument(None, metavar="[SET]", help="Id or exact name of a registered "
                     "transaction set (see `tocsin money sets`).")
SET_DIR = typer.Option(None, "--set-dir", help="Instead of SET: a transaction-set folder "
                       "outside the platform (canonical layout). Not registered, so no access "
                       "check, no audit and nothing stored.")
AS_USER = typer.Option(None, "--as", "--user", help="Act as this user on a registered set "
                       "(default: the platform).")
ENGINE = typer.Option(None, "--engine", help="embedded or spark (default: TOCSIN_MONEY_ENGINE).")
JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


@dataclass(frozen=True)
class Target:
    """The set a command works on: a registered set, or a folder outside the platform."""

    path: Path
    name: str
    #: None for a folder given with ``--set-dir``.
    set_id: int | None = None
    principal: Principal | None = None
    #: Whether results (findings, models) may be stored on the set.
    may_store: bool = False


def resolve_set(ref: str | None, set_dir: Path | None, as_user: str | None) -> Target:
    """The set named by id or name, read as ``as_user`` (read rule, audited), or ``set_dir``.

    Called at the top of every analysis command.
    """
    from tocsin.settings import get_settings

    try:
        if (ref is None) == (set_dir is None):
            raise InputError.single("SET", N_("name a registered set (id or name) or give "
                                              "--set-dir, not both"))
        if set_dir is not None:
            if as_user:
                raise InputError.single("--as", N_("applies to registered sets; --set-dir "
                                                   "reads files outside the platform"))
            return Target(path=set_dir, name=set_dir.name)
        assert ref is not None
        with transaction() as session:
            who = acting_as(session, as_user)
            item = sets.find_set(session, who, ref)
            return Target(path=sets.set_path(get_settings(), item), name=item.name,
                          set_id=item.id, principal=who,
                          may_store=sets.may_store_results(who, item))
    except TocsinError as exc:
        raise fail(exc) from None


def keep_findings(target: Target, ranking: Ranking, names: Sequence[str],
                  configs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Store a registered set's ranked findings exactly as the web does, or say it is a
    preview; the run as the web shows it either way."""
    from tocsin.settings import get_settings

    if target.set_id is None or target.principal is None:
        return sets.findings_run(ranking, names, configs)
    try:
        with transaction() as session:
            run = sets.keep_findings(session, target.principal, get_settings(), target.set_id,
                                     ranking, names, configs)
    except TocsinError as exc:
        raise fail(exc) from None
    if run["stored"]:
        err_console.print(_("Stored as the latest detection run of set %(id)s (%(name)s); it "
                            "shows in the web.", id=target.set_id, name=target.name),
                          highlight=False)
    else:
        err_console.print(_("A preview: not stored, since %(user)s may not change set %(id)s.",
                            user=target.principal.username, id=target.set_id), highlight=False)
    return run


def _progress() -> Progress:
    # on standard error: piped, it ends with an empty line, which came before the JSON
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                    console=err_console, transient=True)


@contextmanager
def _engine(set_dir: Path, engine: str | None) -> Iterator[Engine]:
    try:
        eng = open_engine(set_dir, engine)
    except TocsinError as exc:
        raise fail(exc) from exc
    try:
        yield eng
    finally:
        eng.close()


def _detect(eng: Engine, names: list[str] | None) -> list[Finding]:
    try:
        detectors = [make(n) for n in (names or list(REGISTRY))]
    except InputError as exc:
        raise fail(exc) from exc
    found: list[Finding] = []
    with _progress() as progress:
        task = progress.add_task(_("Detecting"), total=len(detectors))
        for d in detectors:
            progress.update(task, description=_("Running %(detector)s", detector=d.name))
            found += run_detector(eng, d)
            progress.advance(task)
    return sort_findings(found)


def _stream_json(items: Iterable[Any]) -> None:
    """Print a JSON array one element at a time (no document is built in memory)."""
    out = sys.stdout
    out.write("[")
    for i, item in enumerate(items):
        out.write(",\n" if i else "\n")
        out.write(json.dumps(item, default=str))
    out.write("\n]\n")
    out.flush()


def _print_json(data: Any) -> None:
    console.print_json(json.dumps(data, default=str))


def register(app: typer.Typer) -> None:
    """Add the analytics commands to the ``money`` command group."""

    @app.command("detectors")
    def detectors(as_json: bool = JSON) -> None:
        """List the detectors and their settings. Example: tocsin money detectors"""
        items = describe()
        if as_json:
            _print_json(items)
            return
        table = Table("name", "title", "settings (defaults)")
        for d in items:
            table.add_row(d["name"], d["title"],
                          ", ".join(f"{k}={v}" for k, v in d["config"].items()))
        console.print(table)

    @app.command("detect")
    def detect(
        set_ref: str | None = SET,
        set_dir: Path | None = SET_DIR,
        detector: list[str] = typer.Option(None, "--detector", "-d",
                                           help="Run only this detector (repeatable)."),
        limit: int = typer.Option(50, help="Rows to show in the table."),
        engine: str | None = ENGINE,
        as_json: bool = JSON,
        as_user: str | None = AS_USER,
    ) -> None:
        """Find laundering patterns, rank them and keep them as the set's latest run.

        Findings are judged against each account's own history and the top accounts
        flagged (at most 2 % of the set), as in the web. Example:
        tocsin money detect "Case 12" --as analyst
        """
        target = resolve_set(set_ref, set_dir, as_user)
        try:
            detectors = [make(n) for n in (detector or list(REGISTRY))]
        except InputError as exc:
            raise fail(exc) from exc
        with _engine(target.path, engine) as eng, _progress() as progress:
            task = progress.add_task(_("Detecting"), total=None)
            try:
                ranking, configs = detect_ranked(
                    eng, detectors, progress=lambda m: progress.update(task, description=str(m)))
            except TocsinError as exc:
                raise fail(exc) from exc
        run = keep_findings(target, ranking, [d.name for d in detectors], configs)
        if as_json:
            _stream_json(run["findings"])
            return
        summary = run["ranking"]
        table = Table("flagged", "detector", "subject", "score", "detector's", "amount",
                      "reason", title=f"{len(run['findings'])} findings; "
                      f"{summary['flagged']:,} of {summary['set_accounts']:,} accounts flagged")
        for f in run["findings"][:limit]:
            table.add_row(_("yes") if f["flagged"] else "", f["detector"], f["subject"],
                          f"{f['score']:.2f}", f"{f['detector_score']:.2f}",
                          f"{f['amount']:,.2f}",
                          f["reason"] + (f" {f['adjustment']}" if f["adjustment"] else ""))
        console.print(table)

    @app.command("trace")
    def trace_cmd(
        set_ref: str | None = SET,
        set_dir: Path | None = SET_DIR,
        account: list[str] = typer.Option(None, "--account", "-a", help="Start account."),
        txn: list[str] = typer.Option(None, "--txn", "-t", help="Start transaction."),
        direction: str = typer.Option("forward", help="forward or backward."),
        rule: str = typer.Option("fifo", help=f"Allocation rule: {', '.join(RULES)}."),
        hops: int = typer.Option(6, help="Payments to follow."),
        window_hours: float = typer.Option(720.0, help="Hours to follow money per hop."),
        engine: str | None = ENGINE,
        as_json: bool = JSON,
        as_user: str | None = AS_USER,
    ) -> None:
        """Follow money forward or backward. Example: tocsin money trace 3 -t T1 --as analyst"""
        set_dir = resolve_set(set_ref, set_dir, as_user).path
        cfg = TraceConfig(direction=direction, rule=rule, hops=hops,  # type: ignore[arg-type]
                          window_hours=window_hours)
        with _engine(set_dir, engine) as eng, _progress() as progress:
            progress.add_task(_("Tracing"), total=None)
            try:
                result = trace(eng, accounts=account or [], transactions=txn or [], config=cfg)
            except TocsinError as exc:
                raise fail(exc) from exc
        if as_json:
            _print_json(result.to_dict())
            return
        table = Table("account", "kind", "end", "amount", "paths",
                      title=f"{cfg.direction} trace ({cfg.rule}), {result.nodes} nodes"
                      + (" — truncated" if result.truncated else ""))
        for e in result.end_points:
            table.add_row(e.account, e.kind, e.end, f"{e.amount:,.2f}", str(e.paths))
        console.print(table)

    @app.command("score")
    def score(
        set_ref: str | None = SET,
        set_dir: Path | None = SET_DIR,
        model_path: Path | None = typer.Option(
            None, "--model", help="A model from `money train` (default: the model shipped "
            "with Tocsin, see `money model-card`)."),
        level: str = typer.Option("account", "--level", help="transaction or account."),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write every row to this CSV file (streamed; "
            "transaction rows carry the source file and line)."),
        limit: int = typer.Option(25, help="Rows to show when no --output is given."),
        rules: bool = typer.Option(False, "--rules", help="Rank accounts by the rule "
                                   "detectors' explainable risk instead of the model."),
        engine: str | None = ENGINE,
        as_json: bool = JSON,
        as_user: str | None = AS_USER,
    ) -> None:
        """Score transactions or accounts with the supervised model.

        Example: tocsin money score 3 --as analyst --level transaction --output scores.csv
        """
        set_dir = resolve_set(set_ref, set_dir, as_user).path
        if level not in ("transaction", "account"):
            raise fail(InputError.single("--level", N_("transaction or account")))
        if rules:
            # said, not ignored: the file asked for was never written
            only_model = [name for name, given in (("--output", output is not None),
                                                   ("--model", model_path is not None),
                                                   ("--level", level != "account")) if given]
            if only_model:
                raise fail(InputError.single(only_model[0], N_(
                    "applies to the model's scores; --rules ranks accounts by the rule "
                    "detectors and prints them")))
            _score_with_rules(set_dir, limit, engine, as_json)
            return
        _score_with_model(model_path, set_dir, level, output, limit, engine, as_json)

    @app.command("train")
    def train_cmd(
        set_refs: list[str] = typer.Argument(None, metavar="[SET]...", help="Ids or exact "
                                             "names of labelled registered sets; with two or "
                                             "more, the last one chooses the threshold."),
        set_dirs: list[Path] = typer.Option(None, "--set-dir", help="Instead of SET: a "
                                            "set folder outside the platform (repeatable)."),
        output: Path | None = typer.Option(
            None, "--output", "-o",
            help="Model file (default: kept with a single registered set, if you may change "
            "it; <data_dir>/models/money/<folder name>.json for one --set-dir)."),
        seed: int = typer.Option(7, help="Seed of the learner."),
        from_scratch: bool = typer.Option(
            False, "--from-scratch", help="Grow a model on these sets alone. By default new "
            "trees are grown on the shipped model's, fitted on these sets and on generated "
            "worlds like those it learned from (money_train_rehearsal_worlds), and stop when "
            "they cost more on the worlds that model was validated on than they gain."),
        engine: str | None = ENGINE,
        as_json: bool = JSON,
        as_user: str | None = AS_USER,
    ) -> None:
        """Train the supervised model on labelled sets. Example: tocsin money train 3 4 -o m.json"""
        targets = _targets(set_refs, set_dirs, as_user)
        destination = _model_destination(targets[0], output) if len(targets) == 1 else output
        if destination is None and len(targets) > 1:
            raise fail(InputError.single("--output", N_("give the model file when training "
                                                        "on several sets")))
        with _progress() as progress:
            task = progress.add_task(_("Training"), total=None)

            def say(message: Any) -> None:
                progress.update(task, description=str(message))

            try:
                from tocsin.money import worldcache
                from tocsin.settings import get_settings

                settings = get_settings()
                if destination:  # the model is signed with the platform's key: refused now,
                    settings.secret()  # not after the training (minutes on a large set)
                    writable(destination)  # and so is a file that cannot be written
                base = None if from_scratch else model.load_default()
                # the new sets first: computing their features is the peak of the memory,
                # lower with nothing else held yet
                sets = [model.load_set(t.path, engine, base.config() if base else
                                       model.DEFAULT, say) for t in targets]
                kept = None if base is None else worldcache.folder(settings)
                with (nullcontext(str(kept)) if kept else
                      tempfile.TemporaryDirectory(prefix="tocsin-worlds-")) as worlds:
                    guard = [] if base is None else model.guard_worlds(
                        Path(worlds), base, engine=engine, progress=say)
                    rehearse = [] if base is None else model.rehearsal_worlds(
                        Path(worlds), base, settings.money_train_rehearsal_worlds,
                        engine=engine, progress=say)
                    trained = model.train([], sets=sets, release=True, seed=seed,
                                          progress=say, names=[t.name for t in targets],
                                          base=base, guard=guard, rehearse=rehearse)
                path = model.save(trained, destination) if destination else None
            except TocsinError as exc:
                raise fail(exc) from exc
        if len(targets) == 1:
            _record_model(targets[0], path, output is not None)
        if as_json:
            _print_json({"model": str(path) if path else None, **trained.summary()})
            return
        console.print(_("Model written to %(path)s.", path=str(path)) if path else
                      _("A preview: the model was not kept, since you may not change this "
                        "set; give --output to keep it elsewhere."), highlight=False)
        console.print(f"{trained.meta['split']}.", highlight=False)  # translated: a message
        v = trained.meta["validation"]
        validation = N_("Validation part: transaction F1 %(f1)s (threshold %(threshold)s), "
                        "account F1 %(account_f1)s (threshold %(account_threshold)s). Judge "
                        "it on another set with `money evaluate SET --model FILE`.",
                        f1=Number(v["transaction_f1"], 3, group=False),
                        threshold=Number(trained.threshold, 3, group=False),
                        account_f1=Number(v["account_f1"], 3, group=False),
                        account_threshold=Number(trained.account_threshold, 3, group=False))
        console.print(str(validation), highlight=False)

    @app.command("evaluate")
    def evaluate_cmd(
        set_ref: str | None = SET,
        set_dir: Path | None = SET_DIR,
        model_path: Path | None = typer.Option(
            None, "--model", help="Judge this model (default: the shipped model)."),
        rules: bool = typer.Option(False, "--rules", help="Judge the rule detectors instead: "
                                   "the accounts they flag (findings judged against each "
                                   "account's own history, at most --max-share of the set)."),
        all_findings: bool = typer.Option(False, "--all-findings", help="With --rules: count "
                                          "every account in any finding, unranked."),
        min_score: float = typer.Option(0.0, help="With --rules --all-findings: ignore "
                                        "findings scored below this."),
        max_share: float = typer.Option(RankConfig().max_share, help="With --rules: the "
                                        "largest share of the set's accounts flagged."),
        weigh: bool = typer.Option(False, "--weigh", help="With --rules: weigh each ranked "
                                   "account by the model's account score (--model, else the "
                                   "shipped model) before flagging."),
        engine: str | None = ENGINE,
        as_json: bool = JSON,
        as_user: str | None = AS_USER,
    ) -> None:
        """Precision, recall, F1 and PR-AUC against labels, per level and per pattern.

        Example: tocsin money evaluate 3 --model m.json --as analyst
        """
        target = resolve_set(set_ref, set_dir, as_user)
        set_dir = target.path
        if weigh and (not rules or all_findings):
            raise fail(InputError.single("--weigh", N_("needs --rules without --all-findings")))
        if rules:
            _evaluate_rules(set_dir, min_score, engine, as_json,
                            None if all_findings else RankConfig(max_share=max_share),
                            model_path if weigh else None, weigh)
            return
        _evaluate_model(model_path, target, engine, as_json)

    @app.command("model-card")
    def model_card(as_json: bool = JSON) -> None:
        """Show the card of the model shipped with Tocsin. Example: tocsin money model-card"""
        try:
            info = model.card()
        except TocsinError as exc:
            raise fail(exc) from exc
        if as_json:
            _print_json(info)
            return
        console.print(json.dumps(info, indent=2), highlight=False)


def _targets(refs: list[str] | None, dirs: list[Path] | None, as_user: str | None
             ) -> list[Target]:
    refs, dirs = refs or [], dirs or []
    if refs and dirs:
        raise fail(InputError.single("SET", N_("name registered sets or give --set-dir, not both")))
    if not refs and not dirs:
        return [resolve_set(None, None, as_user)]  # reports the error
    if dirs:
        targets = [resolve_set(None, d, as_user) for d in dirs]
        names = [t.name for t in targets]
        if len(set(names)) < len(names):
            # folders of one name (…/bank-a/set, …/bank-b/set): named with their parents,
            # so that the model's card tells the sets apart
            targets = [replace(t, name=f"{t.path.resolve().parent.name}/{t.name}")
                       for t in targets]
        return targets
    return [resolve_set(r, None, as_user) for r in refs]


def _model_destination(target: Target, output: Path | None) -> Path | None:
    """Where ``train`` writes the model; None for a preview that keeps nothing."""
    from tocsin.settings import get_settings

    if target.set_id is None or target.principal is None:
        return output or model.default_path(target.path)
    try:
        with transaction() as session:
            return sets.model_destination(session, target.principal, get_settings(),
                                          target.set_id, output)
    except TocsinError as exc:
        raise fail(exc) from None


def _record_model(target: Target, path: Path | None, exported: bool) -> None:
    if path is None or target.set_id is None or target.principal is None:
        return
    try:
        with transaction() as session:
            sets.record_model(session, target.principal, target.set_id, path, exported)
    except TocsinError as exc:
        if not exported:  # the set went meanwhile: keep nothing in its folder
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".sig").unlink(missing_ok=True)
        raise fail(exc) from None


def _evaluate_model(path: Path | None, target: Target, engine: str | None,
                    as_json: bool) -> None:
    with _progress() as progress:
        task = progress.add_task(_("Loading the model"), total=None)
        try:
            trained = model.resolve(path)
            data = model.load_set(target.path, engine, trained.config(),
                                  lambda m: progress.update(task, description=str(m)))
            # by the name `money train` keeps in the model (a registered set's own name,
            # not its storage folder), so a model is told it is judged on its own set
            data.name = target.name
            progress.update(task, description=_("Scoring"))
            result = model.evaluate(trained, data)
        except TocsinError as exc:
            raise fail(exc) from exc
    _warn_without_positives(q.scores for q in (result.transactions, result.accounts)
                            if q is not None)
    if as_json:
        _print_json(result.to_dict())
        return
    if result.trained_on_this_set:
        err_console.print(_("Warning: the model was trained on a set of this name; these "
                             "figures do not measure how it does on new data."),
                          highlight=False)
    table = Table(*_headings(*_LEVEL_SCORES[:4], "PR-AUC", *_LEVEL_SCORES[4:]),
                  title=_("Model against the labels of %(set)s", set=target.name))
    for level, q in ((N_("transactions"), result.transactions),
                     (N_("accounts"), result.accounts)):
        if q is not None:
            s = q.scores
            table.add_row(str(level), _ratio(s.precision), _ratio(s.recall), _ratio(s.f1),
                          _ratio(q.pr_auc), str(s.true_positives), str(s.false_positives),
                          str(s.false_negatives))
    console.print(table)
    if result.labels_from_accounts:
        console.print(_("The set labels accounts only: a payment between two accounts it "
                        "labels as laundering is counted as a laundering transaction."),
                      highlight=False)
    if result.patterns:
        patterns = Table(*_headings(N_("pattern"), N_("transactions"),
                                    N_("recall (transactions)"), N_("recall (accounts)")))
        for name, p in result.patterns.items():
            patterns.add_row(name, str(p["count"]), _share(p["transactions"]),
                             _share(p["accounts"]))
        console.print(patterns)


#: The headings of the evaluation tables (``F1``, ``tp``, ``fp``, ``fn`` are written alike
#: in every language the platform offers, so they are kept as they are).
_LEVEL_SCORES = (N_("level"), N_("precision"), N_("recall"), "F1", "tp", "fp", "fn")


def _headings(*names: str) -> list[str]:
    """Table headings in the command's language."""
    return [str(name) for name in names]


def _ratio(value: float) -> str:
    """A score between 0 and 1 with three decimals, written the command's way (0,500)."""
    return Number(value, 3, group=False).translated()


def _share(value: float, digits: int = 0) -> str:
    """A share as a percentage the command's way (``25%``, ``25 %``); English keeps
    Python's own rounding, as before."""
    if i18n.current() == i18n.DEFAULT:
        return f"{value:.{digits}%}"
    return i18n.format_percent(value, digits)


def _evaluate_rules(set_dir: Path, min_score: float, engine: str | None,
                    as_json: bool, ranked: RankConfig | None, model_path: Path | None = None,
                    weigh: bool = False) -> None:
    try:
        with _engine(set_dir, engine) as eng:
            found = _detect(eng, None)
            if ranked is not None:
                ranking = rank(eng, found, ranked)
        if ranked is not None:
            if weigh:
                from tocsin.settings import get_settings

                chosen = model.resolve(model_path, get_settings())
                source = (N_("model %(file)s", file=model_path.name) if model_path
                          else N_("shipped model"))
                ranking = with_model(ranking, *model.account_support(chosen, set_dir, engine),
                                     source)
            result = evaluate_ranking(set_dir, ranking)
        else:
            result = evaluate(set_dir, found, min_score)
    except TocsinError as exc:
        raise fail(exc) from exc
    _warn_without_positives(s for s in (result.accounts, result.transactions) if s is not None)
    if as_json:
        _print_json(result.to_dict())
        return
    if result.ranking is not None:
        r = result.ranking
        flagged, accounts = Number(r["flagged"]), Number(r["set_accounts"])
        share, most = _share(r["flagged_share"], 2), _share(r["config"]["max_share"])
        in_findings = Number(r["ranked"])
        line = (N_("Flagged %(flagged)s of %(accounts)s accounts (%(share)s; at most "
                   "%(most)s); %(ranked)s accounts in findings are ranked, weighed by the "
                   "%(model)s.", flagged=flagged, accounts=accounts, share=share, most=most,
                   ranked=in_findings, model=r["model"]) if r.get("model") else
                N_("Flagged %(flagged)s of %(accounts)s accounts (%(share)s; at most "
                   "%(most)s); %(ranked)s accounts in findings are ranked.", flagged=flagged,
                   accounts=accounts, share=share, most=most, ranked=in_findings))
        console.print(str(line), highlight=False)
    table = Table(*_headings(*_LEVEL_SCORES))
    rows = [(N_("accounts"), result.accounts), (N_("transactions"), result.transactions),
            *((N_("detector %(name)s", name=k), v) for k, v in result.detectors.items())]
    for level, s in rows:
        if s is not None:
            table.add_row(str(level), _ratio(s.precision), _ratio(s.recall), _ratio(s.f1),
                          str(s.true_positives), str(s.false_positives),
                          str(s.false_negatives))
    console.print(table)
    if result.patterns:  # as the model's: no empty table for a set without patterns
        patterns = Table(*_headings(N_("pattern"), N_("transactions found"),
                                    N_("accounts found")))
        for name, p in result.patterns.items():
            patterns.add_row(name, _share(p["transactions"]), _share(p["accounts"]))
        console.print(patterns)


def _warn_without_positives(scores: Iterable[Scores]) -> None:
    """Say that a set whose labels are all negative measures no recall: its import noted
    "labels: none positive", and figures of 0 would read as a detection that failed."""
    if not any(s.true_positives + s.false_negatives for s in scores):
        err_console.print(_("Warning: the set labels nothing as laundering (labels: none "
                            "positive); recall cannot be measured and every flag counts as "
                            "a false positive."), highlight=False)


def _score_with_rules(set_dir: Path, limit: int, engine: str | None, as_json: bool) -> None:
    with _engine(set_dir, engine) as eng:
        found = _detect(eng, None)
        with _progress() as progress:
            progress.add_task(_("Scoring accounts"), total=None)
            try:
                ranking = rank(eng, found)
            except TocsinError as exc:
                raise fail(exc) from exc
            # The risk reads the findings as judged against each account's history.
            risks = score_accounts(eng, ranking.findings)[:limit]
    flagged = set(ranking.flagged)
    if as_json:
        _print_json([r.to_dict() | {"flagged": r.subject in flagged} for r in risks])
        return
    console.print(_("%(flagged)s of %(accounts)s accounts flagged (at most %(share)s); `money "
                    "evaluate --rules` judges them.",
                    flagged=i18n.format_number(len(flagged)),
                    accounts=i18n.format_number(ranking.set_accounts),
                    share=i18n.format_percent(ranking.config.max_share)), highlight=False)
    table = Table("account", "risk", "flagged", "top contributions")
    for r in risks:
        table.add_row(r.subject, f"{r.score:.2f}", _("yes") if r.subject in flagged else "",
                      "; ".join(f"{c.name} {c.value:.2f}" for c in r.contributions[:3]))
    console.print(table)


def _score_with_model(path: Path | None, set_dir: Path, level: str, output: Path | None,
                      limit: int, engine: str | None, as_json: bool) -> None:
    with _progress() as progress:
        task = progress.add_task(_("Loading the model"), total=None)
        try:
            trained = model.resolve(path)

            def say(message: str) -> None:  # in the command's language (Rich draws in a thread)
                progress.update(task, description=str(message))

            if output is not None:
                rows = model.write_scores(
                    model.score_rows(trained, set_dir, level, engine, say),  # type: ignore[arg-type]
                    output)
            else:
                top = model.top_scores(trained, set_dir, level, limit, engine,  # type: ignore[arg-type]
                                       say)
        except TocsinError as exc:
            raise fail(exc) from exc
    if output is not None:
        err_console.print(_("%(rows)s %(level)s scores written to %(path)s.",
                            rows=i18n.format_number(rows), level=level, path=str(output)),
                          highlight=False)
        return
    if as_json:
        _print_json([r.to_dict() for r in top])
        return
    threshold = trained.account_threshold if level == "account" else trained.threshold
    table = Table(level, "risk", "flagged", "raised most by",
                  title=f"Model scores (threshold {threshold:.3f})")
    for r in top:
        table.add_row(r.subject, f"{r.score:.3f}", _("yes") if r.flagged else "",
                      "; ".join(str(x.message()) for x in r.reasons))
    console.print(table)
