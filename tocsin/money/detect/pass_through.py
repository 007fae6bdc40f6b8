"""Rapid pass-through: mule accounts forwarding what they receive within hours."""
# ruff: noqa: S608 -- SQL is assembled from typed configs; literals go through in_list/repr.

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from tocsin.i18n import N_, N_plural
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
from tocsin.money.detect.paths import OFFSETS
from tocsin.money.findings import duration, figure

HOUR = 3600


@dataclass(frozen=True)
class PassThroughConfig:
    window_hours: float = 12.0
    #: Share of an incoming payment that must leave again within the window.
    ratio: float = 0.8
    #: Smallest incoming payment considered (pocket money is not laundering).
    min_amount: float = 1_000.0
    #: A forward to more accounts than this is a payout run, not a mule.
    max_receivers: int = 5
    exclude_kinds: tuple[str, ...] = ("merchant", "cash", "foreign", "crypto")


class RapidPassThrough(Detector):
    """An account forwards most of what it receives within hours.

    Money mules lend their account: a payment arrives and, within hours, almost
    all of it leaves again — to cash, abroad or to crypto. Incoming and outgoing
    payments are matched first-in, first-out within the window, so the reason
    states exactly which part of which payment moved on and how fast.
    """

    name = "pass_through"
    title = N_("Rapid pass-through")
    config_type = PassThroughConfig

    def steps(self) -> Sequence[Step]:
        cfg: PassThroughConfig = self.config
        kinds = in_list(cfg.exclude_kinds)
        width = int(cfg.window_hours * HOUR)
        bucket = f"CAST(FLOOR(t / {width}.0) AS BIGINT)"
        ins, near = self.table("in"), self.table("near")
        # Only incoming payments large enough to be a lot, and only outgoing
        # payments that leave within the window after one: nothing else can
        # change the FIFO matching, so the kernel sees far fewer rows.
        return [
            Sql(ins, f"SELECT target AS grp, source AS cp, 0 AS dir, t, amount, txn_id, "
                     f"{bucket} AS b FROM txn WHERE source <> target "
                     f"AND amount >= {cfg.min_amount!r} AND dst_kind NOT IN {kinds}"),
            Sql(near, f"SELECT DISTINCT o.txn_id, o.source AS grp FROM txn o JOIN "
                      f"(SELECT i.grp, i.t, i.b + x.k AS jb FROM {ins} i CROSS JOIN {OFFSETS} x) l "
                      f"ON o.source = l.grp AND CAST(FLOOR(o.t / {width}.0) AS BIGINT) = l.jb "
                      f"WHERE o.source <> o.target AND o.src_kind NOT IN {kinds} "
                      f"AND o.t >= l.t AND o.t <= l.t + {width}"),
            Kernel(self.table("out"),
                   f"(SELECT i.grp, i.cp, i.dir, i.t, i.amount, i.txn_id FROM {ins} i "
                   f"WHERE i.grp IN (SELECT grp FROM {near}) "
                   f"UNION ALL SELECT source AS grp, target AS cp, 1 AS dir, t, amount, txn_id "
                   f"FROM txn WHERE txn_id IN (SELECT txn_id FROM {near}))",
                   "grp", _kernel(cfg, self.currency), FINDING_COLUMNS),
        ]


def _kernel(cfg: PassThroughConfig, currency: str) -> Any:
    width = int(cfg.window_hours * HOUR)

    def kernel(pdf: pd.DataFrame) -> pd.DataFrame:
        if pdf.empty:
            return finding_rows([])
        # Incoming before outgoing at the same second: money must arrive to leave.
        pdf = sorted_group(pdf, "grp", "t", "dir", "txn_id")
        pdf = pdf[_candidates(pdf, width, cfg.min_amount)].reset_index(drop=True)
        starts, ends = group_bounds(pdf["grp"])
        # Plain lists: the FIFO loop reads them row by row.
        tl, dl, al = pdf["t"].tolist(), pdf["dir"].tolist(), pdf["amount"].tolist()
        cpl, txl, groups = pdf["cp"].tolist(), pdf["txn_id"].tolist(), pdf["grp"].tolist()
        out = []
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            found = _match(str(groups[s]), tl[s:e], dl[s:e], al[s:e], cpl[s:e], txl[s:e],
                           width, cfg, currency)
            if found is not None:
                out.append(found)
        return finding_rows(out)

    return kernel


