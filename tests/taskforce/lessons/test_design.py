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


def _fitted_with_draft(draft: str, texts: list[str]) -> list[float]:
    """What a TF-IDF model fitted on the draft and the lessons together gives."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    matrix = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(
        [draft, *texts])
    return [float(v) for v in cosine_similarity(matrix[0:1], matrix[1:])[0]]


def test_text_similarity_counts_the_lessons_once_and_scores_as_a_model_fitted_with_the_draft(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    rng = random.Random(5)
    words = ["border", "cash", "courier", "customs", "seizure", "port", "container",
             "laundering", "trafficking", "training", "judges", "prosecutors", "asset",
             "recovery", "cyber", "firearms", "the", "and", "of", "Žilina", "Ташкент"]

    def text(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n))

    lessons = [Lesson(title=text(3), tool_method=text(2), observation=text(12),
                      analysis=text(6), statement=text(5)) for _ in range(40)]
    lessons.append(Lesson(title="the", tool_method="", observation="of and", analysis="",
                          statement=""))  # nothing but stop words
    texts = [design._text(x) for x in lessons]
    counted = []
    real = design._collection

    def counting(key: tuple[str, ...]) -> design._Collection:
        counted.append(key in design._COLLECTIONS)
        return real(key)

    monkeypatch.setattr(design, "_collection", counting)
    design._COLLECTIONS.clear()
    for draft in ("customs training for border police", "unheard-of words only",
                  "Ташкент cash couriers " * 3, "the and of"):
        got = design._similarities(draft, lessons)
        expected = _fitted_with_draft(draft, texts) if draft != "the and of" else [0.0] * 41
        assert got == pytest.approx(expected, abs=1e-12)
    assert counted == [False, True, True, True]  # the lessons counted once
    lessons[0].statement += " firearms"
    design._similarities("firearms", lessons)
    assert counted[-1] is False  # a changed lesson is counted again
