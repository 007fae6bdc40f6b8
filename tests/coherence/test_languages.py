"""The coherence recommendations and their reasons in the reader's language.

The analysis is computed once and served to readers in any language: the pages and the
report show its messages in the page's language, the JSON API in English.
"""

from __future__ import annotations

import html as markup
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.coherence.test_web import HX, csrf_of
from tests.factories import login
from tocsin import i18n
from tocsin.store.database import Database

#: Fixed English words of the recommendations and of what feeds them.
ENGLISH = ("Fund work on", "Fill a gap", "Renew an expiring agreement", "Renew \u201c",
           "Add a human-rights component", "builds the capacity of law-enforcement bodies",
           "a threat hot spot scoring", "It applies here", "text similarity",
           "no budget and no activity", "of the budget against", "coverage ratio",
           "Merge duplicate activities", "Likely duplicate", "Apply a lesson identified",
           "not yet judged", "Start a programme", "no programme behind it",
           "share of the budget", "Threat trend of the hot spots")
RUSSIAN = ("Финансировать работу по направлению", "Устранить пробел", "коэффициент охвата")
FRENCH = ("Financer des travaux sur", "Combler une lacune", "taux de couverture")


def text_of(page: str) -> str:
    """The readable text of a page, entities decoded and spaces collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(markup.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def english_in(text: str) -> list[str]:
    return [words for words in ENGLISH if words in text]


@pytest.fixture
def fund_manager(client: TestClient, demo_db: Database,
                 make_user: Callable[..., tuple[str, str]]) -> TestClient:
    login(client, make_user("fund_manager", unit="oceea")[0])
    return client


def test_recommendations_page_in_russian_and_french_english_unchanged(
        fund_manager: TestClient) -> None:
    client = fund_manager
    english = text_of(client.get("/coherence/recommendations",
                                 headers={"Accept-Language": "en"}).text)
    shown = english_in(english)
    assert len(shown) >= 6, f"the demo should show most kinds of reason; found {shown}"
    for language, words in (("ru", RUSSIAN), ("fr", FRENCH)):
        page = client.get("/coherence/recommendations", headers={"Accept-Language": language})
        assert page.headers["content-language"] == language
        text = text_of(page.text)
        assert english_in(text) == [], f"English left on the {language} page"
        for expected in words:
            assert expected in text, f"{expected!r} missing from the {language} page"
    # crime areas and places inside the messages are named in the reader's language too
    assert "Tajikistan" in english and "Drug trafficking" in english
    russian = text_of(client.get("/coherence/recommendations",
                                 headers={"Accept-Language": "ru"}).text)
    assert "Таджикистан" in russian and "Tajikistan" not in russian
    assert "Незаконный оборот наркотиков" in russian and "Drug trafficking" not in russian
    # the same cached analysis still gives the English page, word for word
    again = text_of(client.get("/coherence/recommendations",
                               headers={"Accept-Language": "en"}).text)
    assert again == english
    recommendations = client.get("/api/v1/coherence/recommendations",
                                 headers={"Accept-Language": "ru"}).json()
    assert recommendations, "the demo has recommendations"
    for r in recommendations[:100]:  # the API stays English; the page shows the same text
        assert " ".join(r["title"].split()) in again
        assert " ".join(r["rationale"].split()) in again
        assert r["kind_label"] in again
    assert any(r["title"].startswith("Fund work on") for r in recommendations)


def test_gaps_and_whatif_reasons_in_french(fund_manager: TestClient) -> None:
    client = fund_manager
    page = text_of(client.get("/coherence/gaps", headers={"Accept-Language": "fr"}).text)
    assert "taux de couverture" in page and "menace" in page
    assert "coverage ratio" not in page and "no programme behind it" not in page
    assert "Tadjikistan" in page and "Tajikistan" not in page  # the table's names too
    gaps = client.get("/api/v1/coherence/gaps", headers={"Accept-Language": "fr"}).json()
    assert "coverage ratio" in gaps["gaps"][0]["reason"]  # the API: English


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")
@pytest.mark.parametrize(("language", "words"), [("ru", RUSSIAN), ("fr", FRENCH)])
def test_report_pdf_in_the_readers_language(fund_manager: TestClient, tmp_path: Path,
                                            language: str, words: tuple[str, ...]) -> None:
    pdf = fund_manager.get("/coherence/report.pdf", headers={"Accept-Language": language})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (tmp_path / "report.pdf").write_bytes(pdf.content)
    found = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "report.pdf"), "-"],
                           check=True, capture_output=True, text=True).stdout
    text = " ".join(found.split()).casefold()  # the report's style capitalises some labels
    for expected in words:
        assert expected.casefold() in text, f"{expected!r} missing from the {language} report"
    assert [w for w in ENGLISH if w.casefold() in text] == [], \
        f"English left in the {language} report"
    # countries named in the reader's language, in the tables and the charts alike
    assert "Tajikistan".casefold() not in text



#: Labels of the coherence method (method.yaml, ocg_method.yaml) and their translations.
METHOD_LABELS = {
    "ru": {"Seizures": "Изъятия", "Identified victims": "Выявленные жертвы",
           "Use of violence": "Применение насилия", "Corruption": "Коррупция",
           "Up to 5 members": "До 5 членов", "Threats and intimidation": "Угрозы и запугивание"},
    "fr": {"Seizures": "Saisies", "Identified victims": "Victimes identifiées",
           "Use of violence": "Recours à la violence", "Corruption": "Corruption",
           "Up to 5 members": "Jusqu'à 5 membres",
           "Threats and intimidation": "Menaces et intimidation"},
}
THREAT_LABELS = ("Seizures", "Identified victims")
GROUP_LABELS = ("Use of violence", "Corruption", "Up to 5 members", "Threats and intimidation")


@pytest.mark.parametrize("language", ["ru", "fr"])
def test_threats_and_groups_tabs_name_the_method_in_the_readers_language(
        fund_manager: TestClient, language: str) -> None:
    client = fund_manager
    labels = METHOD_LABELS[language]
    for path, english_labels in (("/coherence?cells=all", THREAT_LABELS),
                                 ("/coherence/groups", GROUP_LABELS)):
        english = text_of(client.get(path, headers={"Accept-Language": "en"}).text)
        for label in english_labels:
            assert label in english, f"{label!r} missing from the English {path}"
        text = text_of(client.get(path, headers={"Accept-Language": language}).text)
        for label in english_labels:
            assert labels[label] in text, f"{labels[label]!r} missing from {path} ({language})"
            if labels[label] != label:
                assert label not in text, f"{label!r} left in English on {path} ({language})"
        # the cached analysis still gives the English page, word for word
        assert text_of(client.get(path, headers={"Accept-Language": "en"}).text) == english
    # the unit after a value is translated as well
    threats = text_of(client.get("/coherence?cells=all", headers={"Accept-Language": language}
                                 ).text)
    assert " persons " not in threats and " seizures " not in threats
    # the ranking shows each group's parts by the indicator's translated label
    token = csrf_of(client, "/coherence/groups", "/coherence/groups/weights")
    ranking = client.post("/coherence/groups/rank", data={"w_violence": "2", "csrf_token": token},
                          headers={**HX, "Accept-Language": language}).text
    assert "Preview with unsaved weights" not in ranking
    assert labels["Use of violence"] in markup.unescape(ranking)
    assert "Use of violence" not in ranking
    # the JSON API stays English
    cells = client.get("/api/v1/coherence/threats", headers={"Accept-Language": language}
                       ).json()["cells"]
    assert {p["label"] for c in cells for p in c["parts"]} >= {"Seizures"}
    # beside the English explanation, the same in the asker's language
    explained = next(c for c in cells if c["parts"])
    assert explained["explanation"].startswith("Composite ")
    shown = explained["explanation_shown"]
    assert not shown.startswith("Composite ") or language == "fr", shown
    assert ("Сводная оценка" if language == "ru" else "indicateurs") in shown
    with i18n.using(language):  # each part named by its indicator kind's translated label
        for part in explained["parts"]:
            assert i18n.gettext(part["label"]) in shown and part["label"] not in shown


def test_the_threat_explanation_joins_its_clauses_the_languages_way() -> None:
    from tocsin.coherence.picture import ActiveGroup, ThreatCell, ThreatPart

    cell = ThreatCell(crime_area="drug_trafficking", geo="AL", year=2024, indicator_score=70,
                      group_score=50, score=64, parts=[ThreatPart(
                          "seizures", "Seizures", "kg", 10, 20, 0.5, 1, 1, (1,), ("s",))],
                      groups=[ActiveGroup(1, "G", 50, ("drug_trafficking",), ("AL",))])
    explained = cell.explained()
    english = str.__str__(explained)
    assert "from Seizures: 50% of the highest; 1 organized crime group scoring" in english
    french = explained.translated("fr")
    assert "du plus élevé ; 1 groupe criminel organisé totalisant" in french, french
    assert ";" not in french.replace(" ; ", ""), french  # every clause: a space before
    groups = i18n.N_plural("%(count)s organized crime group scoring %(score)s together",
                           "%(count)s organized crime groups scoring %(score)s together", 1,
                           count=1, score=i18n.Number(50, 0))
    assert "от наибольшего; " + groups.translated("ru") in explained.translated("ru")
    # kept as data and shown later, the separator is still the reader's
    again = i18n.from_data(i18n.to_data(explained), english)
    assert isinstance(again, i18n.Message) and again.translated("fr") == french


def test_a_bad_method_file_is_explained_in_the_readers_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    from tocsin.coherence import method as method_module
    from tocsin.errors import ReferenceDataError

    data = yaml.safe_load((method_module.DATA / "ocg_method.yaml").read_text(encoding="utf-8"))
    code = next(iter(data["indicators"]))
    data["indicators"][code]["levels"] = data["indicators"][code]["levels"][:2]
    data["scale_max"] = 0 if data["scale_max"] == 1 else data["scale_max"]
    data["indicators"][code]["weight"] = -1
    (tmp_path / "ocg_method.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setattr(method_module, "DATA", tmp_path)
    with pytest.raises(ReferenceDataError) as caught:
        method_module._load("ocg_method.yaml", method_module.OcgMethod)
    english = [str(p) for p in caught.value.problems]
    assert english == [f"ocg_method.yaml: indicators.{code}.weight: should be at least 0.0"]
    with i18n.using("ru"):
        shown = [str(p) for p in caught.value.problems]
    assert shown == [f"ocg_method.yaml: indicators.{code}.weight: должно быть не меньше 0.0"]
    # a check of the whole file, once the values themselves are right
    data["indicators"][code]["weight"] = 1
    (tmp_path / "ocg_method.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ReferenceDataError) as caught:
        method_module._load("ocg_method.yaml", method_module.OcgMethod)
    with i18n.using("ru"):
        shown = [str(p) for p in caught.value.problems]
    assert shown == [f"ocg_method.yaml: {code}: укажите по одному уровню на каждую оценку "
                     f"от 0 до {data['scale_max']}"]
    assert str(caught.value.problems[0]) == (f"ocg_method.yaml: {code}: give one level per "
                                             f"score 0..{data['scale_max']}")
