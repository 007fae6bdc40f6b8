"""Mount the co-operation web areas for these tests (see helpers.mount_areas)."""

from __future__ import annotations

import pytest

from tests.taskforce.lessons.helpers import mount_areas


@pytest.fixture(autouse=True)
def _areas(monkeypatch: pytest.MonkeyPatch) -> None:
    mount_areas(monkeypatch)
