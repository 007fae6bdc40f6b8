"""Transaction-level graph features (graph-feature preprocessing, GFP style).

Every transaction gets numbers that describe its place in the payment graph,
so a gradient-boosted model can learn laundering shapes that carry over from
one data set to another. Definitions (``W`` is each of the windows
``windows_hours``; a *side* is the paying account for ``src_…`` features, the
receiving account for ``dst_…``):

Per side (computed from that account's payments only, so any partitioning by
account gives the same values):

- ``{side}_{in|out}_n_{W}h``: the account's incoming / outgoing payments with
  a time in ``[t - W, t + W]``; ``{side}_{in|out}_cp_{W}h``: how many distinct
  counterparties they have (fan-in / fan-out degree); ``{side}_gs_{W}h`` the
  smaller of the two distinct counts (gather-scatter);
- ``{side}_{in|out}_cp_all``: distinct counterparties over the whole set;
- ``dst_fwd_ratio`` / ``dst_fwd_delay_h``: of this payment, the share the
  receiver sends on within ``forward_hours`` (its outgoing amounts in
  ``[t, t + forward_hours]`` over this amount, at most 5), and the hours until
  its next outgoing payment (at most ``max_delay_hours``);
  ``src_back_ratio`` / ``src_back_delay_h`` the same backwards for the
  payer: what it received within ``forward_hours`` before paying;
- ``{side}_amt_rel``: log of the amount minus the log of the side's median
  amount in the same direction (how unusual the amount is for that account);
  ``{side}_amt_dev`` its absolute value (unusual either way);
- ``{side}_pair_n``: payments between the two accounts in this direction;
  ``{side}_pair_first``: 1 when none of them is earlier; ``{side}_pair_cv``:
  coefficient of variation of their amounts; ``{side}_{in|out}_once_{W}h``: of
  the side's payments in the window, how many go to (come from) a counterparty
  it deals with only that once in this direction (one-off counterparties);
  ``{side}_repeat_share``: share of the side's payments in this direction that
  go to counterparties it paid (or was paid by) more than once;
- ``{side}_cross_cur``: 1 when the payment's currency is not the side's own
  (the currency it pays in most; ties go to the first code alphabetically);
  ``{side}_n_cur``: currencies the side's payments are in;
- ``{side}_chan_share``: share of the side's payments in this payment format;
  ``{side}_cash_share``: share of its payments in cash;
- ``{side}_near_thr``: cash deposits into the side at 80-100 % of the
  deposit currency's reporting threshold within ``structuring_days`` days.

Per transaction:

- ``log_amount``; ``amount_pct_cur``: percent rank of the original amount
  among payments in the same currency; ``round_amount``; ``self_transfer``;
  ``cash``; ``near_thr`` (this is a cash payment at 80-100 % of its
  currency's threshold); ``channel`` (index in :data:`CHANNELS`);
- ``cycle_n`` / ``cycle_len``: time-respecting cycles of 2 … ``cycle_max_len``
  payments through this payment (each hop within ``cycle_hop_hours`` of the
  previous, carrying 50-110 % of it, all within ``cycle_window_hours``; hubs
  excluded) and the shortest one's length;
- ``sg_mids``: the most distinct intermediaries between the payer (or the
  payer of the payer) and one destination, over two hops within
  ``forward_hours`` each (scatter-gather).

Hubs are accounts with more than ``hub_counterparties`` distinct
counterparties; they do not carry paths (cycles, scatter-gather).
"""
# ruff: noqa: S608 -- SQL is assembled from typed configs.

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from tocsin.errors import InputError

HOUR = 3600
DAY = 24 * HOUR

#: Payment formats the model knows by name (AMLworld, the synthetic sets, goAML-ish).
CHANNELS = ("ACH", "Wire", "Cheque", "Credit Card", "Cash", "Bitcoin", "Reinvestment",
            "transfer", "card", "cash", "standing_order", "wire", "crypto")
THRESHOLDS_FILE = Path(__file__).resolve().parent.parent / "data" / "thresholds.yaml"


@dataclass(frozen=True)
class FeatureConfig:
    windows_hours: tuple[int, ...] = (24, 168, 720)
    forward_hours: int = 48
    max_delay_hours: int = 720
    structuring_days: int = 10
    near_threshold: float = 0.8
    cycle_hop_hours: int = 168
    cycle_window_hours: int = 720
    cycle_max_len: int = 10
    cycle_cap: int = 50
    hub_counterparties: int = 200


