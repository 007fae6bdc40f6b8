from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.errors import ConfigurationError
from tocsin.settings import Settings, settings_reference

DOCS = Path(__file__).parent.parent / "docs" / "settings.md"


@pytest.mark.parametrize("value", [None, "", "changeme", "CHANGEME", "secret", "placeholder"])
def test_placeholder_or_missing_secret_is_refused(tmp_path: Path, value: str | None) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=value)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="TOCSIN_SECRET_KEY"):
        settings.secret()


def test_short_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="at least 32"):
        Settings(data_dir=tmp_path, secret_key="a-real-but-short-key").secret()  # type: ignore[arg-type]


def test_demo_mode_generates_and_keeps_a_secret(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path, demo=True).secret()
    second = Settings(data_dir=tmp_path, demo=True).secret()
    assert first == second and len(first) >= 32
    assert (tmp_path / "demo-secret-key").stat().st_mode & 0o077 == 0


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TOCSIN_SESSION_LIFETIME_MINUTES", "60")
    settings = Settings()
    assert settings.data_dir == tmp_path and settings.session_lifetime_minutes == 60
    assert settings.resolved_database_url == f"sqlite:///{(tmp_path / 'tocsin.db').resolve()}"


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text()
    for name in Settings.model_fields:
        assert f"`TOCSIN_{name.upper()}`" in text, f"TOCSIN_{name.upper()} missing from docs"
    assert text == settings_reference(), "run `tocsin docs settings` to regenerate docs/settings.md"
