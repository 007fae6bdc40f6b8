"""The clustering benchmark's code on small inputs: both contenders give the same components.

No timing is asserted here; ``bench/crypto_cluster.py`` prints the real numbers.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "crypto_cluster.py"


def _bench_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("crypto_cluster_bench", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("inputs", [10, 5_000])
def test_both_contenders_give_the_same_components(inputs: int) -> None:
    bench = _bench_module()
    n, groups, members = bench.make_inputs(inputs, seed=3)
    assert len(groups) <= inputs and np.all(np.diff(groups) >= 0)
    ours = bench.with_tocsin(n, groups, members)
    theirs = bench.with_networkx(n, groups, members)
    assert np.array_equal(ours, theirs)
    assert len(np.unique(ours)) < n  # some addresses were joined
    assert bench.peak_mb(lambda: bench.with_tocsin(n, groups, members)) > 0
