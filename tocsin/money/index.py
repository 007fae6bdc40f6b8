"""The persisted index of a transaction set: payments by id and by account, sorted by time.

A trace or a graph view must not scan millions of rows to find one payment.
The index is built once per set (one DuckDB pass, in parallel) and kept in the
set's folder under ``index/``, so deleting the set removes it:

=======================  ====================================================================
``accounts.arrow``       account ids sorted (an account's *code* is its position), with kind,
                         bank, country, label and the holder's name
``txn_ids.arrow``        transaction ids in index order, and the same ids sorted with their
                         index row (found by binary search)
``src.npy`` …            per payment, in index order: source and target codes, time (seconds
                         and microseconds), amount, label
``out_ptr.npy``          payments are ordered by (source, time, transaction id), so an
                         account's payments out are the slice ``out_ptr[a]:out_ptr[a + 1]``
``in_order.npy``         the same for payments in: ``in_order[in_ptr[a]:in_ptr[a + 1]]``
``txn_hash.npy``         a hash table of the transaction ids (CRC-32, open addressing) for
                         lookups in constant time; computed on first use
``fifo.npz`` …           the FIFO and LIFO matchings of every account (which incoming payment
                         paid for which outgoing one, and how much), computed on first use
``edges.npz``            payments aggregated per (source, target) pair, per account heaviest
                         first, for the graph view; computed on first use
``meta.json``            format version and the size and modification time of the Parquet
                         files it was built from; a different file makes the index stale and
                         it is rebuilt
=======================  ====================================================================

Arrays are memory-mapped when opened, so opening an index costs milliseconds and
processes share its pages. It is written to a hidden folder beside ``index/`` and
moved into place, so a crash never leaves a half-written index.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import mmap
import os
import shutil
import threading
import uuid
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
from numba import njit

from tocsin.money.dataset import ACCOUNTS_FILE, PARTIES_FILE, TRANSACTIONS_FILE, base_currency
from tocsin.money.graph import Flow, Ledger, empty_flow

INDEX_DIR = "index"
#: Bumped whenever the files change shape; an index of another version is rebuilt.
VERSION = 3
RULE_CODES = {"fifo": 0, "lifo": 1, "haircut": 2}
_ARRAYS = ("src", "dst", "t", "us", "amount", "label", "out_ptr", "in_order", "in_ptr")
#: Opened indexes kept per process (the web server traces the same sets again and again).
_OPEN_LIMIT = 4
_open: OrderedDict[tuple[str, str], SetIndex] = OrderedDict()
#: Per folder as given: the stamp of its files when its index was last found current, the
#: resolved folder and the opened index (see :func:`open_index`).
_current: OrderedDict[str, tuple[Stamp, str, SetIndex]] = OrderedDict()
_lock = threading.Lock()


#: Device, inode, size and modification time of each file an index depends on (None when
#: missing): the set's three Parquet files, then the index's ``meta.json``.
Stamp = tuple[tuple[int, int, int, int] | None, ...]


def _stamp(set_dir: Path) -> Stamp:
    """Four ``stat`` calls and no read: whether an index found current is still current.

    A rewritten or replaced file changes its size, time or inode; a rebuilt index is
    a new folder, so its ``meta.json`` is a new inode.
    """
    out: list[tuple[int, int, int, int] | None] = []
    for path in (set_dir / TRANSACTIONS_FILE, set_dir / ACCOUNTS_FILE, set_dir / PARTIES_FILE,
                 set_dir / INDEX_DIR / "meta.json"):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            out.append(None)
            continue
        out.append((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(out)


def _fingerprint(set_dir: Path) -> dict[str, list[int]]:
    out = {}
    for name in (TRANSACTIONS_FILE, ACCOUNTS_FILE, PARTIES_FILE):
        path = set_dir / name
        if path.is_file():
            st = path.stat()
            out[name] = [st.st_size, st.st_mtime_ns]
    return out


class _Sorted:
    """An Arrow string array read as a Python sequence (for :mod:`bisect`)."""

    def __init__(self, values: pa.Array) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, i: int) -> str:
        return str(self.values[i].as_py())


def _find(values: pa.Array, key: str, keys: np.ndarray | None = None) -> int:
    """Position of ``key`` in sorted ``values`` or -1 (binary search, O(log n)).

    ``keys`` are the same values as fixed-width bytes, searched by numpy; a key
    longer than their width is in none of them.
    """
    if keys is not None:
        raw = key.encode("utf-8")
        if len(raw) > keys.dtype.itemsize or b"\0" in raw:
            return -1
        i = int(keys.searchsorted(np.array(raw, dtype=keys.dtype)))
        return i if i < len(keys) and keys[i] == raw else -1
    seq = _Sorted(values)
    i = bisect.bisect_left(seq, key)
    return i if i < len(values) and seq[i] == key else -1


#: Ids longer than this (bytes) are searched in the Arrow array instead of fixed-width keys.
MAX_KEY_WIDTH = 64


def _fixed_width(values: pa.Array) -> np.ndarray | None:
    """Sorted UTF-8 strings as a numpy ``S<width>`` array, or None when they do not fit
    (too long, or holding NUL bytes that fixed-width strings cannot tell apart)."""
    values = values.cast(pa.large_string()) if values.type != pa.large_string() else values
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype="S1")
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64, count=n + 1,
                            offset=values.offset * 8)
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8) if values.buffers()[2] \
        else np.zeros(1, np.uint8)
    lengths = np.diff(offsets)
    width = int(lengths.max()) if n else 1
    if width > MAX_KEY_WIDTH or width == 0:
        return None
    out = np.zeros((n, width), dtype=np.uint8)
    step = max(1, (1 << 24) // width)
    cols = np.arange(width)
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        starts = offsets[lo:hi, None] + cols[None, :]
        mask = cols[None, :] < lengths[lo:hi, None]
        chunk = np.where(mask, data[np.minimum(starts, len(data) - 1)], 0)
        if ((chunk == 0) & mask).any():
            return None  # a NUL inside an id would be read as its end
        out[lo:hi] = chunk
    keys = out.view(f"S{width}").reshape(n)
    if n > 1 and not bool(np.all(keys[1:] >= keys[:-1])):
        return None
    return keys


@dataclass(frozen=True)
class Scalars:
    """Per-payment and per-account arrays as memoryviews: ``view[i]`` is a Python number
    (a numpy scalar costs several times as much), for code that reads a handful of them.

    ``ptr`` is the rule's matching pointer in the trace's direction, ``other`` the
    account the money moves into (forward: target; backward: source), ``ends``
    whether a forward trace ends at an account, ``kinds`` the account kinds;
    ``walk`` the arrays the compiled walk reads (:func:`tocsin.money.walk.walk`).
    """

    ptr: memoryview
    other: memoryview
    amount: memoryview
    t: memoryview
    ends: memoryview
    kinds: list[str]
    walk: tuple[np.ndarray, ...]


def _view(values: np.ndarray) -> memoryview:
    array = np.ascontiguousarray(values)
    raw: memoryview = array.data.cast("B")
    return raw.cast(str(array.dtype.char))  # type: ignore[call-overload]


class _IdLookup:
    """Transaction id → index row through a hash table of the sorted fixed-width keys.

    A trace from one payment is a few microseconds of work, so finding the payment
    must not cost more: a binary search through numpy costs several microseconds
    of calls, this a CRC-32 and usually one slot. The keys are read as bytes from
    the mapped file, the table and rows through memoryviews (Python ints, no numpy
    scalars).
    """

    __slots__ = ("keys", "mask", "offset", "rank", "rows", "size", "slots", "width")

    def __init__(self, keys_file: Path, width: int, slots: np.ndarray,
                 sorted_rows: np.ndarray, rank: np.ndarray) -> None:
        self.width = width
        self.keys, self.offset = _npy_bytes(keys_file)
        self.slots = _view(slots)
        self.mask = len(slots) - 1
        self.rows = _view(sorted_rows)
        self.rank = _view(rank)
        self.size = len(sorted_rows)

    def txn_id(self, row: int) -> str:
        """The id of the payment at index row ``row``."""
        if not 0 <= row < self.size:
            raise IndexError(f"no payment at row {row}")
        at = self.offset + self.rank[row] * self.width
        return self.keys[at:at + self.width].rstrip(b"\0").decode("utf-8")

    def row(self, txn_id: str) -> int:
        raw = txn_id.encode("utf-8")
        width = self.width
        if len(raw) > width or b"\0" in raw:
            return -1
        padded = raw.ljust(width, b"\0")
        keys, slots, mask = self.keys, self.slots, self.mask
        h = zlib.crc32(raw) & mask
        while True:
            i = slots[h]
            if i < 0:
                return -1
            at = self.offset + i * width
            if keys[at:at + width] == padded:
                return int(self.rows[i])
            h = (h + 1) & mask


def _npy_bytes(path: Path) -> tuple[mmap.mmap, int]:
    """A ``.npy`` file mapped as bytes, and where its data starts (slicing a mapped file
    gives bytes far quicker than slicing a numpy array or a memoryview)."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            np.lib.format.read_array_header_1_0(f)
        else:
            np.lib.format.read_array_header_2_0(f)
        offset = f.tell()
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ), offset


