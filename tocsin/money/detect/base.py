"""How a detector is written once and run on every engine.

A detector is a short *pipeline* of steps over the canonical tables:

- :class:`Sql` — engine-neutral SQL (the subset DuckDB and Spark SQL share)
  that joins, filters and aggregates; its result becomes a named table;
- :class:`Kernel` — a shared Python function over *complete groups* of rows
  (all rows with the same ``key``): sliding time windows, FIFO matching and the
  wording of reasons live here. The embedded engine hands it every group at
  once; Spark hands it one partition at a time after repartitioning by ``key``.
  Because a kernel only ever looks inside a group, both give the same rows.

The last step of every pipeline is a kernel that returns *finding rows* with
the columns of :data:`FINDING_COLUMNS`; the engine turns them into
:class:`~tocsin.money.findings.Finding` objects.

Every engine provides the view ``txn`` with the columns ``txn_id``, ``t``
(seconds since the epoch, BIGINT), ``source``, ``target``, ``amount``,
``channel``, ``src_kind`` and ``dst_kind`` (the account kinds, ``unknown``
when the account is not listed).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar, Protocol

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from tocsin.i18n import from_data, to_data
from tocsin.money.findings import Finding, set_currency

KernelFn = Callable[[pd.DataFrame], pd.DataFrame]

#: Columns (and Spark types) of the rows a detector's last kernel returns.
FINDING_COLUMNS: dict[str, str] = {
    "subject": "string",
    "score": "double",
    "accounts": "string",  # comma-separated account ids
    "transactions": "string",  # comma-separated transaction ids
    "amount": "double",
    "reason": "string",  # in English
    "reason_message": "string",  # the reason's message and values as JSON (tocsin.i18n.to_data)
}


@dataclass(frozen=True)
class Sql:
    """Run ``query`` and keep its result as table ``name``."""

    name: str
    query: str


#: Prefix of the tables of :func:`shared` steps.
SHARED_PREFIX = "shared_"


def shared(query: str) -> Sql:
    """A step several detectors may run: named after its query, computed once per engine.

    Only for queries over ``txn`` alone: ``txn`` never changes while an engine
    is open, so the same text always gives the same rows.
    """
    import hashlib

    return Sql(SHARED_PREFIX + hashlib.sha256(query.encode()).hexdigest()[:16], query)


@dataclass(frozen=True)
class Kernel:
    """Apply ``fn`` to complete groups of ``source`` (grouped by ``key``).

    ``columns`` names the output columns and their Spark SQL types. ``fn``
    must only look inside groups and must not depend on the order of rows (it
    sorts what it needs), so that any partitioning gives the same result.
    An empty ``key`` means the whole table is one group.
    """

    name: str
    source: str
    key: str
    fn: KernelFn
    columns: dict[str, str]


@dataclass(frozen=True)
class PathConfig:
    """How a path may continue: each hop leaves the account the previous one reached,
    within ``hop_hours`` after it arrived and within ``window_hours`` of the first
    payment, carrying ``min_share`` … ``max_growth`` times the previous amount."""

    hop_hours: float
    window_hours: float
    min_share: float
    max_growth: float
    min_amount: float
    max_hops: int
    exclude_kinds: tuple[str, ...]


#: Columns (and Spark types) of the table a :class:`Paths` step produces.
PATH_COLUMNS: dict[str, str] = {
    "first_txn": "string",
    "origin": "string",
    "node": "string",
    "t0": "bigint",
    "t_last": "bigint",
    "a0": "double",
    "amt_last": "double",
    "nodes": "string",  # '|origin|…|node|'
    "txns": "string",  # comma-separated transaction ids, in path order
    "hops": "bigint",
}


@dataclass(frozen=True)
class Paths:
    """Grow time-respecting paths over the payments ``edges`` selects; keep table ``name``.

    ``edges`` is engine-neutral SQL with the columns ``txn_id``, ``t``,
    ``source``, ``target``, ``amount`` and ``b`` (the time bucket of width
    ``hop_hours``). A path never revisits an account and is not continued
    once it is back at its origin. The result holds the paths of
    ``min_hops`` … ``config.max_hops`` payments that end at their origin
    (``closed``) or elsewhere (not ``closed``), with :data:`PATH_COLUMNS`.
    Spark grows them with one SQL join per hop; the embedded engine with
    vectorised numpy over the edges sorted by (account, time). Both return
    the same rows.
    """

    name: str
    edges: str
    config: PathConfig
    closed: bool
    min_hops: int


Step = Sql | Kernel | Paths


class Fetcher(Protocol):
    """What binding a detector asks of an engine (every engine of
    :mod:`tocsin.money.engines` is one): the rows of a small query."""

    def fetch(self, query: str) -> pd.DataFrame: ...


class Detector:
    """Base class: a name, a typed config and a pipeline of steps.

    Subclasses set ``name``, ``title`` and ``config_type`` and implement
    :meth:`steps`. The docstring of a subclass explains what it looks for and
    why it matters to an investigator; the CLI and the web show it.

    ``currency`` is the set's currency, named with every amount of a reason (its
    kernels read it); :meth:`bind` takes it from the engine. It is not a setting:
    it changes no finding, only how its reason is written.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    config_type: ClassVar[type[Any]]
    currency: str = ""

    def __init__(self, config: Any = None) -> None:
        self.config = config if config is not None else self.config_type()

    def steps(self) -> Sequence[Step]:
        raise NotImplementedError

    def bind(self, engine: Fetcher) -> Detector:
        """This detector with the settings that depend on the set resolved (by default
        only the currency its reasons name). Binding twice gives the same detector."""
        return self.in_currency(set_currency(engine))

    def in_currency(self, currency: str) -> Detector:
        """This detector, its reasons naming ``currency`` with their amounts."""
        if currency == self.currency:
            return self
        bound = copy.copy(self)
        bound.currency = currency
        return bound

    def table(self, step: str) -> str:
        """A table name private to this detector (so pipelines do not collide)."""
        return f"d_{self.name}_{step}"

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": (self.__doc__ or "").strip(),
            "config": {f.name: getattr(self.config, f.name) for f in fields(self.config)},
        }


