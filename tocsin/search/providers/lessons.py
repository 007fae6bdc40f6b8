"""Lessons learned: observations and the lessons drawn from them (one record type).

An observation is a lesson in status ``submitted``; an after-action review has
no page of its own and its four answers are the observation text of the lessons
it produced, so it is found through them (the review's title is indexed too).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from tocsin.access.policy import unguarded_select
from tocsin.search.registry import (
    INDEXER,
    Provider,
    SearchDoc,
    join_text,
    register,
    shared_text,
    year_of,
)
from tocsin.taskforce.lessons.tables import (
    AfterActionReview,
    Lesson,
    LessonCountry,
    LessonCrimeArea,
    LessonStage,
)
from tocsin.taskforce.programmes.tables import Activity

OUTCOME_WORDS = {"worked": "worked", "partly": "partly worked", "did_not_work": "did not work"}


class LessonProvider(Provider):
    record_type = "lesson"
    model = Lesson

    def document(self, record: Lesson) -> SearchDoc | None:
        session = Session.object_session(record)
        if session is None:
            return None
        # Words of the review and activity only when every reader of the lesson may read them.
        review = shared_text(session, AfterActionReview, record.review_id, record)
        activity = shared_text(session, Activity, record.activity_id, record)
        stage = "observation" if record.status == "submitted" else "lesson"
        return SearchDoc(
            record_type=self.record_type,
            record_id=str(record.id),
            title=record.title,
            body=join_text(
                f"{stage.capitalize()} ({record.status.replace('_', ' ')}); "
                f"{OUTCOME_WORDS.get(record.outcome, record.outcome)}",
                record.tool_method, record.observation, record.analysis, record.statement,
                review.title if review else None, activity.title if activity else None),
            handling=record.handling,
            owner_unit_id=record.owner_unit_id,
            url=f"/lessons/{record.id}",
            year=year_of(review.held_on if review else None, record.created_at),
            crime_areas=tuple(record.crime_areas),
            stages=tuple(record.stages),
            countries=tuple(record.countries),
            structures=tuple(s for s in [activity.implementing_structure if activity else None]
                             if s),
        )


def _lesson_of(_session: Session, row: Any) -> Iterable[object]:
    return [row.lesson_id]


def _lessons_of_review(session: Session, review: AfterActionReview) -> Iterable[object]:
    return session.scalars(unguarded_select(Lesson.id, why=INDEXER)
                           .where(Lesson.review_id == review.id))


def _lessons_of_activity(session: Session, activity: Activity) -> Iterable[object]:
    return session.scalars(unguarded_select(Lesson.id, why=INDEXER)
                           .where(Lesson.activity_id == activity.id))


register(LessonProvider(affected_by={
    **dict.fromkeys((LessonCrimeArea, LessonStage, LessonCountry), _lesson_of),
    AfterActionReview: _lessons_of_review,
    Activity: _lessons_of_activity,
}))
