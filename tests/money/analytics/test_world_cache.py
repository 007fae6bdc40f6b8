"""The cache of the shipped model's generated worlds: kept once, read back, trusted only whole."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tocsin.money import model, worldcache, worlds
from tocsin.money.features.base import DEFAULT
from tocsin.settings import Settings

SEED, SIZE = 31, 3_000


class Calls:
    """How often the generator and the features were run."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.generated = self.computed = 0
        write, features_of = worlds.write, model.features_of

        def counted_write(*args: Any, **kwargs: Any) -> Any:
            self.generated += 1
            return write(*args, **kwargs)

        def counted_features(*args: Any, **kwargs: Any) -> Any:
            self.computed += 1
            return features_of(*args, **kwargs)

        monkeypatch.setattr(worlds, "write", counted_write)
        monkeypatch.setattr(model, "features_of", counted_features)


@pytest.fixture
def card_dir(tmp_path: Path) -> Path:
    """The shipped model's card, guarded by one tiny world."""
    copy = tmp_path / "model"
    shutil.copytree(model.default_dir(), copy)
    info = json.loads((copy / "card.json").read_text())
    info["validation_worlds"] = [{"world_seed": SEED, "transactions": SIZE}]
    (copy / "card.json").write_text(json.dumps(info))
    return copy


@pytest.fixture(scope="module")
def base() -> model.Model:
    return model.load_default()


def _guard(tmp_path: Path, base: model.Model, card_dir: Path, cache: Path | None,
           said: list[str] | None = None) -> model.SetData:
    """The guard world, kept in ``cache`` or (None) generated afresh in a folder of its own."""
    if cache is None:
        cache = Path(tempfile.mkdtemp(dir=tmp_path))
    say: Callable[[str], None] | None = None if said is None else (lambda m: said.append(str(m)))
    [world] = model.guard_worlds(cache, base, card_dir, progress=say)
    return world


def _same(a: model.SetData, b: model.SetData) -> bool:
    fa, fb = a.features, b.features
    return (a.name == b.name and a.txn_id.tolist() == b.txn_id.tolist()
            and a.label is not None and b.label is not None
            and np.array_equal(a.label, b.label) and np.array_equal(a.t, b.t)
            and a.pattern.tolist() == b.pattern.tolist()
            and a.accounts.tolist() == b.accounts.tolist()
            and list(fa.columns) == list(fb.columns)
            and np.array_equal(fa.matrix(list(fa.columns)), fb.matrix(list(fb.columns)),
                               equal_nan=True))


def _entries(cache: Path, seed: int = SEED) -> list[Path]:
    return sorted(cache.glob(f"world{seed}-*"))


def _modes(root: Path) -> set[tuple[bool, int]]:
    return {(p.is_dir(), p.stat().st_mode & 0o777) for p in [root, *root.rglob("*")]}


