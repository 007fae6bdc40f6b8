"""Fan-out, fan-in and gather-scatter: many counterparties in a short time."""
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
from tocsin.money.detect.pairs import pair_summary
from tocsin.money.detect.windows import best_window, poisson_tail, rows_in_window
from tocsin.money.findings import duration, figure

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


def _fan_kernel(cfg: FanConfig, direction: str, currency: str) -> Any:
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
            payments, window = j - i, f"{cfg.window_hours:g}"
            if direction == "out":
                reason = N_(
                    "Account %(account)s sent %(payments)s payments to %(accounts)s different "
                    "accounts within %(span)s (total %(total)s); %(new)s of them had no other "
                    "dealings with it (threshold %(threshold)s accounts in %(window)s hours)",
                    account=subject, payments=payments, accounts=distinct,
                    span=duration(span), total=figure(total, currency), new=distinct - recurring,
                    threshold=cfg.min_degree, window=window)
            else:
                reason = N_(
                    "Account %(account)s received %(payments)s payments from %(accounts)s "
                    "different accounts within %(span)s (total %(total)s); %(new)s of them had "
                    "no other dealings with it (threshold %(threshold)s accounts in %(window)s "
                    "hours)",
                    account=subject, payments=payments, accounts=distinct,
                    span=duration(span), total=figure(total, currency), new=distinct - recurring,
                    threshold=cfg.min_degree, window=window)
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
               "grp", _fan_kernel(cfg, direction, det.currency), FINDING_COLUMNS),
    ]


class FanOut(Detector):
    """One account pays many different accounts within a short window.

    Launderers split a large sum across many accounts (often mules) to move it
    under the radar and on to cash or abroad. Payroll also fans out, so the
    detector only reports fans whose recipients are mostly one-off
    counterparties, and scores higher the wider the fan.
    """

    name = "fan_out"
    title = N_("Fan-out")
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
    title = N_("Fan-in")
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
    title = N_("Gather-scatter")
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
                   "grp", _gather_scatter_kernel(cfg, self.currency), FINDING_COLUMNS),
        ]


def _gather_scatter_kernel(cfg: GatherScatterConfig, currency: str) -> Any:
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
            reason = N_(
                "Account %(account)s received %(got)s from %(senders)s accounts and paid "
                "%(sent)s (%(ratio)s) to %(receivers)s accounts within %(span)s (thresholds "
                "%(min_in)s in, %(min_out)s out, %(window)s hours)",
                account=subject, got=figure(got, currency), senders=n_in,
                sent=figure(sent, currency),
                ratio=f"{ratio:.0%}", receivers=n_out, span=duration(span),
                min_in=cfg.min_in, min_out=cfg.min_out, window=f"{cfg.window_hours:g}")
            rows = np.concatenate([gathered, outs])
            out.append(row(subject, score, [subject, *cpl[rows]], txl[rows], got, reason))
        return finding_rows(out)

    return kernel


@dataclass(frozen=True)
class SpreadFanInConfig:
    #: One-off payers (one payment to the account in the whole set) a window needs.
    min_payers: int = 4
    window_hours: float = 720.0
    #: A window is reported only if the account's own rate of one-off payers (outside
    #: the window, over its time in the set) would give one this full by chance at most
    #: this often in that time.
    max_chance: float = 0.001
    #: ... and if it holds at least this many times that usual number plus one (a busy
    #: account varies more than chance alone would say).
    min_burst: float = 3.0
    #: The account's time in the set (first to last payment received) must cover this
    #: many windows: over less, its own rate of one-off payers says nothing.
    min_history: float = 3.0
    #: Payments this many times smaller (or larger) than the account's usual receipts
    #: from its regular payers are fully out of character.
    amount_factor: float = 10.0
    exclude_kinds: tuple[str, ...] = HUB_KINDS


class SpreadFanIn(Detector):
    """Many one-off payers pay one account over weeks, unlike its own history.

    Collection accounts are not always filled in a burst: smurfs and victims may pay
    one at a time over several weeks, in small amounts, while the account goes on
    receiving from its regular payers. A window of days sees only one or two of
    them. This detector counts the payers that paid the account exactly once in the
    set, finds the window (30 days) with the most of them and reports it when the
    account's own rate of such payers outside the window would give that many by
    chance only rarely and the window holds three times that rate or more (a shop
    paid by new customers every day is not reported). An account seen for less than
    three windows has too little history to judge and is not reported.
    The score rises with the number of payers, with how rare the window is against
    that rate, with how much smaller their amounts are than what the account usually
    receives from its regular payers, and with the share of payers that pay nobody
    else.
    """

    name = "spread_fan_in"
    title = N_("Fan-in spread over weeks")
    config_type = SpreadFanInConfig

    def steps(self) -> Sequence[Step]:
        cfg: SpreadFanInConfig = self.config
        kinds = in_list(cfg.exclude_kinds)
        pairs = pair_summary(cfg.exclude_kinds)
        cand, payees = self.table("cand"), self.table("payees")
        ok = (f"x.source <> x.target AND x.src_kind NOT IN {kinds} "
              f"AND x.dst_kind NOT IN {kinds}")
        return [
            pairs,
            Sql(cand, f"SELECT target AS grp FROM {pairs.name} WHERE n = 1 GROUP BY target "
                      f"HAVING COUNT(*) >= {int(cfg.min_payers)}"),
            Sql(payees, f"SELECT source AS cp, COUNT(*) AS payees FROM {pairs.name} "
                        f"GROUP BY source"),
            Kernel(self.table("out"),
                   f"(SELECT x.target AS grp, x.source AS cp, x.t AS t, x.amount AS amount, "
                   f"x.txn_id AS txn_id, p.n AS n, q.payees AS cp_payees FROM txn x "
                   f"JOIN {pairs.name} p ON x.source = p.source AND x.target = p.target "
                   f"JOIN {payees} q ON x.source = q.cp "
                   f"WHERE {ok} AND x.target IN (SELECT grp FROM {cand}))",
                   "grp", _spread_fan_in_kernel(cfg, self.currency), FINDING_COLUMNS),
        ]


