"""Load a script of ``bench/`` as a module: the suite runs a short version of each benchmark."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[1] / "bench"


@cache
def load_bench(name: str) -> ModuleType:
    """``bench/<name>.py``, loaded once per process."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    # registered first: dataclasses and pickling look a class's module up by name
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
