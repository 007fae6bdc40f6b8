"""The per-pair summary several detectors start from, computed once per engine."""
# ruff: noqa: S608 -- SQL is assembled from typed configs; literals go through in_list.

from __future__ import annotations

from tocsin.money.detect.base import Sql, in_list, shared


def pair_summary(exclude_kinds: tuple[str, ...]) -> Sql:
    """Per (payer, payee) outside the excluded kinds: the number of payments, their
    time spread and the largest amount.

    Fan-out, fan-in, gather-scatter and bipartite read it; with the same
    excluded kinds it is one shared step, so ``txn`` is aggregated once.
    """
    kinds = in_list(exclude_kinds)
    return shared(
        "SELECT source, target, COUNT(*) AS n, MAX(t) - MIN(t) AS spread, "
        "MAX(amount) AS max_amount FROM txn "
        f"WHERE source <> target AND src_kind NOT IN {kinds} AND dst_kind NOT IN {kinds} "
        "GROUP BY source, target")
