"""The lock files hold every declared dependency at a version its specifier allows.

``scripts/lock.sh`` regenerates them; this fails when pyproject.toml changed without it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "requirements"


def _pins(name: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (LOCKS / name).read_text().splitlines():
        found = re.match(r"^([A-Za-z0-9._-]+)==([^\s;]+)", line)
        if found:
            pins[canonicalize_name(found[1])] = found[2]
    return pins


def _project() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _check(requirements: list[str], pins: dict[str, str], lock: str) -> list[str]:
    wrong = []
    for text in requirements:
        req = Requirement(text)
        version = pins.get(canonicalize_name(req.name))
        if version is None:
            wrong.append(f"{req.name} is not in {lock}")
        elif not req.specifier.contains(version, prereleases=True):
            wrong.append(f"{lock} pins {req.name}=={version}, outside {req.specifier}")
    return wrong


def test_the_runtime_lock_satisfies_the_runtime_dependencies() -> None:
    wrong = _check(_project()["dependencies"], _pins("runtime.lock"), "runtime.lock")
    assert not wrong, "run scripts/lock.sh:\n" + "\n".join(wrong)


@pytest.mark.parametrize("extra", ["test", "semantic", "spark"])
def test_the_test_lock_satisfies_runtime_and_extras(extra: str) -> None:
    project = _project()
    wanted = project["dependencies"] + project["optional-dependencies"][extra]
    wrong = _check(wanted, _pins("test.lock"), "test.lock")
    assert not wrong, "run scripts/lock.sh:\n" + "\n".join(wrong)


def test_the_test_lock_pins_the_cpu_torch_and_no_gpu_packages() -> None:
    pins = _pins("test.lock")
    assert pins["torch"] == "2.13.0"
    assert not [name for name in pins if name.startswith(("nvidia-", "triton"))]


def test_the_runtime_lock_has_no_test_packages() -> None:
    pins = _pins("runtime.lock")
    assert not {"pytest", "hypothesis", "playwright", "pyspark", "torch"} & set(pins)
