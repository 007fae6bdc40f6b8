"""``tocsin money``: the commands are thin wrappers over the library, on a real database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tocsin import i18n
from tocsin.access.tables import Unit
from tocsin.cli.money import app
from tocsin.money.tables import TransactionSet
from tocsin.settings import Settings, get_settings
from tocsin.store.database import Database


@pytest.fixture
def cli_env(db: Database, settings: Settings,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    with db.transaction() as session:
        session.add(Unit(code="tntd-spmu", name="Strategic police matters"))
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TOCSIN_DATABASE_URL", settings.database_url or "")
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def test_ingest_list_export_delete(cli_env: Database, fixtures: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    folder = fixtures / "amlworld"
    result = runner.invoke(app, ["ingest", "amlworld", str(folder / "Tiny_Trans.csv"),
                                 "--patterns", str(folder / "Tiny_Patterns.txt"),
                                 "--name", "Case 12", "--handling", "AMBER",
                                 "--unit", "tntd-spmu"])
    assert result.exit_code == 0, result.output
    said = _flat(result.output)
    assert "Case 12" in said and "13 transactions" in said
    assert "3 of 4 pattern transactions matched" in said
    with cli_env.transaction() as session:
        item = session.scalars(select(TransactionSet)).one()
        assert (item.format, item.handling, item.transaction_count) == ("amlworld", "AMBER", 13)

    listing = runner.invoke(app, ["sets"])
    assert listing.exit_code == 0 and "Case 12" in listing.output

    out = tmp_path / "case.graphml"
    exported = runner.invoke(app, ["export", "Case 12", "--format", "graphml",
                                   "--output", str(out)])
    assert exported.exit_code == 0, exported.output
    assert out.exists() and "13 transactions" in _flat(exported.output)
    # a folder named as the file, a file under a file: one line, no traceback
    for wrong in (tmp_path, out / "case.graphml"):
        refused = runner.invoke(app, ["export", "Case 12", "--format", "graphml",
                                      "--output", str(wrong)])
        assert refused.exit_code == 1 and not isinstance(refused.exception, OSError)
        assert refused.output.strip().startswith(f"Error: {wrong}: cannot write: ")
        assert "\n" not in refused.output.strip()

    removed = runner.invoke(app, ["delete", str(item.id), "--yes"])
    assert removed.exit_code == 0, removed.output
    with cli_env.transaction() as session:
        assert session.scalars(select(TransactionSet)).all() == []


@pytest.mark.parametrize(("language", "no", "yes", "asked"), [
    ("fr", "non", "oui", "[o/N] :"),
    ("ru", "нет", "да", "[д/\u041d]:"),  # (Cyrillic En)
    ("en", "n", "yes", "[y/N]:")])
def test_a_delete_asks_in_the_readers_language(cli_env: Database, fixtures: Path,
                                               language: str, no: str, yes: str,
                                               asked: str) -> None:
    runner = CliRunner()
    folder = fixtures / "amlworld"
    made = runner.invoke(app, ["ingest", "amlworld", str(folder / "Tiny_Trans.csv"),
                               "--name", "Case 12", "--unit", "tntd-spmu"])
    assert made.exit_code == 0, made.output
    with i18n.using(language):
        kept = runner.invoke(app, ["delete", "Case 12"], input=f"{no}\n")
        assert kept.exit_code == 1 and asked in kept.output  # aborted, nothing deleted
        with cli_env.transaction() as session:
            assert len(session.scalars(select(TransactionSet)).all()) == 1
        removed = runner.invoke(app, ["delete", "Case 12"], input=f"{yes.upper()}\n")
        assert removed.exit_code == 0, removed.output
    with cli_env.transaction() as session:
        assert session.scalars(select(TransactionSet)).all() == []


def test_errors_are_printed_plainly(cli_env: Database, fixtures: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", "amlworld",
                                 str(fixtures / "amlworld" / "Bad_Trans.csv"),
                                 "--name", "Bad", "--unit", "tntd-spmu"])
    assert result.exit_code == 1
    assert "Bad_Trans.csv:3" in _flat(result.output) and "Traceback" not in result.output
    missing_unit = runner.invoke(app, ["ingest", "amlsim", str(fixtures / "amlsim_tiny"),
                                       "--name", "X"])
    assert missing_unit.exit_code == 1 and "--unit" in _flat(missing_unit.output)
    unknown = runner.invoke(app, ["export", "Nope", "--format", "csv", "--output", "x.csv"])
    assert unknown.exit_code == 1 and "not found" in _flat(unknown.output)


def test_ingest_check_answers_without_writing(cli_env: Database, fixtures: Path,
                                              settings: Settings) -> None:
    runner = CliRunner()
    folder = fixtures / "amlworld"
    good = runner.invoke(app, ["ingest", "amlworld", str(folder / "Tiny_Trans.csv"),
                               "--patterns", str(folder / "Tiny_Patterns.txt"), "--check"])
    assert good.exit_code == 0, good.output
    said = _flat(good.output)
    assert "Checked: 13 transactions, 14 accounts" in said and "nothing was written" in said
    assert "3 of 4 pattern transactions matched" in said
    bad = runner.invoke(app, ["ingest", "amlworld", str(folder / "Bad_Trans.csv"), "--check"])
    assert bad.exit_code == 1 and "Bad_Trans.csv:3" in _flat(bad.output)
    with cli_env.transaction() as session:
        assert session.scalars(select(TransactionSet)).all() == []
    money = settings.data_dir / "money"
    assert not money.exists() or not any(money.iterdir())
    unnamed = runner.invoke(app, ["ingest", "amlworld", str(folder / "Tiny_Trans.csv"),
                                  "--unit", "tntd-spmu"])
    assert unnamed.exit_code == 1 and "--name" in _flat(unnamed.output)


def _flat(text: str) -> str:
    """Rich wraps long lines to the terminal width; compare without the wrapping."""
    return " ".join(text.split())


def test_ingest_amlsim_converted_outputs_then_evaluate(cli_env: Database, fixtures: Path,
                                                      settings: Settings) -> None:
    import json

    import typer

    from tocsin.cli.money_analysis import register
    from tocsin.money.sets import set_path

    runner = CliRunner()
    result = runner.invoke(app, ["ingest", "amlsim", str(fixtures / "amlsim_converted"),
                                 "--name", "AMLSim run", "--unit", "tntd-spmu",
                                 "--currency", "USD"])
    assert result.exit_code == 0, result.output
    said = _flat(result.output)
    assert "12 transactions, 9 accounts" in said
    assert "2 transactions of alerts that are not SAR" in said
    with cli_env.transaction() as session:
        item = session.scalars(select(TransactionSet)).one()
        folder = set_path(get_settings(), item)
    analysis = typer.Typer()
    register(analysis)
    judged = runner.invoke(analysis, ["evaluate", "--set-dir", str(folder), "--engine",
                                      "embedded", "--json"])
    assert judged.exit_code == 0, judged.output
    patterns = json.loads(judged.output)["patterns"]
    assert {k: v["count"] for k, v in patterns.items()} == {"FAN-IN": 3, "CYCLE": 3}


def test_evaluate_a_registered_set_by_its_name(cli_env: Database, fixtures: Path,
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import typer

    from tocsin.cli.money_analysis import register
    from tocsin.money import model

    runner = CliRunner()
    made = runner.invoke(app, ["ingest", "amlsim", str(fixtures / "amlsim_converted"),
                               "--name", "AMLSim run", "--unit", "tntd-spmu"])
    assert made.exit_code == 0, made.output
    analysis = typer.Typer()
    register(analysis)
    judged = runner.invoke(analysis, ["evaluate", "AMLSim run", "--engine", "embedded",
                                      "--json"])
    assert judged.exit_code == 0, judged.output
    assert json.loads(judged.output)["set"] == "AMLSim run"  # not its storage folder
    assert not json.loads(judged.output)["trained_on_this_set"]
    # a model `money train` made on this set names it so: judging it there is said
    monkeypatch.setenv("TOCSIN_SECRET_KEY", "k" * 40)  # models are signed with it
    get_settings.cache_clear()
    trained = model.load_default()
    trained.meta["trained_on"] = [{"set": "AMLSim run", "transactions": 12}]
    path = model.save(trained, tmp_path / "m.json")
    shown = runner.invoke(analysis, ["evaluate", "AMLSim run", "--model", str(path),
                                     "--engine", "embedded"])
    assert shown.exit_code == 0, shown.output
    said = _flat(shown.output)
    assert "Model against the labels of AMLSim run" in said
    assert "the model was trained on a set of this name" in said