DEFAULT = FeatureConfig()


def side_names(cfg: FeatureConfig = DEFAULT) -> list[str]:
    """Feature names of one side, without the ``src_`` / ``dst_`` prefix."""
    names = []
    for w in cfg.windows_hours:
        names += [f"in_n_{w}h", f"out_n_{w}h", f"in_cp_{w}h", f"out_cp_{w}h", f"gs_{w}h",
                  f"in_once_{w}h", f"out_once_{w}h"]
    return [*names, "in_cp_all", "out_cp_all", "fwd_ratio", "fwd_delay_h", "back_ratio",
            "back_delay_h", "amt_rel", "amt_dev", "pair_n", "pair_first", "pair_cv", "repeat_share",
            "cross_cur", "n_cur", "chan_share", "cash_share", "near_thr"]


#: Side features that belong to only one side (the others get both prefixes).
ONLY_DST = ("fwd_ratio", "fwd_delay_h")
ONLY_SRC = ("back_ratio", "back_delay_h")
TXN_FEATURES = ("log_amount", "amount_pct_cur", "round_amount", "self_transfer", "cash",
                "near_thr", "channel", "cycle_n", "cycle_len", "sg_mids")


def feature_names(cfg: FeatureConfig = DEFAULT) -> list[str]:
    """Every feature column, in the order models read them."""
    out = list(TXN_FEATURES)
    for side in ("src", "dst"):
        skip = ONLY_DST if side == "src" else ONLY_SRC
        out += [f"{side}_{n}" for n in side_names(cfg) if n not in skip]
    return out


# --------------------------------------------------------------------------- thresholds


@cache
def _load_thresholds(path: str) -> dict[str, float]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError.single(path, f"cannot read the threshold table: {exc}") from exc
    table = data.get("thresholds") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise InputError.single(path, "expected a mapping 'thresholds: {CUR: {amount: …}}'")
    out = {}
    for code, entry in table.items():
        amount = entry.get("amount") if isinstance(entry, dict) else entry
        if not isinstance(amount, int | float) or amount <= 0:
            raise InputError.single(f"{path}: thresholds.{code}.amount",
                                    "must be a positive number")
        out[str(code).upper()] = float(amount)
    return out


def thresholds(path: Path | None = None) -> dict[str, float]:
    """Cash reporting threshold per currency, in that currency (``data/thresholds.yaml``)."""
    return dict(_load_thresholds(str(path or THRESHOLDS_FILE)))


# --------------------------------------------------------------------------- SQL parts


def flows_sql() -> str:
    """Every payment between two different accounts, once from each side."""
    cols = "txn_id, t, amount, amount_orig, currency_orig AS currency, channel"
    return (
        f"SELECT {cols}, source AS account, target AS cp, 1 AS dir FROM txn "
        "WHERE source <> target UNION ALL "
        f"SELECT {cols}, target AS account, source AS cp, 0 AS dir FROM txn "
        "WHERE source <> target"
    )


def hubs_sql(cfg: FeatureConfig) -> str:
    return (
        "SELECT account FROM (SELECT source AS account, target AS cp FROM txn "
        "UNION SELECT target AS account, source AS cp FROM txn) x "
        f"GROUP BY account HAVING COUNT(*) > {int(cfg.hub_counterparties)}"
    )


def path_edges_sql(cfg: FeatureConfig, hubs: str) -> str:
    """Payments that may carry a path: no self-payments, no hubs (a bank's cash desk is a
    hub; account holders who use cash are not excluded)."""
    width = int(cfg.cycle_hop_hours * HOUR)
    return (
        f"SELECT txn_id, t, source, target, amount, CAST(FLOOR(t / {width}.0) AS BIGINT) AS b "
        "FROM txn WHERE source <> target AND amount > 0 "
        f"AND source NOT IN (SELECT account FROM {hubs}) "
        f"AND target NOT IN (SELECT account FROM {hubs})"
    )


def currency_rank_sql() -> str:
    return ("SELECT txn_id, PERCENT_RANK() OVER (PARTITION BY currency_orig "
            "ORDER BY amount_orig) AS amount_pct_cur FROM txn")