@njit(cache=True, nogil=True)
def _crc_table() -> np.ndarray:
    table = np.empty(256, np.uint32)
    for n in range(256):
        c = np.uint32(n)
        for _ in range(8):
            c = (np.uint32(0xEDB88320) ^ (c >> np.uint32(1))) if c & np.uint32(1) \
                else (c >> np.uint32(1))
        table[n] = c
    return table


@njit(cache=True, nogil=True)
def _hash_kernel(data: np.ndarray, crc: np.ndarray) -> np.ndarray:
    """Open-addressing table (linear probing) of the rows of ``data`` (NUL-padded
    keys, one per row) by the CRC-32 of each key, as :func:`zlib.crc32` computes it."""
    n, width = data.shape
    size = 1
    while size < n + n // 2 + 1:
        size *= 2
    slots = np.full(size, -1, np.int32)  # rows are int32 throughout the index
    mask = size - 1
    for i in range(n):
        c = np.uint32(0xFFFFFFFF)
        for j in range(width):
            b = data[i, j]
            if b == 0:
                break
            c = crc[(c ^ np.uint32(b)) & np.uint32(0xFF)] ^ (c >> np.uint32(8))
        h = np.int64(c ^ np.uint32(0xFFFFFFFF)) & mask
        while slots[h] >= 0:
            h = (h + 1) & mask
        slots[h] = i
    return slots


def _hash_table(keys: np.ndarray) -> np.ndarray:
    data = np.ascontiguousarray(keys).view(np.uint8).reshape(len(keys), keys.dtype.itemsize)
    return _hash_kernel(data, _crc_table())


