"""Laundering-pattern detectors and their registry.

Every detector has a name, a typed config with defaults, a docstring saying
what it looks for and why it matters, and a pipeline that runs unchanged on
every engine (see :mod:`tocsin.money.detect.base`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tocsin.errors import InputError, Problem
from tocsin.money.detect.base import Detector
from tocsin.money.detect.bipartite import Bipartite
from tocsin.money.detect.fan import FanIn, FanOut, GatherScatter, SpreadFanIn
from tocsin.money.detect.pass_through import RapidPassThrough
from tocsin.money.detect.paths import Cycle, Stack
from tocsin.money.detect.scatter_gather import ScatterGather
from tocsin.money.detect.split import SplitPayments
from tocsin.money.detect.structuring import Structuring

#: Every detector by name, in the order they are run and listed.
REGISTRY: dict[str, type[Detector]] = {
    cls.name: cls
    for cls in (FanOut, FanIn, SpreadFanIn, GatherScatter, ScatterGather, Cycle, Bipartite, Stack,
                Structuring, SplitPayments, RapidPassThrough)
}

__all__ = ["REGISTRY", "Detector", "all_detectors", "describe", "make", "title"]


def make(name: str, **overrides: Any) -> Detector:
    """A detector by name, with config fields overridden (validated by name)."""
    if name not in REGISTRY:
        raise InputError.single(
            f"detector {name!r}", f"unknown; choose from {', '.join(REGISTRY)}"
        )
    cls = REGISTRY[name]
    default = cls.config_type()
    unknown = sorted(set(overrides) - set(vars(default)))
    if unknown:
        raise InputError(
            [Problem(f"detector {name}.{k}", "no such setting") for k in unknown]
        )
    return cls(cls.config_type(**{**vars(default), **overrides}))


def all_detectors(names: Iterable[str] | None = None) -> list[Detector]:
    """Detectors with default configs (all of them, or the named ones)."""
    return [make(n) for n in (names if names is not None else REGISTRY)]


def describe() -> list[dict[str, Any]]:
    """Name, title, description and default config of every detector."""
    return [cls().describe() for cls in REGISTRY.values()]


def title(name: str) -> str:
    """A detector's title (a message, shown in the reader's language); a name this
    version does not know, as it is."""
    return REGISTRY[name].title if name in REGISTRY else name
