"""Scatter-gather: money split across intermediaries and recombined at one account."""
# ruff: noqa: S608 -- SQL is assembled from typed configs; literals go through in_list/repr.

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

from tocsin.money.detect.base import (
    FINDING_COLUMNS,
    Detector,
    Kernel,
    Sql,
    Step,
    finding_rows,
    group_bounds,
    row,
    sorted_group,
)
from tocsin.money.detect.paths import OFFSETS, PATH_EXCLUDED_KINDS, PathConfig, edges_sql
from tocsin.money.findings import hours, money

HOUR = 3600


@dataclass(frozen=True)
class ScatterGatherConfig:
    min_intermediaries: int = 3
    hop_hours: float = 48.0
    #: The intermediary forwards at least this share of what it received.
    min_share: float = 0.5
    max_growth: float = 1.05
    min_amount: float = 1_000.0
    exclude_kinds: tuple[str, ...] = PATH_EXCLUDED_KINDS


class ScatterGather(Detector):
    """One account splits money across several intermediaries that all pass it
    on to the same destination.

    Splitting keeps each payment small and makes the link between origin and
    destination invisible to anyone who looks at one payment at a time. Each
    intermediary must forward a comparable amount within ``hop_hours``.
    """

    name = "scatter_gather"
    title = "Scatter-gather"
    config_type = ScatterGatherConfig

    def steps(self) -> Sequence[Step]:
        c: ScatterGatherConfig = self.config
        width = int(c.hop_hours * HOUR)
        edges = self.table("edges")
        hops = self.table("hops")
        pairs = self.table("pairs")
        return [
            Sql(edges, edges_sql(PathConfig(c.hop_hours, c.hop_hours, c.min_share,
                                             c.max_growth, c.min_amount, 2,
                                             c.exclude_kinds))),
            Sql(
                hops,
                "SELECT a.source AS origin, b.target AS dest, a.target AS mid, "
                "a.txn_id AS txn_a, b.txn_id AS txn_b, a.amount AS amount_a, "
                "b.amount AS amount_b, a.t AS t_a, b.t AS t_b "
                f"FROM (SELECT e.*, e.b + o.k AS jb FROM {edges} e CROSS JOIN {OFFSETS} o) a "
                f"JOIN {edges} b ON a.target = b.source AND a.jb = b.b "
                f"WHERE b.t >= a.t AND b.t <= a.t + {width} AND a.source <> b.target "
                f"AND b.amount >= a.amount * {c.min_share!r} "
                f"AND b.amount <= a.amount * {c.max_growth!r}",
            ),
            Sql(
                pairs,
                f"SELECT origin, dest FROM {hops} GROUP BY origin, dest "
                f"HAVING COUNT(DISTINCT mid) >= {int(c.min_intermediaries)}",
            ),
            Kernel(
                self.table("out"),
                f"(SELECT h.origin || '>' || h.dest AS grp, h.* FROM {hops} h "
                f"JOIN {pairs} p ON h.origin = p.origin AND h.dest = p.dest)",
                "grp",
                _kernel(c),
                FINDING_COLUMNS,
            ),
        ]


def _kernel(cfg: ScatterGatherConfig) -> Any:
    def kernel(pdf: pd.DataFrame) -> pd.DataFrame:
        if pdf.empty:
            return finding_rows([])
        pdf = sorted_group(pdf, "grp", "t_a", "txn_a", "txn_b")
        starts, ends = group_bounds(pdf["grp"])
        out = []
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            g = pdf.iloc[s:e]
            origin, dest = str(g["origin"].iat[0]), str(g["dest"].iat[0])
            mids = sorted(set(g["mid"]))
            sent = float(g.drop_duplicates("txn_a")["amount_a"].sum())
            got = float(g.drop_duplicates("txn_b")["amount_b"].sum())
            span = int(g["t_b"].max() - g["t_a"].min())
            score = min(1.0, 0.55 + 0.1 * min(4, len(mids) - cfg.min_intermediaries + 1))
            reason = (
                f"Account {origin} paid {money(sent)} to {len(mids)} intermediaries that "
                f"passed {money(got)} on to account {dest} within {hours(span)} "
                f"(threshold {cfg.min_intermediaries} intermediaries)"
            )
            out.append(row(origin, score, [origin, dest, *mids],
                           [*g["txn_a"], *g["txn_b"]], sent, reason))
        return finding_rows(out)

    return kernel
