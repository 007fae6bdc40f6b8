"""Split payments: one payment cut into many tiny pieces to the same account."""
# ruff: noqa: S608 -- SQL is assembled from typed configs; literals go through in_list/repr.

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from tocsin.i18n import N_, N_plural, Number
from tocsin.money.detect.base import (
    FINDING_COLUMNS,
    Detector,
    Kernel,
    Sql,
    Step,
    finding_rows,
    group_bounds,
    in_list,
    row,
    sorted_group,
)
from tocsin.money.detect.fan import HUB_KINDS
from tocsin.money.findings import duration, figure

HOUR = 3600

#: Columns of the per-payer step: one row per (payer, payee) split.
SPLIT_COLUMNS: dict[str, str] = {
    "payee": "string",
    "payer": "string",
    "pieces": "bigint",
    "span": "bigint",
    "total": "double",
    "piece": "double",
    "usual": "double",
    "txns": "string",
}


@dataclass(frozen=True)
class SplitPaymentsConfig:
    #: Pieces to one account within the window that make a split.
    min_pieces: int = 3
    window_hours: float = 24.0
    #: Each piece is at least this many times smaller than the payer's usual payment
    #: to its other payees (their median).
    factor: float = 10.0
    #: The payer's usual is only known from this many payments to other accounts.
    min_history: int = 3
    exclude_kinds: tuple[str, ...] = HUB_KINDS


class SplitPayments(Detector):
    """A payer cuts a payment to one account into several tiny pieces within a day.

    Monitoring looks at amounts, so a sum can be sent as many small transfers that
    each stay below any alert: the same payer pays the same account three or more
    times within a day, each piece at least ten times smaller than anything it
    usually pays its other payees. Ordinary small payments do not look like this: a
    subscription is paid once a month, a shop is paid by its customers in amounts
    like their other purchases. The payer's usual is the median of its payments to
    other accounts, and needs three of them (an account that only ever pays small
    amounts has nothing to be split from). One finding per receiving account, with
    every payer that split payments to it; the score rises with the number of such
    payers, with the pieces and with how much smaller they are than the payers'
    usual amounts.
    """

    name = "split_payments"
    title = N_("Split payments")
    config_type = SplitPaymentsConfig

    def steps(self) -> Sequence[Step]:
        cfg: SplitPaymentsConfig = self.config
        kinds = in_list(cfg.exclude_kinds)
        width = int(cfg.window_hours * HOUR)
        ok = f"source <> target AND src_kind NOT IN {kinds} AND dst_kind NOT IN {kinds}"
        # Pieces within one window fall into at most two buckets of its width, so a
        # split has at least half of them in one bucket: only those payers are read.
        half = math.ceil(cfg.min_pieces / 2)
        payers, splits = self.table("payers"), self.table("splits")
        return [
            Sql(payers, f"SELECT DISTINCT source FROM (SELECT source, target, "
                        f"CAST(FLOOR(t / {width}.0) AS BIGINT) AS b, COUNT(*) AS n FROM txn "
                        f"WHERE {ok} GROUP BY source, target, "
                        f"CAST(FLOOR(t / {width}.0) AS BIGINT)) x WHERE n >= {half}"),
            Kernel(splits,
                   f"(SELECT source AS grp, target AS cp, t, amount, txn_id FROM txn "
                   f"WHERE {ok} AND source IN (SELECT source FROM {payers}))",
                   "grp", _payer_kernel(cfg), SPLIT_COLUMNS),
            Kernel(self.table("out"), splits, "payee", _payee_kernel(cfg, self.currency),
                   FINDING_COLUMNS),
        ]


