"""The engine protocol: load a set, run detectors, trace, compute account features.

An engine executes the engine-neutral pipelines of :mod:`tocsin.money.detect`
and serves transaction ledgers to :mod:`tocsin.money.trace`; it owns no
detection logic of its own, so every engine gives the same findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tocsin.errors import InputError, Problem
from tocsin.i18n import N_
from tocsin.money.detect import Detector
from tocsin.money.detect.base import Kernel, Paths, Sql, Step, to_findings
from tocsin.money.findings import Finding, sort_findings

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

    from tocsin.money.graph import Ledger
    from tocsin.settings import Settings

REQUIRED_FILES = ("transactions.parquet", "accounts.parquet")


class Engine(Protocol):
    name: str
    #: The set's base currency (:func:`~tocsin.money.dataset.base_currency`), named with
    #: the amounts of reasons.
    currency: str

    def run_sql(self, name: str, query: str) -> None:
        """Run engine-neutral SQL and keep the result as table ``name``."""

    def run_kernel(self, step: Kernel) -> None:
        """Apply a kernel to complete groups of its source; keep the result."""

    def kernel_result(self, step: Kernel) -> pd.DataFrame:
        """Apply a kernel and return its rows (the last step of a pipeline)."""

    def run_paths(self, step: Paths) -> None:
        """Grow time-respecting paths and keep the result (see :class:`Paths`)."""

    def fetch(self, query: str) -> pd.DataFrame:
        """Run a query and return the (small) result to the caller."""

    def ledgers(self, accounts: Iterable[str]) -> dict[str, Ledger]:
        """Every payment into and out of each account, sorted by time."""

    def close(self) -> None: ...


def check_set_dir(set_dir: Path) -> None:
    """Refuse a folder that is not a transaction set, naming the missing file."""
    problems = [
        Problem(str(set_dir / f), N_("missing; not a transaction set in the canonical layout"))
        for f in REQUIRED_FILES
        if not (set_dir / f).is_file()
    ]
    if problems:
        raise InputError(problems, summary=N_("%(folder)s is not a transaction set",
                                              folder=str(set_dir)))


def run_detectors(engine: Engine, detectors: Sequence[Detector]) -> list[Finding]:
    """Run each detector's pipeline on ``engine``; findings sorted, highest score first."""
    findings: list[Finding] = []
    for detector in detectors:
        findings += run_detector(engine, detector)
    return sort_findings(findings)


def run_detector(engine: Engine, detector: Detector) -> list[Finding]:
    """Run one pipeline; its last step's rows become the findings."""
    *steps, last = list(detector.bind(engine).steps())
    for step in steps:
        run_step(engine, step)
    if isinstance(last, Kernel):
        # The findings go straight back to the caller instead of into a table.
        rows = engine.kernel_result(last)
    else:
        run_step(engine, last)
        rows = engine.fetch(f"SELECT * FROM {last.name}")  # noqa: S608 - a name we made
    return sort_findings(to_findings(detector.name, rows))


def run_step(engine: Engine, step: Step) -> None:
    if isinstance(step, Sql):
        engine.run_sql(step.name, step.query)
    elif isinstance(step, Paths):
        engine.run_paths(step)
    else:
        engine.run_kernel(step)


def open_engine(set_dir: Path, name: str | None = None, settings: Settings | None = None
                ) -> Engine:
    """The engine named, or the one in settings (``TOCSIN_MONEY_ENGINE``)."""
    from tocsin.settings import get_settings

    settings = settings or get_settings()
    chosen = name or settings.money_engine
    check_set_dir(set_dir)
    if chosen == "embedded":
        from tocsin.money.engines.embedded import EmbeddedEngine

        return EmbeddedEngine(set_dir)
    if chosen == "spark":
        from tocsin.money.engines.spark import SparkEngine

        return SparkEngine(set_dir, master=settings.spark_master)
    raise InputError.single("money engine", N_("%(engine)s is unknown; use embedded or spark",
                                               engine=repr(chosen)))
