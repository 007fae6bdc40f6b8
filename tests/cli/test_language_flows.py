"""The command line's confirmation and result lines speak the language asked for.

The same flows (init, demo, users, programme exchange, lessons, money, reference data and
refused input) run on a fresh platform in English, French and Russian. What the English run
printed of the catalogs' English must not show in the other runs, nor any line of English
words printed alike in both (a sentence that bypassed the catalogs); a few translations are
checked word for word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from tests.conftest import cli_platform
from tocsin import i18n
from tocsin.cli.main import app
from tocsin.settings import get_settings

FIXTURES = Path(__file__).parents[1] / "fixtures"
AMLWORLD = FIXTURES / "money" / "amlworld"
TABULAR = FIXTURES / "money" / "tabular"
FOLDER = "<folder>"  # each language's platform folder, the same in every run's output
#: Three words of English running in plain lower case, outside a table: a sentence.
ENGLISH_RUN = re.compile(r"\b[a-z]{2,}(?: [a-z]{2,}){2}\b")
#: A message's text between its placeholders, of two words or more.
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)s|%%")
#: Catalog words that are also data the flows print as stored: a fictional programme's title,
#: a case's exchanges as recorded ("… (UNTOC art. 18) request …", "Ministry of Justice of the
#: requested State").
DATA = {"Central Asia", "UNTOC art. 18", "of the"}


def _flows(folder: Path) -> list[tuple[list[str], int]]:
    """Each command line and the exit code it must end with."""
    bad_table = folder / "bad.csv"
    return [
        (["init"], 0),
        (["demo"], 0),
        (["user", "add", "ana", "--role", "analyst", "--unit", "tntd-spmu", "--password",
          "long enough passphrase 42"], 0),
        (["programmes", "export-table", "--output", str(folder / "activities.csv")], 0),
        (["programmes", "import-table", str(folder / "activities.csv")], 0),
        (["programmes", "export-iati", "--output", str(folder / "activities.xml")], 0),
        (["programmes", "template", "--output", str(folder / "template.csv")], 0),
        (["programmes", "show", "1"], 0),
        (["lessons", "submit", "--title", "FIU training", "--planned", "train 20",
          "--happened", "12 came", "--why", "late invitations", "--next-time",
          "invite early", "--outcome", "partly", "--unit", "tntd-spmu"], 0),
        (["money", "ingest", "amlworld", str(AMLWORLD / "Tiny_Trans.csv"), "--patterns",
          str(AMLWORLD / "Tiny_Patterns.txt"), "--check"], 0),
        (["cases", "show", "1"], 0),
        (["money", "suggest", str(FIXTURES / "money" / "wizard" / "virements_fr.csv")], 0),
        (["money", "sets"], 0),
        (["money", "delete", "1", "--yes"], 0),
        (["money", "leftovers"], 0),
        (["reference", "check"], 0),
        (["reference", "show", "crime-areas", "no_such_area"], 1),
        (["money", "ingest", "tabular", str(TABULAR / "bank_export_bad.csv"), "--mapping",
          str(TABULAR / "bank_export.yaml"), "--check"], 1),
        (["programmes", "import-table", str(bad_table)], 1),
    ]


def _run(language: str, root: Path) -> list[str]:
    """Every flow's output on a fresh platform in ``root``, whitespace made single spaces."""
    folder = root / language
    folder.mkdir()
    (folder / "bad.csv").write_text("identifier,level,title\n,programme,\n", encoding="utf-8")
    runner = CliRunner()
    said = []
    with pytest.MonkeyPatch.context() as patch:
        cli_platform(patch, folder)
        try:
            for args, code in _flows(folder):
                # as main() does: the language is set before the command and its errors
                with i18n.using(language):
                    result = runner.invoke(app, ["--language", language, *args],
                                           env={"COLUMNS": "200"})
                    if result.exception is not None and not isinstance(result.exception,
                                                                      SystemExit):
                        text = f"{i18n._('Error:')} {result.exception}"
                    else:
                        text = result.output
                assert result.exit_code == code, (language, args, result.output,
                                                  result.exception)
                said.append(" ".join(text.replace(str(folder), FOLDER).split()))
        finally:
            get_settings.cache_clear()
    return said


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[str]]]:
    root = tmp_path_factory.mktemp("languages")
    yield {language: _run(language, root) for language in ("en", "fr", "ru")}


def _english_pieces() -> set[str]:
    """The catalogs' English between placeholders: the words of every message."""
    path = i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale="fr")
    pieces = set()
    for message in catalog:
        for text in (message.id if isinstance(message.id, tuple) else (message.id,)):
            for piece in PLACEHOLDER.split(text or ""):
                piece = " ".join(piece.split()).strip(" :;,.()")
                if len(re.findall(r"[A-Za-z]{2,}", piece)) >= 2:
                    pieces.add(piece)
    return pieces


def _sentences(lines: list[str]) -> set[str]:
    """English-looking runs of words outside tables (a table's rows are data)."""
    return {run for line in lines if "│" not in line and "┃" not in line
            for run in ENGLISH_RUN.findall(line)}


@pytest.mark.parametrize("language", ["fr", "ru"])
def test_no_english_sentence_left(outputs: dict[str, list[str]], language: str) -> None:
    english, other = outputs["en"], outputs[language]
    printed = {piece for piece in _english_pieces() - DATA
               if any(piece in said for said in english)}
    assert len(printed) > 40  # the English run did print the catalogs' messages
    left = sorted(piece for piece in printed if any(piece in said for said in other))
    assert left == [], f"English left in {language}"
    alike = sorted(_sentences(english) & _sentences(other))
    assert alike == [], f"English printed alike in {language} (not in the catalogs?)"


def test_the_flows_in_french_and_russian(outputs: dict[str, list[str]]) -> None:
    en, fr, ru = (" ".join(outputs[language]) for language in ("en", "fr", "ru"))
    assert "activities written to <folder>/activities.csv" in en
    assert "activités écrites dans <folder>/activities.csv" in fr
    assert "мероприятий записано в <folder>/activities.csv" in ru
    assert "Observation 5 submitted." in en  # after the demo's four
    assert "Observation 5 soumise." in fr and "Наблюдение 5 отправлено." in ru
    assert "nothing was written" in en
    assert "rien n\u2019a été écrit." in fr and "ничего не записано." in ru
    assert "13 transactions, " in en and "13 транзакций, " in ru
    assert "OK : " in fr and " est valide." in fr and " корректен." in ru
    assert "Erreur : crime-areas : aucune entrée n\u2019a le code 'no_such_area'" in fr
    assert "Comptes de démonstration (fictifs" in fr
    assert "│ Дата " in ru and "значения — даты" in ru  # messages in a table's cells
    assert "Gel : Balance of foreign account ACC00002472 (fictional) — ordonnance" in fr
    assert "Jeu de transactions Fictional case — Operation Tidewater supprimé." in fr
