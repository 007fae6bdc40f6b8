"""Optional parts of Tocsin that need an extra set of packages (``pip install 'tocsin[X]'``).

Code that uses a package of an extra imports it through :func:`require`, never with a plain
``import`` statement, so a missing extra is a clear error naming what to install instead of a
``ModuleNotFoundError`` deep in a request. ``tests/test_dependencies.py`` enforces that.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from tocsin.errors import ConfigurationError


class MissingExtra(ConfigurationError):
    """A feature was asked for whose extra is not installed."""

    def __init__(self, extra: str, module: str) -> None:
        self.extra = extra
        self.module = module
        super().__init__(f"{module.split('.')[0]} is not installed: this needs the {extra} "
                         f"extra; install it with `pip install 'tocsin[{extra}]'`")


def require(extra: str, module: str) -> ModuleType:
    """Import ``module`` of the named extra, or raise :class:`MissingExtra` naming the extra."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.split(".")[0] == exc.name.split(".")[0]:
            raise MissingExtra(extra, module) from exc
        raise


def available(extra: str, module: str) -> bool:
    """Whether ``module`` of the extra is installed (without importing it)."""
    del extra  # named at the call site so the dependency test can check it
    return importlib.util.find_spec(module.split(".")[0]) is not None
