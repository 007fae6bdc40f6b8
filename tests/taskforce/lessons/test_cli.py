"""The command groups of lessons, partners, events and experts on an embedded database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tocsin.cli import events, experts, lessons, partners
from tocsin.cli.main import app as main_app
from tocsin.settings import get_settings
from tocsin.store.database import Database
from tocsin.taskforce.events import demo

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TOCSIN_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.delenv("TOCSIN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    assert runner.invoke(main_app, ["init"]).exit_code == 0
    db = Database.from_settings(get_settings())
    with db.transaction() as session:
        demo.load(session, get_settings())
    db.engine.dispose()
    yield tmp_path
    get_settings.cache_clear()


def run(app: typer.Typer, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, f"{args}: {result.output}\n{result.exception!r}"
    return result.output


def test_commands_have_examples() -> None:
    for group in (lessons, partners, events, experts):
        for command in group.app.registered_commands:
            assert "Example: tocsin " in (command.callback.__doc__ or ""), command.name


def test_lessons_cycle_from_the_command_line(env: Path) -> None:
    out = run(lessons.app, "submit", "--title", "CLI review", "--planned", "p", "--happened",
              "h", "--why", "w", "--next-time", "n", "--outcome", "worked", "--unit",
              "tntd-spmu", "--crime-area", "corruption")
    lesson_id = out.split()[1]
    assert "CLI review" in run(lessons.app, "list", "--status", "submitted")
    assert "Accepted for analysis" in run(lessons.app, "advance", lesson_id, "accept")
    refused = runner.invoke(lessons.app, ["advance", lesson_id, "validate"])
    assert refused.exit_code != 0
    assert "cannot validate" in str(refused.exception)
    assert "Regional workshop" in run(lessons.app, "pending")


def test_partners_events_experts_commands(env: Path) -> None:
    assert "Fictional Civil Society" in run(partners.app, "list", "--kind", "civil_society")
    assert "countering illicit" in run(partners.app, "expiring", "--days", "90")
    assert "Joint action plan" in run(partners.app, "agreements")
    listed = run(events.app, "list", "--year", "2020")
    assert "Strategic" in listed
    [line] = [x for x in listed.splitlines() if "Strategic" in x]
    event_id = re.findall(r"\d+", line)[0]
    shown = run(events.app, "show", event_id)
    assert "Panel 4" in shown and "[Fictional example]" in shown
    assert "overdue" in run(events.app, "actions", "--overdue")
    found = run(experts.app, "find", "--crime-area", "money_laundering", "--language", "fr")
    assert "Alpha" in found and "matches" in found
