"""Lessons to design: matching a draft project, explanations, acknowledgements."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.taskforce.lessons.helpers import activity, principal
from tocsin.access.principal import Principal
from tocsin.errors import InputError
from tocsin.store.database import Database
from tocsin.taskforce.lessons import design, records
from tocsin.taskforce.lessons.spec import DesignDraft, ObservationSpec
from tocsin.taskforce.lessons.tables import Lesson


def _identified(s: Session, who: Principal, title: str, text: str, **codes: list[str]) -> Lesson:
    lesson = records.submit_observation(s, who, ObservationSpec(
        title=title, observation=text, outcome="worked", **codes))
    records.advance(s, who, lesson.id, "accept")
    records.advance(s, who, lesson.id, "analyse", analysis="analysis")
    return records.advance(s, who, lesson.id, "identify", statement=text)


def test_matches_explain_shared_codes_and_text(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        who = principal(s, "coordinator")
        tracing = _identified(
            s, who, "Asset tracing needs bank registers",
            "Tracing illicit financial flows stalled without a central bank account register",
            crime_areas=["money_laundering"], stages=["investigation"], countries=["AL"])
        drugs = _identified(s, who, "Port container profiling",
                            "Container profiling at ports found cocaine shipments",
                            crime_areas=["drug_trafficking"], stages=["intelligence"])
        unrelated = _identified(s, who, "Shelter standards", "Victims need shelters")
        draft_only = records.submit_observation(s, who, ObservationSpec(
            title="Asset tracing observation", observation="bank register tracing",
            outcome="worked", crime_areas=["money_laundering"]))
        draft = DesignDraft(
            title="Financial investigation and asset tracing in Albania",
            description="Support a central bank account register to trace illicit flows",
            crime_areas=["money_laundering", "corruption"], stages=["investigation"],
            countries=["AL"])
        matches = design.lessons_for_design(s, who, draft)
        ids = [m.lesson.id for m in matches]
        assert ids[0] == tracing.id
        assert drugs.id not in ids and unrelated.id not in ids
        assert draft_only.id not in ids  # a mere observation is not a lesson yet
        best = matches[0]
        assert best.shared_crime_areas == ["money_laundering"]
        assert best.explanation.startswith(
            "shares crime area Money laundering and stage Investigation, country AL; "
            "text similarity 0.")
        assert 0.1 < best.text_similarity <= 1


def test_activity_in_pipeline_and_acknowledgement(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        who = principal(s, "coordinator")
        lesson = _identified(s, who, "Cyber units need crypto tracing tools",
                             "Cryptocurrency tracing tools", crime_areas=["cybercrime"])
        pipeline = activity(s, "NEW", title="Cryptocurrency investigations", status=1,
                            crime_areas=("cybercrime",))
        running = activity(s, "OLD", status=2)
        with pytest.raises(InputError, match="pipeline"):
            design.draft_from_activity(s, who, running.id)
        draft = design.draft_from_activity(s, who, pipeline.id)
        [match] = design.lessons_for_design(s, who, draft, activity_id=pipeline.id)
        assert match.acknowledged is None
        ack = design.acknowledge(s, who, lesson.id, activity_id=pipeline.id,
                                 note="Budget tools in phase 1")
        assert ack.username == who.username and ack.at is not None
        [again] = design.lessons_for_design(s, who, draft, activity_id=pipeline.id)
        assert again.acknowledged is not None and again.acknowledged.note.startswith("Budget")
        assert [a.id for a in design.acknowledgements(s, who, activity_id=pipeline.id)] \
            == [ack.id]
        with pytest.raises(InputError, match="name the activity"):
            design.acknowledge(s, who, lesson.id)
