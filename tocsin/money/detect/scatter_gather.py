"""Scatter-gather: money split across intermediaries and recombined at one account."""
# ruff: noqa: S608 -- SQL is assembled from typed configs; literals go through in_list/repr.

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

from tocsin.i18n import N_
from tocsin.money.detect.base import (
    FINDING_COLUMNS,
    Kernel,
    PathConfig,
    Paths,
    RelativeFloor,
    Step,
    finding_rows,
    row,
)
from tocsin.money.detect.paths import PATH_EXCLUDED_KINDS, edges_sql
from tocsin.money.findings import duration, figure

HOUR = 3600


@dataclass(frozen=True)
class ScatterGatherConfig:
    min_intermediaries: int = 3
    hop_hours: float = 48.0
    #: The intermediary forwards at least this share of what it received.
    min_share: float = 0.5
    max_growth: float = 1.05
    #: With ``amount_quantile`` set, searched from the set's amount at that quantile, at
    #: most ``min_amount`` (see :class:`RelativeFloor`; off by default: at the median it
    #: flagged 816 ordinary accounts of one judged world, docs/money-analytics.md).
    min_amount: float = 1_000.0
    amount_quantile: float | None = None
    search_from: float | None = None
    exclude_kinds: tuple[str, ...] = PATH_EXCLUDED_KINDS


class ScatterGather(RelativeFloor):
    """One account splits money across several intermediaries that all pass it
    on to the same destination.

    Splitting keeps each payment small and makes the link between origin and
    destination invisible to anyone who looks at one payment at a time. Each
    intermediary must forward a comparable amount within ``hop_hours``.
    """

    name = "scatter_gather"
    title = N_("Scatter-gather")
    config_type = ScatterGatherConfig

    def steps(self) -> Sequence[Step]:
        c: ScatterGatherConfig = self.config
        pcfg = PathConfig(c.hop_hours, c.hop_hours, c.min_share, c.max_growth, self.floor, 2,
                          c.exclude_kinds)
        # Two-payment paths origin -> intermediary -> destination (not back to the origin).
        paths = Paths(self.table("paths"), edges_sql(pcfg), pcfg, closed=False, min_hops=2)
        return [
            paths,
            Kernel(
                self.table("out"),
                f"(SELECT origin || '>' || node AS grp, origin, node AS dest, nodes, txns, "
                f"a0 AS amount_a, amt_last AS amount_b, t0 AS t_a, t_last AS t_b "
                f"FROM {paths.name})",
                "grp",
                _kernel(c, self.currency),
                FINDING_COLUMNS,
            ),
        ]


def _kernel(cfg: ScatterGatherConfig, currency: str) -> Any:
    def kernel(pdf: pd.DataFrame) -> pd.DataFrame:
        if pdf.empty:
            return finding_rows([])
        # (grp, t_a, txn_a, txn_b, mid, amount_a, amount_b, t_b, origin, dest), sorted:
        # plain Python is faster than pandas for the few two-payment paths there are.
        paths = sorted(
            (g, ta, x.split(",")[0], x.split(",")[1], n.split("|")[2], aa, ab, tb, o, d)
            for g, ta, x, n, aa, ab, tb, o, d in zip(
                pdf["grp"].tolist(), pdf["t_a"].tolist(), pdf["txns"].tolist(),
                pdf["nodes"].tolist(), pdf["amount_a"].tolist(), pdf["amount_b"].tolist(),
                pdf["t_b"].tolist(), pdf["origin"].tolist(), pdf["dest"].tolist(),
                strict=True))
        out = []
        for _grp, items in groupby(paths, key=lambda p: p[0]):
            g = list(items)
            mids = sorted({p[4] for p in g})
            if len(mids) < cfg.min_intermediaries:
                continue
            origin, dest = str(g[0][8]), str(g[0][9])
            sent = sum(_first(g, 2, 5).values())
            got = sum(_first(g, 3, 6).values())
            span = int(max(p[7] for p in g) - min(p[1] for p in g))
            score = min(1.0, 0.55 + 0.1 * min(4, len(mids) - cfg.min_intermediaries + 1))
            reason = N_(
                "Account %(origin)s paid %(sent)s to %(middles)s intermediaries that passed "
                "%(got)s on to account %(end)s within %(span)s (threshold %(threshold)s "
                "intermediaries)", origin=origin, sent=figure(sent, currency), middles=len(mids),
                got=figure(got, currency), end=dest, span=duration(span),
                threshold=cfg.min_intermediaries)
            out.append(row(origin, score, [origin, dest, *mids],
                           [*(p[2] for p in g), *(p[3] for p in g)], sent, reason))
        return finding_rows(out)

    return kernel


def _first(rows: list[tuple[Any, ...]], key: int, value: int) -> dict[Any, float]:
    """The value of the first row for each key, in order of first appearance."""
    out: dict[Any, float] = {}
    for r in rows:
        out.setdefault(r[key], float(r[value]))
    return out