@dataclass
class Matching:
    """Which incoming payment paid for which outgoing one, per account, as arrays.

    ``fwd_*`` is ordered by incoming row (then by time of the payment out),
    ``back_*`` by outgoing row (in the order the rule spent the lots).
    """

    fwd_ptr: np.ndarray
    fwd_row: np.ndarray
    fwd_amount: np.ndarray
    back_ptr: np.ndarray
    back_row: np.ndarray
    back_amount: np.ndarray

    def spent(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """Outgoing rows and amounts that spent incoming payment ``row``."""
        lo, hi = self.fwd_ptr[row], self.fwd_ptr[row + 1]
        return self.fwd_row[lo:hi], self.fwd_amount[lo:hi]

    def funding(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """Incoming rows and amounts that funded outgoing payment ``row``."""
        lo, hi = self.back_ptr[row], self.back_ptr[row + 1]
        return self.back_row[lo:hi], self.back_amount[lo:hi]


@dataclass
class EdgeTable:
    """Every payment aggregated per (source, target) account pair, transfers to oneself
    left out: the graph view's edges, ready to rank.

    Edge ``e`` is ``src[e] -> dst[e]`` with its payments, total, first and last time
    (microseconds) and whether one is labelled. ``out_edges[out_ptr[a]:out_ptr[a + 1]]``
    are account ``a``'s edges out, heaviest first (ties by target), ``in_edges`` the same
    for its edges in (ties by source): the order in which the view takes them.
    """

    src: np.ndarray
    dst: np.ndarray
    payments: np.ndarray
    total: np.ndarray
    first: np.ndarray
    last: np.ndarray
    labelled: np.ndarray
    out_ptr: np.ndarray
    out_edges: np.ndarray
    in_ptr: np.ndarray
    in_edges: np.ndarray


@dataclass
class Around:
    """The graph view's edges around accounts (:meth:`SetIndex.around_columns`): one entry
    per aggregated edge in each array (account codes, payments, total, first and last time
    in microseconds, labelled), every account reached (codes, sorted, the starts among
    them) and whether edges were cut."""

    src: np.ndarray
    dst: np.ndarray
    payments: np.ndarray
    total: np.ndarray
    first: np.ndarray
    last: np.ndarray
    labelled: np.ndarray
    reached: np.ndarray
    truncated: bool


class SetIndex:
    """The opened index of one set (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        accounts = _read_arrow(folder / "accounts.arrow")
        self.account_ids: pa.Array = accounts.column("account_id").combine_chunks()
        self.accounts = accounts
        self._kinds: list[str] | None = None
        self._end_kinds: np.ndarray | None = None
        ids = _read_arrow(folder / "txn_ids.arrow")
        self.txn_ids: pa.Array = ids.column("txn_id").combine_chunks()
        self.sorted_ids: pa.Array = ids.column("sorted_id").combine_chunks()
        self.sorted_rows = _load(folder / "sorted_rows.npy")
        self.rank = _load(folder / "rank.npy")
        self.account_keys = _load(folder / "account_keys.npy") \
            if (folder / "account_keys.npy").is_file() else None
        self.txn_keys = _load(folder / "txn_keys.npy") \
            if (folder / "txn_keys.npy").is_file() else None
        arrays = {name: _load(folder / f"{name}.npy") for name in _ARRAYS}
        self.src: np.ndarray = arrays["src"]
        self.dst: np.ndarray = arrays["dst"]
        self.t: np.ndarray = arrays["t"]
        self.us: np.ndarray = arrays["us"]
        self.amount: np.ndarray = arrays["amount"]
        self.label: np.ndarray = arrays["label"]
        self.out_ptr: np.ndarray = arrays["out_ptr"]
        self.in_order: np.ndarray = arrays["in_order"]
        self.in_ptr: np.ndarray = arrays["in_ptr"]
        self._matchings: dict[str, Matching] = {}
        self._edges: EdgeTable | None = None
        self._lookup: _IdLookup | None = None
        self._scalars: dict[tuple[str, bool], Scalars] = {}
        self._columns: dict[str, pa.Array] | None = None
        self._account_bytes: tuple[mmap.mmap, int] | None = None
        self._haircut: OrderedDict[int, dict[str, dict[int, list[tuple[int, float]]]]] = \
            OrderedDict()
        self._mutex = threading.Lock()

    @property
    def size(self) -> int:
        return len(self.src)

    @property
    def kinds(self) -> list[str]:
        if self._kinds is None:
            self._kinds = [k or "unknown" for k in self.accounts.column("kind").to_pylist()]
        return self._kinds

    @property
    def end_kinds(self) -> np.ndarray:
        """Per account code: whether a forward trace ends there (cash, foreign, crypto...)."""
        if self._end_kinds is None:
            from tocsin.money.trace import END_KINDS

            self._end_kinds = np.array([k in END_KINDS for k in self.kinds], dtype=np.bool_)
        return self._end_kinds

    def code(self, account: str) -> int:
        """The account's code, or -1 when it takes no part in the set."""
        return _find(self.account_ids, account, self.account_keys)

    def account(self, code: int) -> str:
        if self.account_keys is not None:
            if self._account_bytes is None:
                self._account_bytes = _npy_bytes(self.folder / "account_keys.npy")
            data, offset = self._account_bytes
            width = self.account_keys.dtype.itemsize
            if not 0 <= code < len(self.account_keys):
                raise IndexError(f"no account with code {code}")
            at = offset + code * width
            return data[at:at + width].rstrip(b"\0").decode("utf-8")
        return str(self.account_ids[code].as_py())

    def kind(self, code: int) -> str:
        return self.kinds[code] if code >= 0 else "unknown"

    def scalars(self, rule: str, forward: bool) -> Scalars:
        """Memoryviews of what a trace from one payment reads first (see :class:`Scalars`)."""
        found = self._scalars.get((rule, forward))
        if found is None:
            matching = self.matching(rule)
            ptr = matching.fwd_ptr if forward else matching.back_ptr
            other = self.dst if forward else self.src
            found = Scalars(
                ptr=_view(ptr), other=_view(other), amount=_view(self.amount),
                t=_view(self.t), ends=_view(self.end_kinds.view(np.uint8)), kinds=self.kinds,
                walk=(ptr, matching.fwd_row if forward else matching.back_row,
                      matching.fwd_amount if forward else matching.back_amount, self.t,
                      self.amount, other, self.end_kinds))
            self._scalars[(rule, forward)] = found
        return found

    def row(self, txn_id: str) -> int:
        """Index row of a transaction id, or -1."""
        lookup = self._lookup if self._lookup is not None else self._open_lookup()
        if lookup is not None:
            return lookup.row(txn_id)
        i = _find(self.sorted_ids, txn_id, self.txn_keys)
        return int(self.sorted_rows[i]) if i >= 0 else -1

    def _open_lookup(self) -> _IdLookup | None:
        """The hashed id lookup (built once and kept beside the index), or None where the
        ids are not held as fixed-width keys."""
        with self._mutex:
            if self._lookup is None and self.txn_keys is not None and len(self.txn_keys):
                path = self.folder / "txn_hash.npy"
                if not path.is_file():
                    temp = self.folder / f".txn_hash-{uuid.uuid4().hex[:8]}.npy"
                    np.save(temp, _hash_table(self.txn_keys))
                    os.replace(temp, path)
                self._lookup = _IdLookup(self.folder / "txn_keys.npy",
                                         self.txn_keys.dtype.itemsize, _load(path),
                                         self.sorted_rows, self.rank)
            return self._lookup

    def txn_id(self, row: int) -> str:
        if self.txn_keys is not None:
            lookup = self._lookup if self._lookup is not None else self._open_lookup()
            if lookup is not None:
                return lookup.txn_id(row)
            return bytes(self.txn_keys[self.rank[row]]).decode("utf-8")
        return str(self.txn_ids[row].as_py())

    def outgoing(self, code: int) -> np.ndarray:
        """Rows of the account's payments out, in time order (a contiguous range)."""
        return np.arange(self.out_ptr[code], self.out_ptr[code + 1])

    def incoming(self, code: int) -> np.ndarray:
        return np.asarray(self.in_order[self.in_ptr[code]:self.in_ptr[code + 1]])

    def ledgers(self, accounts: Iterable[str]) -> dict[str, Ledger]:
        """The accounts' ledgers as :class:`~tocsin.money.graph.Ledger` (lists, for any
        :class:`~tocsin.money.trace.LedgerSource` reader)."""
        out = {}
        for account in dict.fromkeys(accounts):
            code = self.code(account)
            if code < 0:
                out[account] = Ledger(account, "unknown", empty_flow(), empty_flow())
                continue
            out[account] = Ledger(account, self.kind(code),
                                  self._flow(self.incoming(code), self.src),
                                  self._flow(self.outgoing(code), self.dst))
        return out

    def _flow(self, rows: np.ndarray, other: np.ndarray) -> Flow:
        taken = pa.array(rows, pa.int64())
        return Flow(self.txn_ids.take(taken).to_pylist(), self.t[rows].tolist(),
                    self.account_ids.take(pa.array(other[rows], pa.int64())).to_pylist(),
                    self.amount[rows].tolist())

    # -- the graph view -----------------------------------------------------------------

    def around(self, codes: list[int], hops: int, since_us: int | None, until_us: int | None,
               min_amount: float, max_edges: int) -> tuple[list[dict[str, Any]], set[int],
                                                            bool]:
        """:meth:`around_columns` as one dict per edge, the set of accounts reached and
        whether edges were cut."""
        found = self.around_columns(codes, hops, since_us, until_us, min_amount, max_edges)
        edges = [{"source": s, "target": d, "payments": n, "total": v, "first": f,
                  "last": la, "labelled": b}
                 for s, d, n, v, f, la, b in zip(
                     found.src.tolist(), found.dst.tolist(), found.payments.tolist(),
                     found.total.tolist(), found.first.tolist(), found.last.tolist(),
                     found.labelled.tolist(), strict=True)]
        return edges, set(found.reached.tolist()), found.truncated

    def around_columns(self, codes: list[int], hops: int, since_us: int | None,
                       until_us: int | None, min_amount: float, max_edges: int) -> Around:
        """Aggregated edges within ``hops`` payments of ``codes``, hop by hop, heaviest
        first, until ``max_edges`` (see :func:`tocsin.money.views.neighbourhood`), as
        arrays in the order they were taken.

        Without a time window or minimum amount the edges are read from the set's
        aggregated edge table (:meth:`edge_table`), whose cost does not grow with the
        accounts' payments; with one, from the payments themselves.
        """
        starts = np.asarray(list(dict.fromkeys(codes)), np.int64)
        if since_us is None and until_us is None and not min_amount > 0:
            table = self.edge_table()
            picked, truncated = _around_kernel(
                starts, hops, max_edges, table.out_ptr, table.out_edges, table.in_ptr,
                table.in_edges, table.src, table.dst, table.total)
            src, dst = table.src[picked], table.dst[picked]
            return Around(src=src, dst=dst, payments=table.payments[picked],
                          total=table.total[picked], first=table.first[picked],
                          last=table.last[picked], labelled=table.labelled[picked],
                          reached=np.unique(np.concatenate([starts, src, dst])),
                          truncated=bool(truncated))
        n_accounts = len(self.account_ids)
        seen = np.zeros(n_accounts, np.bool_)
        seen[starts] = True
        frontier = starts
        parts: list[tuple[np.ndarray, ...]] = []
        known = np.zeros(0, np.int64)  # keys of the edges taken at earlier hops
        truncated = False
        for _hop in range(hops):
            if not len(frontier):
                break
            outgoing = _ranges(self.out_ptr[frontier], self.out_ptr[frontier + 1])
            incoming = self.in_order[_ranges(self.in_ptr[frontier], self.in_ptr[frontier + 1])]
            # A payment between two frontier accounts is already among the payments out.
            inside = np.zeros(n_accounts, np.bool_)
            inside[frontier] = True
            incoming = incoming[~inside[self.src[incoming]]]
            rows = np.concatenate([outgoing, incoming.astype(np.int64)])
            src, dst = self.src[rows].astype(np.int64), self.dst[rows].astype(np.int64)
            keep = src != dst
            us, amount = self.us[rows], self.amount[rows]
            if since_us is not None:
                keep &= us >= since_us
            if until_us is not None:
                keep &= us <= until_us
            if min_amount > 0:
                keep &= amount >= min_amount
            src, dst, us, amount = src[keep], dst[keep], us[keep], amount[keep]
            label = self.label[rows][keep]
            key = src * n_accounts + dst
            order = np.argsort(key, kind="stable")
            key = key[order]
            if not len(key):
                break
            first_of = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            g_key = key[first_of]
            total = np.add.reduceat(amount[order], first_of)
            g_src, g_dst = src[order][first_of], dst[order][first_of]
            ranked = np.lexsort((g_dst, g_src, -total))
            if len(known):
                ranked = ranked[~np.isin(g_key[ranked], known)]
            budget = max_edges - sum(len(p[0]) for p in parts)
            if len(ranked) > budget:
                truncated = True
                ranked = ranked[:max(0, budget)]
            if len(ranked):
                us, label = us[order], label[order].astype(np.int8)
                parts.append((
                    g_src[ranked], g_dst[ranked],
                    np.diff(np.r_[first_of, len(key)])[ranked], total[ranked],
                    np.minimum.reduceat(us, first_of)[ranked],
                    np.maximum.reduceat(us, first_of)[ranked],
                    np.maximum.reduceat(label, first_of)[ranked].astype(np.bool_)))
                known = np.concatenate([known, g_key[ranked]])
            ends = np.concatenate([g_src[ranked], g_dst[ranked]])
            frontier = np.unique(ends[~seen[ends]])
            seen[frontier] = True
            if truncated:
                break
        kinds = (np.int64, np.int64, np.int64, np.float64, np.int64, np.int64, np.bool_)
        s, d, n, v, f, la, b = [np.concatenate(c) for c in zip(*parts, strict=True)] if parts \
            else [np.zeros(0, k) for k in kinds]
        return Around(src=s, dst=d, payments=n, total=v, first=f, last=la, labelled=b,
                      reached=np.flatnonzero(seen), truncated=truncated)

    def edge_table(self) -> EdgeTable:
        """Payments aggregated per (source, target), computed once and kept beside the index."""
        with self._mutex:
            if self._edges is None:
                path = self.folder / "edges.npz"
                if path.is_file():
                    with np.load(path) as data:
                        self._edges = EdgeTable(**{k: data[k] for k in data.files})
                else:
                    self._edges = _edge_table(self)
                    temp = self.folder / f".edges-{uuid.uuid4().hex[:8]}.npz"
                    np.savez(temp, **vars(self._edges))
                    os.replace(temp, path)
            return self._edges

    def nodes(self, codes: Iterable[int]) -> dict[str, dict[str, Any]]:
        """Kind, bank, country, holder and label of accounts, by id."""
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        columns = self.node_columns(wanted)
        names = list(columns)
        return {row[0]: dict(zip(names, row, strict=True))
                for row in zip(*columns.values(), strict=True)}

    def node_columns(self, codes: list[int] | np.ndarray) -> dict[str, list[Any]]:
        """The accounts' id, kind, bank, country, label and holder, one list per column
        (taken column by column: several times quicker than rows of a table)."""
        if self._columns is None:
            self._columns = {name: self.accounts.column(name).combine_chunks()
                             for name in ("account_id", "kind", "bank", "country", "label",
                                          "holder")}
        taken = pa.array(np.asarray(codes, np.int64))
        return {name: column.take(taken).to_pylist() for name, column in self._columns.items()}

    # -- matchings -----------------------------------------------------------------------

    def matching(self, rule: str) -> Matching:
        """FIFO or LIFO over every account, computed once and kept beside the index."""
        with self._mutex:
            found = self._matchings.get(rule)
            if found is None:
                path = self.folder / f"{rule}.npz"
                if path.is_file():
                    with np.load(path) as data:
                        found = Matching(**{k: data[k] for k in data.files})
                else:
                    found = _match_all(self, RULE_CODES[rule])
                    temp = self.folder / f".{rule}-{uuid.uuid4().hex[:8]}.npz"
                    np.savez(temp, **vars(found))
                    os.replace(temp, path)
                self._matchings[rule] = found
            return found

    def haircut(self, code: int) -> dict[str, dict[int, list[tuple[int, float]]]]:
        """The proportional matching of one account (computed when first asked for).

        Proportional matching can pair every incoming with every outgoing payment
        of an account, so it is not computed for the whole set in advance.
        """
        with self._mutex:
            found = self._haircut.get(code)
            if found is not None:
                self._haircut.move_to_end(code)
                return found
        ins, outs = self.incoming(code), self.outgoing(code)
        lot_in, pay_out, amounts = _haircut_one(ins, outs, self.src, self.dst, self.t,
                                                self.amount)
        paid: dict[int, list[tuple[int, float]]] = {}
        spent: dict[int, list[tuple[int, float]]] = {}
        for i, j, a in zip(lot_in.tolist(), pay_out.tolist(), amounts.tolist(), strict=True):
            paid.setdefault(j, []).append((i, a))
        for j in sorted(paid, key=lambda r: r):
            for i, a in paid[j]:
                spent.setdefault(i, []).append((j, a))
        found = {"paid": paid, "spent": spent}
        with self._mutex:
            self._haircut[code] = found
            while len(self._haircut) > 10_000:
                self._haircut.popitem(last=False)
        return found


def _load(path: Path) -> np.ndarray:
    """A memory-mapped array, as a plain ndarray (memmap's subclass is slow to index)."""
    return np.asarray(np.load(path, mmap_mode="r"))


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The concatenation of ``arange(starts[i], ends[i])`` for every i, without a loop."""
    lengths = (ends - starts).astype(np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.repeat(starts.astype(np.int64) - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total, dtype=np.int64)


def _read_arrow(path: Path) -> pa.Table:
    with pa.memory_map(str(path), "r") as source:
        return ipc.open_file(source).read_all()


def _write_arrow(path: Path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


# --------------------------------------------------------------------------- open / build


def index_folder(set_dir: Path) -> Path:
    return Path(set_dir) / INDEX_DIR


def is_current(set_dir: Path) -> bool:
    """Whether the set has an index built from its present files, in this version."""
    meta = index_folder(set_dir) / "meta.json"
    try:
        data = json.loads(meta.read_text())
    except (OSError, ValueError):
        return False
    return bool(data.get("version") == VERSION and
                data.get("files") == _fingerprint(Path(set_dir)))


def open_index(set_dir: Path) -> SetIndex:
    """The set's index, built first when it is missing or stale; kept open per process.

    Every trace and graph call asks for the index, so the usual answer costs four
    ``stat`` calls: while the set's files and the index's ``meta.json`` keep their
    stamp (:func:`_stamp`) since the index was last found current, it still is.
    Any change sends the call through the full check (reading ``meta.json``).
    """
    set_dir = Path(set_dir)
    name = str(set_dir)
    stamp = _stamp(set_dir)  # taken before the reads it vouches for
    with _lock:
        known = _current.get(name)
        if known is not None and known[0] == stamp:
            _current.move_to_end(name)
            return known[2]
    if not is_current(set_dir):
        build(set_dir)
        stamp = _stamp(set_dir)
    meta = (index_folder(set_dir) / "meta.json").read_text()
    root = str(set_dir.resolve())
    key = (root, meta)
    with _lock:
        found = _open.get(key)
        if found is not None:
            _open.move_to_end(key)
    if found is None:
        found = SetIndex(index_folder(set_dir))
        with _lock:
            for old in [k for k in _open if k[0] == root]:
                del _open[old]
            _open[key] = found
            while len(_open) > _OPEN_LIMIT:
                _open.popitem(last=False)
    with _lock:
        _current[name] = (stamp, root, found)
        _current.move_to_end(name)
        while len(_current) > 4 * _OPEN_LIMIT:
            _current.popitem(last=False)
    return found


class IndexedSet:
    """A set read through its index only (what a trace needs, without loading the rows)."""

    def __init__(self, set_dir: Path) -> None:
        self.set_dir = Path(set_dir)
        #: The set's base currency, named with the amounts of a trace's explanations.
        self.currency = base_currency(self.set_dir)

    def trace_index(self) -> SetIndex:
        return open_index(self.set_dir)

    def ledgers(self, accounts: Iterable[str]) -> dict[str, Ledger]:
        return self.trace_index().ledgers(accounts)


def forget(set_dir: Path) -> None:
    """Drop the process's opened index of a set (before its folder is removed)."""
    root = str(Path(set_dir).resolve())
    with _lock:
        for key in [k for k in _open if k[0] == root]:
            del _open[key]
        for name in [n for n, (_s, r, _i) in _current.items() if r == root]:
            del _current[name]


def build(set_dir: Path, threads: int | None = None) -> Path:
    """Build the index of ``set_dir`` into ``index/`` (replacing a stale one)."""
    import duckdb

    set_dir = Path(set_dir)
    files = _fingerprint(set_dir)
    temp = set_dir / f".index-partial-{uuid.uuid4().hex[:8]}"
    temp.mkdir()
    try:
        con = duckdb.connect(config={"threads": threads or max(1, os.cpu_count() or 1),
                                     "preserve_insertion_order": True})
        try:
            _build_into(con, set_dir, temp)
        finally:
            con.close()
        (temp / "meta.json").write_text(json.dumps({"version": VERSION, "files": files}))
        target = index_folder(set_dir)
        old = set_dir / f".index-old-{uuid.uuid4().hex[:8]}"
        with contextlib.suppress(FileNotFoundError):
            os.replace(target, old)
        try:
            os.replace(temp, target)
        except OSError:
            # Another process put a fresh index in place first; keep theirs.
            shutil.rmtree(temp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return index_folder(set_dir)


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _build_into(con: Any, set_dir: Path, out: Path) -> None:
    txns = _quote(set_dir / TRANSACTIONS_FILE)
    accounts = _quote(set_dir / ACCOUNTS_FILE)
    parties = set_dir / PARTIES_FILE
    con.execute("SET enable_progress_bar = false")
    holders = (f"SELECT DISTINCT ON (party_id) party_id, name FROM read_parquet("  # noqa: S608
               f"{_quote(parties)})" if parties.is_file()
               else "SELECT NULL::VARCHAR AS party_id, NULL::VARCHAR AS name")
    # Every account that is listed or takes part in a payment, sorted: code = position.
    con.execute(f"""
        CREATE TEMP TABLE acct AS
        WITH ids AS (SELECT source AS id FROM read_parquet({txns})
                     UNION SELECT target FROM read_parquet({txns})
                     UNION SELECT account_id FROM read_parquet({accounts}))
        SELECT ids.id AS account_id, COALESCE(a.kind, 'unknown') AS kind, a.bank, a.country,
               a.label, p.name AS holder, a.account_id IS NOT NULL AS listed
        FROM ids LEFT JOIN (SELECT DISTINCT ON (account_id) * FROM read_parquet({accounts})) a
             ON a.account_id = ids.id
        LEFT JOIN ({holders}) p ON p.party_id = a.party_id
        ORDER BY ids.id""")  # noqa: S608 - paths quoted
    con.execute("CREATE TEMP TABLE code AS SELECT account_id, "
                "CAST(row_number() OVER (ORDER BY account_id) - 1 AS INTEGER) AS c FROM acct")
    table = con.sql("SELECT account_id, kind, bank, country, label, holder, listed FROM acct "
                    "ORDER BY account_id").to_arrow_table()
    _write_arrow(out / "accounts.arrow", table)
    keys = _fixed_width(table.column("account_id").combine_chunks())
    if keys is not None:
        np.save(out / "account_keys.npy", keys)
    n_accounts = table.num_rows
    del table
    # Payments ordered by (source, time, id): an account's payments out are one slice.
    edges = con.sql(f"""
        SELECT x.txn_id, s.c AS src, d.c AS dst,
               CAST(epoch_us(x.ts) // 1000000 AS BIGINT) AS t, epoch_us(x.ts) AS us,
               x.amount, COALESCE(x.label, FALSE) AS label,
               CAST(row_number() OVER (ORDER BY x.txn_id) - 1 AS INTEGER) AS rank
        FROM read_parquet({txns}) x
        JOIN code s ON s.account_id = x.source JOIN code d ON d.account_id = x.target
        ORDER BY src, t, x.txn_id""").to_arrow_table()  # noqa: S608
    n = edges.num_rows
    src = edges.column("src").to_numpy().astype(np.int32)
    dst = edges.column("dst").to_numpy().astype(np.int32)
    t = edges.column("t").to_numpy().astype(np.int64)
    rank = edges.column("rank").to_numpy().astype(np.int32)
    arrays: dict[str, np.ndarray] = {
        "src": src, "dst": dst, "t": t,
        "us": edges.column("us").to_numpy().astype(np.int64),
        "amount": edges.column("amount").to_numpy().astype(np.float64),
        "label": edges.column("label").to_numpy(zero_copy_only=False).astype(np.bool_),
    }
    ids = edges.column("txn_id").combine_chunks()
    del edges
    codes = np.arange(n_accounts + 1)
    arrays["out_ptr"] = np.searchsorted(src, codes).astype(np.int64)
    # Payments in: by (target, time, id); the id's rank breaks ties like the sort out.
    in_order = np.lexsort((rank, t, dst)).astype(np.int32)
    arrays["in_order"] = in_order
    arrays["in_ptr"] = np.searchsorted(dst[in_order], codes).astype(np.int64)
    sorted_rows = np.empty(n, dtype=np.int32)
    sorted_rows[rank] = np.arange(n, dtype=np.int32)
    np.save(out / "sorted_rows.npy", sorted_rows)
    np.save(out / "rank.npy", rank)
    sorted_ids = ids.take(pa.array(sorted_rows))
    _write_arrow(out / "txn_ids.arrow", pa.table({"txn_id": ids, "sorted_id": sorted_ids}))
    keys = _fixed_width(sorted_ids)
    if keys is not None:
        np.save(out / "txn_keys.npy", keys)
    del keys
    for name, values in arrays.items():
        np.save(out / f"{name}.npy", values)


# --------------------------------------------------------------------------- matching kernels


@njit(cache=True, nogil=True)
def _match_kernel(out_ptr: np.ndarray, in_ptr: np.ndarray, in_order: np.ndarray,
                  src: np.ndarray, dst: np.ndarray, t: np.ndarray, amount: np.ndarray,
                  lifo: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """FIFO or LIFO matching of every account, in one pass over the index.

    Incoming payments are booked before outgoing ones of the same second;
    transfers to oneself are ignored; what is paid beyond the balance stays
    unexplained. Each match either empties a lot or completes a payment, so
    there are at most as many matches as payments in and out.
    """
    n = len(src)
    cap = 2 * n + 1
    m_in = np.empty(cap, dtype=np.int32)
    m_out = np.empty(cap, dtype=np.int32)
    m_amt = np.empty(cap, dtype=np.float64)
    most = 0
    for a in range(len(in_ptr) - 1):
        most = max(most, in_ptr[a + 1] - in_ptr[a])
    lot_row = np.empty(max(most, 1), dtype=np.int32)
    lot_rem = np.empty(max(most, 1), dtype=np.float64)
    k = 0
    for a in range(len(out_ptr) - 1):
        i, ie = in_ptr[a], in_ptr[a + 1]
        j, je = out_ptr[a], out_ptr[a + 1]
        head = 0
        tail = 0
        while i < ie or j < je:
            if j >= je or (i < ie and t[in_order[i]] <= t[j]):
                r = in_order[i]
                i += 1
                if src[r] == a:
                    continue
                lot_row[tail] = r
                lot_rem[tail] = amount[r]
                tail += 1
                continue
            r = j
            j += 1
            if dst[r] == a:
                continue
            need = amount[r]
            while need > 1e-9 and tail > head:
                p = head if not lifo else tail - 1
                take = min(need, lot_rem[p])
                m_in[k] = lot_row[p]
                m_out[k] = r
                m_amt[k] = take
                k += 1
                lot_rem[p] -= take
                need -= take
                if lot_rem[p] <= 1e-9:
                    if lifo:
                        tail -= 1
                    else:
                        head += 1
    return m_in, m_out, m_amt, k


def _match_all(index: SetIndex, rule: int) -> Matching:
    if rule not in (0, 1):
        raise ValueError("only FIFO and LIFO are matched for the whole set")
    m_in, m_out, m_amt, k = _match_kernel(
        np.asarray(index.out_ptr), np.asarray(index.in_ptr), np.asarray(index.in_order),
        np.asarray(index.src), np.asarray(index.dst), np.asarray(index.t),
        np.asarray(index.amount), rule == 1)
    m_in, m_out, m_amt = m_in[:k], m_out[:k], m_amt[:k]
    rows = index.size
    fwd = np.argsort(m_in, kind="stable")
    back = np.argsort(m_out, kind="stable")
    return Matching(
        fwd_ptr=np.searchsorted(m_in[fwd], np.arange(rows + 1)).astype(np.int64),
        fwd_row=m_out[fwd], fwd_amount=m_amt[fwd],
        back_ptr=np.searchsorted(m_out[back], np.arange(rows + 1)).astype(np.int64),
        back_row=m_in[back], back_amount=m_amt[back])


@njit(cache=True, nogil=True)
def _haircut_kernel(ins: np.ndarray, outs: np.ndarray, src: np.ndarray, dst: np.ndarray,
                    t: np.ndarray, amount: np.ndarray, account: int, cap: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    m_in = np.empty(cap, dtype=np.int64)
    m_out = np.empty(cap, dtype=np.int64)
    m_amt = np.empty(cap, dtype=np.float64)
    lot_row = np.empty(max(len(ins), 1), dtype=np.int64)
    lot_rem = np.empty(max(len(ins), 1), dtype=np.float64)
    live = 0
    k = 0
    i = 0
    j = 0
    while i < len(ins) or j < len(outs):
        if j >= len(outs) or (i < len(ins) and t[ins[i]] <= t[outs[j]]):
            r = ins[i]
            i += 1
            if src[r] == account:
                continue
            lot_row[live] = r
            lot_rem[live] = amount[r]
            live += 1
            continue
        r = outs[j]
        j += 1
        if dst[r] == account:
            continue
        need = amount[r]
        balance = 0.0
        for p in range(live):
            balance += lot_rem[p]
        share = min(1.0, need / balance) if balance > 0 else 0.0
        for p in range(live):
            part = lot_rem[p] * share
            if part > 0:
                if k >= cap:
                    return m_in, m_out, m_amt, -1
                m_in[k] = lot_row[p]
                m_out[k] = r
                m_amt[k] = part
                k += 1
                lot_rem[p] -= part
        if share > 0:
            # Diluted lots below a thousandth of a cent are spent for good.
            kept = 0
            for p in range(live):
                if lot_rem[p] > 1e-5:
                    lot_row[kept] = lot_row[p]
                    lot_rem[kept] = lot_rem[p]
                    kept += 1
            live = kept
    return m_in, m_out, m_amt, k


def _haircut_one(ins: np.ndarray, outs: np.ndarray, src: np.ndarray, dst: np.ndarray,
                 t: np.ndarray, amount: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    account = int(src[outs[0]]) if len(outs) else (int(dst[ins[0]]) if len(ins) else -1)
    cap = 4 * (len(ins) + len(outs)) + 16
    while True:
        m_in, m_out, m_amt, k = _haircut_kernel(
            ins.astype(np.int64), outs.astype(np.int64), src, dst, t, amount, account, cap)
        if k >= 0:
            return m_in[:k], m_out[:k], m_amt[:k]
        cap *= 4


# --------------------------------------------------------------------------- graph kernels


def _edge_table(index: SetIndex) -> EdgeTable:
    """Aggregate every payment per (source, target) pair.

    Each pair's payments are summed in time (then id) order, the order the
    windowed path of :meth:`SetIndex.around` sums them in, so both give the same
    totals to the last bit.
    """
    n_accounts = len(index.account_ids)
    src = np.asarray(index.src).astype(np.int64)
    dst = np.asarray(index.dst).astype(np.int64)
    rows = np.flatnonzero(src != dst)
    key = src[rows] * n_accounts + dst[rows]
    order = np.argsort(key, kind="stable")  # rows are in (source, time, id) order already
    rows, key = rows[order], key[order]
    del order
    if len(key):
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        total = np.add.reduceat(np.asarray(index.amount)[rows], starts)
        payments = np.diff(np.r_[starts, len(key)]).astype(np.int64)
        us = np.asarray(index.us)[rows]
        first = np.minimum.reduceat(us, starts)
        last = np.maximum.reduceat(us, starts)
        del us
        labelled = np.maximum.reduceat(np.asarray(index.label)[rows].astype(np.int8),
                                       starts).astype(np.bool_)
        e_src = (key[starts] // n_accounts).astype(np.int32)
        e_dst = (key[starts] % n_accounts).astype(np.int32)
    else:
        total = np.zeros(0, np.float64)
        payments = first = last = np.zeros(0, np.int64)
        labelled = np.zeros(0, np.bool_)
        e_src = e_dst = np.zeros(0, np.int32)
    del rows, key
    out_edges = np.lexsort((e_dst, -total, e_src)).astype(np.int64)
    in_edges = np.lexsort((e_src, -total, e_dst)).astype(np.int64)
    codes = np.arange(n_accounts + 1)
    return EdgeTable(
        src=e_src, dst=e_dst, payments=payments, total=total, first=first, last=last,
        labelled=labelled,
        out_ptr=np.searchsorted(e_src, codes).astype(np.int64), out_edges=out_edges,
        in_ptr=np.searchsorted(e_dst[in_edges], codes).astype(np.int64), in_edges=in_edges)


@njit(cache=True, nogil=True)
def _before(a: int, b: int, src: np.ndarray, dst: np.ndarray, total: np.ndarray) -> bool:
    """Whether edge ``a`` ranks before edge ``b``: heavier first, then by source, target."""
    if total[a] != total[b]:
        return total[a] > total[b]
    if src[a] != src[b]:
        return src[a] < src[b]
    return dst[a] < dst[b]


@njit(cache=True, nogil=True)
def _around_kernel(starts: np.ndarray, hops: int, max_edges: int, out_ptr: np.ndarray,
                   out_edges: np.ndarray, in_ptr: np.ndarray, in_edges: np.ndarray,
                   src: np.ndarray, dst: np.ndarray, total: np.ndarray
                   ) -> tuple[np.ndarray, bool]:
    """The edges within ``hops`` of ``starts``, hop by hop, heaviest first, until
    ``max_edges``; and whether some were cut.

    Every account's edges are already ranked, so a hop merges the ranked lists of
    its frontier (a heap of their heads) and stops after ``max_edges`` of them:
    a hub with a hundred thousand counterparties costs no more than a small account.
    """
    picked = np.empty(max(max_edges, 0), np.int64)
    n_picked = 0
    known = set()
    seen = set()
    for s in starts:
        seen.add(s)
    frontier = starts.copy()
    truncated = False
    for _hop in range(hops):
        if len(frontier) == 0:
            break
        # Two ranked lists per frontier account: cursor and end in the edge permutation.
        k = 2 * len(frontier)
        cur = np.empty(k, np.int64)
        end = np.empty(k, np.int64)
        perm_out = np.empty(k, np.bool_)
        for f in range(len(frontier)):
            a = frontier[f]
            cur[2 * f], end[2 * f], perm_out[2 * f] = out_ptr[a], out_ptr[a + 1], True
            cur[2 * f + 1], end[2 * f + 1], perm_out[2 * f + 1] = in_ptr[a], in_ptr[a + 1], \
                False
        heap = np.empty(k, np.int64)  # list numbers, ordered by their head edge
        head = np.empty(k, np.int64)
        size = 0
        for li in range(k):
            if cur[li] < end[li]:
                head[li] = out_edges[cur[li]] if perm_out[li] else in_edges[cur[li]]
                heap[size] = li
                size += 1
                c = size - 1
                while c > 0:
                    p = (c - 1) // 2
                    if _before(head[heap[c]], head[heap[p]], src, dst, total):
                        heap[c], heap[p] = heap[p], heap[c]
                        c = p
                    else:
                        break
        budget = max_edges - n_picked
        taken = 0
        fresh = np.empty(max(budget, 0), np.int64)
        while size > 0:
            li = heap[0]
            e = head[li]
            cur[li] += 1
            if cur[li] < end[li]:
                head[li] = out_edges[cur[li]] if perm_out[li] else in_edges[cur[li]]
            else:
                size -= 1
                heap[0] = heap[size]
            c = 0
            while True:  # sift the new top down
                left = 2 * c + 1
                if left >= size:
                    break
                best = left
                if left + 1 < size and _before(head[heap[left + 1]], head[heap[left]], src,
                                               dst, total):
                    best = left + 1
                if _before(head[heap[best]], head[heap[c]], src, dst, total):
                    heap[c], heap[best] = heap[best], heap[c]
                    c = best
                else:
                    break
            if e in known:  # taken at an earlier hop, or met in both ends' lists
                continue
            known.add(e)
            if taken >= budget:
                truncated = True
                break
            fresh[taken] = e
            taken += 1
        next_frontier = np.empty(2 * taken, np.int64)
        n_next = 0
        for i in range(taken):
            e = fresh[i]
            picked[n_picked] = e
            n_picked += 1
            for a in (np.int64(src[e]), np.int64(dst[e])):
                if a not in seen:
                    seen.add(a)
                    next_frontier[n_next] = a
                    n_next += 1
        frontier = next_frontier[:n_next]
        if truncated:
            break
    return picked[:n_picked], truncated
