"""``tocsin backup --encrypt`` asks for a passphrase twice; ``tocsin restore`` asks for it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.settings import get_settings
from tocsin.store.private import is_encrypted

runner = CliRunner()
PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TOCSIN_SECRET_KEY", "k" * 40)
    monkeypatch.delenv("TOCSIN_DATABASE_URL", raising=False)
    monkeypatch.delenv("TOCSIN_BACKUP_PASSPHRASE", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_encrypted_backup_and_restore_with_prompts(env: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["user", "add", "ana", "--role", "analyst",
                               "--unit", "tntd-spmu"]).exit_code == 0
    target = env / "backup.tocsin"
    made = runner.invoke(app, ["backup", "--encrypt", str(target)],
                         input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert made.exit_code == 0, made.output
    assert is_encrypted(target) and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert PASSPHRASE not in made.output  # not echoed

    assert runner.invoke(app, ["user", "add", "bob", "--role", "analyst",
                               "--unit", "tntd-spmu"]).exit_code == 0
    wrong = runner.invoke(app, ["restore", str(target)], input="a wrong passphrase\n")
    assert wrong.exit_code != 0 and "wrong passphrase" in str(wrong.exception)
    done = runner.invoke(app, ["restore", str(target)], input=f"{PASSPHRASE}\n")
    assert done.exit_code == 0, done.output
    listing = runner.invoke(app, ["user", "list"]).output
    assert "ana" in listing and "bob" not in listing
