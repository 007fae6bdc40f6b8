"""Sliding time windows shared by the degree-based detectors."""

from __future__ import annotations

import math

import numpy as np


def rows_in_window(keys: np.ndarray, t: np.ndarray, width: int) -> np.ndarray:
    """For rows sorted by (group key code, t): how many rows of the same group lie
    in ``[t_i, t_i + width]``. Vectorised; an upper bound for distinct counts."""
    composite = keys.astype(np.int64) * np.int64(1 << 40) + t.astype(np.int64)
    hi = np.searchsorted(composite, composite + width, side="right")
    return hi - np.arange(len(t))


def best_window(t: np.ndarray, counterparty: np.ndarray, width: int) -> tuple[int, int, int]:
    """The window ``[t_i, t_i + width]`` with the most distinct counterparties.

    ``t`` is sorted. Returns ``(start, end, distinct)`` as row positions
    (``end`` exclusive); the earliest such window wins ties. Two pointers with
    a count per counterparty: linear in the number of rows.
    """
    counts: dict[int, int] = {}
    n = len(t)
    j = 0
    best = (0, 0, 0)
    tl = t.tolist()
    cl = counterparty.tolist()
    for i in range(n):
        limit = tl[i] + width
        while j < n and tl[j] <= limit:
            counts[cl[j]] = counts.get(cl[j], 0) + 1
            j += 1
        if len(counts) > best[2]:
            best = (i, j, len(counts))
        c = counts[cl[i]] - 1
        if c:
            counts[cl[i]] = c
        else:
            del counts[cl[i]]
    return best


def poisson_tail(mean: float, k: int) -> float:
    """P(X >= k) for X Poisson with ``mean`` (summed from k upwards, so tiny tails stay exact)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    term = math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1))
    total, i = 0.0, k
    while term > total * 1e-12 and i < k + 10_000:
        total += term
        i += 1
        term *= mean / i
    return min(1.0, total)
