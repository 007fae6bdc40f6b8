"""LightGBM's trees walked in compiled code, rows split over threads.

LightGBM's own ``predict`` copies every row of a dense matrix into a list of
(feature, value) pairs before it walks the trees, and its OpenMP threads spin
when the cores are shared; scoring 5M transactions spent most of its time
there. :class:`Forest` reads the model's text (the same text LightGBM loads),
and :meth:`Forest.predict` walks the trees row by row in numba with the very
decision rule of LightGBM's numerical splits (missing values, zero handling,
``value <= threshold`` in double precision), adds the leaf values in tree order
and applies the same sigmoid, so the probabilities are LightGBM's own (tested
against ``Booster.predict``). Models with categorical splits or linear trees are
not read (:func:`parse` returns None and the caller uses LightGBM).

Where no split treats zero as missing and no value is a non-zero below LightGBM's zero
threshold (the usual case), a value compared as it is lands on LightGBM's side, and
NaN is the only exception: :func:`_walk_plain` then takes one comparison per node and
walks the trees one at a time over blocks of rows, so that a tree's nodes stay in the
first-level cache while the block passes through it (about half the time of the walk
row by row, which stays for the other cases). The leaf values are added in the same
tree order, so both give the same bits.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numba import njit

#: LightGBM's ``kZeroThreshold`` (a float constant, compared in double precision).
ZERO = float(np.float32(1e-35))
#: Missing-value handling of a split (bits 2-3 of LightGBM's ``decision_type``).
MISSING_NONE, MISSING_ZERO, MISSING_NAN = 0, 1, 2
#: Rows handed to one thread at a time.
CHUNK = 65_536
#: Rows that pass through one tree before the next (the plain walk).
ROWS = 1_024


@dataclass(frozen=True)
class Forest:
    """Every tree's nodes in flat arrays; a child below zero is leaf ``~child``."""

    roots: np.ndarray  # int64 per tree: first node, or ~leaf for a one-leaf tree
    feature: np.ndarray  # int64 per node
    threshold: np.ndarray  # float64 per node
    #: where NaN goes: the default side when NaN (or zero) means missing, else as zero
    nan_left: np.ndarray  # bool per node
    #: where a zero goes (LightGBM reads |value| <= kZeroThreshold as 0): the default side
    #: when zero means missing, else as 0 <= threshold
    zero_left: np.ndarray  # bool per node
    left: np.ndarray  # int64 per node
    right: np.ndarray  # int64 per node
    leaf_value: np.ndarray  # float64 per leaf (all trees)
    sigmoid: float  # 0 for a raw score (objective other than binary)
    features: int
    #: per node, (feature, left, right) side by side in int32: the plain walk's layout
    nodes: np.ndarray
    #: no split treats zero as missing (see the module's notes)
    plain: bool

    def predict(self, x: np.ndarray, threads: int = 2, raw: bool = False) -> np.ndarray:
        """Probabilities (raw scores when the objective is not binary, or with ``raw``:
        the log-odds, which do not saturate at 1.0) of the rows of ``x``."""
        if x.ndim != 2 or x.shape[1] != self.features:
            raise ValueError(f"expected {self.features} feature columns, got {x.shape}")
        x = np.ascontiguousarray(x)
        out = np.empty(len(x), dtype=np.float64)
        sigmoid = 0.0 if raw else self.sigmoid
        plain = self.plain and not _below_zero_threshold(x)
        spans = [(lo, min(len(x), lo + CHUNK)) for lo in range(0, len(x), CHUNK)]
        if threads <= 1 or len(spans) <= 1:
            for lo, hi in spans:
                self._run(x, out, lo, hi, sigmoid, plain)
            return out
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for done in [pool.submit(self._run, x, out, lo, hi, sigmoid, plain)
                         for lo, hi in spans]:
                done.result()
        return out

    def _run(self, x: np.ndarray, out: np.ndarray, lo: int, hi: int, sigmoid: float,
             plain: bool) -> None:
        if plain:
            _walk_plain(x, lo, hi, self.roots, self.nodes, self.threshold, self.nan_left,
                        self.leaf_value, sigmoid, out)
        else:
            _walk(x, lo, hi, self.roots, self.feature, self.threshold, self.nan_left,
                  self.zero_left, self.left, self.right, self.leaf_value, sigmoid, out)



@njit(cache=True, nogil=True)
def _walk(x: np.ndarray, lo: int, hi: int, roots: np.ndarray, feature: np.ndarray,
          threshold: np.ndarray, nan_left: np.ndarray, zero_left: np.ndarray,
          left: np.ndarray, right: np.ndarray, leaf_value: np.ndarray, sigmoid: float,
          out: np.ndarray) -> None:
    for i in range(lo, hi):
        total = 0.0
        for r in range(len(roots)):
            at = roots[r]
            while at >= 0:
                value = x[i, feature[at]]
                if math.isnan(value):
                    go_left = nan_left[at]
                elif -ZERO <= value <= ZERO:
                    go_left = zero_left[at]
                else:
                    go_left = np.float64(value) <= threshold[at]
                at = left[at] if go_left else right[at]
            total += leaf_value[~at]
        out[i] = 1.0 / (1.0 + math.exp(-sigmoid * total)) if sigmoid > 0 else total


