"""Compiled loops of the feature kernels (numba); each is linear in its input."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _distinct(lo: np.ndarray, hi: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(len(lo), dtype=np.int64)
    counts = np.zeros(size, dtype=np.int64)
    a = 0
    b = 0
    distinct = 0
    for i in range(len(lo)):
        want_lo, want_hi = lo[i], hi[i]
        if want_lo >= b:
            # the new range starts after the current one: reset (monotone ranges)
            while a < b:
                counts[values[a]] -= 1
                a += 1
            distinct = 0
            a = want_lo
            b = want_lo
        while b < want_hi:
            v = values[b]
            if counts[v] == 0:
                distinct += 1
            counts[v] += 1
            b += 1
        while a < want_lo:
            v = values[a]
            counts[v] -= 1
            if counts[v] == 0:
                distinct -= 1
            a += 1
        out[i] = distinct
    return out


def distinct_in_ranges(lo: np.ndarray, hi: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For ranges ``[lo_i, hi_i)`` whose bounds never decrease: distinct values in each."""
    if not len(lo):
        return np.zeros(0, dtype=np.int64)
    size = int(values.max()) + 1 if len(values) else 1
    return np.asarray(_distinct(np.ascontiguousarray(lo, dtype=np.int64),
                                np.ascontiguousarray(hi, dtype=np.int64),
                                np.ascontiguousarray(values, dtype=np.int64), size))


@njit(cache=True, nogil=True)
def _range_sums(lo: np.ndarray, hi: np.ndarray, values: np.ndarray,
                group: np.ndarray) -> np.ndarray:
    # prefix sums that restart at every group, so a sum never depends on other groups
    prefix = np.empty(len(values), dtype=np.float64)
    start = np.empty(len(values), dtype=np.int64)
    run = 0.0
    for j in range(len(values)):
        if j == 0 or group[j] != group[j - 1]:
            run = 0.0
            start[j] = j
        else:
            start[j] = start[j - 1]
        run += values[j]
        prefix[j] = run
    out = np.zeros(len(lo), dtype=np.float64)
    for i in range(len(lo)):
        a, b = lo[i], hi[i]
        if b <= a:
            continue
        total = prefix[b - 1]
        if a > start[a]:
            total -= prefix[a - 1]
        out[i] = total
    return out


def range_sums(lo: np.ndarray, hi: np.ndarray, values: np.ndarray,
               group: np.ndarray) -> np.ndarray:
    """Sum of ``values[lo_i:hi_i]`` for ranges inside one group each."""
    if not len(lo):
        return np.zeros(0, dtype=np.float64)
    if not len(values):
        return np.zeros(len(lo), dtype=np.float64)
    return np.asarray(_range_sums(np.ascontiguousarray(lo, dtype=np.int64),
                                  np.ascontiguousarray(hi, dtype=np.int64),
                                  np.ascontiguousarray(values, dtype=np.float64),
                                  np.ascontiguousarray(group, dtype=np.int64)))
