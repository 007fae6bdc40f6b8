# ruff: noqa: RUF001 -- the expected texts are French and Russian, typographic apostrophes included
"""The supervised model in French and Russian: its progress, its note on how it was split,
what training reports and a refused model file, on the command line with --language; the
model file keeps its English."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tocsin import i18n
from tocsin.cli.main import app
from tocsin.money import model, worlds
from tocsin.settings import get_settings


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    params = worlds.draw_params(7, transactions=10_000, accounts=1_000, laundering_share=0.04,
                                pattern_weights={p: 1.0 for p in worlds.PATTERNS})
    return worlds.ingest_world(params, tmp_path_factory.mktemp("world") / "w7", "w7")



def test_training_reports_its_progress_as_messages(world: Path) -> None:
    said: list[str] = []
    trained = model.train([world], rounds=10, progress=said.append)
    assert said[0] == f"Computing features of {world.name}" and said[-1].startswith("Fitting on ")
    with i18n.using("ru"):
        assert str(said[0]) == f"Вычисление признаков набора {world.name}"
        assert str(said[-1]).startswith("Обучение на ")
    split = trained.meta["split"]
    name = trained.meta["trained_on"][0]["set"]
    assert split == (f"fit on the first 80 % of {name} in time; threshold and early stopping "
                     "on the last 20 %")
    assert i18n.Message.translated(split, "fr").startswith(
        f"ajusté sur les premiers 80 % de {name} dans le temps")
    # The model file keeps the English note.
    assert json.loads(model.dumps(trained, {"method": "none", "value": ""}))[
        "model"]["meta"]["split"] == split


def test_the_command_line_trains_and_refuses_in_french_and_russian(
        env: Path, world: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_MONEY_TRAIN_REHEARSAL_WORLDS", "1")
    get_settings.cache_clear()
    runner = CliRunner()
    out = env / "m.json"
    trained = runner.invoke(app, ["--language", "fr", "money", "train", "--set-dir", str(world),
                                  "-o", str(out)])
    assert trained.exit_code == 0, trained.output
    said = " ".join(trained.output.split())
    assert f"Modèle écrit dans {out}." in said
    assert ("; seuil et arrêt anticipé sur les derniers 20 % ; ajusté aussi sur world 101 "
            "(mondes semblables à ceux dont le modèle de base a appris), pesant ensemble "
            "autant que les nouvelles données ; arbres ajoutés aux 523 arbres du modèle 3.2, "
            "arrêt et seuils choisis aussi sur world 108, world 1217, world 1218 (mondes sur "
            "lesquels ce modèle a été validé).") in said
    assert "Partie de validation : F1 des transactions 0," in said
    assert json.loads(out.read_text())["model"]["meta"]["split"].startswith("fit on the first")
    refused = runner.invoke(app, ["--language", "ru", "money", "evaluate", "--set-dir",
                                  str(world), "--model", str(env / "missing.json")])
    assert refused.exit_code == 1
    assert "такого файла модели нет" in " ".join(refused.output.split())
    out.write_text("{}")
    refused = runner.invoke(app, ["--language", "fr", "money", "evaluate", "--set-dir",
                                  str(world), "--model", str(out)])
    assert refused.exit_code == 1
    assert "ce n’est pas un modèle financier (format 'tocsin-money-model' attendu)" in " ".join(
        refused.output.split())