@njit(cache=True, nogil=True)
def _walk_plain(x: np.ndarray, lo: int, hi: int, roots: np.ndarray, nodes: np.ndarray,
                threshold: np.ndarray, nan_left: np.ndarray, leaf_value: np.ndarray,
                sigmoid: float, out: np.ndarray) -> None:
    total = np.empty(ROWS)
    for start in range(lo, hi, ROWS):
        n = min(hi, start + ROWS) - start
        total[:n] = 0.0
        for r in range(len(roots)):
            for j in range(n):
                at = roots[r]
                while at >= 0:
                    value = np.float64(x[start + j, nodes[at, 0]])
                    if value <= threshold[at]:
                        at = nodes[at, 1]
                    elif value > threshold[at] or not nan_left[at]:
                        at = nodes[at, 2]
                    else:  # NaN, whose side the split says
                        at = nodes[at, 1]
                total[j] += leaf_value[~at]
        for j in range(n):
            out[start + j] = (1.0 / (1.0 + math.exp(-sigmoid * total[j])) if sigmoid > 0
                              else total[j])


@njit(cache=True, nogil=True)
def _below_zero_threshold(x: np.ndarray) -> bool:
    """Whether any value is not zero but LightGBM reads it as zero."""
    for value in x.flat:  # noqa: SIM110 (a loop numba compiles; any() over a generator it does not)
        if value != 0 and -ZERO <= value <= ZERO:
            return True
    return False


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split()] if text else []


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split()] if text else []


def parse(model_text: str) -> Forest | None:
    """The trees of a LightGBM text model, or None when it uses what :class:`Forest`
    does not walk (categorical splits, linear trees, several classes)."""
    header, _, body = model_text.partition("\nTree=")
    head = dict(line.split("=", 1) for line in header.splitlines() if "=" in line)
    if int(head.get("num_class", "1")) != 1 or int(head.get("num_tree_per_iteration",
                                                            "1")) != 1:
        return None
    objective = head.get("objective", "").split()
    sigmoid = 0.0
    if objective and objective[0] == "binary":
        sigmoid = next((float(p.split(":", 1)[1]) for p in objective[1:]
                        if p.startswith("sigmoid:")), 1.0)
    elif objective and objective[0] not in ("regression", "regression_l2"):
        return None
    n_features = int(head["max_feature_idx"]) + 1
    roots: list[int] = []
    feature: list[int] = []
    threshold: list[float] = []
    default_left: list[bool] = []
    missing: list[int] = []
    left: list[int] = []
    right: list[int] = []
    leaves: list[float] = []
    blocks = ("Tree=" + body).split("\nTree=") if body else []
    for block in blocks:
        text = block.split("\nend of trees", 1)[0]
        fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        if int(fields.get("num_cat", "0")) or int(fields.get("is_linear", "0")):
            return None
        values = _floats(fields["leaf_value"])
        node0, leaf0 = len(feature), len(leaves)
        if int(fields["num_leaves"]) == 1:
            roots.append(~leaf0)
            leaves += values
            continue
        kinds = _ints(fields["decision_type"])
        if any(k & 1 for k in kinds):
            return None

        def child(c: int, node0: int = node0, leaf0: int = leaf0) -> int:
            return node0 + c if c >= 0 else ~(leaf0 + ~c)

        roots.append(node0)
        feature += _ints(fields["split_feature"])
        threshold += _floats(fields["threshold"])
        default_left += [bool(k & 2) for k in kinds]
        missing += [(k >> 2) & 3 for k in kinds]
        left += [child(c) for c in _ints(fields["left_child"])]
        right += [child(c) for c in _ints(fields["right_child"])]
        leaves += values
    cut = np.array(threshold, np.float64)
    default = np.array(default_left, np.bool_)
    how = np.array(missing, np.int64)
    return Forest(roots=np.array(roots, np.int64), feature=np.array(feature, np.int64),
                  threshold=cut,
                  nan_left=np.where(how == MISSING_NONE, cut >= 0, default),
                  zero_left=np.where(how == MISSING_ZERO, default, cut >= 0),
                  left=np.array(left, np.int64),
                  right=np.array(right, np.int64), leaf_value=np.array(leaves, np.float64),
                  sigmoid=sigmoid, features=n_features,
                  nodes=np.ascontiguousarray(np.array([feature, left, right], np.int32).T),
                  plain=not (how == MISSING_ZERO).any())
