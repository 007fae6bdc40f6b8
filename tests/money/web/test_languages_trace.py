# ruff: noqa: RUF001 -- the expected texts are French and Russian, typographic apostrophes included
"""The follow-the-money trace in French and Russian: each step's explanation and why each
path ends are shown in the reader's language on the trace page (``explanation_shown``,
``end_shown`` of the API it draws from), while the trace's own fields stay English."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import MakeUser, login
from tests.money.analytics.test_analytics_trace import BASIC, H, Rows
from tests.money.web.jobs import wait_for_job
from tocsin import i18n
from tocsin.access.principal import Principal
from tocsin.errors import InputError
from tocsin.money import sets
from tocsin.money.trace import TraceConfig, trace
from tocsin.money.views import sankey, trace_shown
from tocsin.settings import Settings
from tocsin.store.database import Database

API = "/api/v1/investigations"


def _in(language: str, text: object) -> str:
    with i18n.using(language):
        return str(text)


def test_explanations_keep_their_english_and_translate_where_shown() -> None:
    result = trace(BASIC, transactions=["T2"], config=TraceConfig(rule="fifo"))
    (root,) = result.roots
    (child,) = root.children
    assert root.explanation == "50.00 traced into A by T2 on 1970-01-01 02:00"
    assert child.explanation == ("FIFO: 50.00 of the 50.00 traced into A with T2 "
                                 "(1970-01-01 02:00) left with T4 to C (1970-01-01 04:00)")
    assert _in("fr", child.explanation) == (
        "FIFO : 50,00 des 50,00 suivis jusqu’à A avec T2 (1970-01-01 02:00) sont sortis avec "
        "T4 vers C (1970-01-01 04:00)")
    assert _in("ru", root.explanation) == "50,00 прослежены на счёт A по T2 1970-01-01 02:00"
    assert (child.end, _in("fr", child.end), _in("ru", child.end)) == (
        "cash-out", "retrait en espèces", "снятие наличных")
    rows = Rows([("T1", H, "X", "A", 1000.0), ("T2", 2 * H, "A", "B", 300.0)])
    result = trace(rows, transactions=["T1"], config=TraceConfig(hops=2, rule="haircut"))
    rest = next(c for c in result.roots[0].children if c.txn_id is None)
    assert rest.explanation == "700.00 not traced further: unexplained balance remaining"
    assert _in("ru", rest.explanation) == (
        "700,00 дальше не прослежены: необъяснённый остаток на счёте")
    step = next(c for c in result.roots[0].children if c.txn_id == "T2")
    assert step.explanation.startswith("Haircut: 300.00 of the 1,000.00 traced into A")
    assert _in("fr", step.explanation).startswith(
        "Prorata : 300,00 des 1\u202f000,00 suivis jusqu’à A")
    assert _in("ru", step.end) == "предел шагов"
    poisoned = trace(BASIC, accounts=["A"], config=TraceConfig(rule="poison",
                                                               direction="backward"))
    assert _in("fr", poisoned.roots[0].explanation) == "Traçage en amont depuis le compte A"
    assert _in("ru", poisoned.roots[0].children[0].explanation).startswith(
        "100,00 поступили с T1")


def test_the_shown_texts_survive_the_json_a_stored_job_keeps() -> None:
    """A background trace's result is kept as JSON: its messages come back translated."""
    import json

    data = json.loads(json.dumps(trace(BASIC, transactions=["T2"],
                                       config=TraceConfig(rule="fifo")).to_dict()))
    drawn = json.loads(json.dumps({"trace": data, "sankey": sankey(data)}))
    with i18n.using("ru"):
        shown = trace_shown(drawn)
    (point,) = shown["trace"]["end_points"]
    assert (point["end"], point["end_shown"]) == ("cash-out", "снятие наличных")
    steps = shown["sankey"]["steps"]
    assert steps[0]["explanation"].startswith("50.00 traced into A")
    assert steps[0]["explanation_shown"].startswith("50,00 прослежены на счёт A")
    assert [s["end_shown"] for s in steps if s.get("end")] == ["снятие наличных"]
    assert any(n.get("end_shown") == "снятие наличных" for n in shown["sankey"]["nodes"])


def test_a_refused_trace_says_why_in_french() -> None:
    try:
        trace(BASIC, config=TraceConfig(rule="fifo"))
    except InputError as exc:
        (problem,) = exc.problems
        assert problem.reason == "give at least one account or transaction"
        assert _in("fr", problem.reason) == "indiquez au moins un compte ou une transaction"
        assert "trace : indiquez au moins un compte ou une transaction" in _in("fr", exc)
    else:
        raise AssertionError("a trace from nothing was accepted")