def spread_fan_in_score(payers: int, min_payers: int, chance: float, max_chance: float,
                        amount_ratio: float | None, amount_factor: float,
                        dedicated: float) -> float:
    """Score of a spread fan-in, from 0.25 up:

    - up to 0.15 for the number of payers (full at twice ``min_payers``);
    - up to 0.25 for how rare the window is against the account's own rate of one-off
      payers: nothing at ``max_chance``, full at 10,000 times rarer (or never);
    - up to 0.25 for how much smaller the payments are than what the account usually
      receives from its regular payers (full at ``amount_factor`` times smaller; larger
      payments count half: new clients paying a business more than its regular ones
      is common, strangers paying much less is how a collection account fills); nothing
      without regular payers to compare with (all its payers come once: a shop);
    - up to 0.1 for the share of payers that pay no other account.
    """
    size = min(1.0, payers / (2.0 * min_payers))
    floor = -math.log10(max_chance)
    rarity = 1.0 if chance <= 0 else max(0.0, min(1.0, (-math.log10(chance) - floor) / 4))
    if amount_ratio is None:
        off = 0.0
    else:
        off = min(1.0, abs(math.log(max(amount_ratio, 1e-12))) / math.log(amount_factor))
        off *= 1.0 if amount_ratio < 1 else 0.5
    return 0.25 + 0.15 * size + 0.25 * rarity + 0.25 * off + 0.1 * dedicated


def _spread_fan_in_kernel(cfg: SpreadFanInConfig, currency: str) -> Any:
    width = int(cfg.window_hours * HOUR)

    def kernel(pdf: pd.DataFrame) -> pd.DataFrame:
        if pdf.empty:
            return finding_rows([])
        pdf = sorted_group(pdf, "grp", "t", "txn_id")
        starts, ends = group_bounds(pdf["grp"])
        t = pdf["t"].to_numpy(np.int64)
        once = pdf["n"].to_numpy(np.int64) == 1
        amount = pdf["amount"].to_numpy(np.float64)
        alone = pdf["cp_payees"].to_numpy(np.int64) == 1
        cpl, txl, groups = pdf["cp"].to_numpy(), pdf["txn_id"].to_numpy(), pdf["grp"].to_numpy()
        out = []
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            rows = s + np.flatnonzero(once[s:e])  # one row per one-off payer, by time
            if len(rows) < cfg.min_payers:
                continue
            ot = t[rows]
            reach = np.searchsorted(ot, ot + width, side="right") - np.arange(len(ot))
            i = int(np.argmax(reach))
            k = int(reach[i])
            if k < cfg.min_payers:
                continue
            window = rows[i:i + k]
            others = len(rows) - k
            active = int(t[s:e].max() - t[s:e].min())
            if active < cfg.min_history * width:
                continue
            # One payer more than seen: none outside the window is no proof that the
            # account never hears from strangers (a rate of zero would make any window rare).
            usual = (others + 1) * width / max(width, active - width)
            chance = min(1.0, max(1.0, active / width) * poisson_tail(usual, k))
            if chance > cfg.max_chance or k < cfg.min_burst * (usual + 1):
                continue
            regular = s + np.flatnonzero(~once[s:e])
            got = float(np.median(amount[window]))
            usual_amount = float(np.median(amount[regular])) if len(regular) else None
            ratio = got / usual_amount if usual_amount else None
            dedicated = float(alone[window].mean())
            score = spread_fan_in_score(k, cfg.min_payers, chance, cfg.max_chance, ratio,
                                        cfg.amount_factor, dedicated)
            subject = str(groups[s])
            total = float(amount[window].sum())
            span = int(t[window[-1]] - t[window[0]])
            odds = N_("never") if chance == 0 else N_("about %(count)s times",
                                                      count=f"{chance:.1g}")
            if usual_amount is None:
                amounts = N_("it has no regular payers whose amounts these could be "
                             "compared with")
            else:
                amounts = N_("their median payment %(median)s is %(times)s times the median "
                             "%(usual)s it receives from its %(regular)s regular payers",
                             median=figure(got, currency), times=f"{got / usual_amount:.2g}",
                             usual=figure(usual_amount, currency),
                             regular=len(set(cpl[regular].tolist())))
            reason = N_(
                "Account %(account)s received one payment each from %(payers)s accounts that "
                "never paid it otherwise, within %(span)s (total %(total)s); at its own rate "
                "of such payers (%(others)s over %(days)s days, about %(usual)s per "
                "%(window)s hours) a window this full would happen by chance %(odds)s in its "
                "time; %(amounts)s; %(alone)s of the %(payers)s pay no other account "
                "(threshold %(threshold)s one-off payers in %(window)s hours)",
                account=subject, payers=k, span=duration(span), total=figure(total, currency),
                others=N_plural("%(count)s other", "%(count)s others", others, count=others),
                days=f"{active / 86_400:.0f}",
                usual=Number(usual, 1, group=False), window=f"{cfg.window_hours:g}",
                odds=odds, amounts=amounts, alone=int(alone[window].sum()),
                threshold=cfg.min_payers)
            out.append(row(subject, score, [subject, *cpl[window]], txl[window], total,
                           reason))
        return finding_rows(out)

    return kernel