def scatter_gather_sql(cfg: FeatureConfig, edges: str) -> str:
    """Per payment, the most distinct intermediaries between an origin and one destination."""
    width = int(cfg.forward_hours * HOUR)
    two = (
        "SELECT a.txn_id AS t1, b.txn_id AS t2, a.source AS o, a.target AS m, b.target AS d "
        f"FROM {edges} a JOIN {edges} b ON a.target = b.source "
        f"WHERE b.t >= a.t AND b.t <= a.t + {width} AND b.target <> a.source"
    )
    pairs = (f"SELECT o, d, COUNT(DISTINCT m) AS mids FROM ({two}) x GROUP BY o, d "
             "HAVING COUNT(DISTINCT m) >= 2")
    # each two-hop path once per hop (k = 1, 2), not a UNION of two copies of the join
    return (
        "SELECT CASE WHEN k.k = 1 THEN w.t1 ELSE w.t2 END AS txn_id, MAX(p.mids) AS sg_mids "
        f"FROM ({two}) w JOIN ({pairs}) p ON w.o = p.o AND w.d = p.d "
        "CROSS JOIN (SELECT 1 AS k UNION ALL SELECT 2 AS k) k "
        "GROUP BY CASE WHEN k.k = 1 THEN w.t1 ELSE w.t2 END"
    )


def cycle_path_config(cfg: FeatureConfig) -> Any:
    from tocsin.money.detect.base import PathConfig

    return PathConfig(hop_hours=cfg.cycle_hop_hours, window_hours=cfg.cycle_window_hours,
                      min_share=0.5, max_growth=1.1, min_amount=0.0,
                      max_hops=cfg.cycle_max_len, exclude_kinds=("cash",))


# --------------------------------------------------------------------------- side kernel


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes in the sorted order of the distinct values (the same on every engine)."""
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, inverse.astype(np.int64)


@dataclass
class SideInput:
    """One row per (payment, side): the account, its counterparty and the payment."""

    account: np.ndarray  # int64 codes
    cp: np.ndarray  # int64 codes
    dir: np.ndarray  # 1 out, 0 in
    t: np.ndarray  # int64 seconds
    amount: np.ndarray  # float64, base currency
    currency: np.ndarray  # int64 codes, sorted by currency name
    channel: np.ndarray  # int64 codes, sorted by channel name
    cash: np.ndarray  # bool: a cash payment
    near: np.ndarray  # bool: a cash payment at 80-100 % of its currency's threshold

    def take(self, rows: np.ndarray | slice) -> SideInput:
        return SideInput(**{k: getattr(self, k)[rows] for k in SIDE_FIELDS})


SIDE_FIELDS = ("account", "cp", "dir", "t", "amount", "currency", "channel", "cash", "near")


def cash_flags(channel_names: np.ndarray, channel: np.ndarray, currency_names: np.ndarray,
               currency: np.ndarray, amount_orig: np.ndarray, table: dict[str, float],
               near_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Which payments are cash, and which are cash at 80-100 % of their currency's threshold."""
    is_cash = np.array([str(c).lower() == "cash" for c in channel_names.tolist()], dtype=bool)
    thr = np.array([table.get(str(c).upper(), math.inf) for c in currency_names.tolist()],
                   dtype=np.float64)
    cash = is_cash[channel] if len(channel) else np.zeros(0, bool)
    limit = thr[currency] if len(currency) else np.zeros(0)
    near = cash & (amount_orig >= near_share * limit) & (amount_orig < limit)
    return cash, near


def side_order(x: SideInput) -> np.ndarray:
    """Rows by account, time and amount: sums then add in the same order on every engine."""
    return np.lexsort((x.amount, x.t, x.account))


def side_features(x: SideInput, cfg: FeatureConfig = DEFAULT) -> dict[str, np.ndarray]:
    """The side features of every row (see the module docstring); rows keep their order.

    Only rows of the same account are ever compared, so the result of a row does
    not depend on which other accounts are in the input.
    """
    order = side_order(x)
    res = sorted_side_features(x.take(order), cfg)
    back = np.empty(len(order), dtype=np.int64)
    back[order] = np.arange(len(order))
    return {name: res[name][back] for name in side_names(cfg)}


def side_blocks(x: SideInput, rows: int, order: np.ndarray | None = None
                ) -> list[np.ndarray]:
    """The rows in :func:`side_order` (or ``order``, rows sorted the same way), cut into
    blocks of about ``rows`` that never split an account (each block can go to
    :func:`sorted_side_features` on its own)."""
    order = side_order(x) if order is None else order
    if len(order) <= rows:
        return [order]
    acc = x.account[order]
    cuts = [0]
    while cuts[-1] + rows < len(order):
        # the first row of the account after the block's last row
        at = int(np.searchsorted(acc, acc[cuts[-1] + rows - 1], "right"))
        if at >= len(order):
            break
        cuts.append(at)
    cuts.append(len(order))
    return [order[a:b] for a, b in itertools.pairwise(cuts) if b > a]


