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
    PathConfig,
    Paths,
    Step,
    finding_rows,
    group_bounds,
    row,
    sorted_group,
)
from tocsin.money.detect.paths import PATH_EXCLUDED_KINDS, edges_sql
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
        pcfg = PathConfig(c.hop_hours, c.hop_hours, c.min_share, c.max_growth, c.min_amount, 2,
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
                _kernel(c),
                FINDING_COLUMNS,
            ),
        ]


def _kernel(cfg: ScatterGatherConfig) -> Any:
    def kernel(pdf: pd.DataFrame) -> pd.DataFrame:
        if pdf.empty:
            return finding_rows([])
        pdf = pdf.assign(
            mid=[str(n).split("|")[2] for n in pdf["nodes"]],
            txn_a=[str(x).split(",")[0] for x in pdf["txns"]],
            txn_b=[str(x).split(",")[1] for x in pdf["txns"]],
        )
        pdf = sorted_group(pdf, "grp", "t_a", "txn_a", "txn_b")
        starts, ends = group_bounds(pdf["grp"])
        out = []
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            g = pdf.iloc[s:e]
            mids = sorted(set(g["mid"]))
            if len(mids) < cfg.min_intermediaries:
                continue
            origin, dest = str(g["origin"].iat[0]), str(g["dest"].iat[0])
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
