"""Fan-out, fan-in and gather-scatter: many counterparties in a short time."""
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
    Sql,
    Step,
    finding_rows,
    group_bounds,
    in_list,
    row,
    sorted_group,
)
from tocsin.money.detect.pairs import pair_summary
from tocsin.money.detect.windows import best_window, rows_in_window
from tocsin.money.findings import hours, money

HOUR = 3600
#: End points and retail hubs: many counterparties are their business.
HUB_KINDS = ("merchant", "cash", "foreign", "crypto")


@dataclass(frozen=True)
class FanConfig:
    min_degree: int = 5
    window_hours: float = 72.0
    #: Share of the counterparties in the window that the account never dealt
    #: with outside the window; payroll and regular bills fall below it.
    min_new_share: float = 0.5
    min_amount: float = 0.0
    exclude_kinds: tuple[str, ...] = HUB_KINDS


def _fan_kernel(cfg: FanConfig, direction: str) -> Any:
    width = int(cfg.window_hours * HOUR)

    def kernel(pdf: pd.DataFrame) -> pd.DataFrame:
        if pdf.empty:
            return finding_rows([])
        pdf = sorted_group(pdf, "grp", "t", "txn_id")
        codes = pd.factorize(pdf["grp"])[0]
        cps = pd.factorize(pdf["cp"])[0]
        t = pdf["t"].to_numpy(np.int64)
        starts, ends = group_bounds(pdf["grp"])
        # Most accounts never have min_degree payments within one window: skip them at once.
        upper = np.maximum.reduceat(rows_in_window(codes, t, width), starts)
        keep = upper >= cfg.min_degree
        amount = pdf["amount"].to_numpy(np.float64)
        # Object arrays, not lists: only the few flagged windows are read from them.
        cpl, txl, groups = pdf["cp"].to_numpy(), pdf["txn_id"].to_numpy(), pdf["grp"].to_numpy()
        out = []
        for s, e in zip(starts[keep].tolist(), ends[keep].tolist(), strict=True):
            i, j, distinct = best_window(t[s:e], cps[s:e], width)
            if distinct < cfg.min_degree:
                continue
            outside = set(cps[s:e][:i].tolist()) | set(cps[s:e][j:].tolist())
            in_window = set(cps[s + i : s + j].tolist())
            recurring = len(in_window & outside)
            new_share = 1 - recurring / distinct
            if new_share < cfg.min_new_share:
                continue
            total = float(amount[s + i : s + j].sum())
            if total < cfg.min_amount:
                continue
            subject = str(groups[s])
            span = int(t[s + j - 1] - t[s + i])
            degree_factor = min(1.0, distinct / (2.0 * cfg.min_degree))
            score = new_share * (0.5 + 0.5 * degree_factor)
            verb, prep = ("sent", "to") if direction == "out" else ("received", "from")
            reason = (
                f"Account {subject} {verb} {j - i} payments {prep} {distinct} different "
                f"accounts within {hours(span)} (total {money(total)}); "
                f"{distinct - recurring} of them had no other dealings with it "
                f"(threshold {cfg.min_degree} accounts in {cfg.window_hours:g} hours)"
            )
            out.append(row(subject, score, [subject, *cpl[s + i : s + j]], txl[s + i : s + j],
                           total, reason))
        return finding_rows(out)

    return kernel


def _fan_steps(det: Detector, cfg: FanConfig, side: str, other: str, direction: str
               ) -> list[Step]:
    """The payments of the accounts that could be a fan, then the kernel.

    Hub kinds are left out on both sides: paying shops is not a fan-out and a
    cash desk is not a sender. A counterparty can only count as new if all its
    payments with the account fit in one window, so an account needs
    ``min_degree`` counterparties of which ``min_new_share * min_degree`` are
    that compact; payroll and regular bills fail here, before the kernel.
    """
    kinds = in_list(cfg.exclude_kinds)
    width = int(cfg.window_hours * HOUR)
    need_new = cfg.min_new_share * cfg.min_degree
    pairs = pair_summary(cfg.exclude_kinds)
    ok = f"source <> target AND src_kind NOT IN {kinds} AND dst_kind NOT IN {kinds}"
    return [
        pairs,
        Kernel(det.table("out"),
               f"(SELECT {side} AS grp, {other} AS cp, t, amount, txn_id FROM txn "
               f"WHERE {ok} AND {side} IN (SELECT {side} FROM {pairs.name} GROUP BY {side} "
               f"HAVING COUNT(*) >= {int(cfg.min_degree)} "
               f"AND SUM(CASE WHEN spread <= {width} THEN 1 ELSE 0 END) >= {need_new!r}))",
               "grp", _fan_kernel(cfg, direction), FINDING_COLUMNS),
    ]


class FanOut(Detector):
    """One account pays many different accounts within a short window.

    Launderers split a large sum across many accounts (often mules) to move it
    under the radar and on to cash or abroad. Payroll also fans out, so the
    detector only reports fans whose recipients are mostly one-off
    counterparties, and scores higher the wider the fan.
    """

    name = "fan_out"
    title = "Fan-out"
    config_type = FanConfig

    def steps(self) -> Sequence[Step]:
        cfg: FanConfig = self.config
        return _fan_steps(self, cfg, "source", "target", "out")


