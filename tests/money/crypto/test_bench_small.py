"""The clustering benchmark's code on small inputs: both contenders give the same components.

No timing is asserted here; ``bench/crypto_cluster.py`` prints the real numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.bench_scripts import load_bench


@pytest.mark.parametrize("inputs", [10, 5_000])
def test_both_contenders_give_the_same_components(inputs: int) -> None:
    bench = load_bench("crypto_cluster")
    n, groups, members = bench.make_inputs(inputs, seed=3)
    assert len(groups) <= inputs and np.all(np.diff(groups) >= 0)
    ours = bench.with_tocsin(n, groups, members)
    theirs = bench.with_networkx(n, groups, members)
    assert np.array_equal(ours, theirs)
    assert len(np.unique(ours)) < n  # some addresses were joined
    assert bench.peak_mb(lambda: bench.with_tocsin(n, groups, members)) > 0


def test_the_etl_bench_export_imports_and_both_sides_load_it(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    bench = load_bench("crypto_etl_ingest")
    source = tmp_path / "transactions.json"
    bench.write_export(source, 450)
    bench.run_tocsin(source, tmp_path / "set")
    bench.run_baseline(source, tmp_path / "floor")
    ours = pq.read_table(tmp_path / "set" / "bitcoin" / "outputs.parquet")
    floor = pq.read_table(tmp_path / "floor" / "outputs.parquet")
    assert ours.num_rows == floor.num_rows == 900
    spent = pq.read_table(tmp_path / "set" / "bitcoin" / "inputs.parquet")
    coinbases = source.read_text().count('"is_coinbase": true')
    assert coinbases >= 3  # one per block of 200, and the first spends' coins
    # the model gives each coinbase its input back; bitcoin-etl (and the floor) leave it out
    assert spent.num_rows == pq.read_table(tmp_path / "floor" / "inputs.parquet").num_rows \
        + coinbases


def test_change_benchmark_on_a_small_chain(tmp_path: Path) -> None:
    bench = load_bench("crypto_analysis")
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
