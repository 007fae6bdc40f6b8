# ruff: noqa: RUF001 -- the expected texts are French and Russian
"""The screening matcher's explanations in French and Russian: each feature's reason on the
screening result page, on a kept subject's page and inside a listed-party finding's reason;
the API's ``reason`` and yente's ``explanations`` stay English."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import MakeUser, login
from tocsin import i18n
from tocsin.money.findings import reason_of
from tocsin.screening.matching import entity_from_dict, prepare, score

IVAN = {"schema": "Person", "properties": {"name": ["Ivan Sidorov"],
                                           "birthDate": ["1964-01-16"],
                                           "nationality": ["ru"], "gender": ["male"]}}
LISTED = {"schema": "Person", "properties": {"name": ["Ivan Petrovich Sidorov"],
                                             "birthDate": ["1964-01-16"],
                                             "nationality": ["ua"], "gender": ["male"]}}


def _in(language: str, text: str) -> str:
    with i18n.using(language):
        return str(text)


def test_each_feature_explains_itself_in_the_readers_language() -> None:
    explained = score(prepare(entity_from_dict(IVAN), query=True),
                      prepare(entity_from_dict(LISTED)))
    reason = explained.reason()
    assert reason == ("name 0.83: 'Ivan Sidorov' ~ 'Ivan Petrovich Sidorov' (ivan=ivan, "
                      "sidorov=sidorov, ∅~petrovich:0.00); birth_date 1.00: same day "
                      "1964-01-16; country 0.00: ru vs ua; gender 1.00: both male")
    assert _in("fr", reason).endswith("birth_date 1,00 : même jour 1964-01-16; country "
                                      "0,00 : ru contre ua; gender 1,00 : male des deux côtés")
    assert _in("ru", reason).endswith("birth_date 1,00: тот же день 1964-01-16; country 0,00: "
                                      "ru против ua; gender 1,00: male с обеих сторон")
    # The stored features keep each reason's message beside its English text.
    kept = json.loads(json.dumps(explained.features_dict()))
    assert kept["birth_date"]["reason"] == "same day 1964-01-16"
    assert _in("ru", i18n.from_data(kept["birth_date"]["reason_message"],
                                    kept["birth_date"]["reason"])) == "тот же день 1964-01-16"
    company = prepare(entity_from_dict({"schema": "Company",
                                        "properties": {"name": ["Ivan Sidorov"]}}))
    other = score(prepare(entity_from_dict(IVAN), query=True), company)
    assert _in("fr", other.reason()) == "name 0,00 : un Person ne peut pas être un Company"
    # A finding's reason carries the matcher's reason as a value: it survives the JSON too.
    from tocsin.i18n import N_, N_plural, Number

    finding = N_plural("%(count)s payment of %(amount)s to or from %(party)s, who %(how)s "
                       "%(caption)s on %(list)s (%(programme)s, score %(score)s: %(why)s)",
                       "%(count)s payments of %(amount)s to or from %(party)s, who %(how)s "
                       "%(caption)s on %(list)s (%(programme)s, score %(score)s: %(why)s)",
                       1, count=1, amount=Number(10.0, 2), party="I. Sidorov", how=N_("matches"),
                 caption="IVAN PETROVICH SIDOROV", list="watch", programme="UA",
                 score=Number(0.83, 2, group=False), why=reason)
    data = json.loads(json.dumps({"reason": finding, "reason_message": i18n.to_data(finding)}))
    assert "тот же день 1964-01-16; country 0,00: ru против ua" in _in("ru", reason_of(data))


def test_the_screening_pages_explain_matches_in_russian_and_french(
        client: TestClient, make_user: MakeUser, fixtures: Path) -> None:
    token = login(client, make_user("analyst")[0])
    response = client.post("/api/v1/screening/lists", headers={"X-CSRF-Token": token},
                           data={"format": "un"},
                           files={"file": ("un_v1.xml", (fixtures / "un_v1.xml").read_bytes(),
                                           "text/xml")})
    assert response.status_code == 201, response.text
    client.cookies.set("tocsin_language", "ru")
    result = client.post("/screening/screen", data={
        "csrf_token": token, "name": "Ivan Sidorov", "entity_type": "Person",
        "birth_date": "1964-01-16", "handling": "AMBER"})
    assert result.status_code == 200, result.text
    assert "тот же день 1964-01-16" in result.text and "same day" not in result.text
    subject = client.get("/api/v1/screening/subjects").json()[0]
    view = client.get(f"/api/v1/screening/subjects/{subject['id']}").json()
    top = view["matches"][0]["features"]["birth_date"]
    assert top["reason"] == "same day 1964-01-16"  # the API's field stays English
    client.cookies.set("tocsin_language", "fr")
    page = client.get(f"/screening/subjects/{subject['id']}")
    assert "même jour 1964-01-16" in page.text and "same day" not in page.text


def test_the_command_line_explains_matches_in_french(tmp_path: Path, fixtures: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from tocsin.cli.main import app
    from tocsin.settings import get_settings

    monkeypatch.setenv("TOCSIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TOCSIN_SECRET_KEY", "k" * 40)
    monkeypatch.delenv("TOCSIN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(app, ["init"]).exit_code == 0
        added = runner.invoke(app, ["user", "add", "analyste1", "--role", "analyst",
                                    "--unit", "tntd-spmu", "--password",
                                    "long enough passphrase 42"])
        assert added.exit_code == 0, added.output
        imported = runner.invoke(app, ["screening", "import", "un", str(fixtures / "un_v1.xml"),
                                       "--as", "analyste1"])
        assert imported.exit_code == 0, imported.output
        screened = runner.invoke(app, ["--language", "fr", "screening", "screen",
                                       "Ivan Sidorov", "--birth-date", "1964-01-16", "--as",
                                       "analyste1"], env={"COLUMNS": "400"})
        assert screened.exit_code == 0, screened.output
        assert "même jour 1964-01-16" in screened.output and "same day" not in screened.output
    finally:
        get_settings.cache_clear()


def test_the_command_line_names_what_an_import_left_out(tmp_path: Path, fixtures: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from tocsin.cli.main import app
    from tocsin.settings import get_settings

    monkeypatch.setenv("TOCSIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TOCSIN_SECRET_KEY", "k" * 40)
    monkeypatch.delenv("TOCSIN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(app, ["init"]).exit_code == 0
        added = runner.invoke(app, ["user", "add", "analyst1", "--role", "analyst",
                                    "--unit", "tntd-spmu", "--password",
                                    "long enough passphrase 42"])
        assert added.exit_code == 0, added.output
        imported = runner.invoke(app, ["screening", "import", "un",
                                       str(fixtures / "published" / "un_consolidated.xml"),
                                       "--as", "analyst1"], env={"COLUMNS": "400"})
        assert imported.exit_code == 0, imported.output
        assert "1 value in the file could not be held and was left out:" in imported.output
        assert "nationality 'Borduria' is not a value the platform can hold" in imported.output
    finally:
        get_settings.cache_clear()