class FanIn(Detector):
    """Many different accounts pay one account within a short window.

    Collection accounts gather the proceeds of many victims or smurfs before
    the money moves on. Shops and utilities also collect from many payers, so
    merchant accounts are excluded and recurring payers lower the score.
    """

    name = "fan_in"
    title = "Fan-in"
    config_type = FanConfig

    def steps(self) -> Sequence[Step]:
        cfg: FanConfig = self.config
        return _fan_steps(self, cfg, "target", "source", "in")


@dataclass(frozen=True)
class GatherScatterConfig:
    min_in: int = 5
    min_out: int = 5
    window_hours: float = 72.0
    #: Outflow after the gathering, as a share of what was gathered.
    min_forwarded: float = 0.5
    max_forwarded: float = 1.5
    exclude_kinds: tuple[str, ...] = HUB_KINDS


class GatherScatter(Detector):
    """An account collects from many senders and soon pays out to many receivers.

    The hub of a laundering network: proceeds are gathered from several
    sources and immediately dispersed to the next layer. The outflow must
    roughly match the inflow (a pass-through), which separates it from a
    business that has many customers and many suppliers.
    """

    name = "gather_scatter"
    title = "Gather-scatter"
    config_type = GatherScatterConfig

    def steps(self) -> Sequence[Step]:
        cfg: GatherScatterConfig = self.config
        kinds = in_list(cfg.exclude_kinds)
        cand = self.table("cand")
        pairs = pair_summary(cfg.exclude_kinds)
        ok = f"source <> target AND src_kind NOT IN {kinds} AND dst_kind NOT IN {kinds}"
        # Accounts with enough distinct senders and receivers overall.
        return [
            pairs,
            Sql(cand,
                f"SELECT target AS grp FROM {pairs.name} GROUP BY target "
                f"HAVING COUNT(*) >= {int(cfg.min_in)} "
                f"INTERSECT SELECT source AS grp FROM {pairs.name} GROUP BY source "
                f"HAVING COUNT(*) >= {int(cfg.min_out)}"),
            Kernel(self.table("out"),
                   "(SELECT target AS grp, source AS cp, 0 AS dir, t, amount, txn_id FROM txn "
                   f"WHERE {ok} AND target IN (SELECT grp FROM {cand}) "
                   "UNION ALL "
                   "SELECT source AS grp, target AS cp, 1 AS dir, t, amount, txn_id FROM txn "
                   f"WHERE {ok} AND source IN (SELECT grp FROM {cand}))",
                   "grp", _gather_scatter_kernel(cfg), FINDING_COLUMNS),
        ]


def _gather_scatter_kernel(cfg: GatherScatterConfig) -> Any:
    width = int(cfg.window_hours * HOUR)

    def kernel(pdf: pd.DataFrame) -> pd.DataFrame:
        if pdf.empty:
            return finding_rows([])
        # The input holds only accounts with enough distinct senders and receivers.
        pdf = sorted_group(pdf, "grp", "t", "dir", "txn_id")
        starts, ends = group_bounds(pdf["grp"])
        # Whole columns once; each group is then a slice (no per-group frames).
        t = pdf["t"].to_numpy(np.int64)
        incoming = pdf["dir"].to_numpy() == 0
        amount = pdf["amount"].to_numpy(np.float64)
        cps = pd.factorize(pdf["cp"])[0]
        cpl, txl, groups = pdf["cp"].to_numpy(), pdf["txn_id"].to_numpy(), pdf["grp"].to_numpy()
        out = []
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            inc = s + np.flatnonzero(incoming[s:e])
            i, j, n_in = best_window(t[inc], cps[inc], width)
            if n_in < cfg.min_in:
                continue
            gathered = inc[i:j]
            t_first, t_last = int(t[gathered[0]]), int(t[gathered[-1]])
            ts = t[s:e]
            outs = s + np.flatnonzero(~incoming[s:e] & (ts >= t_first) & (ts <= t_last + width))
            n_out = len(set(cps[outs].tolist()))
            got, sent = float(amount[gathered].sum()), float(amount[outs].sum())
            ratio = sent / got if got else 0.0
            if n_out < cfg.min_out or not cfg.min_forwarded <= ratio <= cfg.max_forwarded:
                continue
            subject = str(groups[s])
            span = int(t[outs].max()) - t_first if len(outs) else 0
            score = min(1.0, 0.5 + 0.25 * min(1.0, n_in / (2 * cfg.min_in))
                        + 0.25 * min(1.0, n_out / (2 * cfg.min_out)))
            reason = (
                f"Account {subject} received {money(got)} from {n_in} accounts and paid "
                f"{money(sent)} ({ratio:.0%}) to {n_out} accounts within {hours(span)} "
                f"(thresholds {cfg.min_in} in, {cfg.min_out} out, {cfg.window_hours:g} hours)"
            )
            rows = np.concatenate([gathered, outs])
            out.append(row(subject, score, [subject, *cpl[rows]], txl[rows], got, reason))
        return finding_rows(out)

    return kernel