def _candidates(pdf: pd.DataFrame, width: int, min_amount: float) -> np.ndarray:
    """Rows of groups where some outgoing follows a large incoming within the window."""
    t = pdf["t"].to_numpy(np.int64)
    is_in = (pdf["dir"].to_numpy() == 0) & (pdf["amount"].to_numpy() >= min_amount)
    codes = pd.factorize(pdf["grp"])[0]
    pos = np.where(is_in, np.arange(len(t)), -1)
    last_in = np.maximum.accumulate(pos) if len(pos) else pos
    ok_idx = last_in >= 0
    same = np.zeros(len(t), dtype=bool)
    same[ok_idx] = codes[last_in[ok_idx]] == codes[ok_idx]
    hit = same & (pdf["dir"].to_numpy() == 1)
    hit[hit] = t[hit] - t[last_in[hit]] <= width
    good = np.zeros(codes.max() + 1 if len(codes) else 0, dtype=bool)
    good[codes[hit]] = True
    return good[codes] if len(codes) else np.zeros(0, dtype=bool)


def _match(subject: str, tl: list[int], dl: list[int], al: list[float], cpl: list[Any],
           txl: list[Any], width: int, cfg: PassThroughConfig, currency: str
           ) -> dict[str, Any] | None:
    """FIFO-match outgoing to incoming payments that arrived at most ``width`` before.

    The lists are one account's rows sorted by time (incoming first at equal times).
    """
    lots: deque[list[Any]] = deque()  # [index, remaining, t]
    forwarded: dict[int, float] = {}
    outs: dict[int, list[int]] = {}
    for k in range(len(tl)):
        if dl[k] == 0:
            if al[k] >= cfg.min_amount:
                lots.append([k, al[k], tl[k]])
            continue
        while lots and tl[k] - lots[0][2] > width:
            lots.popleft()
        need = al[k]
        while need > 1e-9 and lots:
            lot = lots[0]
            take = min(need, lot[1])
            lot[1] -= take
            need -= take
            forwarded[lot[0]] = forwarded.get(lot[0], 0.0) + take
            outs.setdefault(lot[0], []).append(k)
            if lot[1] <= 1e-9:
                lots.popleft()
    passed = [i for i, f in forwarded.items() if f >= cfg.ratio * al[i]]
    passed = [i for i in passed if len({cpl[k] for k in outs[i]}) <= cfg.max_receivers]
    if not passed:
        return None
    out_rows = sorted({k for i in passed for k in outs[i]})
    received = sum(al[i] for i in passed)
    sent = sum(forwarded[i] for i in passed)
    delays = [max(tl[k] for k in outs[i]) - tl[i] for i in passed]
    share = sent / received
    # A mule sends on what it got: the payments out come to about the amount received.
    # Payments out much larger than that were paid from the account's own balance and
    # only happen to follow an incoming payment, so they count for less.
    paid_out = sum(al[k] for k in out_rows)
    match = min(received, paid_out) / max(received, paid_out)
    score = match * min(1.0, 0.45 + 0.35 * share + 0.05 * min(4, len(passed))
                        - 0.1 * (max(delays) / max(1, width)))
    reason = N_plural(
        "Account %(account)s received %(payments)s payment totalling %(received)s and "
        "forwarded %(sent)s (%(share)s) within %(span)s at most (window %(window)s hours, "
        "ratio %(ratio)s); those payments out total %(paid_out)s (the smaller of received and "
        "paid out is %(match)s of the larger)",
        "Account %(account)s received %(payments)s payments totalling %(received)s and "
        "forwarded %(sent)s (%(share)s) within %(span)s at most (window %(window)s hours, "
        "ratio %(ratio)s); those payments out total %(paid_out)s (the smaller of received and "
        "paid out is %(match)s of the larger)", len(passed),
        account=subject, payments=len(passed), received=figure(received, currency),
        sent=figure(sent, currency),
        share=f"{share:.0%}", span=duration(max(delays)), window=f"{cfg.window_hours:g}",
        ratio=f"{cfg.ratio:.0%}", paid_out=figure(paid_out, currency), match=f"{match:.0%}")
    cps = [cpl[k] for k in [*passed, *out_rows]]
    txns = [txl[k] for k in [*passed, *out_rows]]
    return row(subject, score, [subject, *cps], txns, received, reason)
