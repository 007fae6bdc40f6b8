"""Compiled loops of the feature kernels (numba); each is linear in its input."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

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


# --------------------------------------------------------------------------- paths
#
# Both kernels read path edges sorted by (source, time, position) with ``first[a]`` …
# ``first[a + 1]`` the edges of account ``a``; they give the values of the SQL joins in
# ``base.scatter_gather_sql`` and of the per-hop path expansion, without building paths.


@njit(cache=True, nogil=True)
def _lower(t: np.ndarray, lo: int, hi: int, value: int) -> int:
    """First position in ``t[lo:hi]`` (ascending) whose time is >= ``value``."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if t[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def _cycles(src: np.ndarray, dst: np.ndarray, t: np.ndarray, amount: np.ndarray,
            first: np.ndarray, start: int, stop: int, width: int, total: int,
            min_share: float, max_growth: float, max_hops: int, count: np.ndarray,
            shortest: np.ndarray) -> None:
    hop = np.empty(max_hops, dtype=np.int64)  # edge of each hop
    nodes = np.empty(max_hops + 1, dtype=np.int64)  # nodes[0] is the origin
    pos = np.empty(max_hops + 1, dtype=np.int64)  # next continuation to try, per depth
    end = np.empty(max_hops + 1, dtype=np.int64)
    for e0 in range(start, stop):
        if max_hops < 2:
            break
        origin = src[e0]
        hop[0] = e0
        nodes[0] = origin
        nodes[1] = dst[e0]
        t0 = t[e0]
        depth = 1  # hops in the path
        a = dst[e0]
        pos[1] = _lower(t, first[a], first[a + 1], t0)
        end[1] = _lower(t, pos[1], first[a + 1], min(t0 + width, t0 + total) + 1)
        while depth >= 1:
            if pos[depth] >= end[depth]:
                depth -= 1
                continue
            e = pos[depth]
            pos[depth] += 1
            previous = amount[hop[depth - 1]]
            if not (amount[e] >= previous * min_share and amount[e] <= previous * max_growth):
                continue
            target = dst[e]
            if target == origin:  # closed: depth + 1 payments
                length = depth + 1
                for j in range(depth):
                    count[hop[j]] += 1
                    if shortest[hop[j]] == 0 or length < shortest[hop[j]]:
                        shortest[hop[j]] = length
                count[e] += 1
                if shortest[e] == 0 or length < shortest[e]:
                    shortest[e] = length
                continue
            seen = False
            for j in range(depth + 1):
                if nodes[j] == target:
                    seen = True
                    break
            if seen or depth + 1 >= max_hops:
                continue
            hop[depth] = e
            nodes[depth + 1] = target
            depth += 1
            until = min(t[e] + width, t0 + total)
            pos[depth] = _lower(t, first[target], first[target + 1], t[e])
            end[depth] = _lower(t, pos[depth], first[target + 1], until + 1)


