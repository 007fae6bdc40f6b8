"""Attached files are searchable by their text, under their activity's handling code."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests.search.conftest import add_activity, principal, sqlite_only
from tests.search.pdf import write_pdf
from tocsin.search import SearchFilters, search
from tocsin.search.extract import PDF
from tocsin.search.tables import SearchDocument
from tocsin.store.database import Database
from tocsin.taskforce.programmes.tables import Activity, Document

FILES = SearchFilters(types=("document",))


def test_attached_pdf_is_indexed_and_follows_the_activity(platform_db: Database,
                                                          tmp_path: Path) -> None:
    folder = tmp_path / "documents" / "ab"
    folder.mkdir(parents=True)
    write_pdf(folder / "abcdef.pdf", ["Mid-term evaluation", "Hawala networks in the region"])
    with platform_db.sessions(info={"data_dir": tmp_path}) as session, session.begin():
        activity = add_activity(session, "Regional financial intelligence project",
                                crime_areas=("money_laundering",))
        activity.documents.append(Document(title="Evaluation report",
                                           stored_path="ab/abcdef.pdf", mime_type=PDF,
                                           original_name="evaluation.pdf"))
        activity_id = activity.id

    with platform_db.transaction() as session:
        partner = principal(session, "partner_viewer", "unodc")
        hits = search(session, partner, "hawala", FILES).hits
        assert [(h.title, h.parent) for h in hits] == [
            ("Evaluation report", f"activity:{activity_id}")]
        assert "<mark>Hawala</mark>" in hits[0].snippet_html
        assert hits[0].url == f"/programmes/{activity_id}#documents"
        areas = [v.value for v in search(session, partner, "hawala", FILES).facets["crime_area"]]
        assert areas == ["money_laundering"]

    # the file inherits a new handling code of its activity at once
    with platform_db.sessions(info={"data_dir": tmp_path}) as session, session.begin():
        session.get(Activity, activity_id).handling = "AMBER"
    with platform_db.transaction() as session:
        assert search(session, principal(session, "partner_viewer", "unodc"), "hawala",
                      FILES).total == 0
        assert search(session, principal(session, "analyst", "oceea"), "hawala",
                      FILES).total == 1
        stored = session.scalar(select(SearchDocument.handling).where(
            SearchDocument.record_type == "document"))
        assert stored == "AMBER"


@sqlite_only
def test_missing_file_is_still_found_by_title(platform_db: Database, tmp_path: Path) -> None:
    with platform_db.sessions(info={"data_dir": tmp_path}) as session, session.begin():
        activity = add_activity(session, "Port security")
        activity.documents.append(Document(title="Inspection checklist",
                                           stored_path="zz/missing.pdf", mime_type=PDF))
    with platform_db.transaction() as session:
        admin = principal(session, "administrator", None)
        assert [h.title for h in search(session, admin, "checklist", FILES).hits] == [
            "Inspection checklist"]
