"""``tocsin search query`` and ``tocsin search reindex``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from typer.testing import CliRunner

from tests.factories import create_user
from tests.search.conftest import sqlite_only
from tocsin.cli.search import app
from tocsin.settings import Settings, get_settings
from tocsin.store.database import Database


@pytest.fixture
def cli_env(settings: Settings, platform_db: Database,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TOCSIN_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("TOCSIN_SEMANTIC_SEARCH", "false")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@sqlite_only
@pytest.mark.usefixtures("cli_env")
def test_query_as_a_user_and_reindex(platform_db: Database,
                                     make_activity: Callable[..., int]) -> None:
    make_activity("Witness protection cooperation", handling="RED", unit="tntd-spmu")
    viewer, _ = create_user(platform_db, "partner_viewer", unit="unodc")
    runner = CliRunner()
    as_system = runner.invoke(app, ["query", "witness", "--type", "activity"])
    assert as_system.exit_code == 0, as_system.output
    assert "Witness protection cooperation" in as_system.output
    as_viewer = runner.invoke(app, ["query", "witness", "--type", "activity", "--user", viewer])
    assert as_viewer.exit_code == 0, as_viewer.output
    assert "0 results for witness" in as_viewer.output  # English plural form for none

    rebuilt = runner.invoke(app, ["reindex"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert re.search(r"\bactivity\s+1\n", rebuilt.output), rebuilt.output
