"""The demo's data-protection content on the fictional case (both engines)."""

from __future__ import annotations

from datetime import date

from tests.safeguards.helpers import case, user
from tocsin.cases.demo import REFERENCE
from tocsin.safeguards import demo, report, review
from tocsin.safeguards import records as sg
from tocsin.settings import Settings
from tocsin.store.database import Database


def test_demo_case_has_grades_categories_a_review_due_and_a_report(
        platform_db: Database, settings: Settings) -> None:
    with platform_db.transaction() as s:
        assert "skipped" in demo.load(s, settings)
        analyst = user(s, "analyst")
        the_case = case(s, analyst, REFERENCE)
        line = demo.load(s, settings, today=date(2026, 6, 1))
        assert "3 persons" in line
        assert demo.load(s, settings) == "Data protection: already present"
        people = {p.category.key: p for p in sg.persons(s, analyst, the_case) if p.category}
        assert set(people) == {"suspect", "victim", "witness"}
        grades = sorted(f"{x.scheme} {sg.grade_text(x)} {x.handling_code}"
                        for x in sg.statements(s, analyst, the_case))
        assert grades == ["4x4 C3 H2", "6x6 B1 H0"]  # the victim's needs a justification
        due = review.queue(s, analyst, today=date(2026, 6, 1), ahead_days=0)
        assert [i.reason for i in due if i.kind == "subject"] == ["review due 2026-05-29"]
        dpo = user(s, "dp_officer", name="dpo")
        found = report.subject_access(s, dpo, demo.SUSPECT)
        assert len(found.entries) == 1
        entry = found.entries[0]
        assert entry.category == "Suspect" and len(entry.statements) == 2
        assert [e.counterpart for e, _ in entry.sent] == [
            "Fictional Ministry of Justice of the requested State (demo)"]
