"""Bipartite: a set of senders that all pay the same set of receivers."""
# ruff: noqa: S608 -- SQL is assembled from typed configs; literals go through in_list/repr.

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

from tocsin.i18n import N_
from tocsin.money.detect.base import (
    FINDING_COLUMNS,
    Kernel,
    RelativeFloor,
    Sql,
    Step,
    finding_rows,
    group_bounds,
    row,
    sorted_group,
)
from tocsin.money.detect.pairs import pair_summary
from tocsin.money.findings import duration, figure

HOUR = 3600


@dataclass(frozen=True)
class BipartiteConfig:
    min_senders: int = 3
    min_receivers: int = 2
    #: Receivers paid by more senders than this are hubs (a utility, a landlord).
    max_receiver_senders: int = 10
    max_sender_receivers: int = 10
    #: Pairs need a payment of ``min_amount``, or with ``amount_quantile`` set of the
    #: set's amount at that quantile if smaller (see :class:`RelativeFloor`; off by default
    #: as for ``scatter_gather``).
    min_amount: float = 500.0
    amount_quantile: float | None = None
    search_from: float | None = None
    #: The first payment of every sender-receiver pair falls within this window.
    window_hours: float = 168.0
    exclude_kinds: tuple[str, ...] = ("merchant", "cash", "foreign", "crypto")


class Bipartite(RelativeFloor):
    """Several accounts each pay exactly the same group of receivers.

    A complete sender-by-receiver block is rare in ordinary banking; it appears
    when a controller moves money from a pool of accounts to another pool
    (mules, shell companies) to blur who paid whom. Hubs such as utilities are
    left out, and the block must form within ``window_hours``.
    """

    name = "bipartite"
    title = N_("Bipartite")
    config_type = BipartiteConfig

    def steps(self) -> Sequence[Step]:
        c: BipartiteConfig = self.config
        summary = pair_summary(c.exclude_kinds)
        pairs, sigs = self.table("pairs"), self.table("sigs")
        return [
            summary,
            # Pairs with at least one payment of the floor.
            Sql(pairs, f"SELECT source, target FROM {summary.name} "
                       f"WHERE max_amount >= {self.floor!r}"),
            Kernel(
                sigs,
                f"(SELECT p.source AS grp, p.target FROM {pairs} p "
                f"JOIN (SELECT target FROM {pairs} GROUP BY target "
                f"HAVING COUNT(*) <= {int(c.max_receiver_senders)}) r ON p.target = r.target "
                f"JOIN (SELECT source FROM {pairs} GROUP BY source "
                f"HAVING COUNT(*) <= {int(c.max_sender_receivers)}) s ON p.source = s.source)",
                "grp",
                _signature_kernel(c),
                {"source": "string", "signature": "string"},
            ),
            Kernel(
                self.table("out"),
                f"(SELECT s.signature AS grp, s.source, t.target, t.txn_id, t.t, t.amount "
                f"FROM {sigs} s JOIN (SELECT signature FROM {sigs} GROUP BY signature "
                f"HAVING COUNT(*) >= {int(c.min_senders)}) g ON s.signature = g.signature "
                f"JOIN txn t ON t.source = s.source AND t.amount >= {self.floor!r})",
                "grp",
                _block_kernel(c, self.currency),
                FINDING_COLUMNS,
            ),
        ]


def _signature_kernel(cfg: BipartiteConfig) -> Any:
    def kernel(pdf: pd.DataFrame) -> pd.DataFrame:
        receivers: dict[str, set[str]] = {}
        for source, target in zip(pdf["grp"].tolist(), pdf["target"].tolist(), strict=True):
            receivers.setdefault(str(source), set()).add(str(target))
        kept = sorted((s, ",".join(sorted(r))) for s, r in receivers.items()
                      if len(r) >= cfg.min_receivers)
        return pd.DataFrame({"source": [s for s, _ in kept], "signature": [g for _, g in kept]},
                            columns=["source", "signature"])

    return kernel


def _block_kernel(cfg: BipartiteConfig, currency: str) -> Any:
    width = int(cfg.window_hours * HOUR)

    def kernel(pdf: pd.DataFrame) -> pd.DataFrame:
        if pdf.empty:
            return finding_rows([])
        pdf = sorted_group(pdf, "grp", "t", "txn_id")
        starts, ends = group_bounds(pdf["grp"])
        # Whole columns once; each block is then a slice (no per-group frames).
        grp, src, dst = pdf["grp"].tolist(), pdf["source"].tolist(), pdf["target"].tolist()
        tl, al, txl = pdf["t"].tolist(), pdf["amount"].tolist(), pdf["txn_id"].tolist()
        out = []
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            receivers = str(grp[s]).split(",")
            wanted = set(receivers)
            # Never empty: every receiver in a signature got a payment of the floor.
            rows = [k for k in range(s, e) if dst[k] in wanted]
            # Rows are in time order, so a pair's first row is its first payment.
            first: dict[tuple[str, str], int] = {}
            for k in rows:
                first.setdefault((src[k], dst[k]), tl[k])
            span = max(first.values()) - min(first.values())
            if span > width:
                continue
            senders = sorted({src[k] for k in rows})
            total = float(sum(al[k] for k in rows))
            score = min(1.0, 0.5 + 0.08 * len(senders) + 0.08 * len(receivers))
            reason = N_(
                "%(senders)s accounts each paid the same %(receivers)s accounts (%(payments)s "
                "payments, total %(total)s) within %(span)s; none of the receivers is a hub "
                "(at most %(most)s payers each)",
                senders=len(senders), receivers=len(receivers), payments=len(rows),
                total=figure(total, currency), span=duration(span), most=cfg.max_receiver_senders)
            out.append(row(senders[0], score, [*senders, *receivers], [txl[k] for k in rows],
                           total, reason))
        return finding_rows(out)

    return kernel
