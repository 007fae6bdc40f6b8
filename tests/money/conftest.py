"""The command line on the test's own database and data folder, for the money tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner, Result

from tocsin.cli.main import app
from tocsin.settings import Settings, get_settings
from tocsin.store.database import Database

runner = CliRunner()


@pytest.fixture
def cli(settings: Settings, platform_db: Database,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The command line on the test's database and data folder."""
    monkeypatch.setenv("TOCSIN_DATABASE_URL", str(settings.database_url))
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TOCSIN_SECRET_KEY", settings.secret())
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def tocsin(*args: str, ok: bool = True) -> Result:
    """Run ``tocsin ARGS``; by default the command must succeed."""
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, f"{args}: {result.output}\n{result.exception!r}"
    return result
