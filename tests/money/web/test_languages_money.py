# ruff: noqa: RUF001 -- the expected texts are French and Russian, typographic apostrophes included
"""Money analytics in French and Russian: the readers' problems, the detectors' reasons and
the background jobs' texts are shown in the reader's language, while what is stored, sent
by the JSON API's own fields and exported stays English."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import MakeUser, login
from tests.money.web.jobs import wait_for_job
from tocsin import i18n
from tocsin.errors import InputError
from tocsin.i18n import N_, N_plural, Number, Plural
from tocsin.money.detect.base import row, to_findings
from tocsin.money.findings import duration, figure, reason_of
from tocsin.money.ingest import ingest
from tocsin.money.ingest.mapping import load_mapping
from tocsin.screening.readers import read_list

API = "/api/v1/investigations"

MAPPING = """\
transaction:
  id: {column: Reference}
  date: {column: Booked}
  amount: {column: Amount}
  currency: {column: Currency}
source:
  account: {column: From}
target:
  account: {column: To}
"""
BAD_ROWS = ("Reference,Booked,Amount,Currency,From,To\n"
            "T1,2024-01-02,twelve,EUR,A,B\n"
            "T2,yesterday,5.00,EUR,A,B\n")


def _translated(text: str, language: str) -> str:
    with i18n.using(language):
        return str(text)


# --------------------------------------------------------------------------- the pieces


def test_a_message_survives_json_with_its_values_and_figures() -> None:
    message = N_plural("%(count)s problem in the %(format)s import; nothing was written",
                       "%(count)s problems in the %(format)s import; nothing was written",
                       1234, count=Number(1234), format="csv")
    data = json.loads(json.dumps(i18n.to_data(message)))
    back = i18n.from_data(data, "ignored")
    assert isinstance(back, Plural) and back == message  # the same English text
    assert (back.plural, back.n) == (message.plural, 1234)  # the form is chosen again
    for language, written in (("fr", "1\u202f234"), ("ru", "1\u00a0234")):
        assert back.translated(language) == message.translated(language)
        assert written in back.translated(language)
    # Nothing kept, or something that is not a message: the English text stored beside it.
    assert i18n.from_data(None, "as stored") == "as stored"
    assert i18n.from_data({"id": "%(a)s", "values": {"b": 1}}, "as stored") == "as stored"
    assert i18n.to_data("plain text") is None


def test_a_list_of_messages_inside_a_message_survives_json() -> None:
    listed = i18n.Joined([N_("Screening"), "csv"])
    message = N_plural("%(count)s problem in the %(format)s import; nothing was written",
                       "%(count)s problems in the %(format)s import; nothing was written", 2,
                       count=Number(2), format=listed)
    back = i18n.from_data(json.loads(json.dumps(i18n.to_data(message))), "ignored")
    assert back == message
    assert back.translated("ru") == message.translated("ru")
    assert f"{N_('Screening').translated('ru')}, csv" in back.translated("ru")
    assert N_("Screening").translated("ru") != "Screening"


def test_figures_and_durations_in_reasons() -> None:
    assert str.__str__(figure(9950)) == "9,950.00"
    assert figure(9950).translated("fr") == "9\u202f950,00"
    assert figure(9950).translated("ru") == "9\u00a0950,00"
    assert duration(5.5 * 3600) == "5.5 hours"
    assert duration(3 * 86_400) == "3.0 days"
    assert duration(5.5 * 3600).translated("fr") == "5,5 heures"
    assert duration(5.5 * 3600).translated("ru") == "5,5 ч"


def test_a_finding_row_keeps_its_reason_message_through_the_engine_table() -> None:
    import pandas as pd  # type: ignore[import-untyped]

    reason = N_("Account %(origin)s paid %(sent)s to %(middles)s intermediaries that passed "
                "%(got)s on to account %(end)s within %(span)s (threshold %(threshold)s "
                "intermediaries)", origin="A", sent=figure(12000.5), middles=3,
                got=figure(11000), end="B", span=duration(7200), threshold=3)
    frame = pd.DataFrame([row("A", 0.9, ["A", "B"], ["t1"], 12000.5, reason)])
    assert frame["reason"].iloc[0] == ("Account A paid 12,000.50 to 3 intermediaries that "
                                       "passed 11,000.00 on to account B within 2.0 hours "
                                       "(threshold 3 intermediaries)")
    assert type(frame["reason"].iloc[0]) is str  # what an engine's table carries
    [found] = to_findings("scatter_gather", frame)
    assert found.reason == frame["reason"].iloc[0]
    assert _translated(found.reason, "fr").startswith(
        "Le compte A a payé 12\u202f000,50 à 3 intermédiaires")
    assert _translated(found.reason, "ru").startswith("Счёт A заплатил 12\u00a0000,50")
    stored = json.loads(json.dumps(found.to_dict()))
    assert stored["reason"] == found.reason  # English where stored
    assert _translated(reason_of(stored), "ru") == _translated(found.reason, "ru")
    # A finding stored before reasons kept their message shows its English text.
    old = {k: v for k, v in stored.items() if k != "reason_message"}
    assert _translated(reason_of(old), "ru") == stored["reason"]


def test_the_rows_of_a_csv_import_are_refused_in_the_readers_language(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text(BAD_ROWS, encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    load_mapping(tmp_path / "mapping.yaml")
    with pytest.raises(InputError) as caught:
        ingest("csv", [tmp_path / "export.csv"], tmp_path / "set",
               mapping=tmp_path / "mapping.yaml")
    reasons = [p.reason for p in caught.value.problems]
    assert reasons == ["transaction.amount: 'twelve' is not a number",
                       "transaction.date: 'yesterday' does not match ISO 8601"]
    assert [_translated(r, "fr") for r in reasons] == [
        "transaction.amount : 'twelve' n’est pas un nombre",
        "transaction.date : 'yesterday' ne correspond pas au format ISO 8601"]
    assert [_translated(r, "ru") for r in reasons] == [
        "transaction.amount: 'twelve' не является числом",
        "transaction.date: 'yesterday' не соответствует формату ISO 8601"]
    with i18n.using("ru"):
        said = str(caught.value)
    assert said.startswith("проблем при импорте csv: 2; ничего не записано")
    assert not (tmp_path / "set").exists()


def test_a_sanctions_list_is_refused_in_the_readers_language(tmp_path: Path) -> None:
    path = tmp_path / "un.xml"
    path.write_text("<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>7</DATAID>"
                    "</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_list("un", [path])
    [problem] = caught.value.problems
    assert problem.reason == "record 7 has no name (FIRST_NAME is empty)"
    assert _translated(problem.reason, "fr") == \
        "l’enregistrement 7 n’a pas de nom (FIRST_NAME est vide)"
    assert _translated(problem.reason, "ru") == "у записи 7 нет имени (FIRST_NAME пусто)"
    assert _translated(caught.value.summary, "ru") == (
        "un.xml: ошибочных элементов в файле сводного перечня ООН: 1; ничего не импортировано")


# --------------------------------------------------------------------------- the pages



def test_a_failed_import_job_speaks_russian_on_the_pages(client: TestClient,
                                                          make_user: MakeUser) -> None:
    token = login(client, make_user("analyst", unit="tntd-spmu")[0])
    client.cookies.set("tocsin_language", "ru")
    files = {"file": ("export.csv", BAD_ROWS.encode(), "text/csv"),
             "mapping": ("mapping.yaml", MAPPING.encode(), "application/yaml")}
    started = client.post(f"{API}/sets", headers={"X-CSRF-Token": token}, files=files,
                          data={"format": "csv", "name": "Case 7", "handling": "AMBER",
                                "unit": "tntd-spmu"})
    assert started.status_code == 202, started.text
    assert started.json()["job"]["shown"]["message"] == "ожидание свободного обработчика"
    job = wait_for_job(client, started.json()["job"])
    assert job["state"] == "failed"
    # The API's own fields stay English; `shown` is what the page's script writes.
    assert job["problems"][0] == {"location": "export.csv:2",
                                  "reason": "transaction.amount: 'twelve' is not a number",
                                  "reason_message": job["problems"][0]["reason_message"]}
    assert job["error"].startswith("2 problems in the csv import")
    shown = job["shown"]
    assert shown["state"] == "не выполнено"
    assert shown["error"] == "проблем при импорте csv: 2; ничего не записано"
    assert shown["problems"][0] == {"location": "export.csv:2",
                                    "reason": "transaction.amount: 'twelve' не является числом"}
    page = client.get("/investigations")
    assert "проблем при импорте csv: 2; ничего не записано" in page.text
    assert "не выполнено" in page.text
    client.cookies.set("tocsin_language", "fr")
    listed = client.get(f"{API}/jobs").json()
    assert listed[0]["shown"]["state"] == "échouée"
    assert listed[0]["shown"]["problems"][1]["reason"] == (
        "transaction.date : 'yesterday' ne correspond pas au format ISO 8601")


def test_findings_give_their_reasons_in_french_beside_the_english(
        client: TestClient, make_user: MakeUser, demo_set: int) -> None:
    token = login(client, make_user("analyst")[0])
    client.cookies.set("tocsin_language", "fr")
    response = client.post(f"{API}/sets/{demo_set}/detect", headers={"X-CSRF-Token": token},
                           json={"detectors": ["structuring", "fan_out"], "background": False})
    assert response.status_code == 200, response.text
    findings = response.json()["findings"]
    assert findings and all(f["reason_message"] for f in findings)
    for f in findings:
        assert f["reason"].startswith("Account ")  # English, as stored and exported
        assert f["reason_shown"].startswith("Le compte ")
    # How the ranking judged a fan against its subject's history, in French as well.
    judged = [f for f in findings if f["adjustment"]]
    assert judged and all(f["adjustment_message"] for f in judged)
    assert all(f["adjustment"].startswith(("Against its own history", "The account has no"))
               for f in judged)
    assert all(f["adjustment_shown"].startswith(("Au regard de son propre historique",
                                                 "Le compte n’a pas d’autres paiements"))
               for f in judged)
    stored = client.get(f"{API}/sets/{demo_set}/findings").json()["findings"]
    assert [f["reason_shown"] for f in stored] == [f["reason_shown"] for f in findings]
    graph = client.get(f"{API}/sets/{demo_set}/findings/{findings[0]['id']}/graph").json()
    assert graph["finding"]["reason_shown"] == findings[0]["reason_shown"]
    # The set's screening page writes them on the server, in the reader's language.
    page = client.get(f"/screening/sets/{demo_set}")
    assert "Le compte " in page.text
    client.cookies.set("tocsin_language", "ru")
    page = client.get(f"/screening/sets/{demo_set}")
    assert "Счёт " in page.text or "На счёт " in page.text
    # The risk ranking: each account's contributions, the findings' reasons among them.
    scored = client.post(f"{API}/sets/{demo_set}/score", headers={"X-CSRF-Token": token},
                         json={"background": False, "top": 5})
    assert scored.status_code == 200, scored.text
    parts = [c for r in scored.json()["accounts"] for c in r["contributions"]]
    assert parts and all(c["detail_shown"] for c in parts)
    findings_parts = [c for c in parts if c["detail"].startswith("Account ")]
    assert findings_parts and all(c["detail_shown"].startswith(("Счёт ", "На счёт "))
                                  for c in findings_parts)
    # In English the two are the same text.
    client.cookies.set("tocsin_language", "en")
    stored = client.get(f"{API}/sets/{demo_set}/findings").json()["findings"]
    assert all(f["reason_shown"] == f["reason"] for f in stored)


def test_a_sanctions_list_refused_on_the_import_page_in_french(client: TestClient,
                                                               make_user: MakeUser) -> None:
    token = login(client, make_user("analyst")[0])
    client.cookies.set("tocsin_language", "fr")
    bad = (b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>7</DATAID></INDIVIDUAL>"
           b"</INDIVIDUALS></CONSOLIDATED_LIST>")
    refused = client.post("/screening/lists", data={"format": "un", "csrf_token": token},
                          files={"file": ("un.xml", bad, "text/xml")}, follow_redirects=False)
    assert refused.status_code == 422
    assert "l’enregistrement 7 n’a pas de nom (FIRST_NAME est vide)" in refused.text
    assert "has no name" not in refused.text


def test_what_an_import_left_out_is_noted_in_the_readers_language(tmp_path: Path) -> None:
    path = tmp_path / "Zero_Trans.csv"
    path.write_text("Timestamp,From Bank,Account,To Bank,Account,Amount Received,"
                    "Receiving Currency,Amount Paid,Payment Currency,Payment Format,"
                    "Is Laundering\n"
                    "2022/09/01 00:20,010,8000EBD30,011,8000EBD31,3697.34,US Dollar,3697.34,"
                    "US Dollar,Wire,0\n", encoding="utf-8")
    report = ingest("amlworld", [path], tmp_path / "set")
    assert report.notes == ["labels: none positive"]
    assert _translated(report.notes[0], "fr") == "marques : aucune positive"
    assert _translated(report.notes[0], "ru") == "метки: ни одной положительной"


def test_scores_and_findings_are_explained_in_words_of_the_readers_language(
        client: TestClient, make_user: MakeUser, demo_set: int) -> None:
    """The model's reasons, the detectors and the parts of a risk as people read them:
    words in the page's language, not the features' or detectors' codes."""
    token = login(client, make_user("analyst")[0])
    client.cookies.set("tocsin_language", "fr")
    detected = client.post(f"{API}/sets/{demo_set}/detect", headers={"X-CSRF-Token": token},
                           json={"detectors": ["structuring", "fan_out"], "background": False})
    findings = detected.json()["findings"]
    assert {f["detector_shown"] for f in findings} <= {"Fractionnement", "Dispersion"}, findings
    assert {f["detector"] for f in findings} == {"structuring", "fan_out"}  # as stored
    scored = client.post(f"{API}/sets/{demo_set}/score", headers={"X-CSRF-Token": token},
                         json={"background": False, "top": 5}).json()
    parts = [c for r in scored["accounts"] for c in r["contributions"]]
    assert parts and all("_" not in c["title_shown"] for c in parts)
    assert {c["title_shown"] for c in parts} & {"Fractionnement", "Dispersion"}
    ranked = scored["model"]["accounts"] + scored["model"]["transactions"]
    reasons = [r for x in ranked for r in x["reasons"]]
    assert reasons
    for r in reasons:
        assert 0 < r["share"] <= 1
        assert "_" not in r["text_shown"] and "% de la hausse)" in r["text_shown"], r
        assert r["text"].endswith("% of the rise)") and r["label"] in r["text"]  # English
    for x in ranked:
        assert sum(r["share"] for r in x["reasons"]) <= 1.0001