def test_the_trace_page_explains_each_step_in_russian_and_french(
        client: TestClient, make_user: MakeUser, demo_set: int) -> None:
    token = login(client, make_user("analyst")[0])
    findings = client.post(f"{API}/sets/{demo_set}/detect", headers={"X-CSRF-Token": token},
                           json={"detectors": ["scatter_gather"]}).json()["findings"]
    start = findings[0]["subject"]
    client.cookies.set("tocsin_language", "ru")
    page = client.get(f"/investigations/sets/{demo_set}/trace")
    assert "пропорционально (haircut)" in page.text and "полное заражение" in page.text
    asked = {"accounts": [start], "direction": "forward", "rule": "fifo", "hops": 4,
             "background": False}
    response = client.post(f"{API}/sets/{demo_set}/trace", headers={"X-CSRF-Token": token},
                           json=asked)
    assert response.status_code == 200, response.text
    body = response.json()
    steps = body["sankey"]["steps"]
    assert steps[0]["explanation"] == f"Trace forward from account {start}"  # English field
    assert steps[0]["explanation_shown"] == f"Отслеживание вперёд от счёта {start}"
    hops = [s for s in steps if s["txn_id"] and s["hop"] > 1]
    assert hops and all(s["explanation"].startswith("FIFO: ") for s in hops)
    assert all(s["explanation_shown"].startswith("FIFO: ") and " прослеженных на счёт " in
               s["explanation_shown"] for s in hops)
    ends = body["trace"]["end_points"]
    assert ends and all(p["end_shown"] and p["end_shown"] != p["end"] for p in ends)
    # The same trace as a background job, read in French from the job the page polls.
    client.cookies.set("tocsin_language", "fr")
    started = client.post(f"{API}/sets/{demo_set}/trace", headers={"X-CSRF-Token": token},
                          json=asked | {"background": True})
    assert started.status_code == 202, started.text
    job = wait_for_job(client, started.json()["job"])
    assert job["state"] == "done", job
    kept = job["result"]["sankey"]["steps"]
    assert [s["explanation"] for s in kept] == [s["explanation"] for s in steps]
    assert kept[0]["explanation_shown"] == f"Traçage en aval depuis le compte {start}"
    assert all(" suivis jusqu’à " in s["explanation_shown"] for s in kept
               if s["txn_id"] and s["hop"] > 1)
    assert all(p["end_shown"] != p["end"] for p in job["result"]["trace"]["end_points"])


def test_an_upload_refused_before_its_job_says_why_in_russian(
        client: TestClient, make_user: MakeUser) -> None:
    token = login(client, make_user("analyst", unit="tntd-spmu")[0])
    client.cookies.set("tocsin_language", "ru")
    files = {"file": ("export.csv", b"Reference,Amount\nT1,5\n", "text/csv")}
    form = {"format": "csv", "name": "Case 8", "handling": "PURPLE", "unit": "tntd-spmu"}
    refused = client.post(f"{API}/sets", headers={"X-CSRF-Token": token}, files=files,
                          data=form)
    assert refused.status_code == 422, refused.text
    body = refused.json()
    (problem,) = body["problems"]
    # ``detail`` and ``reason`` stay English; the page's script writes the ``_shown`` ones.
    assert body["detail_shown"] != body["detail"] and problem["reason_shown"] != problem["reason"]
    assert body["detail_shown"] == "Найдено проблем: 1; ничего не применено"
    assert problem["reason"].startswith("unknown handling code 'PURPLE'; use one of ")
    assert problem["reason_shown"].startswith("неизвестный код обращения 'PURPLE'")
    # Asked in English, the two are the same text.
    client.cookies.set("tocsin_language", "en")
    again = client.post(f"{API}/sets", headers={"X-CSRF-Token": token}, files=files,
                        data=form).json()
    assert again["detail_shown"] == again["detail"] == body["detail"]
    assert again["problems"][0]["reason_shown"] == problem["reason"]


def test_the_score_says_in_french_why_the_model_could_not_rank(
        client: TestClient, make_user: MakeUser, demo_set: int, settings: Settings,
        platform_db: Database) -> None:
    with platform_db.transaction() as session:
        folder = sets.set_path(settings, sets.get_set(session, Principal.system(), demo_set))
    kept = folder / sets.MODELS_DIR / "model.json"
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text("{not json")
    token = login(client, make_user("analyst")[0])
    client.cookies.set("tocsin_language", "fr")
    scored = client.post(f"{API}/sets/{demo_set}/score", headers={"X-CSRF-Token": token},
                         json={"background": False, "top": 3})
    assert scored.status_code == 200, scored.text
    ranked = scored.json()["model"]
    assert ranked["error"].startswith(f"{kept}: not a model file (JSON expected): ")
    assert ranked["error_shown"].startswith(
        f"{kept} : ce n’est pas un fichier de modèle (JSON attendu) : ")
    kept.unlink()  # the shipped model then ranks the set, its source said in Russian
    client.cookies.set("tocsin_language", "ru")
    scored = client.post(f"{API}/sets/{demo_set}/score", headers={"X-CSRF-Token": token},
                         json={"background": False, "top": 3}).json()["model"]
    assert scored["source"].startswith("shipped default model, version ")
    assert scored["source_shown"].startswith("поставляемая модель по умолчанию, версия ")
