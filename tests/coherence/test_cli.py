"""The ``coherence`` and ``report`` command groups, end to end on the demo workspace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer import Typer
from typer.testing import CliRunner

from tocsin.cli import coherence, report
from tocsin.settings import Settings, get_settings
from tocsin.store.database import Database
from tocsin.taskforce.programmes.tables import Activity

runner = CliRunner()
#: The groups mounted as ``tocsin/cli/main.py`` mounts them.
root = Typer()
root.add_typer(coherence.app)
root.add_typer(report.app)


@pytest.fixture
def cli_env(demo_db: Database, settings: Settings,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("TOCSIN_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TOCSIN_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("COLUMNS", "220")
    get_settings.cache_clear()
    yield demo_db
    get_settings.cache_clear()


def run(app: Typer, *args: str) -> str:
    result = runner.invoke(root, [app.info.name or "", *args])
    assert result.exit_code == 0, f"{args}: {result.output}\n{result.exception!r}"
    return result.output


def test_commands(cli_env: Database, tmp_path: Path) -> None:
    assert "Northern Route" in run(coherence.app, "groups")
    assert "Tajikistan" in run(coherence.app, "gaps")
    out = run(coherence.app, "coverage", "--start", "2020", "--end", "2030", "--cols", "region")
    assert "Central Asia" in out
    assert "likely duplicate" in run(coherence.app, "duplicates", "--limit", "3")
    assert "Fund work on" in run(coherence.app, "recommendations", "--limit", "3")
    with cli_env.transaction() as session:
        ids = sorted(session.scalars(select(Activity.id).where(Activity.identifier.like("%THB-%"))))
    assert "duplicate" in run(coherence.app, "judge", f"{ids[1]}-{ids[0]}", "--as", "duplicate",
                              "--note", "same course")
    assert "Merge" in run(coherence.app, "recommendations", "--limit", "20")

    csv = tmp_path / "threats.csv"
    csv.write_text("crime_area,country,year,kind,value,unit,source,reliability,credibility\n"
                   "cybercrime,GE,2025,cases,12,cases,Police,B,2\n")
    assert "1 indicator added" in run(coherence.app, "threats", "import", str(csv),
                                         "--unit", "tntd-spmu")
    bad = tmp_path / "bad.csv"
    bad.write_text("crime_area,country,year,kind,value,unit,source,reliability,credibility\n"
                   "cybercrime,ZZ,2025,cases,12,cases,Police,B,2\n")
    result = runner.invoke(root, ["coherence", "threats", "import", str(bad)])
    assert result.exit_code != 0

    target = tmp_path / "report.pdf"
    assert "PDF" in run(report.app, "coherence", "--output", str(target))
    assert target.read_bytes().startswith(b"%PDF")