def cycles(src: np.ndarray, dst: np.ndarray, t: np.ndarray, amount: np.ndarray,
           first: np.ndarray, width: int, total: int, min_share: float, max_growth: float,
           max_hops: int, threads: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Per edge: the closed time-respecting paths of 2 … ``max_hops`` edges through it
    (each hop leaves where the previous arrived, within ``width`` seconds of it and
    ``total`` of the first, carrying ``min_share`` … ``max_growth`` of the previous
    amount, visiting no account twice) and the length of the shortest; edges sorted
    by (source, time), ``first`` the offsets of each source's edges."""
    n = len(src)
    args = (np.ascontiguousarray(src, np.int64), np.ascontiguousarray(dst, np.int64),
            np.ascontiguousarray(t, np.int64), np.ascontiguousarray(amount, np.float64),
            np.ascontiguousarray(first, np.int64))
    cuts = np.linspace(0, n, max(1, threads) + 1).astype(np.int64)
    parts = [(np.zeros(n, np.int64), np.zeros(n, np.int64)) for _ in range(len(cuts) - 1)]

    def run(i: int) -> None:
        _cycles(*args, int(cuts[i]), int(cuts[i + 1]), int(width), int(total),
                float(min_share), float(max_growth), int(max_hops), parts[i][0], parts[i][1])

    _in_threads(run, len(parts))
    count, shortest = parts[0]
    for c, s in parts[1:]:
        count += c
        both = (shortest > 0) & (s > 0)
        shortest = np.where(both, np.minimum(shortest, s), np.maximum(shortest, s))
    return count, shortest


@njit(cache=True, nogil=True)
def _scatter_gather(src: np.ndarray, dst: np.ndarray, t: np.ndarray, first: np.ndarray,
                    start: int, stop: int, width: int, out: np.ndarray) -> None:
    size = 1024
    mid = np.empty(size, dtype=np.int64)
    dest = np.empty(size, dtype=np.int64)
    e1s = np.empty(size, dtype=np.int64)
    e2s = np.empty(size, dtype=np.int64)
    for o in range(start, stop):
        k = 0
        for e1 in range(first[o], first[o + 1]):
            m = dst[e1]
            lo = _lower(t, first[m], first[m + 1], t[e1])
            hi = _lower(t, lo, first[m + 1], t[e1] + width + 1)
            for e2 in range(lo, hi):
                d = dst[e2]
                if d == o:
                    continue
                if k == size:
                    size *= 2
                    mid = _grown(mid, size)
                    dest = _grown(dest, size)
                    e1s = _grown(e1s, size)
                    e2s = _grown(e2s, size)
                mid[k] = m
                dest[k] = d
                e1s[k] = e1
                e2s[k] = e2
                k += 1
        if k < 2:
            continue
        # distinct intermediaries per destination: sort the paths by (destination, mid)
        order = np.argsort(dest[:k] * (len(first) - 1) + mid[:k])
        g = 0
        while g < k:
            d = dest[order[g]]
            h = g
            mids = 0
            last = -1
            while h < k and dest[order[h]] == d:
                if mid[order[h]] != last:
                    mids += 1
                    last = mid[order[h]]
                h += 1
            if mids >= 2:
                for j in range(g, h):
                    p = order[j]
                    if mids > out[e1s[p]]:
                        out[e1s[p]] = mids
                    if mids > out[e2s[p]]:
                        out[e2s[p]] = mids
            g = h


@njit(cache=True, nogil=True)
def _grown(a: np.ndarray, size: int) -> np.ndarray:
    b = np.empty(size, dtype=a.dtype)
    b[:len(a)] = a
    return b


def scatter_gather(src: np.ndarray, dst: np.ndarray, t: np.ndarray, first: np.ndarray,
                   width: int, threads: int = 2) -> np.ndarray:
    """Per edge: the most distinct intermediaries ``m`` of a two-hop path ``o -> m -> d``
    (``d`` not ``o``, the second hop within ``width`` seconds after the first) through
    it, counted per (``o``, ``d``) and kept when at least two; 0 otherwise."""
    n = len(src)
    accounts = len(first) - 1
    args = (np.ascontiguousarray(src, np.int64), np.ascontiguousarray(dst, np.int64),
            np.ascontiguousarray(t, np.int64), np.ascontiguousarray(first, np.int64))
    # split the origins so each thread gets about half of the edges
    cuts = np.searchsorted(first, np.linspace(0, n, max(1, threads) + 1)).astype(np.int64)
    cuts[0], cuts[-1] = 0, accounts
    parts = [np.zeros(n, np.int64) for _ in range(len(cuts) - 1)]

    def run(i: int) -> None:
        _scatter_gather(*args, int(cuts[i]), int(cuts[i + 1]), int(width), parts[i])

    _in_threads(run, len(parts))
    out = parts[0]
    for p in parts[1:]:
        np.maximum(out, p, out=out)
    return out


def _in_threads(run: Callable[[int], None], parts: int) -> None:
    """``run(0)`` … ``run(parts - 1)``, one thread each (the kernels release the GIL)."""
    if parts <= 1:
        run(0)
        return
    with ThreadPoolExecutor(max_workers=parts) as pool:
        for done in [pool.submit(run, i) for i in range(parts)]:
            done.result()


# --------------------------------------------------------------------------- sorted rows


@njit(cache=True, nogil=True)
def _search(keys: np.ndarray, queries: np.ndarray, right: bool) -> np.ndarray:
    out = np.empty(len(queries), dtype=np.int64)
    j = 0
    m = len(keys)
    for i in range(len(queries)):
        q = queries[i]
        if right:
            while j < m and keys[j] <= q:
                j += 1
        else:
            while j < m and keys[j] < q:
                j += 1
        out[i] = j
    return out


def search_sorted(keys: np.ndarray, queries: np.ndarray,
                  side: Literal["left", "right"] = "left") -> np.ndarray:
    """``np.searchsorted(keys, queries, side)`` for queries that never decrease: one merge
    pass instead of a binary search per query."""
    if len(queries) > 1 and not bool(np.all(queries[1:] >= queries[:-1])):
        return np.asarray(np.searchsorted(keys, queries, side))
    return np.asarray(_search(np.ascontiguousarray(keys, dtype=np.int64),
                              np.ascontiguousarray(queries, dtype=np.int64), side == "right"))


@njit(cache=True, nogil=True)
def _stable_by_code(codes: np.ndarray, size: int) -> np.ndarray:
    start = np.zeros(size + 1, dtype=np.int64)
    for c in codes:
        start[c + 1] += 1
    for i in range(size):
        start[i + 1] += start[i]
    out = np.empty(len(codes), dtype=np.int64)
    for i in range(len(codes)):
        c = codes[i]
        out[start[c]] = i
        start[c] += 1
    return out


def stable_by_code(codes: np.ndarray) -> np.ndarray:
    """The stable order of small non-negative integer codes (a counting sort)."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    return np.asarray(_stable_by_code(np.ascontiguousarray(codes, dtype=np.int64),
                                      int(codes.max()) + 1))


@njit(cache=True, nogil=True)
def _medians(acc: np.ndarray, d: np.ndarray, values: np.ndarray, out: np.ndarray) -> None:
    n = len(acc)
    buf = np.empty(n, dtype=np.float64)
    a = 0
    while a < n:
        b = a
        while b < n and acc[b] == acc[a]:
            b += 1
        for direction in range(2):
            k = 0
            for i in range(a, b):
                if d[i] == direction:
                    buf[k] = values[i]
                    k += 1
            if k == 0:
                continue
            part = np.sort(buf[:k])
            med = (part[(k - 1) // 2] + part[k // 2]) / 2
            for i in range(a, b):
                if d[i] == direction:
                    out[i] = med
        a = b


def medians(acc: np.ndarray, d: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per row: the median of ``values`` over the rows of its account (rows sorted by
    account) with the same direction ``d`` (0 or 1)."""
    out = np.empty(len(acc), dtype=np.float64)
    if len(acc):
        _medians(np.ascontiguousarray(acc, dtype=np.int64),
                 np.ascontiguousarray(d, dtype=np.int64),
                 np.ascontiguousarray(values, dtype=np.float64), out)
    return out


@njit(cache=True, nogil=True)
def _scatter_rows(dest: np.ndarray, rows: np.ndarray, kind: np.ndarray, values: np.ndarray,
                  places: np.ndarray) -> None:
    for i in range(len(rows)):
        r = rows[i]
        k = kind[i]
        for j in range(values.shape[0]):
            c = places[k, j]
            if c >= 0:
                dest[r, c] = values[j, i]


def scatter_rows(dest: np.ndarray, rows: np.ndarray, kind: np.ndarray, values: np.ndarray,
                 places: np.ndarray) -> None:
    """``dest[rows[i], places[kind[i], j]] = values[j, i]`` (skipping places below 0): a
    row's values land side by side in the row-major ``dest``."""
    _scatter_rows(dest, np.ascontiguousarray(rows, dtype=np.int64),
                  np.ascontiguousarray(kind, dtype=np.int64),
                  np.ascontiguousarray(values, dtype=np.float64),
                  np.ascontiguousarray(places, dtype=np.int64))
