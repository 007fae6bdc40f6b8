"""Structuring: repeated cash deposits just under a reporting threshold."""
# ruff: noqa: S608 -- SQL is assembled from typed configs; literals go through in_list/repr.

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from tocsin.money.detect.base import (
    FINDING_COLUMNS,
    Detector,
    Kernel,
    Step,
    finding_rows,
    group_bounds,
    in_list,
    row,
    sorted_group,
)
from tocsin.money.detect.windows import rows_in_window
from tocsin.money.findings import hours, money

DAY = 86_400


@dataclass(frozen=True)
class StructuringConfig:
    threshold: float = 10_000.0
    #: Deposits from ``threshold * (1 - margin)`` up to just below the threshold count.
    margin: float = 0.1
    min_count: int = 3
    window_days: float = 10.0
    #: Channels and source account kinds that mean "cash".
    cash_channels: tuple[str, ...] = ("cash",)
    cash_kinds: tuple[str, ...] = ("cash",)


class Structuring(Detector):
    """Several cash deposits into one account just below the reporting threshold.

    Cash above the threshold (10,000 in the EU) must be reported, so launderers
    split it into deposits that each stay under it ("smurfing"). One deposit of
    9,500 is ordinary; several within days into the same account is the
    classic sign that someone is avoiding the report.
    """

    name = "structuring"
    title = "Structuring"
    config_type = StructuringConfig

    def steps(self) -> Sequence[Step]:
        cfg: StructuringConfig = self.config
        low = cfg.threshold * (1 - cfg.margin)
        query = (
            "SELECT target AS grp, source AS cp, t, amount, txn_id FROM txn "
            f"WHERE amount >= {low!r} AND amount < {cfg.threshold!r} "
            f"AND (channel IN {in_list(cfg.cash_channels)} "
            f"OR src_kind IN {in_list(cfg.cash_kinds)})"
        )
        return [Kernel(self.table("out"), f"({query})", "grp", _kernel(cfg), FINDING_COLUMNS)]


def _kernel(cfg: StructuringConfig) -> Any:
    width = int(cfg.window_days * DAY)

    def kernel(pdf: pd.DataFrame) -> pd.DataFrame:
        if pdf.empty:
            return finding_rows([])
        pdf = sorted_group(pdf, "grp", "t", "txn_id")
        codes = pd.factorize(pdf["grp"])[0]
        counts = rows_in_window(codes, pdf["t"].to_numpy(np.int64), width)
        starts, ends = group_bounds(pdf["grp"])
        out = []
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            local = counts[s:e]
            best = int(local.argmax())
            n = int(local[best])
            if n < cfg.min_count:
                continue
            w = pdf.iloc[s + best : s + best + n]
            subject = str(w["grp"].iat[0])
            span = int(w["t"].iat[-1] - w["t"].iat[0])
            total = float(w["amount"].sum())
            score = min(1.0, 0.5 + 0.5 * (n - cfg.min_count + 1) / (2 * cfg.min_count))
            reason = (
                f"Account {subject} received {n} cash deposits between "
                f"{money(float(w['amount'].min()))} and {money(float(w['amount'].max()))} "
                f"within {hours(span)} (total {money(total)}); the reporting threshold is "
                f"{money(cfg.threshold)}"
            )
            # The depositors behind a cash desk are unknown; the desk itself is not a party.
            out.append(row(subject, score, [subject], w["txn_id"], total, reason))
        return finding_rows(out)

    return kernel
