"""Temporal cycles and stacks (layering), found by growing time-respecting paths.

A path continues from the account the previous payment reached, leaves it
after the previous payment arrived and within ``hop_hours``, stays within
``window_hours`` of the first payment, carries an amount comparable to the
previous one and never revisits an account. Growing the paths is a
:class:`~tocsin.money.detect.base.Paths` step (SQL joins on Spark, numpy on
the embedded engine, see :mod:`tocsin.money.detect.expand`); the kernels here
turn the paths into findings.
"""
# ruff: noqa: S608 -- SQL is assembled from typed configs; literals go through in_list/repr.

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

from tocsin.i18n import N_, Number
from tocsin.money.detect.base import (
    FINDING_COLUMNS,
    Detector,
    Kernel,
    PathConfig,
    Paths,
    RelativeFloor,
    Step,
    finding_rows,
    group_bounds,
    in_list,
    row,
    sorted_group,
)
from tocsin.money.detect.expand import OFFSETS
from tocsin.money.findings import duration, figure

__all__ = ["OFFSETS", "PATH_EXCLUDED_KINDS", "Cycle", "PathConfig", "Stack", "edges_sql"]

HOUR = 3600
#: Retail hubs and cash desks do not pass laundered money along a chain.
PATH_EXCLUDED_KINDS = ("merchant", "cash")


def edges_sql(cfg: PathConfig) -> str:
    """Payments that may be a hop, with their time bucket of width ``hop_hours``."""
    width = int(cfg.hop_hours * HOUR)
    kinds = in_list(cfg.exclude_kinds)
    return (
        f"SELECT txn_id, t, source, target, amount, CAST(FLOOR(t / {width}.0) AS BIGINT) AS b "
        f"FROM txn WHERE source <> target AND amount >= {cfg.min_amount!r} "
        f"AND src_kind NOT IN {kinds} AND dst_kind NOT IN {kinds}"
    )


@dataclass(frozen=True)
class CycleConfig:
    min_length: int = 3
    max_length: int = 10
    hop_hours: float = 48.0
    window_hours: float = 240.0
    #: Each hop carries at least this share of the previous one (fees are small).
    min_share: float = 0.8
    max_growth: float = 1.05
    #: Payments from the set's amount at ``amount_quantile`` are searched, never from
    #: more than ``min_amount`` (``search_from``, set when a run starts; see
    #: :class:`RelativeFloor`). A ring of payments below ``min_amount`` — of the set's
    #: everyday size — scores half: families and firms settling with each other make them.
    min_amount: float = 1_000.0
    amount_quantile: float | None = 0.5
    search_from: float | None = None
    #: A ring of fewer accounts scores half too: three people or firms paying each other
    #: round is common in ordinary life.
    flag_length: int = 4
    exclude_kinds: tuple[str, ...] = PATH_EXCLUDED_KINDS


class Cycle(RelativeFloor):
    """Money that travels through a ring of accounts back to where it started.

    Round-tripping makes funds look like legitimate income (a loan repaid, an
    invoice paid) and hides their origin. The detector follows payments
    forward in time, each within ``hop_hours`` of the previous one, carrying
    nearly the same amount, and reports rings of ``min_length`` to
    ``max_length`` accounts closed within ``window_hours``.
    """

    name = "cycle"
    title = N_("Temporal cycle")
    config_type = CycleConfig

    def path_config(self) -> PathConfig:
        c: CycleConfig = self.config
        return PathConfig(c.hop_hours, c.window_hours, c.min_share, c.max_growth,
                          self.floor, c.max_length, c.exclude_kinds)

    def steps(self) -> Sequence[Step]:
        cfg: CycleConfig = self.config
        pcfg = self.path_config()
        paths = Paths(self.table("paths"), edges_sql(pcfg), pcfg, closed=True,
                      min_hops=max(2, cfg.min_length))
        return [paths, Kernel(self.table("out"),
                              # one group: a ring found from each of its members is one
                              # ring, whatever its rotation
                              f"(SELECT 0 AS grp, origin, first_txn, t0, t_last, a0, "
                              f"amt_last, txns, nodes, hops FROM {paths.name})",
                              "grp", _cycle_kernel(cfg, self.currency), FINDING_COLUMNS)]


def canonical_ring(ring: Sequence[str]) -> tuple[str, ...]:
    """The ring's rotation that starts at its smallest account (the same for every
    rotation of the same ring)."""
    k = min(range(len(ring)), key=lambda i: ring[i])
    return tuple(ring[k:]) + tuple(ring[:k])


