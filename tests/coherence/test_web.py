"""The coherence pages and API on both backends, per role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import login
from tocsin.access.tables import AuditEntry
from tocsin.coherence.tables import OcgWeight, PairJudgement
from tocsin.store.database import Database
from tocsin.taskforce.programmes.tables import Activity

HX = {"HX-Request": "true"}


def csrf_of(client: TestClient, path: str, action: str) -> str:
    """The CSRF token inside the page's own form posting to ``action``."""
    import re

    html = client.get(path).text
    form = re.search(rf'<form[^>]*action="{re.escape(action)}.*?</form>', html, re.S)
    assert form, f"no form posting to {action} on {path}"
    found = re.search(r'name="csrf_token" value="([^"]*)"', form.group(0))
    assert found and found.group(1), "the form carries no CSRF token"
    return found.group(1)


def test_threat_picture_page_and_api(client: TestClient, demo_db: Database,
                                     make_user: Callable[..., tuple[str, str]]) -> None:
    login(client, make_user("analyst")[0])
    page = client.get("/coherence")
    assert page.status_code == 200
    assert 'id="threat-heatmap"' in page.text and "/static/vendor/echarts.min.js" in page.text
    picture = client.get("/api/v1/coherence/threats").json()
    top = picture["cells"][0]
    assert top["parts"] and top["parts"][0]["indicator_ids"]
    assert picture["year"] == max(picture["years"])
    trends = client.get("/api/v1/coherence/threats/trends").json()
    assert len(trends["series"][0]["points"]) == 3


def test_threat_table_starts_with_the_highest_cells(
        client: TestClient, demo_db: Database, make_user: Callable[..., tuple[str, str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tocsin.web.routers import coherence as routes

    login(client, make_user("analyst")[0])
    cells = client.get("/api/v1/coherence/threats").json()["cells"]
    assert len(cells) > 2
    monkeypatch.setattr(routes, "TOP_CELLS", 2)
    page = client.get("/coherence").text
    assert f"The 2 highest of {len(cells)} cells" in page
    assert page.count('<tr id="cell-') == 2
    top = max(cells, key=lambda c: c["score"])
    assert f'id="cell-{top["crime_area"]}-' in page
    every = client.get("/coherence?cells=all").text
    assert every.count('<tr id="cell-') == len(cells) and "Every cell" in every


def test_weights_preview_and_save(client: TestClient, demo_db: Database,
                                  make_user: Callable[..., tuple[str, str]]) -> None:
    login(client, make_user("fund_manager", unit="oceea")[0])
    token = csrf_of(client, "/coherence/groups", "/coherence/groups/weights")
    weights = {"w_size": "0", "w_international_dimension": "0", "w_violence": "0",
               "w_corruption": "0", "w_legal_business_structures": "0",
               "w_countermeasures": "0", "w_expansion": "1"}
    preview = client.post("/coherence/groups/rank", data={**weights, "csrf_token": token},
                          headers=HX)
    assert preview.status_code == 200 and "Preview with unsaved weights" in preview.text
    denied = client.post("/coherence/groups/weights", data={**weights, "csrf_token": token},
                         follow_redirects=False)
    assert denied.status_code == 403
    with demo_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OcgWeight)) == 0

    client.cookies.clear()
    login(client, make_user("analyst")[0])
    token = csrf_of(client, "/coherence/groups", "/coherence/groups/weights")
    saved = client.post("/coherence/groups/weights", data={**weights, "csrf_token": token},
                        follow_redirects=False)
    assert saved.status_code == 303
    assert client.get("/api/v1/coherence/groups").json()["weights"]["expansion"] == 1


def test_coverage_drill_down_respects_access(client: TestClient, demo_db: Database,
                                             make_user: Callable[..., tuple[str, str]]) -> None:
    login(client, make_user("coordinator")[0])
    page = client.get("/coherence/coverage?start=2020&end=2030")
    assert page.status_code == 200 and 'id="coverage-matrix"' in page.text
    cell = client.get("/coherence/coverage/cell?start=2020&end=2030&crime_area=money_laundering"
                      "&country=ME", headers=HX)
    assert "Asset recovery office support in Montenegro" in cell.text
    with demo_db.transaction() as session:
        reads = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "read", AuditEntry.record_type == "activity")).all()
    assert [e.handling for e in reads] == ["AMBER"]  # the AMBER activity shown is audited
    client.cookies.clear()
    login(client, make_user("partner_viewer", unit="unodc")[0])
    hidden = client.get("/api/v1/coherence/coverage/cell?start=2020&end=2030"
                        "&crime_area=money_laundering&country=ME").json()
    assert hidden["programmes"] == []
    full = client.get("/api/v1/coherence/coverage?start=2020&end=2030").json()
    assert all(c["row"] != "money_laundering" or c["col"] != "ME" for c in full["cells"])