def test_a_kept_world_is_read_back_and_not_generated_again(
        tmp_path: Path, base: model.Model, card_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    old_umask = os.umask(0)  # what is written must be owner-only whatever the umask
    try:
        cache = worldcache.folder(Settings(data_dir=tmp_path / "data"))
        assert cache == tmp_path / "data" / "cache" / "worlds"
        calls = Calls(monkeypatch)
        said: list[str] = []
        first = _guard(tmp_path, base, card_dir, cache, said)
    finally:
        os.umask(old_umask)
    assert (calls.generated, calls.computed) == (1, 1)
    assert any("Generating world 31" in m for m in said)
    [entry] = _entries(cache)
    assert sorted(p.name for p in entry.iterdir()) == [
        *[p.name for p in entry.glob("features-*.arrow")], "key.json", "set"]
    for folder in (tmp_path / "data", tmp_path / "data" / "cache"):
        assert folder.stat().st_mode & 0o777 == 0o700
    assert _modes(cache) == {(True, 0o700), (False, 0o600)}
    said.clear()
    again = _guard(tmp_path, base, card_dir, cache, said)
    assert (calls.generated, calls.computed) == (1, 1)
    assert said == ["Reusing world 31 from the cache of generated worlds"]
    assert _same(first, again)
    # what is read back is what the world gives when generated afresh
    assert _same(first, _guard(tmp_path, base, card_dir, None))
    assert calls.generated == 2


@pytest.mark.parametrize("damage", ["transactions cut short", "features changed",
                                    "features of another set", "no key"])
def test_an_entry_that_cannot_be_read_is_generated_again(
        tmp_path: Path, base: model.Model, card_dir: Path, monkeypatch: pytest.MonkeyPatch,
        damage: str) -> None:
    cache = worldcache.folder(Settings(data_dir=tmp_path / "data"))
    assert cache is not None
    first = _guard(tmp_path, base, card_dir, cache)
    [entry] = _entries(cache)
    [features] = entry.glob("features-*.arrow")
    if damage == "transactions cut short":
        path = entry / "set" / "transactions.parquet"
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "features changed":
        features.write_bytes(b"ARROW1 not Arrow")
    elif damage == "features of another set":
        other = worldcache.card_world(cache, 32, SIZE, None, base.config(),
                                      None, "test")
        assert len(other) != len(first)
        [theirs] = _entries(cache, 32)[0].glob("features-*.arrow")
        shutil.copy(theirs, features)
    else:
        (entry / "key.json").unlink()
    calls = Calls(monkeypatch)
    said: list[str] = []
    again = _guard(tmp_path, base, card_dir, cache, said)
    assert said[0] == "The cached world 31 could not be read; generating it again"
    assert (calls.generated, calls.computed) == (1, 1)
    assert _same(first, again)
    assert _entries(cache) == [entry] and not list(cache.glob(".build-*"))
    said.clear()
    _guard(tmp_path, base, card_dir, cache, said)
    assert said == ["Reusing world 31 from the cache of generated worlds"]


def test_a_half_built_entry_is_never_read_and_its_leftover_is_removed(
        tmp_path: Path, base: model.Model, card_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    cache = worldcache.folder(Settings(data_dir=tmp_path / "data"))
    assert cache is not None
    key = worldcache.world_key(SEED, SIZE)

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:  # stopped while computing the features
        patch.setattr(model, "features_of", interrupted)
        with pytest.raises(KeyboardInterrupt):
            _guard(tmp_path, base, card_dir, cache)
    assert not list(cache.iterdir())
    # a build folder a killed process left (it cannot clean up) is not an entry
    left = cache / f".build-world{SEED}-{SIZE}-{worldcache._digest(key)}-0123456789ab"
    (left / "set").mkdir(parents=True)
    calls = Calls(monkeypatch)
    _guard(tmp_path, base, card_dir, cache)
    assert calls.generated == 1 and left.is_dir()  # too recent to be a leftover
    old = time.time() - worldcache.STALE_BUILD_SECONDS - 60
    os.utime(left, (old, old))
    shutil.rmtree(_entries(cache)[0])
    _guard(tmp_path, base, card_dir, cache)
    assert calls.generated == 2 and not left.exists()


def test_a_change_of_key_generates_again_and_drops_the_older_entry(
        tmp_path: Path, base: model.Model, card_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    cache = worldcache.folder(Settings(data_dir=tmp_path / "data"))
    assert cache is not None
    first = _guard(tmp_path, base, card_dir, cache)
    [before] = _entries(cache)
    calls = Calls(monkeypatch)
    # other code (the generator, the importer, the features, a library's version)
    monkeypatch.setattr(worldcache, "code_version", lambda: "other code")
    said: list[str] = []
    again = _guard(tmp_path, base, card_dir, cache, said)
    assert (calls.generated, calls.computed) == (1, 1) and _same(first, again)
    assert any("Generating world 31" in m for m in said)
    [after] = _entries(cache)
    assert after != before and json.loads((after / "key.json").read_text())["code"] == (
        "other code")
    # another size is another world, kept beside
    worldcache.card_world(cache, SEED, SIZE + 500, None, DEFAULT, None,
                          "test")
    assert calls.generated == 2 and len(_entries(cache)) == 2
    # another feature configuration or engine: the world is kept, its features computed
    [kept] = after.glob("features-*.arrow")
    other = replace(base.config(), near_threshold=0.7)
    assert other != base.config()
    changed = worldcache.card_world(cache, SEED, SIZE, None, other, None,
                                    "test")
    assert (calls.generated, calls.computed) == (2, 3)
    [features] = after.glob("features-*.arrow")
    assert features.name != kept.name
    fresh = model.load_set(after / "set", cfg=other)
    fresh.name = changed.name
    assert _same(changed, fresh)
    calls.computed -= 1
    worldcache.card_world(cache, SEED, SIZE, None, other, None, "test")
    assert (calls.generated, calls.computed) == (2, 3)


def test_the_cache_can_be_turned_off(tmp_path: Path) -> None:
    assert worldcache.folder(Settings(data_dir=tmp_path, money_train_world_cache=False)) is None
    assert not list(tmp_path.iterdir())