def _cycle_kernel(cfg: CycleConfig, currency: str) -> Any:
    def kernel(pdf: pd.DataFrame) -> pd.DataFrame:
        if pdf.empty:
            return finding_rows([])
        pdf = pdf.sort_values(["t0", "txns"], kind="stable")
        rings: dict[tuple[str, ...], list[Any]] = {}
        for r in pdf.itertuples(index=False):
            nodes = str(r.nodes).strip("|").split("|")[:-1]
            rings.setdefault(canonical_ring(nodes), []).append(r)
        out = []
        for ring, found in rings.items():
            r = found[0]  # the earliest time round decides the amounts
            txns = sorted({t for x in found for t in str(x.txns).split(",")})
            first, last = float(r.a0), float(r.amt_last)
            span = int(max(x.t_last for x in found) - r.t0)
            score = min(1.0, 0.6 + 0.05 * len(ring) + 0.2 * (last / first)
                        + 0.05 * (len(found) - 1))
            everyday = min(first, last) < cfg.min_amount  # found below the fixed floor
            # told from where the money left (the ring's key is only its smallest account)
            at = ring.index(str(r.origin))  # a path's nodes start at its origin
            told = ring[at:] + ring[:at]
            share, circle = f"{last / first:.0%}", " → ".join([*told, told[0]])
            if len(found) > 1:
                reason = N_(
                    "%(sent)s left account %(origin)s and %(back)s (%(share)s) came back "
                    "through %(others)s other accounts in %(span)s (along %(paths)s "
                    "time-respecting paths) (ring %(ring)s)",
                    sent=figure(first, currency), origin=r.origin,
                    back=figure(last, currency), share=share,
                    others=len(ring) - 1, span=duration(span), paths=len(found), ring=circle)
            else:
                reason = N_(
                    "%(sent)s left account %(origin)s and %(back)s (%(share)s) came back "
                    "through %(others)s other accounts in %(span)s (ring %(ring)s)",
                    sent=figure(first, currency), origin=r.origin,
                    back=figure(last, currency), share=share,
                    others=len(ring) - 1, span=duration(span), ring=circle)
            # rings ordinary life makes too are ranked at half their score, never flagging
            # alone: of everyday-size payments, or of few accounts
            before, after = Number(score, 2, group=False), Number(score / 2, 2, group=False)
            why = None
            if everyday:
                why = N_("Its payments are of the set's everyday size (down to below %(line)s): "
                         "a ring of them is also what families and firms settling with each "
                         "other make, so its score is halved (%(before)s to %(after)s).",
                         line=figure(cfg.min_amount, currency), before=before, after=after)
            elif len(ring) < cfg.flag_length:
                why = N_("A ring of %(count)s accounts is also what people and firms settling "
                         "with each other make, so its score is halved (%(before)s to "
                         "%(after)s).", count=len(ring), before=before, after=after)
            if why is not None:
                reason, score = N_("%(note)s %(more)s", note=reason, more=why), score / 2
            out.append(row(told[0], score, list(ring), txns, first, reason))
        return finding_rows(out)

    return kernel


@dataclass(frozen=True)
class StackConfig:
    min_hops: int = 3
    max_hops: int = 5
    min_paths: int = 2
    hop_hours: float = 48.0
    window_hours: float = 168.0
    #: Layers split and merge money, so a hop may carry a fraction or a multiple.
    min_share: float = 0.2
    max_growth: float = 4.0
    min_amount: float = 1_000.0
    exclude_kinds: tuple[str, ...] = PATH_EXCLUDED_KINDS


class Stack(Detector):
    """Money that passes through two or more layers of intermediaries.

    Layering puts distance between the proceeds and their source: the money
    is split across a first layer of accounts, passed to a second layer and
    recombined at the destination, each step within hours. The detector
    reports an origin and a destination joined by at least ``min_paths``
    time-respecting paths of ``min_hops`` or more payments, each through other
    accounts (payments repeated along the same accounts, as between firms that
    trade every week, are one path).
    """

    name = "stack"
    title = N_("Stack (layering)")
    config_type = StackConfig

    def steps(self) -> Sequence[Step]:
        c: StackConfig = self.config
        pcfg = PathConfig(c.hop_hours, c.window_hours, c.min_share, c.max_growth,
                          c.min_amount, c.max_hops, c.exclude_kinds)
        paths = Paths(self.table("paths"), edges_sql(pcfg), pcfg, closed=False,
                      min_hops=c.min_hops)
        return [paths, Kernel(self.table("out"),
                              f"(SELECT origin || '>' || node AS grp, origin, node, first_txn, "
                              f"a0, t0, t_last, txns, nodes, hops FROM {paths.name})",
                              "grp", _stack_kernel(c), FINDING_COLUMNS)]


def _stack_kernel(cfg: StackConfig) -> Any:
    def kernel(pdf: pd.DataFrame) -> pd.DataFrame:
        # Most origin-destination pairs have one path: drop them before the loop.
        pdf = pdf[pdf["grp"].map(pdf["grp"].value_counts()) >= cfg.min_paths]
        if pdf.empty:
            return finding_rows([])
        pdf = sorted_group(pdf, "grp", "t0", "txns")
        starts, ends = group_bounds(pdf["grp"])
        # Whole columns once; each origin-destination pair is then a slice.
        origins, ends_at = pdf["origin"].tolist(), pdf["node"].tolist()
        nodes, txn_lists = pdf["nodes"].tolist(), pdf["txns"].tolist()
        hops, t0, t_last = pdf["hops"].tolist(), pdf["t0"].tolist(), pdf["t_last"].tolist()
        first_txn, a0 = pdf["first_txn"].tolist(), pdf["a0"].tolist()
        out = []
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            origin, end = str(origins[s]), str(ends_at[s])
            n_paths = len({str(nodes[k]) for k in range(s, e)})  # routes through accounts
            if n_paths < cfg.min_paths:
                continue
            middles = {n for k in range(s, e) for n in str(nodes[k]).strip("|").split("|")}
            middles -= {origin, end}
            txns = {tx for k in range(s, e) for tx in str(txn_lists[k]).split(",")}
            layers = int(max(hops[s:e])) - 1
            span = int(max(t_last[s:e]) - min(t0[s:e]))
            score = min(1.0, 0.5 + 0.1 * min(3, n_paths - 1) + 0.1 * min(2, layers - 1))
            reason = N_(
                "Money from account %(origin)s reached account %(end)s along %(paths)s paths "
                "through %(middles)s intermediary accounts in up to %(layers)s layers within "
                "%(span)s", origin=origin, end=end, paths=n_paths, middles=len(middles),
                layers=layers, span=duration(span))
            # Paths that share their first payment sent that money once.
            sent = float(sum({first_txn[k]: a0[k] for k in range(s, e)}.values()))
            out.append(row(origin, score, [origin, end, *middles], txns, sent, reason))
        return finding_rows(out)

    return kernel
