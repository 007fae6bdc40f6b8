"""What the programme area says in French and Russian, each on its real path: the IATI
import report and refusals on the import page and the command line, the import template's
help sheet, stored codes shown as words (structure kinds, coherence verdicts) and the
refusals of the coherence workspace and the search box."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.factories import create_user, login
from tocsin import i18n
from tocsin.store.database import Database
from tocsin.taskforce.iati.exchange import IatiImport, report_lines
from tocsin.taskforce.iati.reader import read_activities
from tocsin.taskforce.programmes.vocabulary import Vocabulary
from tocsin.taskforce.tabular.exchange import write_template

FIXTURES = Path(__file__).parents[2] / "fixtures" / "iati"
RU = {"Accept-Language": "ru"}
FR = {"Accept-Language": "fr"}
HTMX = {"HX-Request": "true"}  # the judgement answers with its fragment
FORM = {"level": "programme", "status": "2", "planned_start": "2025-01-01",
        "reporting_org_ref": "XM-OSCE", "implementing_structure": "tntd-spmu",
        "countries": "AL:100", "crime_areas": "money_laundering", "budget": "2025:EUR:1000",
        "description": "Financial investigation training for prosecutors in Albania"}


def _upload(client: TestClient, token: str, data: bytes, headers: dict[str, str],
            mode: str = "all") -> str:
    answer = client.post("/programmes/import", headers=headers,
                         data={"kind": "iati", "mode": mode, "csrf_token": token},
                         files={"file": ("partner.xml", data, "application/xml")})
    return answer.text


def test_the_iati_import_report_and_its_refusals_in_russian_and_french(
        tf_client: TestClient, tf_db: Database) -> None:
    username, _ = create_user(tf_db, "analyst", "tntd-spmu")
    token = login(tf_client, username)
    rich = (FIXTURES / "rich_2.03.xml").read_bytes()

    russian = _upload(tf_client, token, rich, RU)
    assert "Отчёт IATI" in russian and "IATI 2.03: создано: " in russian
    assert "сохранено в опубликованном виде (записывается обратно при экспорте): " in russian
    assert "описание типа 2 x1" in russian  # what was kept, its own words translated too
    assert "narrative на другом языке x7" in russian
    assert "примечание /iati-activities/iati-activity[1]: родитель" not in russian
    assert ("примечание /iati-activities/iati-activity[1]/sector[4]: сектор &#39;152&#39; "
            "(словарь 2) не соответствует ни одной области преступности") in russian
    assert "kept as published" not in russian and "description type" not in russian
    english = _upload(tf_client, token, rich, {"Accept-Language": "en"})
    assert "kept as published (written back on export): " in english
    assert "IATI 2.03: 0 created, 2 updated (2 of them unchanged)" in english
    assert "narrative in another language x7" in english

    french = _upload(tf_client, token, rich, FR)
    assert "conservé tel que publié (réécrit à l\u2019export) : " in french
    assert "IATI 2.03 : 0 créé(s), 2 mis à jour (dont 2 inchangé(s))" in french

    broken = rich.replace(b'<recipient-country code="CO"', b'<recipient-country code="QQ"', 1)
    assert broken != rich
    refused = _upload(tf_client, token, broken, RU)
    assert "неизвестная страна &#39;QQ&#39;: не код страны ISO 3166-1" in refused
    assert "not an ISO 3166-1" not in refused
    refused = _upload(tf_client, token, broken, FR)
    assert "pays inconnu &#39;QQ&#39; : ce n\u2019est pas un code de pays ISO 3166-1" in refused
    each = _upload(tf_client, token, broken, FR, mode="each")
    assert "refusé /iati-activities/iati-activity[" in each

    schema = _upload(tf_client, token, rich.replace(b'percentage="25"', b'percentage="a lot"', 1),
                     RU)
    # the plain reason in the reader's language, libxml2's own words after it as it says them
    assert ("@percentage у recipient-country равен &#39;a lot&#39;, а это не число, например "  # noqa: RUF001
            "1500.50 (схема: Element &#39;recipient-country&#39;, attribute &#39;percentage&#39;: "
            "&#39;a lot&#39; is not a valid value of the atomic type &#39;xs:decimal&#39;.)"
            ) in schema
    assert "which is not a number" not in schema

    not_xml = _upload(tf_client, token, b"<iati-activities version='2.03'><", RU)
    assert "некорректный XML: " in not_xml and "the file holds" not in not_xml
    old = _upload(tf_client, token, b'<iati-activities version="1.05"/>', FR)
    assert "La version IATI &#39;1.05&#39; n\u2019est pas lue ; exportez le fichier" in old


def test_ruleset_findings_and_notes_in_the_readers_language() -> None:
    """The rulesets' reasons come from their YAML through the catalogs; what the reader
    noted and the list of what was kept follow the language where the lines are shown."""
    xml = (FIXTURES / "rich_2.03.xml").read_bytes().replace(
        b'last-updated-datetime="2024-05-06T10:15:37Z"',
        b'last-updated-datetime="2999-05-06T10:15:37Z"', 1)
    read = read_activities(io.BytesIO(xml), Vocabulary())
    report = IatiImport(version=read.version, warnings=read.warnings, notes=read.notes,
                        preserved=dict(read.preserved))
    assert any(w.reason == "last-updated-datetime is in the future" for w in read.warnings)
    lines = report_lines(report)
    with i18n.using("ru"):
        shown = [str(line) for line in lines]
    assert any(line.startswith("Правило IATI /iati-activities/iati-activity[1]")
               and line.endswith(": last-updated-datetime в будущем") for line in shown)
    assert not any("is in the future" in line for line in shown)
    with i18n.using("fr"):
        shown = [str(line) for line in lines]
    assert any(line.endswith(" : last-updated-datetime est dans le futur") for line in shown)
    assert [str(line) for line in lines] == [line.translated("en") for line in lines]


def test_the_import_templates_help_sheet_in_the_language_of_who_downloads_it(
        tf_client: TestClient, tf_db: Database) -> None:
    username, _ = create_user(tf_db, "analyst", "tntd-spmu")
    login(tf_client, username)
    book = load_workbook(io.BytesIO(tf_client.get("/programmes/template.xlsx",
                                                  headers=FR).content))
    assert book.sheetnames == ["activities", "colonnes"]
    help_rows = {row[0].value: [c.value for c in row] for row in book["colonnes"].iter_rows()}
    assert help_rows["colonne"] == ["colonne", "obligatoire", "format", "signification",
                                    "codes admis"]
    assert help_rows["identifier"][1:4] == [
        "oui", "texte, p. ex. XM-OSCE-2024-001",
        "Identifiant d\u2019activité IATI, unique dans la plateforme"]
    assert "AL (Albanie)" in help_rows["countries"][4]
    assert "money_laundering (Blanchiment d\u2019argent)" in help_rows["crime_areas"][4]
    # the table itself keeps the column names the import reads
    assert [c.value for c in book["activities"][1]][:2] == ["identifier", "level"]

    russian = load_workbook(io.BytesIO(tf_client.get("/programmes/template.xlsx",
                                                     headers=RU).content))
    rows = {row[0].value: [c.value for c in row] for row in russian["столбцы"].iter_rows()}
    assert rows["title"][1:4] == ["да", "текст, не более 500 символов", "Название"]
    assert rows["description"][1] == "нет"

    out, explanations = io.BytesIO(), io.BytesIO()
    with tf_db.transaction() as session, i18n.using("ru"):
        write_template(session, out, "csv", explanations)
    table = list(csv.reader(io.StringIO(explanations.getvalue().decode("utf-8-sig"))))
    assert table[0] == ["столбец", "обязательно", "формат", "значение", "допустимые коды"]
    assert out.getvalue().decode("utf-8-sig").startswith("identifier,level,")
    english = load_workbook(io.BytesIO(tf_client.get("/programmes/template.xlsx").content))
    assert english.sheetnames == ["activities", "columns"]


def test_structure_kinds_and_coherence_verdicts_as_words(
        tf_client: TestClient, tf_db: Database) -> None:
    username, _ = create_user(tf_db, "analyst", "tntd-spmu")
    token = login(tf_client, username)
    page = tf_client.get("/framework/structures/osg", headers=RU).text
    assert "<p>Департамент" in page and "Department" not in page
    assert "<p>Département" in tf_client.get("/framework/structures/osg", headers=FR).text

    ids = []
    for n in (1, 2):
        made = tf_client.post("/programmes", data={
            **FORM, "identifier": f"XM-OSCE-LANG-{n}", "title": "Prosecutor training",
            "csrf_token": token}, follow_redirects=False)
        assert made.status_code == 303, made.text
        ids.append(int(made.headers["location"].rsplit("/", 1)[1]))
    pair = f"{min(ids)}-{max(ids)}"
    judged = tf_client.post(f"/coherence/duplicates/{pair}/judge", headers={**FR, **HTMX},
                            data={"verdict": "overlapping", "note": "", "csrf_token": token})
    assert judged.status_code == 200 and "Jugé chevauchement par" in judged.text
    judged = tf_client.post(f"/coherence/duplicates/{pair}/judge", headers={**RU, **HTMX},
                            data={"verdict": "duplicate", "note": "", "csrf_token": token})
    assert "дубликат" in judged.text and "duplicate" not in judged.text

    # the pair on the duplicates page: its kind, verdict and reasons in the page's language
    pairs = tf_client.get("/coherence/duplicates", headers=FR).text
    assert "Titres et descriptions sont similaires à " in pairs
    assert "Doublon probable" in pairs and "doublon</strong>" in pairs
    assert "Titles and descriptions" not in pairs and "Likely duplicate" not in pairs
    pairs = tf_client.get("/coherence/duplicates", headers=RU).text
    assert "Названия и описания похожи на " in pairs and "Вероятный дубликат" in pairs

    # refusals of the coherence workspace
    wrong = tf_client.post(f"/coherence/duplicates/{pair}/judge", headers=FR,
                           data={"verdict": "same", "note": "", "csrf_token": token})
    assert wrong.status_code == 422
    assert "utilisez l\u2019un de duplicate, overlapping, related, distinct, unsure, et non " \
           "&#39;same&#39;" in wrong.text
    wrong = tf_client.post("/coherence/duplicates/12x/judge", headers=RU,
                           data={"verdict": "duplicate", "note": "", "csrf_token": token})
    assert "запишите пару как два id мероприятий, например 12-34" in wrong.text


def test_search_refusals_in_russian_and_french(tf_client: TestClient, tf_db: Database) -> None:
    username, _ = create_user(tf_db, "analyst", "tntd-spmu")
    login(tf_client, username)
    many = " ".join(f"word{n}" for n in range(40))
    russian = tf_client.get("/search", params={"q": many}, headers=RU)
    assert "в запросе 40 терминов; предел — 24" in russian.text
    french = tf_client.get("/search", params={"q": "x" * 600}, headers=FR)
    assert "la requête fait 600 caractères ; la limite est de" in french.text


def test_expert_and_partner_refusals_in_russian_and_french(
        tf_client: TestClient, tf_db: Database) -> None:
    username, _ = create_user(tf_db, "coordinator", "tntd-spmu")
    token = login(tf_client, username)
    expert = tf_client.post("/experts", headers=RU, data={
        "name": "Fictional Expert", "email": "not-an-address", "crime_area": "money_laundering",
        "level": "guru", "csrf_token": token})
    assert expert.status_code == 422
    assert "&#39;not-an-address&#39; — не адрес электронной почты" in expert.text
    assert "&#39;guru&#39; — не из списка: " in expert.text
    assert "is not an e-mail address" not in expert.text
    first = tf_client.post("/partners", headers=FR, data={
        "name": "Fictional Partner", "kind": "civil_society", "csrf_token": token},
        follow_redirects=False)
    assert first.status_code == 303, first.text
    again = tf_client.post("/partners", headers=FR, data={
        "name": "Fictional Partner", "kind": "civil_society", "csrf_token": token})
    assert again.status_code == 422
    assert "un partenaire nommé &#39;Fictional Partner&#39; existe déjà" in again.text


def test_an_activitys_facts_and_results_in_french(tf_client: TestClient,
                                                   tf_db: Database) -> None:
    """Countries by their French names, their shares and dates as French readers write
    them, as the rest of the page gives them (the facts gave ``Albania``, ``2025-01-01``
    and ``62.5%``)."""
    username, _ = create_user(tf_db, "analyst", "tntd-spmu")
    token = login(tf_client, username)
    created = tf_client.post("/programmes", data={
        **FORM, "identifier": "XM-OSCE-FR-1", "title": "Programme en français",
        "countries": "AL:62.5;DE:37.5", "planned_end": "2026-06-30", "handling": "AMBER",
        "csrf_token": token}, follow_redirects=False)
    assert created.status_code == 303, created.text
    page_url = created.headers["location"]
    tf_client.post(f"{page_url}/results", data={
        "type": "1", "title": "Procureurs formés", "indicator": "Procureurs", "measure": "1",
        "baseline_year": "2024", "baseline_value": "0", "period_start": "2025-01-01",
        "period_end": "2025-12-31", "target": "40", "actual": "12", "csrf_token": token})
    page = tf_client.get(page_url, headers=FR).text
    facts = page.split("<dl")[1].split("</dl>")[0]
    assert "Albanie 62,5\u00a0%" in facts and "Allemagne 37,5\u00a0%" in facts, facts
    assert "1 janv. 2025 \u2013 30 juin 2026" in facts
    results = page.split('class="period"')[1].split("</td>")[0]
    assert "1 janv. 2025 \u2013 31 déc. 2025" in results, results


def test_an_imported_activitys_codes_are_named_in_french(tf_client: TestClient,
                                                         tf_db: Database) -> None:
    """What the publisher's file said, named by IATI's French names on a French page
    (sectors, vocabularies, transaction types, budget types and statuses, regions,
    document categories, organisation types), English where IATI gives none and on a
    Russian page (IATI publishes no Russian names)."""
    username, _ = create_user(tf_db, "analyst", "tntd-spmu")
    token = login(tf_client, username)
    imported = tf_client.post("/programmes/import", data={"kind": "iati", "csrf_token": token},
                              files={"file": ("rich.xml", (FIXTURES / "rich_2.03.xml")
                                              .read_bytes(), "application/xml")})
    assert imported.status_code == 200 and "2 created" in imported.text
    [ident] = [a["id"] for a in tf_client.get("/api/v1/programmes").json()
               if a["identifier"] == "AA-AAA-123456789-ABC123"]

    def table(page: str, name: str) -> str:
        return page.split(f'id="{name}"')[1].split("</table>")[0]

    page = tf_client.get(f"/programmes/{ident}", headers=FR).text
    sectors = table(page, "published-sectors")
    assert "<td>Lutte contre le trafic de drogues</td><td><code>16063</code></td>" \
           "<td>Codes-secteurs OCDE CAD SNPC (5 chiffres)</td>" in sectors, sectors
    assert "<td>I.5.b. Conflits, paix et sécurité</td>" in sectors
    assert "Narcotics control" not in sectors and "OECD DAC CRS" not in sectors
    transactions = table(page, "published-transactions")
    for name in ("Fonds entrants", "Engagement sortant", "Décaissement", "Dépenses",
                 "Paiements d\u2019intérêts", "Promesse entrante"):
        assert f"<td>{name} <small" in transactions, name
    assert "Incoming Funds" not in transactions and "Disbursement" not in transactions
    budgets = table(page, "published-budgets")
    assert "<small>Original, Indicatif</small>" in budgets, budgets
    assert "<small>Révisé, Engagé</small>" in budgets and "Committed" not in budgets
    recipients = table(page, "published-recipients")
    assert "Amérique du Sud, régional <small>région, OCDE CAD</small>" in recipients, recipients
    documents = page.split('id="documents"')[1]
    assert "<small>Évaluation de l\u2019impact avant et après le projet" in documents
    assert '<option value="B01">Rapport annuel</option>' in documents

    form = tf_client.get(f"/programmes/{ident}/edit", headers=FR).text
    assert '<option value="10">Gouvernement</option>' in form
    assert 'value="Amérique du Sud, régional" data-code="489"' in form
    assert 'value="Caribbean, regional" data-code="1031"' in form  # IATI: no French name

    russian = tf_client.get(f"/programmes/{ident}", headers=RU).text
    assert "<td>Narcotics control</td>" in table(russian, "published-sectors")
    assert "Committed" in table(russian, "published-budgets")
    assert "Engagé" not in russian