def test_judging_from_the_page_and_the_api(client: TestClient, demo_db: Database,
                                           make_user: Callable[..., tuple[str, str]]) -> None:
    api_token = login(client, make_user("analyst")[0])
    page = client.get("/coherence/duplicates")
    assert "Likely duplicate" in page.text and 'value="distinct"' in page.text
    pairs = client.get("/api/v1/coherence/duplicates").json()
    first, second = pairs[0]["pair"], pairs[1]["pair"]
    token = csrf_of(client, "/coherence/duplicates", "/coherence/duplicates/")
    judged = client.post(f"/coherence/duplicates/{first}/judge", headers=HX,
                         data={"verdict": "distinct", "note": "other people",
                               "csrf_token": token})
    assert judged.status_code == 200 and "Judged distinct" in judged.text
    assert first not in {p["pair"] for p in client.get("/api/v1/coherence/duplicates").json()}
    answer = client.post(f"/api/v1/coherence/duplicates/{second}/judgement",
                         json={"verdict": "duplicate"}, headers={"X-CSRF-Token": api_token})
    assert answer.status_code == 200
    recs = client.get("/api/v1/coherence/recommendations").json()
    assert any(r["kind"] == "merge" and r["title"].startswith("Merge") for r in recs)
    no_token = client.post(f"/api/v1/coherence/duplicates/{second}/judgement",
                           json={"verdict": "unsure"})
    assert no_token.status_code == 403
    with demo_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(PairJudgement)) == 2


def test_whatif_changes_nothing_stored(client: TestClient, demo_db: Database,
                                       make_user: Callable[..., tuple[str, str]]) -> None:
    api_token = login(client, make_user("fund_manager", unit="oceea")[0])
    with demo_db.transaction() as session:
        before = session.scalar(select(func.count()).select_from(Activity))
    gaps = client.get("/api/v1/coherence/gaps").json()["gaps"]
    top = gaps[0]
    year = client.get("/api/v1/coherence/threats").json()["year"]
    body = {"additions": [{"title": "Planned border project", "crime_areas": [top["crime_area"]],
                           "countries": [top["place"]], "year": year, "budget": 2_000_000}]}
    result = client.post("/api/v1/coherence/whatif", json=body,
                         headers={"X-CSRF-Token": api_token}).json()
    assert result["gaps_after"] < result["gaps_before"]
    token = csrf_of(client, "/coherence/whatif", "/coherence/whatif")
    page = client.post("/coherence/whatif", headers=HX, data={
        "csrf_token": token, "year": str(year), "title": "Planned border project",
        "crime_area": top["crime_area"], "country": top["place"], "budget": "2000000"})
    assert page.status_code == 200 and "Closed:" in page.text
    with demo_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Activity)) == before


def test_report_download_is_an_audited_export(client: TestClient, demo_db: Database,
                                              make_user: Callable[..., tuple[str, str]]) -> None:
    login(client, make_user("fund_manager", unit="oceea")[0])
    pdf = client.get("/coherence/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    html = client.get("/api/v1/coherence/report?format=html")
    assert "Programme coherence report" in html.text
    with demo_db.transaction() as session:
        exports = session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "export", AuditEntry.record_type == "coherence_report"))
    assert exports == 2
    client.cookies.clear()
    login(client, make_user("partner_viewer", unit="unodc")[0])
    assert client.get("/coherence/report.pdf").status_code == 403


