"""The fund managers' report: stable content (snapshot), readable PDF pages, access
control and the export audit.

Refresh the snapshot after an intended change with
``TOCSIN_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/reports``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.reports.conftest import TODAY
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import AuditEntry, Unit
from tocsin.coherence.analysis import Options
from tocsin.errors import PermissionDenied
from tocsin.reports.coherence import build, generate, render_html
from tocsin.store.database import Database

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("TOCSIN_UPDATE_SNAPSHOTS") == "1"


def normalise(html: str) -> str:
    """Drop what changes from run to run: the time, the version and the chart drawings."""
    html = re.sub(r'<span class="generated">[^<]*</span>', '<span class="generated">TIME</span>',
                  html)
    html = re.sub(r"Tocsin \d+\.\d+\.\d+[\w.+-]*", "Tocsin VERSION", html)
    html = re.sub(r"<svg .*?</svg>", lambda m: "<svg>" + _label(m.group(0)) + "</svg>", html,
                  flags=re.S)
    return re.sub(r"<style>.*?</style>", "<style/>", html, flags=re.S)


def _label(svg: str) -> str:
    found = re.search(r'aria-label="([^"]*)"', svg)
    return found.group(1) if found else "chart"


def principal(db: Database, role: Role, unit: str) -> Principal:
    with db.transaction() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == unit))
    return Principal(None, f"{role.value}-{unit}", role, unit_id)


def test_report_html_matches_snapshot(report_db: Database) -> None:
    fund_manager = principal(report_db, Role.FUND_MANAGER, "oceea")
    with report_db.transaction() as session:
        html = render_html(build(session, fund_manager, Options(), today=TODAY))
    text = normalise(html)
    path = SNAPSHOTS / f"coherence_{report_db.dialect}.html"
    reference = SNAPSHOTS / "coherence.html"
    if UPDATE:
        reference.write_text(text, encoding="utf-8")
    # both backends must give the same report
    assert reference.exists(), "run with TOCSIN_UPDATE_SNAPSHOTS=1 to create the snapshot"
    if text != reference.read_text(encoding="utf-8"):
        path.write_text(text, encoding="utf-8")
        pytest.fail(f"the report changed; compare {path} with {reference}")
    for heading in ("Summary", "Threat picture", "Coverage", "Gaps", "Duplicates and overlaps",
                    "Recommendations"):
        assert re.search(rf"<h2[^>]*>{heading}</h2>", html)
    assert html.count("<svg") == 3


def test_partner_viewer_report_leaves_out_what_they_may_not_read(report_db: Database) -> None:
    viewer = principal(report_db, Role.PARTNER_VIEWER, "unodc")
    admin = Principal.system()
    with report_db.transaction() as session:
        theirs = render_html(build(session, viewer, Options(), today=TODAY))
        full = render_html(build(session, admin, Options(), today=TODAY))
    assert "Asset recovery office support in Montenegro" not in theirs  # AMBER activity
    assert "Fictional group" not in theirs  # AMBER group profiles
    assert "Fictional group" in full
    assert "TLP:GREEN" in theirs and "TLP:AMBER" in full


def test_generation_is_audited_and_needs_the_export_right(report_db: Database) -> None:
    fund_manager = principal(report_db, Role.FUND_MANAGER, "oceea")
    with report_db.transaction() as session:
        generate(session, fund_manager, "html", Options(), today=TODAY)
    with report_db.transaction() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert any(e.record_type == "coherence_report" for e in entries)
    assert any(e.record_type == "ocg_profile" for e in entries)
    viewer = principal(report_db, Role.PARTNER_VIEWER, "unodc")
    with pytest.raises(PermissionDenied), report_db.transaction() as session:
        generate(session, viewer, "html", Options(), today=TODAY)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (pdftoppm)")
def test_pdf_pages_render_and_the_heatmap_has_colour(report_db: Database,
                                                     tmp_path: Path) -> None:
    if report_db.dialect != "sqlite":
        pytest.skip("the PDF is the same on both backends; rendered once")
    from PIL import Image

    with report_db.transaction() as session:
        pdf = generate(session, Principal.system(), "pdf", Options(), today=TODAY)
    (tmp_path / "report.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(tmp_path / "report.pdf"),
                    str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert 4 <= len(pages) <= 12
    colourful = []
    for page in pages:
        image = Image.open(page).convert("RGB")
        assert image.size[0] < image.size[1]  # portrait A4
        pixels = list(image.get_flattened_data())
        ink = sum(1 for r, g, b in pixels if r + g + b < 600)
        assert ink > 0.005 * len(pixels), f"{page.name} looks blank"
        # strongly red pixels: the heatmap's hot cells
        colourful.append(sum(1 for r, g, b in pixels if r > 150 and g < 110 and b < 110))
    assert colourful[1] > 200, "the heatmap on page 2 has no hot colour"


def test_the_report_is_in_the_language_it_is_asked_in(report_db: Database) -> None:
    from tocsin import i18n

    fund_manager = principal(report_db, Role.FUND_MANAGER, "oceea")
    with report_db.transaction() as session, i18n.using("fr"):
        html = render_html(build(session, fund_manager, Options(), today=TODAY))
    assert '<html lang="fr" dir="ltr">' in html
    assert "Rapport sur la cohérence des programmes" in html
    assert "Comment lire ce rapport" in html and "How to read this report" not in html


def test_the_report_names_the_method_in_its_language(report_db: Database) -> None:
    from tocsin import i18n

    fund_manager = principal(report_db, Role.FUND_MANAGER, "oceea")
    shown = {}
    for language in ("en", "fr", "ru"):
        with report_db.transaction() as session, i18n.using(language):
            shown[language] = render_html(build(session, fund_manager, Options(), today=TODAY))
    # the weights in use, each named by its indicator in lower case
    assert "use of violence 1.25" in shown["en"] and "corruption 1.5" in shown["en"]
    assert "recours à la violence 1.25" in shown["fr"]
    assert "применение насилия 1.25" in shown["ru"]
    # the parts of each hot spot, named by their indicator kind
    assert "Seizures: " in shown["en"]
    assert "Saisies: " in shown["fr"]
    assert "Изъятия: " in shown["ru"]
    for language in ("fr", "ru"):
        assert "Seizures" not in shown[language]
        assert "use of violence" not in shown[language]
        assert "countermeasures against law enforcement" not in shown[language]
