"""The platform commands end to end, on an embedded database in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.cli.reference_doc import cli_reference, walk

DOCS = Path(__file__).parent.parent.parent / "docs" / "cli.md"
runner = CliRunner()



def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, f"{args}: {result.output}\n{result.exception!r}"
    return result.output


def test_help_lists_every_command_with_an_example() -> None:
    output = run("--help")
    for name in ("init", "serve", "demo", "user", "audit", "reference", "backup", "restore"):
        assert name in output
    assert "Examples" in output
    root = typer.main.get_command(app)
    for path, command in walk(root, ["tocsin"]):
        if not hasattr(command, "commands"):
            assert "Example:" in (command.help or ""), f"{' '.join(path)} has no example"
    assert DOCS.read_text() == cli_reference(), "run `tocsin docs cli` to regenerate docs/cli.md"


def test_a_command_before_init_says_to_run_it(env: Path) -> None:
    # the driver's "no such table: users" with its SQL and traceback, before
    for args in (["user", "list"], ["money", "sets"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert "holds no Tocsin database yet: run `tocsin init` first" in result.output
        assert "Traceback" not in result.output and "SELECT" not in result.output
    run("init")
    assert "username" in run("user", "list")


def test_init_is_safe_to_run_twice(env: Path) -> None:
    first = run("init")
    assert "Reference data" in first
    second = run("init")
    assert "inserted 0" in second or "unchanged" in second


def test_user_commands_and_audit(env: Path) -> None:
    run("init")
    added = run("user", "add", "ana", "--role", "analyst", "--unit", "tntd-spmu")
    assert "Initial password" in added
    assert "ana" in run("user", "list")
    run("user", "set-role", "ana", "coordinator")
    run("user", "disable", "ana")
    listing = run("user", "list")
    assert "coordinator" in listing and "no" in listing
    log = run("audit", "--user", "system")
    assert "user_admin" in log
    bad = runner.invoke(app, ["user", "add", "bob", "--role", "chief", "--unit", "tntd"])
    assert bad.exit_code != 0 and "unknown role" in bad.output


def test_backup_and_restore(env: Path) -> None:
    run("init")
    run("user", "add", "ana", "--role", "analyst", "--unit", "tntd-spmu")
    target = env / "backup.zip"
    assert "rows" in run("backup", str(target))
    run("user", "add", "bob", "--role", "analyst", "--unit", "tntd-spmu")
    checked = " ".join(run("restore", str(target), "--check").split())
    assert "can be restored; nothing was changed" in checked
    assert "bob" in run("user", "list")  # the check changed nothing
    run("restore", str(target))
    listing = run("user", "list")
    assert "ana" in listing and "bob" not in listing


def test_reference_check(env: Path) -> None:
    assert "crime" in run("reference", "check").lower()