def _payer_kernel(cfg: SplitPaymentsConfig) -> Any:
    width = int(cfg.window_hours * HOUR)

    def kernel(pdf: pd.DataFrame) -> pd.DataFrame:
        out: list[dict[str, Any]] = []
        if pdf.empty:
            return pd.DataFrame(out, columns=list(SPLIT_COLUMNS))
        pdf = sorted_group(pdf, "grp", "cp", "t", "txn_id")
        payer_starts, payer_ends = group_bounds(pdf["grp"])
        t = pdf["t"].to_numpy(np.int64)
        amount = pdf["amount"].to_numpy(np.float64)
        cps, txl = pdf["cp"].to_numpy(), pdf["txn_id"].to_numpy()
        for s, e in zip(payer_starts.tolist(), payer_ends.tolist(), strict=True):
            starts, ends = group_bounds(pdf["cp"].iloc[s:e])
            for a, b in zip((s + starts).tolist(), (s + ends).tolist(), strict=True):
                if b - a < cfg.min_pieces or (e - s) - (b - a) < cfg.min_history:
                    continue
                others = np.concatenate([amount[s:a], amount[b:e]])
                usual = float(np.median(others))
                small = a + np.flatnonzero(amount[a:b] * cfg.factor <= usual)
                if len(small) < cfg.min_pieces:
                    continue
                ts = t[small]
                reach = np.searchsorted(ts, ts + width, side="right") - np.arange(len(ts))
                i = int(np.argmax(reach))
                k = int(reach[i])
                if k < cfg.min_pieces:
                    continue
                pieces = small[i:i + k]
                out.append({
                    "payee": str(cps[a]), "payer": str(pdf["grp"].iat[s]), "pieces": k,
                    "span": int(ts[i + k - 1] - ts[i]), "total": float(amount[pieces].sum()),
                    "piece": float(np.median(amount[pieces])), "usual": usual,
                    "txns": ",".join(str(x) for x in txl[pieces]),
                })
        return pd.DataFrame(out, columns=list(SPLIT_COLUMNS))

    return kernel


def split_score(payers: int, pieces: int, min_pieces: int, times: float) -> float:
    """Score of a split, from 0.45 up:

    - up to 0.15 for the number of payers that split payments to the account (full at 3);
    - up to 0.2 for the pieces of the largest split (full at twice ``min_pieces``);
    - up to 0.2 for how much smaller the pieces are than the payers' usual amounts
      (0.1 at ten times, full at a hundred times).
    """
    return (0.45 + 0.15 * min(1.0, payers / 3) + 0.2 * min(1.0, pieces / (2 * min_pieces))
            + 0.2 * max(0.0, min(1.0, math.log10(max(times, 1.0)) / 2)))


def _payee_kernel(cfg: SplitPaymentsConfig, currency: str) -> Any:
    def kernel(pdf: pd.DataFrame) -> pd.DataFrame:
        if pdf.empty:
            return finding_rows([])
        pdf = sorted_group(pdf, "payee", "payer")
        starts, ends = group_bounds(pdf["payee"])
        out = []
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            w = pdf.iloc[s:e]
            subject = str(w["payee"].iat[0])
            pieces = int(w["pieces"].sum())
            piece = float(np.median(w["piece"]))
            usual = float(np.median(w["usual"]))
            times = usual / piece if piece > 0 else math.inf
            score = split_score(len(w), int(w["pieces"].max()), cfg.min_pieces, times)
            total = float(w["total"].sum())
            longest = int(w["span"].max())
            # Simulated sets often stamp a day's payments with one time.
            when = (N_("all at the same time") if longest == 0 else
                    N_("within %(span)s at most", span=duration(longest)))
            reason = N_plural(
                "Account %(account)s received %(pieces)s payments from %(payers)s payer, "
                "who cut a payment to it into %(least)s or more pieces %(when)s "
                "(total %(total)s); the pieces (median %(piece)s) are "
                "%(times)s times smaller than what this payer usually pays other accounts "
                "(median %(usual)s; threshold %(min_pieces)s pieces within %(window)s hours, "
                "each %(factor)s times smaller)",
                "Account %(account)s received %(pieces)s payments from %(payers)s payers, "
                "each of whom cut a payment to it into %(least)s or more pieces %(when)s "
                "(total %(total)s); the pieces (median %(piece)s) are "
                "%(times)s times smaller than what these payers usually pay other accounts "
                "(median %(usual)s; threshold %(min_pieces)s pieces within %(window)s hours, "
                "each %(factor)s times smaller)", len(w),
                account=subject, pieces=pieces, payers=len(w),
                least=int(w["pieces"].min()), when=when,
                total=figure(total, currency), piece=figure(piece, currency),
                times=Number(min(times, 1e9), 0), usual=figure(usual, currency),
                min_pieces=cfg.min_pieces, window=f"{cfg.window_hours:g}",
                factor=f"{cfg.factor:g}")
            txns = [x for joined in w["txns"] for x in joined.split(",")]
            out.append(row(subject, score, [subject, *w["payer"]], txns, total, reason))
        return finding_rows(out)

    return kernel
