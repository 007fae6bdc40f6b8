"""The generated worlds of the shipped model's card, kept once per installation.

``money train`` grows a model on the shipped one with the worlds that model was validated
on (its guard) and some it was trained on (rehearsal), generated again from the seeds of
its card (:func:`tocsin.money.model.guard_worlds`, :func:`~tocsin.money.model.rehearsal_worlds`).
They are the same on every run, so each is kept under ``<data_dir>/cache/worlds``
(:func:`folder`) the first time: the imported set and its features. On two cores a world
of 100,000 transactions costs about 2 s to generate, import and compute the features of
(a third of it the generation and import), one of 1,000,000 about 26 s; read back from
here, a tenth of a second and 2 to 4 s (docs/benchmarks.md).

What an entry holds, and what it is keyed by
    ``world<seed>-<transactions>-<key>/``: ``key.json`` (the key in full), ``set/`` (the
    imported world, without its CSV) and ``features-<key>.arrow``, the features of the
    engine and feature configuration it was last read with (in the set's file order). The
    entry's key is the seed, the size, :data:`CACHE_VERSION` and :func:`code_version`: a
    digest of every Python and YAML file of :mod:`tocsin.money` (the generator, the
    AMLworld importer, the exchange rates, the features and the cash thresholds all live
    there) and the versions of numpy, pyarrow and numba. So an upgrade, or any change to
    that code, leaves the entries of the earlier code unused: the world is generated again
    and the older entry of the same seed and size removed. The features' key is the engine
    and the feature configuration.

Trust
    An entry is built in a ``.build-*`` folder beside the others and renamed into place
    whole, so an interrupted run never leaves an entry that looks finished; features added
    to an entry later are written beside it and renamed the same way. An entry that fails
    to be read (a file cut short or changed, features that are not its set's) is removed
    and generated again, and the progress says so. Folders are ``0700``, files ``0600``,
    as the rest of the data folder. The cache is not part of backups.

How big, how to clear it
    About 9 to 11 MB per world of 100,000 transactions and 92 MB per 1,000,000: about 190 MB
    for the default guard and rehearsal. Deleting ``<data_dir>/cache/worlds`` (or the whole
    ``cache`` folder) is always safe; ``TOCSIN_MONEY_TRAIN_WORLD_CACHE=false`` keeps no
    world (each training generates them again in a temporary folder).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from pyarrow import feather

from tocsin.errors import InputError
from tocsin.i18n import N_, Number

if TYPE_CHECKING:
    from tocsin.money.features.base import FeatureConfig
    from tocsin.money.features.embedded import FeatureTable
    from tocsin.money.model import SetData
    from tocsin.settings import Settings

#: Layout of an entry; change it when what an entry holds or how it is read changes.
CACHE_VERSION = 1
#: A ``.build-*`` folder untouched this long is a leftover of a stopped run.
STALE_BUILD_SECONDS = 3600.0

Progress = Callable[[str], None] | None


def folder(settings: Settings) -> Path | None:
    """The cache's folder (created ``0700`` with its parents in the data folder), or None
    when ``money_train_world_cache`` is off."""
    if not settings.money_train_world_cache:
        return None
    from tocsin.store.private import private_folder

    root = private_folder(settings.data_dir)
    return private_folder(private_folder(root / "cache") / "worlds")


@cache
def code_version() -> str:
    """Digest of the code whose output an entry holds: every ``.py`` and ``.yaml`` file of
    :mod:`tocsin.money` (paths and contents) and the libraries that draw and write it."""
    import numba

    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".yaml")
                       and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for library in (np, pa, numba):
        digest.update(f"{library.__name__} {library.__version__}\0".encode())
    return digest.hexdigest()


def _digest(value: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def world_key(seed: int, transactions: int) -> dict[str, Any]:
    return {"cache": CACHE_VERSION, "world_seed": seed, "transactions": transactions,
            "code": code_version()}


def features_key(engine: str, cfg: FeatureConfig) -> dict[str, Any]:
    return {"engine": engine, "feature_config": asdict(cfg)}


def card_world(cache_dir: Path, seed: int, transactions: int, engine: str | None,
               cfg: FeatureConfig, progress: Progress, why: str) -> SetData:
    """The world of ``seed`` and size with the features of ``cfg``: read from the cache,
    else generated, kept there and read."""
    from tocsin.settings import get_settings

    name = f"world {seed}"
    key = world_key(seed, transactions)
    prefix = f"world{seed}-{transactions}-"
    entry = cache_dir / f"{prefix}{_digest(key)}"
    engine_name = engine or get_settings().money_engine
    features = f"features-{_digest(features_key(engine_name, cfg))}.arrow"
    say = progress or (lambda _message: None)
    if entry.is_dir():
        try:
            data = _read(entry, key, features, engine, cfg, progress, name)
        except (OSError, ValueError, KeyError, pa.ArrowException, InputError):
            say(N_("The cached %(world)s could not be read; generating it again",
                   world=name))
            _remove(entry)
        else:
            data.name = name
            return data
    say(N_("Generating %(world)s (%(count)s transactions), %(why)s", world=name,
           count=Number(transactions), why=why))
    data = _build(cache_dir, entry, key, features, engine, cfg, progress, name)
    for other in cache_dir.glob(f"{prefix}*"):  # the same world of earlier code
        if other != entry:
            _remove(other)
    _remove_stale_builds(cache_dir)
    data.name = name
    return data


def _read(entry: Path, key: dict[str, Any], features: str, engine: str | None,
          cfg: FeatureConfig, progress: Progress, name: str) -> SetData:
    from tocsin.money.model import load_set

    if json.loads((entry / "key.json").read_text(encoding="utf-8")) != key:
        raise ValueError(f"{entry}: key.json does not match the entry's name")
    path = entry / features
    if path.is_file():
        data = load_set(entry / "set", cfg=cfg, features=_read_features(path, cfg))
    else:
        # kept with the features of another engine or configuration: these are added
        data = load_set(entry / "set", engine, cfg, progress)
        part = entry / f".{features}.{secrets.token_hex(6)}"
        try:
            _write_features(data.features, part)
            os.replace(part, path)
        finally:
            part.unlink(missing_ok=True)
        for other in entry.glob("features-*.arrow"):  # only the latest are kept
            if other != path:
                other.unlink(missing_ok=True)
    if progress:
        progress(N_("Reusing %(world)s from the cache of generated worlds", world=name))
    return data


def _build(cache_dir: Path, entry: Path, key: dict[str, Any], features: str,
           engine: str | None, cfg: FeatureConfig, progress: Progress, name: str) -> SetData:
    """Generate, import and compute the features of a world in a ``.build-*`` folder, then
    rename it into place whole."""
    from tocsin.money import worlds
    from tocsin.money.model import load_set

    build = cache_dir / f".build-{entry.name}-{secrets.token_hex(6)}"
    try:
        build.mkdir(mode=0o700)
        params = worlds.draw_params(key["world_seed"], transactions=key["transactions"])
        worlds.ingest_world(params, build, name)
        shutil.rmtree(build / "csv")  # the CSV is not kept
        data = load_set(build / "set", engine, cfg, progress)
        _write_features(data.features, build / features)
        (build / "key.json").write_text(json.dumps(key, indent=2) + "\n", encoding="utf-8")
        _owner_only(build)
        try:
            build.rename(entry)
        except OSError:  # another run kept the same world first: its entry is as good
            if not entry.is_dir():
                raise
    finally:
        if build.exists():
            shutil.rmtree(build, ignore_errors=True)
    return data


def _write_features(feats: FeatureTable, path: Path) -> None:
    """One Arrow IPC file: the transaction ids and the features of each, side by side
    (row-major, as the model reads them), zstd-compressed; their names in its metadata."""
    names = list(feats.columns)
    matrix = feats.data if feats.data is not None else feats.matrix(names)
    rows = pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(matrix).ravel()),
                                             len(names))
    table = pa.table({"txn_id": feats.txn_id, "features": rows},
                     metadata={"names": json.dumps(names)})
    feather.write_feather(table, path, compression="zstd", chunksize=max(1, len(feats)))
    path.chmod(0o600)


def _read_features(path: Path, cfg: FeatureConfig) -> FeatureTable:
    from tocsin.money.features.base import feature_names
    from tocsin.money.features.embedded import FeatureTable

    table = feather.read_table(path)
    names = json.loads((table.schema.metadata or {})[b"names"])
    if sorted(names) != sorted(feature_names(cfg)):
        raise ValueError(f"{path}: not the features of this configuration")
    rows = table.column("features").combine_chunks()
    matrix = rows.values.to_numpy(zero_copy_only=False).reshape(len(rows), len(names))
    return FeatureTable.of_matrix(table.column("txn_id").combine_chunks(), names, matrix)


def _owner_only(root: Path) -> None:
    """Folders ``0700`` and files ``0600`` under ``root``, whatever the umask."""
    root.chmod(0o700)
    for path in root.rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)


def _remove(path: Path) -> None:
    # Renamed aside first, so that no other run finds it half removed.
    aside = path.with_name(f".build-removed-{path.name}-{secrets.token_hex(6)}")
    with contextlib.suppress(OSError):
        path.rename(aside)
        shutil.rmtree(aside, ignore_errors=True)


def _remove_stale_builds(cache_dir: Path) -> None:
    now = time.time()
    for path in cache_dir.glob(".build-*"):
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > STALE_BUILD_SECONDS:
                shutil.rmtree(path, ignore_errors=True)
