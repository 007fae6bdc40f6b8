"""The command line speaks the language asked for with --language or by the locale."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tocsin import i18n
from tocsin.cli.main import app, main

BAD_NAME = ["user", "add", "Not A Name", "--role", "analyst", "--unit", "tntd-spmu"]



def _run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
              *args: str) -> str:
    monkeypatch.setattr(sys, "argv", ["tocsin", *args])
    with pytest.raises(SystemExit) as ended:
        main()
    assert ended.value.code == 1
    return " ".join(capsys.readouterr().err.split())


def test_the_locale_chooses_the_language_the_way_gettext_reads_it() -> None:
    assert i18n.from_environment({"LANG": "fr_FR.UTF-8"}) == "fr"
    assert i18n.from_environment({"LANG": "fr_FR.UTF-8", "LC_MESSAGES": "ru_RU"}) == "ru"
    assert i18n.from_environment({"LC_ALL": "C.UTF-8", "LANG": "fr_FR.UTF-8"}) == "en"
    assert i18n.from_environment({"LANGUAGE": "de:ru", "LANG": "fr_FR"}) == "ru"
    assert i18n.from_environment({"LANG": "de_DE.UTF-8"}) == "en"
    assert i18n.from_environment({}) == "en"


def test_an_error_in_french_with_the_option(env: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    said = _run_main(monkeypatch, capsys, "--language", "fr", *BAD_NAME)
    with i18n.using("fr"):
        wanted = i18n.gettext("use 2-80 lower-case letters, digits, '.', '_' or '-'")
    assert said.startswith("Erreur :") and wanted in said
    assert "lower-case" not in said
    assert i18n.current() == "en"  # the language ends with the command


def test_an_error_in_the_locale_language(env: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    said = _run_main(monkeypatch, capsys, *BAD_NAME)
    assert said.startswith("Ошибка:") and "lower-case" not in said
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert _run_main(monkeypatch, capsys, *BAD_NAME).startswith("Error: username: use 2-80")


def test_commands_print_in_the_chosen_language(env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    added = runner.invoke(app, ["--language", "fr", "user", "add", "analyste1", "--role",
                                "analyst", "--unit", "tntd-spmu", "--password",
                                "long enough passphrase 42"])
    assert added.exit_code == 0, added.output
    assert "analyste1 ajouté (analyst, tntd-spmu)." in added.output
    listed = runner.invoke(app, ["--language", "ru", "user", "list"])
    assert "имя пользователя" in listed.output and "да" in listed.output
    english = runner.invoke(app, ["user", "disable", "analyste1"])
    assert "Disabled analyste1." in english.output
    refused = runner.invoke(app, ["--language", "xx", "user", "list"])
    assert refused.exit_code != 0 and "use one of" in refused.output


def test_an_iati_import_and_a_refused_role_in_russian(env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    rich = Path(__file__).parents[1] / "fixtures" / "iati" / "rich_2.03.xml"
    imported = runner.invoke(app, ["--language", "ru", "programmes", "import-iati", str(rich),
                                   "--unit", "tntd-spmu"])
    assert imported.exit_code == 0, imported.output
    said = " ".join(imported.output.split())
    assert "IATI 2.03: создано: 2, обновлено: 0" in said
    assert "сохранено в опубликованном виде (записывается обратно при экспорте):" in said
    assert "kept as published" not in said
    refused = runner.invoke(app, ["--language", "fr", "user", "add", "analyste2", "--role",
                                  "boss", "--unit", "tntd-spmu", "--password",
                                  "long enough passphrase 42"])
    assert refused.exit_code != 0
    assert "rôle inconnu 'boss' ; utilisez l\u2019un de administrator," in " ".join(
        refused.output.split()) and "unknown role" not in refused.output


def test_a_refused_restore_in_french(env: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    junk = env / "not-a-backup.zip"
    junk.write_bytes(b"plain words, not a zip archive")
    said = _run_main(monkeypatch, capsys, "--language", "fr", "restore", str(junk))
    assert said.startswith("Erreur :") and "pas une sauvegarde Tocsin (" in said
    assert "not a Tocsin backup" not in said


def test_help_and_tables_in_the_chosen_language(env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    french = runner.invoke(app, ["--language", "fr", "partners", "list", "--help"],
                           env={"COLUMNS": "200"})
    assert french.exit_code == 0, french.output
    said = " ".join(french.output.split())
    assert "Lister les organisations partenaires avec leurs points focaux." in said
    assert "Seulement ce type, par ex. civil_society." in said  # an option's help
    assert "Afficher ce message et quitter." in said and "Options" in said
    assert "Only this kind" not in said and "Show this message" not in said
    russian = runner.invoke(app, ["--language", "ru", "money", "--help"],
                            env={"COLUMNS": "200"})
    said = " ".join(russian.output.split())
    assert "Команды" in said and "Параметры" in said  # typer's own words
    assert said.startswith("Использование:")
    with i18n.using("ru"):  # as main() does: the root's --help is drawn before its callback
        root = " ".join(runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).output.split())
    assert "Создать или обновить базу данных" in root  # a command registered by a call
    assert "Примеры:" in root and "Examples:" not in root
    assert "Импортировать файлы транзакций в новый набор транзакций." in said
    listed = runner.invoke(app, ["--language", "ru", "partners", "list"],
                           env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "контактные лица" in listed.output and "focal points" not in listed.output
    english = runner.invoke(app, ["partners", "list", "--help"], env={"COLUMNS": "200"})
    assert "Only this kind, e.g. civil_society." in " ".join(english.output.split())
    # the help is put back after each screen: English again in the same process
    assert "focal points" in runner.invoke(app, ["partners", "list"],
                                           env={"COLUMNS": "200"}).output


def test_every_command_help_is_in_the_catalogs() -> None:
    from tocsin.cli import helptext

    source = Path(helptext.__file__).parent
    for language in ("fr", "ru"):
        held = i18n.translations(language)._catalog  # type: ignore[attr-defined]
        missing = [text for module in sorted(source.glob("*.py"))
                   for _line, text in helptext.command_help(module.read_text())
                   if not held.get(text)]
        assert missing == [], language


def test_a_mistyped_command_line_in_the_chosen_language(tmp_path: Path) -> None:
    runner = CliRunner()
    data = tmp_path / "data"  # a command line refused opens no database, makes no folder

    def said(*args: str) -> str:
        result = runner.invoke(app, list(args), env={"COLUMNS": "200",
                                                     "TOCSIN_DATA_DIR": str(data)})
        assert result.exit_code == 2, result.output
        return " ".join(result.output.split())

    russian = said("--language", "ru", "user", "add", "analyst1", "--bogus")
    assert "Нет такого параметра: --bogus" in russian and "Ошибка" in russian
    assert "Для справки используйте 'tocsin user add --help'." in russian
    assert russian.startswith("Использование: tocsin user add")
    assert [word for word in ("No such option", "Try '", "Error", "Usage") if word in russian] \
        == []
    # a value Pydantic refuses (typer checks values with it), by the error's type
    assert "Недопустимое значение для '--year': должно быть целым числом" in said(
        "--language", "ru", "events", "list", "--year", "abc")
    # refused before the root's callback has set the language
    french = said("--language", "fr", "--bogus")
    assert "Option inconnue : --bogus" in french and "Erreur" in french
    assert "Option '--role' manquante." in said("--language", "fr", "user", "add", "analyst1")
    assert "Arguments en trop, inattendus (a b)" in said("--language", "fr", "user", "list",
                                                              "a", "b")
    assert "Commande 'zzz' inconnue." in said("--language", "fr", "zzz")
    # the platform's own refusals of a value, inside click's words
    assert "Valeur non valide pour --geo : utilisez country ou region" in said(
        "--language", "fr", "coherence", "gaps", "--geo", "x")
    english = said("user", "add", "analyst1", "--bogus")
    assert "No such option: --bogus" in english and "Try 'tocsin user add --help'" in english
    assert "Error" in english and english.startswith("Usage: tocsin user add")
    assert not data.exists()


def test_a_mistyped_command_line_through_main(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(sys, "argv", ["tocsin", "user", "list", "--bogus"])
    with pytest.raises(SystemExit) as ended:
        main()
    assert ended.value.code == 2
    said = " ".join(capsys.readouterr().err.split())
    assert "Нет такого параметра: --bogus" in said and "No such option" not in said


def test_the_passphrase_prompt_and_its_refusals_in_the_chosen_language(
        env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOCSIN_BACKUP_PASSPHRASE", raising=False)
    runner = CliRunner()
    target = str(env / "b.zip")
    short = runner.invoke(app, ["--language", "fr", "backup", "--encrypt", target],
                          input="short\nshort\n", env={"COLUMNS": "200"})
    said = " ".join(short.output.split())
    assert short.exit_code == 2, short.output
    assert "Phrase secrète de la sauvegarde : " in said and "Répétez pour confirmer : " in said
    assert "Valeur non valide : utilisez une phrase secrète d\u2019au moins 12 caractères" in said
    ended = runner.invoke(app, ["--language", "ru", "backup", "--encrypt", target], input="")
    assert ended.exit_code == 1 and "Прервано." in ended.output  # no answer: typer's abort
    assert "Aborted" not in ended.output