def sorted_side_features(x: SideInput, cfg: FeatureConfig = DEFAULT) -> dict[str, np.ndarray]:
    """:func:`side_features` of rows already in :func:`side_order`, in that order.

    The order of rows equal in account, time and amount does not change any value:
    sums over them add equal amounts or whole numbers.
    """
    from tocsin.money.features import kernels

    n = len(x.t)
    if not n:
        return {name: np.zeros(0) for name in side_names(cfg)}
    acc = x.account - x.account[0]  # codes from 0 within these rows: small count tables
    n_acc = int(acc[-1]) + 1
    t, d, amount, cp = x.t, x.dir, x.amount, x.cp
    t_min = int(t.min())
    span = int(t.max()) - t_min + 1
    t_rel = t - t_min
    res: dict[str, np.ndarray] = {}
    # pairs (account, direction, counterparty): a stable sort keeps each pair's rows in time
    grp = acc * 2 + d
    ncp = int(cp.max()) + 1
    pair_key = grp * ncp + cp
    by_pair = np.argsort(pair_key, kind="stable")
    sorted_key = pair_key[by_pair]
    new = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
    starts = np.flatnonzero(new)
    pair_inv = np.empty(n, dtype=np.int64)
    pair_inv[by_pair] = np.cumsum(new) - 1
    pair_count = np.diff(np.r_[starts, n])
    first_t = t[by_pair[starts]]
    pairs_of = np.bincount(sorted_key[starts] // ncp, minlength=2 * n_acc)
    del by_pair, sorted_key, new, pair_key
    row_pairs = pair_count[pair_inv]
    once = (row_pairs == 1).astype(np.float64)
    key_all = acc * span + t_rel
    base = acc * span
    keys: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for direction, label in ((0, "in"), (1, "out")):
        mask = d == direction
        key_d = key_all[mask]  # sorted: acc, then t
        cp_d, acc_d, once_d = cp[mask], acc[mask], once[mask]
        for w in cfg.windows_hours:
            width = w * HOUR
            lo = kernels.search_sorted(key_d, base + np.maximum(t_rel - width, 0), "left")
            hi = kernels.search_sorted(key_d, base + np.minimum(t_rel + width, span - 1),
                                       "right")
            res[f"{label}_n_{w}h"] = (hi - lo).astype(np.float64)
            res[f"{label}_cp_{w}h"] = kernels.distinct_in_ranges(lo, hi, cp_d).astype(np.float64)
            res[f"{label}_once_{w}h"] = kernels.range_sums(lo, hi, once_d, acc_d)
        keys[direction] = (key_d, amount[mask])
        # distinct counterparties over the whole set, per account
        res[f"{label}_cp_all"] = pairs_of[acc * 2 + direction].astype(np.float64)
    for w in cfg.windows_hours:
        res[f"gs_{w}h"] = np.minimum(res[f"in_cp_{w}h"], res[f"out_cp_{w}h"])
    # forward (receiver sends on) and backward (payer was funded) within forward_hours
    fw = cfg.forward_hours * HOUR

    def ahead(width: int) -> np.ndarray:
        return np.asarray(base + np.minimum(t_rel + width, span - 1))

    def behind(width: int) -> np.ndarray:
        return np.asarray(base + np.maximum(t_rel - width, 0))

    in_key, in_amt = keys[0]
    out_key, out_amt = keys[1]
    lo = kernels.search_sorted(out_key, key_all, "left")
    hi = kernels.search_sorted(out_key, ahead(fw), "right")
    fwd_sum = kernels.range_sums(lo, hi, out_amt, out_key // span)
    nxt = lo
    max_delay = float(cfg.max_delay_hours)
    has_next = nxt < len(out_key)
    nxt_key = np.where(has_next, out_key[np.minimum(nxt, max(len(out_key) - 1, 0))]
                       if len(out_key) else 0, -1)
    same_acc = has_next & (nxt_key // span == acc)
    delay = np.where(same_acc, (nxt_key - key_all) / HOUR, max_delay)
    res["fwd_ratio"] = np.minimum(np.divide(fwd_sum, amount, out=np.zeros(n),
                                            where=amount > 0), 5.0)
    res["fwd_delay_h"] = np.minimum(delay, max_delay)
    lo = kernels.search_sorted(in_key, behind(fw), "left")
    hi = kernels.search_sorted(in_key, key_all, "right")
    back_sum = kernels.range_sums(lo, hi, in_amt, in_key // span)
    prev = hi - 1
    prev_key = in_key[np.maximum(prev, 0)] if len(in_key) else np.zeros(n, np.int64)
    has_prev = (prev >= 0) & (prev_key // span == acc) if len(in_key) else np.zeros(n, bool)
    res["back_ratio"] = np.minimum(np.divide(back_sum, amount, out=np.zeros(n),
                                             where=amount > 0), 5.0)
    res["back_delay_h"] = np.minimum(np.where(has_prev, (key_all - prev_key) / HOUR,
                                              max_delay), max_delay)
    # amount against the side's median in the same direction
    log_amt = np.log1p(np.maximum(amount, 0.0))
    res["amt_rel"] = log_amt - kernels.medians(acc, d, log_amt)
    res["amt_dev"] = np.abs(res["amt_rel"])
    res["pair_n"] = row_pairs.astype(np.float64)
    res["pair_first"] = (first_t[pair_inv] == t).astype(np.float64)
    s1 = np.bincount(pair_inv, weights=amount)
    s2 = np.bincount(pair_inv, weights=amount * amount)
    mean = s1 / pair_count
    var = np.maximum(s2 / pair_count - mean * mean, 0.0)
    cv = np.divide(np.sqrt(var), mean, out=np.zeros_like(mean), where=mean > 0)
    res["pair_cv"] = np.where(row_pairs > 1, cv[pair_inv], np.nan)
    res["repeat_share"] = _group_mean(grp, (row_pairs > 1).astype(np.float64), 2 * n_acc)
    # currencies: the side's own currency is the one it pays in most (all rows if it never pays)
    cur = x.currency
    ncur = int(cur.max()) + 1
    acc_cur = acc * ncur + cur
    all_cur = np.bincount(acc_cur, minlength=n_acc * ncur).reshape(n_acc, ncur)
    paid_cur = np.bincount(acc_cur, weights=(d == 1).astype(np.float64),
                           minlength=n_acc * ncur).reshape(n_acc, ncur)
    pays = paid_cur.sum(axis=1) > 0
    # the most frequent; argmax takes the first of equals: the smallest code
    own = np.where(pays, np.argmax(paid_cur, axis=1), np.argmax(all_cur, axis=1))
    res["cross_cur"] = (cur != own[acc]).astype(np.float64)
    res["n_cur"] = (all_cur > 0).sum(axis=1)[acc].astype(np.float64)
    del all_cur, paid_cur
    chan = x.channel
    nch = int(chan.max()) + 1
    acc_chan = acc * nch + chan
    per_acc = np.bincount(acc, minlength=n_acc)
    res["chan_share"] = np.bincount(acc_chan, minlength=n_acc * nch)[acc_chan] / per_acc[acc]
    res["cash_share"] = _group_mean(acc, x.cash.astype(np.float64), n_acc)
    # near-threshold cash deposits into the side within structuring_days
    near_key = key_all[x.near & (d == 0)]
    width = cfg.structuring_days * DAY
    res["near_thr"] = (kernels.search_sorted(near_key, ahead(width), "right")
                       - kernels.search_sorted(near_key, behind(width), "left")
                       ).astype(np.float64)
    return res


def _group_mean(grp: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Per row, the mean of ``values`` over the rows of its group (codes below ``size``)."""
    sums = np.bincount(grp, weights=values, minlength=size)
    counts = np.bincount(grp, minlength=size)
    return np.asarray(np.divide(sums, counts, out=np.zeros(size), where=counts > 0)[grp])


def cycle_counts(paths_txns: list[str], cap: int) -> dict[str, tuple[int, int]]:
    """Per transaction id: cycles through it (at most ``cap``) and the shortest length."""
    out: dict[str, tuple[int, int]] = {}
    for text in paths_txns:
        ids = text.split(",")
        length = len(ids)
        for i in ids:
            n, best = out.get(i, (0, 0))
            out[i] = (min(cap, n + 1), length if best == 0 else min(best, length))
    return out