def test_whatif_lists_are_capped_and_searched_on_the_server(
        client: TestClient, make_user: Callable[..., tuple[str, str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A large portfolio must not write every activity into the page: the lists hold the
    largest budgets first, at most the cap, and a search finds the others."""
    import re
    from collections import Counter
    from types import SimpleNamespace

    from tocsin.coherence import synthetic
    from tocsin.coherence.coverage import Period
    from tocsin.web.routers import coherence as pages

    p = synthetic.generate(300, seed=5).portfolio
    year = Counter(y for b in p.budget for y in b).most_common(1)[0][0]
    analysis: Any = SimpleNamespace(portfolio=p, period=Period(year, year))
    monkeypatch.setattr(pages, "WHATIF_OPTIONS", 5)
    lists = pages._activity_options(analysis, "")
    budgets = sorted((b[year] for b in p.budget if b.get(year)), reverse=True)
    shown = [float(a.replace(",", "")) for a in
             re.findall(r"\(\w+ ([\d,]+)\)</option>", str(lists.from_options))]
    assert shown == [round(b) for b in budgets[:5]]
    assert (lists.from_shown, lists.from_total) == (5, len(budgets))
    word = p.titles[0].split()[0].casefold()
    found = pages._activity_options(analysis, word.upper())
    titles = re.findall(r"— ([^<(]*)", str(found.to_options))
    matching = [i for i in range(len(p)) if not p.external[i] and
                (word in p.titles[i].casefold() or word in p.identifiers[i].casefold())]
    assert found.to_total == len(matching) and len(titles) == min(5, len(matching))
    assert all(word in t.casefold() for t in titles)

    login(client, make_user("fund_manager", unit="oceea")[0])
    page = client.get("/coherence/whatif").text
    own = re.findall(r'<select name="to_id">(.*?)</select>', page, re.S)[0].count("<option")
    assert own - 1 <= 5 and "of your organization's own" in page
    none = client.get("/coherence/whatif?find=no-such-activity-title").text
    assert re.findall(r'<select name="to_id">(.*?)</select>', none, re.S)[0].count(
        "<option") == 1


def test_parts_written_once_per_analysis_carry_each_readers_own_token(
        client: TestClient, demo_db: Database, make_user: Callable[..., tuple[str, str]]) -> None:
    """The duplicate pairs are rendered once per analysis; each reader's page still holds
    that reader's form token, and the API answers serialised once equal the views."""
    import re

    from tocsin.access.principal import Principal
    from tocsin.access.roles import Role
    from tocsin.access.tables import User
    from tocsin.coherence import views
    from tocsin.coherence.analysis import run
    from tocsin.web.routers import coherence as routes

    first_token = login(client, make_user("analyst")[0])
    first = csrf_of(client, "/coherence/duplicates", "/coherence/duplicates/")
    name = make_user("analyst", username="second-analyst")[0]
    second_token = login(client, name)
    page = client.get("/coherence/duplicates").text
    second = csrf_of(client, "/coherence/duplicates", "/coherence/duplicates/")
    assert first == first_token and second == second_token and first != second
    assert routes._TOKEN_SLOT not in page and page.count("<article") > 1
    forms = re.findall(r'<form[^>]*action="/coherence/duplicates/.*?</form>', page, re.S)
    assert len(forms) == page.count("<article")
    assert all(f'name="csrf_token" value="{second}"' in form for form in forms)
    answers = [client.get("/api/v1/coherence/recommendations") for _ in range(2)]
    assert answers[0].content == answers[1].content  # the second is the one written before
    assert answers[0].headers["content-type"] == "application/json"
    with demo_db.transaction() as session:
        user = session.scalars(select(User).where(User.username == name)).one()
        analyst = Principal(user.id, name, Role.ANALYST, user.unit_id)
        analysis = run(session, analyst, routes._options(None, None, None, "country"))
        assert answers[0].json() == [views.recommendation(r) for r in analysis.recommendations]
