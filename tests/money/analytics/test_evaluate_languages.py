"""`tocsin money evaluate` in French and Russian (--language): the tables' headings and
levels, their figures written the language's way, the rules evaluation line and the name of
the model that weighs the ranking; --json keeps the English."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tocsin.cli.main import app

runner = CliRunner()


def _said(output: str) -> str:
    return " ".join(output.split())  # the no-break spaces of French and Russian figures too


def _cells(output: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("│┃ ").split("│" if "│" in line else "┃")]
            for line in output.splitlines() if line.startswith(("│", "┃"))]


@pytest.fixture
def base(tiny_set: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("COLUMNS", "200")
    return ["money", "evaluate", "--set-dir", str(tiny_set), "--engine", "embedded"]


def test_the_rules_evaluation_in_french_and_russian(base: list[str]) -> None:
    english = runner.invoke(app, ["--language", "en", *base, "--rules", "--weigh"])
    assert english.exit_code == 0, english.output
    line = re.search(r"Flagged (\d+) of ([\d,]+) accounts \(([\d.]+)%; at most 2%\); "
                     r"(\d+) accounts in findings are ranked, weighed by the shipped model\.",
                     _said(english.output))
    assert line is not None, english.output
    flagged, accounts, share, ranked = line.groups()
    assert ["level", "precision", "recall", "F1", "tp", "fp", "fn"] in _cells(english.output)
    french = runner.invoke(app, ["--language", "fr", *base, "--rules", "--weigh"])
    assert french.exit_code == 0, french.output
    said = _said(french.output)
    assert (f"{flagged} comptes signalés sur {accounts.replace(',', ' ')} "
            f"({share.replace('.', ',')} % ; au plus 2 %) ; {ranked} comptes des constatations "
            "sont classés, pondérés par le modèle livré avec Tocsin.") in said
    rows = _cells(french.output)
    assert ["niveau", "précision", "rappel", "F1", "tp", "fp", "fn"] in rows
    assert ["schéma", "transactions trouvées", "comptes trouvés"] in rows
    accounts_row = next(r for r in rows if r[0] == "comptes")
    assert all(re.fullmatch(r"[01],\d{3}", figure) for figure in accounts_row[1:4])
    # a row per detector that flagged, named in French (which ones depends on the model)
    assert any(r[0].startswith("détecteur ") for r in rows)
    assert not any(r[0].startswith("detector ") for r in rows)
    cycle = [r[1:] for r in rows if r[0] == "CYCLE"]
    assert len(cycle) == 1 and all(re.fullmatch(r"\d+\s%", share) for share in cycle[0])
    russian = runner.invoke(app, ["--language", "ru", *base, "--rules"])
    assert russian.exit_code == 0, russian.output
    assert re.search(r"Отмечено счетов: \d+ из [\d ]+ \([\d,]+ %; не более 2 %\); "
                     r"ранжировано счетов из находок: \d+\.", _said(russian.output))
    rows = _cells(russian.output)
    assert ["уровень", "точность", "полнота", "F1", "tp", "fp", "fn"] in rows
    assert ["схема", "найдено транзакций", "найдено счетов"] in rows
    assert any(r[0] == "детектор cycle" for r in rows)
    refused = runner.invoke(app, ["--language", "ru", *base, "--weigh"])
    assert refused.exit_code == 1
    assert "--weigh: требует --rules без --all-findings" in _said(refused.output)
    kept = runner.invoke(app, ["--language", "fr", *base, "--rules", "--weigh", "--json"])
    assert json.loads(kept.output)["ranking"]["model"] == "shipped model"


def test_the_models_evaluation_in_french_and_russian(base: list[str]) -> None:
    french = runner.invoke(app, ["--language", "fr", *base])
    assert french.exit_code == 0, french.output
    assert "Le modèle face aux étiquettes de set" in _said(french.output)
    rows = _cells(french.output)
    assert ["niveau", "précision", "rappel", "F1", "PR-AUC", "tp", "fp", "fn"] in rows
    assert ["schéma", "transactions", "rappel (transactions)", "rappel (comptes)"] in rows
    level = next(r for r in rows if r[0] == "comptes")
    assert all(re.fullmatch(r"[01],\d{3}", figure) for figure in level[1:5])
    russian = runner.invoke(app, ["--language", "ru", *base])
    assert russian.exit_code == 0, russian.output
    assert "Модель против меток набора set" in _said(russian.output)
    rows = _cells(russian.output)
    assert ["уровень", "точность", "полнота", "F1", "PR-AUC", "tp", "fp", "fn"] in rows
    assert ["схема", "транзакции", "полнота (транзакции)", "полнота (счета)"] in rows
    assert {r[0] for r in rows} >= {"транзакции", "счета"}
    english = runner.invoke(app, ["--language", "en", *base])
    assert "Model against the labels of set" in _said(english.output)
    assert re.search(r"│ accounts\s+│ [01]\.\d{3} ", english.output)
