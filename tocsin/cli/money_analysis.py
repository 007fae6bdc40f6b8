"""Money analytics commands (trace, detect, score, evaluate, detectors) for the
``money`` group. The integrator calls :func:`register` on that group."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from tocsin.cli.common import console, fail
from tocsin.errors import InputError, TocsinError
from tocsin.money import model
from tocsin.money.detect import REGISTRY, describe, make
from tocsin.money.engines.base import Engine, open_engine, run_detector
from tocsin.money.evaluate import evaluate
from tocsin.money.findings import Finding, sort_findings
from tocsin.money.score import score_accounts
from tocsin.money.trace import RULES, TraceConfig, trace

SET_DIR = typer.Option(..., "--set-dir", help="Transaction-set directory (canonical layout).")
ENGINE = typer.Option(None, "--engine", help="embedded or spark (default: TOCSIN_MONEY_ENGINE).")
JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                    console=console, transient=True)


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
        task = progress.add_task("Detecting", total=len(detectors))
        for d in detectors:
            progress.update(task, description=f"Running {d.name}")
            found += run_detector(eng, d)
            progress.advance(task)
    return sort_findings(found)


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
        set_dir: Path = SET_DIR,
        detector: list[str] = typer.Option(None, "--detector", "-d",
                                           help="Run only this detector (repeatable)."),
        limit: int = typer.Option(50, help="Rows to show in the table."),
        engine: str | None = ENGINE,
        as_json: bool = JSON,
    ) -> None:
        """Find laundering patterns. Example: tocsin money detect --set-dir data/money/s1"""
        with _engine(set_dir, engine) as eng:
            found = _detect(eng, detector)
        if as_json:
            _print_json([f.to_dict() for f in found])
            return
        table = Table("detector", "subject", "score", "amount", "reason", title=f"{len(found)} "
                      "findings")
        for f in found[:limit]:
            table.add_row(f.detector, f.subject, f"{f.score:.2f}", f"{f.amount:,.2f}", f.reason)
        console.print(table)

    @app.command("trace")
    def trace_cmd(
        set_dir: Path = SET_DIR,
        account: list[str] = typer.Option(None, "--account", "-a", help="Start account."),
        txn: list[str] = typer.Option(None, "--txn", "-t", help="Start transaction."),
        direction: str = typer.Option("forward", help="forward or backward."),
        rule: str = typer.Option("fifo", help=f"Allocation rule: {', '.join(RULES)}."),
        hops: int = typer.Option(6, help="Payments to follow."),
        window_hours: float = typer.Option(720.0, help="Hours to follow money per hop."),
        engine: str | None = ENGINE,
        as_json: bool = JSON,
    ) -> None:
        """Follow money forward or backward. Example: tocsin money trace --set-dir s1 -t T1"""
        cfg = TraceConfig(direction=direction, rule=rule, hops=hops,  # type: ignore[arg-type]
                          window_hours=window_hours)
        with _engine(set_dir, engine) as eng, _progress() as progress:
            progress.add_task("Tracing", total=None)
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
        set_dir: Path = SET_DIR,
        limit: int = typer.Option(25, help="Accounts to show."),
        model_path: Path | None = typer.Option(
            None, "--model", help="Rank with this trained model (from `money train`)."),
        engine: str | None = ENGINE,
        as_json: bool = JSON,
    ) -> None:
        """Rank accounts by explainable risk. Example: tocsin money score --set-dir s1"""
        if model_path is not None:
            _score_with_model(model_path, set_dir, limit, engine, as_json)
            return
        with _engine(set_dir, engine) as eng:
            found = _detect(eng, None)
            with _progress() as progress:
                progress.add_task("Scoring accounts", total=None)
                risks = score_accounts(eng, found)[:limit]
        if as_json:
            _print_json([r.to_dict() for r in risks])
            return
        table = Table("account", "risk", "top contributions")
        for r in risks:
            table.add_row(r.subject, f"{r.score:.2f}",
                          "; ".join(f"{c.name} {c.value:.2f}" for c in r.contributions[:3]))
        console.print(table)

    @app.command("train")
    def train_cmd(
        set_dir: Path = SET_DIR,
        output: Path | None = typer.Option(
            None, "--output", "-o",
            help="Model file (default: <data_dir>/models/money/<set name>.pkl)."),
        seed: int = typer.Option(7, help="Seed of the split and the model."),
        engine: str | None = ENGINE,
        as_json: bool = JSON,
    ) -> None:
        """Train the supervised risk model. Example: tocsin money train --set-dir s1"""
        with _progress() as progress:
            progress.add_task("Running detectors and training", total=None)
            try:
                trained = model.train(set_dir, engine=engine, seed=seed)
                path = model.save(trained, output or model.default_path(set_dir))
            except TocsinError as exc:
                raise fail(exc) from exc
        if as_json:
            _print_json({"model": str(path), **trained.summary()})
            return
        console.print(f"Model written to {path} ({trained.split}).")
        table = Table("level", "who", "precision", "recall", "F1", "tp", "fp", "fn",
                      title="Held-out rows only")
        for level in trained.levels():
            for who, s in (("model", level.held_out), ("rules", level.rules_held_out)):
                table.add_row(level.level, who, f"{s.precision:.3f}", f"{s.recall:.3f}",
                              f"{s.f1:.3f}", str(s.true_positives), str(s.false_positives),
                              str(s.false_negatives))
        console.print(table)
        for level in trained.levels():
            console.print(f"{level.level}: threshold {level.threshold:.3f}; most important: "
                          + ", ".join(f"{i.feature} {i.mean:.3f}"
                                      for i in level.importances[:5]))

    @app.command("evaluate")
    def evaluate_cmd(
        set_dir: Path = SET_DIR,
        min_score: float = typer.Option(0.0, help="Ignore findings scored below this."),
        model_path: Path | None = typer.Option(
            None, "--model", help="Judge this trained model (from `money train`) instead."),
        engine: str | None = ENGINE,
        as_json: bool = JSON,
    ) -> None:
        """Precision, recall and F1 against labels. Example: tocsin money evaluate --set-dir s1"""
        if model_path is not None:
            _evaluate_model(model_path, set_dir, engine, as_json)
            return
        with _engine(set_dir, engine) as eng:
            found = _detect(eng, None)
        try:
            result = evaluate(set_dir, found, min_score)
        except TocsinError as exc:
            raise fail(exc) from exc
        if as_json:
            _print_json(result.to_dict())
            return
        table = Table("level", "precision", "recall", "F1", "tp", "fp", "fn")
        rows = [("accounts", result.accounts), ("transactions", result.transactions),
                *((f"detector {k}", v) for k, v in result.detectors.items())]
        for name, s in rows:
            if s is not None:
                table.add_row(name, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}",
                              str(s.true_positives), str(s.false_positives),
                              str(s.false_negatives))
        console.print(table)
        patterns = Table("pattern", "transactions found", "accounts found")
        for name, p in result.patterns.items():
            patterns.add_row(name, f"{p['transactions']:.0%}", f"{p['accounts']:.0%}")
        console.print(patterns)


def _evaluate_model(path: Path, set_dir: Path, engine: str | None, as_json: bool) -> None:
    with _progress() as progress:
        progress.add_task("Running detectors and the model", total=None)
        try:
            result = model.evaluate_model(model.load(path), set_dir, engine)
        except TocsinError as exc:
            raise fail(exc) from exc
    if as_json:
        _print_json(result.to_dict())
        return
    scope = ("held-out rows of the training set" if result.held_out_only
             else "every row of the set")
    table = Table("level", "who", "precision", "recall", "F1", "tp", "fp", "fn",
                  title=f"Model against labels ({scope})")
    rows = [("accounts", "model", result.accounts), ("accounts", "rules", result.rules_accounts),
            ("transactions", "model", result.transactions),
            ("transactions", "rules", result.rules_transactions)]
    for level, who, s in rows:
        if s is not None:
            table.add_row(level, who, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}",
                          str(s.true_positives), str(s.false_positives),
                          str(s.false_negatives))
    console.print(table)
    if result.patterns:
        patterns = Table("pattern", "transactions found", "accounts found")
        for name, p in result.patterns.items():
            patterns.add_row(name, f"{p['transactions']:.0%}" if "transactions" in p else "",
                             f"{p['accounts']:.0%}" if "accounts" in p else "")
        console.print(patterns)


def _score_with_model(path: Path, set_dir: Path, limit: int, engine: str | None,
                      as_json: bool) -> None:
    try:
        trained = model.load(path)
    except TocsinError as exc:
        raise fail(exc) from exc
    with _engine(set_dir, engine) as eng:
        found = _detect(eng, trained.detectors)
        with _progress() as progress:
            progress.add_task("Scoring accounts with the model", total=None)
            ranked = model.rank_accounts(trained, eng, found, limit)
    if as_json:
        _print_json([r.to_dict() for r in ranked])
        return
    table = Table("account", "probability", "flagged", "raised most by",
                  title=f"Model ranking (threshold {trained.accounts.threshold:.3f})")
    for r in ranked:
        table.add_row(r.subject, f"{r.probability:.3f}", "yes" if r.flagged else "",
                      "; ".join(f"{x.feature}={x.value} (+{x.effect:.2f})" for x in r.reasons))
    console.print(table)
