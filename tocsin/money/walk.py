"""A FIFO or LIFO trace walked over the set index in compiled code.

:func:`tocsin.money.trace.trace` from transactions with a matching rule (FIFO,
LIFO) runs here: the flow tree is grown breadth-first over the set's
precomputed matching (:class:`tocsin.money.index.Matching`) into arrays — one
entry per node: its parent, payment, account, hop, amount and why it ends —
with exactly the rules, limits and floating-point steps of the Python walk,
and the end points are summed from those arrays in the same order. The tree's
:class:`~tocsin.money.trace.FlowNode` objects, with their explanations, are
built from the arrays when the tree is first read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

#: ``end`` codes of a node: why its path stops (0: it does not).
CYCLE, END_KIND, HOP_LIMIT, UNEXPLAINED = 1, 2, 3, 4


@dataclass
class Walk:
    """The tree as lists, one entry per node (breadth-first, parents before children)."""

    parent: list[int]
    row: list[int]
    code: list[int]
    hop: list[int]
    amount: list[float]
    end: list[int]
    count: int
    truncated: bool
    #: End points: keys (account code * 8 + end code), amounts and paths.
    end_keys: list[int]
    end_sums: list[float]
    end_counts: list[int]

    def __len__(self) -> int:
        return len(self.parent)


@njit(cache=True, nogil=True)
def _walk(seeds: np.ndarray, forward: bool, ptr: np.ndarray, mrow: np.ndarray,
          mamt: np.ndarray, t: np.ndarray, amount: np.ndarray, other: np.ndarray,
          end_kind: np.ndarray, hops: int, width: int, min_amount: float, max_nodes: int,
          epsilon: float, cap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                             np.ndarray, np.ndarray, int, int, bool]:
    """The tree in arrays of ``cap`` entries; ``n`` is -1 when they were too short."""
    parent = np.empty(cap, np.int64)
    row = np.empty(cap, np.int64)
    code = np.empty(cap, np.int64)
    hop = np.empty(cap, np.int64)
    amt = np.empty(cap, np.float64)
    end = np.zeros(cap, np.int8)
    queue = np.empty(cap, np.int64)
    n = 0
    q_tail = 0
    count = 0
    truncated = False
    for s in seeds:
        parent[n] = -1
        row[n] = s
        code[n] = other[s]
        hop[n] = 1
        amt[n] = amount[s]
        queue[q_tail] = n
        q_tail += 1
        n += 1
        count += 1
    floor = max(min_amount, epsilon)
    q_head = 0
    while q_head < q_tail:
        node = queue[q_head]
        q_head += 1
        acc = code[node]
        p = parent[node]
        cycle = False
        while p >= 0:
            if code[p] == acc:
                cycle = True
                break
            p = parent[p]
        if cycle:
            end[node] = 1
            continue
        if forward and end_kind[acc]:
            end[node] = 2
            continue
        if hop[node] >= hops:
            end[node] = 3
            continue
        r0 = row[node]
        t0 = t[r0]
        linked = amount[r0]
        traced = min(1.0, amt[node] / linked) if linked > 0 else 0.0
        carried = 0.0
        for k in range(ptr[r0], ptr[r0 + 1]):
            r = mrow[k]
            tr = t[r]
            if forward:
                if tr > t0 + width:
                    continue
                part = mamt[k] * traced
                if not part > 0:
                    continue
            else:
                if tr < t0 - width:
                    continue
                part = mamt[k] * traced
            if part < min_amount:
                continue
            if count >= max_nodes:
                truncated = True
                break
            if n + 2 > cap:  # this child and its unexplained rest
                return parent, row, code, hop, amt, end, -1, count, truncated
            carried += part
            parent[n] = node
            row[n] = r
            code[n] = other[r]
            hop[n] = hop[node] + 1
            amt[n] = part
            queue[q_tail] = n
            q_tail += 1
            n += 1
            count += 1
        rest = amt[node] - carried
        if rest >= floor:
            if n + 1 > cap:
                return parent, row, code, hop, amt, end, -1, count, truncated
            parent[n] = node
            row[n] = -1
            code[n] = acc
            hop[n] = hop[node]
            amt[n] = rest
            end[n] = 4
            n += 1
    return parent[:n], row[:n], code[:n], hop[:n], amt[:n], end[:n], n, count, truncated


@njit(cache=True, nogil=True)
def _end_order(parent: np.ndarray, end: np.ndarray, roots: int) -> np.ndarray:
    """End nodes in the order a depth-first walk with a stack meets them (roots pushed
    in order, the last pushed taken first, children pushed in order)."""
    n = len(parent)
    counts = np.zeros(n + 1, np.int64)
    for i in range(roots, n):
        counts[parent[i] + 1] += 1
    start = np.zeros(n + 1, np.int64)
    for i in range(n):
        start[i + 1] = start[i] + counts[i + 1]
    children = np.empty(max(n - roots, 1), np.int64)
    fill = start[:n].copy()
    for i in range(roots, n):
        children[fill[parent[i]]] = i
        fill[parent[i]] += 1
    stack = np.empty(n + 1, np.int64)
    top = 0
    for i in range(roots):
        stack[top] = i
        top += 1
    out = np.empty(n, np.int64)
    m = 0
    while top > 0:
        top -= 1
        node = stack[top]
        if end[node] != 0:
            out[m] = node
            m += 1
        for k in range(start[node], start[node + 1]):
            stack[top] = children[k]
            top += 1
    return out[:m]


@njit(cache=True, nogil=True)
def _run(seeds: np.ndarray, forward: bool, ptr: np.ndarray, mrow: np.ndarray,
         mamt: np.ndarray, t: np.ndarray, amount: np.ndarray, other: np.ndarray,
         end_kind: np.ndarray, hops: int, width: int, min_amount: float, max_nodes: int,
         epsilon: float) -> tuple[np.ndarray, np.ndarray]:
    """The walk, then its end points: (account code * 8 + end) keys, sums and path counts,
    each sum taken in the order a stack-based depth-first walk meets the end nodes.

    Returned packed, one array per type (handing each array back to Python costs
    as much as a small walk): integers n, m, count, truncated, then the n nodes'
    parents, rows, codes, hops and ends, then the m end points' keys and path
    counts; floats the nodes' amounts, then the end points' sums.
    """
    # Most trees are small: arrays for a few nodes first, for the largest tree only
    # when those fill up (allocating the largest costs more than a small walk).
    full = 2 * (max_nodes + len(seeds)) + 2
    cap = min(full, 64 + 2 * len(seeds))
    while True:
        parent, row, code, hop, amt, end, n, count, truncated = _walk(
            seeds, forward, ptr, mrow, mamt, t, amount, other, end_kind, hops, width,
            min_amount, max_nodes, epsilon, cap)
        if n >= 0 or cap >= full:
            break
        cap = min(full, cap * 16)
    order = _end_order(parent, end, len(seeds))
    keys = np.empty(len(order), np.int64)
    for i in range(len(order)):
        keys[i] = code[order[i]] * 8 + end[order[i]]
    by_key = np.argsort(keys, kind="mergesort")
    point_keys = np.zeros(len(order), np.int64)
    point_counts = np.zeros(len(order), np.int64)
    sums = np.zeros(len(order), np.float64)
    m = -1
    for i in range(len(by_key)):
        k = keys[by_key[i]]
        if m < 0 or point_keys[m] != k:
            m += 1
            point_keys[m] = k
        sums[m] += amt[order[by_key[i]]]
        point_counts[m] += 1
    m += 1
    ints = np.empty(4 + 5 * n + 2 * m, np.int64)
    ints[0] = n
    ints[1] = m
    ints[2] = count
    ints[3] = 1 if truncated else 0
    at = 4
    for column in (parent, row, code, hop):
        ints[at:at + n] = column
        at += n
    for i in range(n):
        ints[at + i] = end[i]
    at += n
    ints[at:at + m] = point_keys[:m]
    ints[at + m:at + 2 * m] = point_counts[:m]
    floats = np.empty(n + m, np.float64)
    floats[:n] = amt
    floats[n:] = sums[:m]
    return ints, floats


def walk(seeds: np.ndarray, forward: bool, ptr: np.ndarray, mrow: np.ndarray,
         mamt: np.ndarray, t: np.ndarray, amount: np.ndarray, other: np.ndarray,
         end_kind: np.ndarray, hops: int, width: int, min_amount: float, max_nodes: int,
         epsilon: float) -> Walk:
    ints, floats = _run(seeds, forward, ptr, mrow, mamt, t, amount, other, end_kind, hops,
                        width, float(min_amount), max_nodes, epsilon)
    # One list per type, sliced: the walk of a small tree costs less than handing
    # a dozen arrays back from compiled code and reading them one number at a time.
    i, f = ints.tolist(), floats.tolist()
    n, m = i[0], i[1]
    a, b, c, d, e, g = 4, 4 + n, 4 + 2 * n, 4 + 3 * n, 4 + 4 * n, 4 + 5 * n
    return Walk(i[a:b], i[b:c], i[c:d], i[d:e], f[:n], i[e:g], i[2], i[3] == 1, i[g:g + m],
                f[n:], i[g + m:g + 2 * m])
