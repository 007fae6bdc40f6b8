"""The per-account kernel gives the same values whatever the blocks of accounts."""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np
import pytest

from tocsin.money import worlds
from tocsin.money.features import embedded
from tocsin.money.features.base import SideInput, side_blocks, side_features


def test_blocks_of_accounts_change_no_value(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    params = worlds.draw_params(23, transactions=5_000, accounts=700)
    set_dir = worlds.ingest_world(params, tmp_path, "blocks")
    whole = embedded.compute_set(set_dir)
    monkeypatch.setattr(embedded, "SIDE_BLOCK", 777)
    cut = embedded.compute_set(set_dir)
    assert whole.data is not None and cut.data is not None
    np.testing.assert_array_equal(whole.data, cut.data)
    assert np.isfinite(whole.columns["src_out_n_24h"]).sum() > 4_000


def test_blocks_never_split_an_account() -> None:
    rng = np.random.default_rng(2)
    n = 1_000
    account = rng.integers(0, 40, n)
    zeros = np.zeros(n, np.int64)
    x = SideInput(account=account, cp=rng.integers(0, 40, n), dir=rng.integers(0, 2, n),
                  t=rng.integers(0, 10_000, n), amount=rng.random(n), currency=zeros,
                  channel=zeros, cash=zeros.astype(bool), near=zeros.astype(bool))
    blocks = side_blocks(x, 100)
    assert len(blocks) > 5
    assert sorted(np.concatenate(blocks).tolist()) == list(range(n))
    owners = [set(account[b].tolist()) for b in blocks]
    assert all(not (a & b) for i, a in enumerate(owners) for b in owners[i + 1:])
    # and the values per row are those of the whole input
    from tocsin.money.features.base import side_order, sorted_side_features

    whole = side_features(x)
    for block in blocks:
        part = sorted_side_features(x.take(block))
        for name, values in part.items():
            np.testing.assert_array_equal(values, whole[name][block], err_msg=name)
    assert np.array_equal(np.concatenate(blocks), side_order(x))


def _rss_kib() -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc_trim")
def test_the_memory_a_computation_freed_is_given_back(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # arrays below glibc's mapping threshold come from its heap; freed, they stay there
    # while a block allocated after them keeps the heap's top in use
    kept = [np.ones(4_000, np.float64) for _ in range(25_000)]  # 800 MB in 32 KB blocks
    pin = np.ones(4_000, np.float64)
    del kept
    held = _rss_kib()
    embedded.give_back_freed_memory()
    assert held - _rss_kib() > 400_000, (held, _rss_kib())
    del pin
    # the features of a set are computed, then what they freed is given back
    calls: list[int] = []
    monkeypatch.setattr(embedded, "give_back_freed_memory", lambda: calls.append(1))
    from tocsin.money.model import features_of

    set_dir = worlds.ingest_world(worlds.draw_params(24, transactions=5_000, accounts=1_000),
                                  tmp_path, "given")
    features_of(set_dir, "embedded")
    assert calls == [1]