class RelativeFloor(Detector):
    """A detector whose config has ``min_amount``, ``amount_quantile`` and ``search_from``:
    it searches payments from the set's amount at ``amount_quantile`` (payments between
    accounts, ``exclude_kinds`` left out), never from more than ``min_amount``, so sets
    whose payments are small (tens or hundreds, as AMLSim's) are searched as well as those
    whose payments are large. :meth:`bind` writes that amount into ``search_from``, where
    a run's settings show it; ``amount_quantile=None`` searches from ``min_amount``."""

    def bind(self, engine: Fetcher) -> Detector:
        c = self.config
        if c.search_from is not None or c.amount_quantile is None:
            return self.in_currency(set_currency(engine))
        floor = amount_floor(engine, c.amount_quantile, c.exclude_kinds)
        return type(self)(replace(c, search_from=c.min_amount if floor is None
                                  else min(c.min_amount, floor))).in_currency(
            set_currency(engine))

    @property
    def floor(self) -> float:
        """The amount the search starts from."""
        c = self.config
        return float(c.min_amount if c.search_from is None else c.search_from)


def amount_floor(engine: Fetcher, quantile: float, exclude_kinds: Sequence[str]) -> float | None:
    """The amount at ``quantile`` of the set's payments between two accounts (one that
    occurs in the set, the same on every engine); None for a set without any."""
    kinds = in_list(exclude_kinds)  # from a typed config
    query = ("SELECT amount FROM txn WHERE source <> target "  # noqa: S608
             f"AND src_kind NOT IN {kinds} AND dst_kind NOT IN {kinds}")
    amounts = engine.fetch(query)["amount"].to_numpy(dtype=np.float64)
    if not len(amounts):
        return None
    return float(np.quantile(amounts, quantile, method="lower"))


def finding_rows(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A kernel's output frame with exactly the finding columns (also when empty)."""
    return pd.DataFrame(rows, columns=list(FINDING_COLUMNS))


def row(
    subject: str,
    score: float,
    accounts: Iterable[Any],
    transactions: Iterable[Any],
    amount: float,
    reason: str,
) -> dict[str, Any]:
    """A finding row; ``reason`` is best a message (``N_``), kept with its values so the
    pages show it in the reader's language."""
    message = to_data(reason)
    return {
        "subject": subject,
        "score": float(score),
        "accounts": ",".join(sorted({str(a) for a in accounts})),
        "transactions": ",".join(sorted({str(t) for t in transactions})),
        "amount": float(amount),
        "reason": str.__str__(reason),
        "reason_message": json.dumps(message, ensure_ascii=False) if message else "",
    }


def to_findings(detector: str, rows: pd.DataFrame) -> list[Finding]:
    """Turn a detector's last table into findings."""
    out = []
    for r in rows.itertuples(index=False):
        out.append(
            Finding.build(
                detector=detector,
                subject=str(r.subject),
                score=float(r.score),
                accounts=str(r.accounts).split(",") if r.accounts else [],
                transactions=str(r.transactions).split(",") if r.transactions else [],
                amount=float(r.amount),
                reason=from_data(json.loads(r.reason_message), str(r.reason))
                if isinstance(r.reason_message, str) and r.reason_message else str(r.reason),
            )
        )
    return out


def in_list(values: Sequence[str]) -> str:
    """A SQL ``IN`` list of string literals (values come from typed configs)."""
    if not values:
        return "('')"
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"({quoted})"


def sorted_group(pdf: pd.DataFrame, key: str, *by: str) -> pd.DataFrame:
    """Rows sorted by group and then ``by`` columns, with a fresh index."""
    return pdf.sort_values([key, *by], kind="mergesort").reset_index(drop=True)


def group_bounds(keys: pd.Series) -> tuple[Any, Any]:
    """Start and end positions of each run of equal keys in a sorted column."""
    import numpy as np

    values = keys.to_numpy()
    if len(values) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    change = np.flatnonzero(values[1:] != values[:-1]) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change, [len(values)]))
    return starts, ends
