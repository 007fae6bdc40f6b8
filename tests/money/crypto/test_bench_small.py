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


def test_change_benchmark_on_a_small_chain(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "crypto_analysis_bench", BENCH.with_name("crypto_analysis.py"))
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    from tocsin.money.crypto.generate import ChainConfig, generate

    chain = generate(tmp_path / "set", ChainConfig(wallets=20, transactions=600, seed=2,
                                                   **bench.REALISTIC))
    lines = bench.change_benchmark(chain, rounds=1)
    assert lines[0].split()[:3] == ["heuristics", "precision", "recall"]
    rows = {line[:17].strip(): line[17:].split() for line in lines[1:]}
    assert list(rows) == ["multi-input only", "one_time_change", "script_type",
                          "round_payment", "all three"]
    assert rows["multi-input only"][3] == "0" and int(rows["all three"][3].replace(",", "")) > 0
    assert float(rows["all three"][1]) > float(rows["multi-input only"][1])  # recall rises
