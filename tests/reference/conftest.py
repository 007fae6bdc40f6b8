"""Fixtures for the reference tests: a writable copy of the shipped YAML files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tocsin.reference.registry import DATA_DIR

#: ``edit("crime_areas.yaml", change)`` loads a copied file, lets ``change`` mutate it, saves it.
Edit = Callable[[str, Callable[[Any], None]], Path]


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "reference"
    shutil.copytree(DATA_DIR, target)
    return target


@pytest.fixture
def edit(data_copy: Path) -> Edit:
    def apply(name: str, change: Callable[[Any], None]) -> Path:
        path = data_copy / name
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(content)
        path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True))
        return data_copy

    return apply


def entry(items: list[dict[str, Any]], code: str, key: str = "code") -> dict[str, Any]:
    """The entry with this code in a loaded list."""
    return next(item for item in items if item.get(key) == code)
