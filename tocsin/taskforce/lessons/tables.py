"""Tables of the lessons-learned cycle.

A lesson starts life as an *observation* (status ``submitted``) and moves
through the cycle defined in ``cycle.yaml``; every step is kept in
``tf_lesson_history``. After-action reviews create observations, remedial
actions are assigned to an action body (a unit), and acknowledgements record
that the drafter of a new project read a lesson.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tocsin.access.tables import Unit
from tocsin.store.base import Base, Guarded, guarded_table_args, utcnow

#: Whether the tool or method concerned worked.
OUTCOMES = ("worked", "partly", "did_not_work")
ACTION_STATUSES = ("open", "done")


class AfterActionReview(Guarded, Base):
    """The four questions asked after a field activity; its answers become observations."""

    __tablename__ = "tf_after_action_reviews"
    record_type = "after_action_review"

    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="SET NULL"), nullable=True, index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    held_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    planned: Mapped[str] = mapped_column(Text)
    happened: Mapped[str] = mapped_column(Text)
    why_different: Mapped[str] = mapped_column(Text)
    next_time: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(80))


class Lesson(Guarded, Base):
    """An observation and, once accepted and analysed, the lesson drawn from it."""

    __tablename__ = "tf_lessons"
    __table_args__ = guarded_table_args(
        CheckConstraint("outcome IN ('worked', 'partly', 'did_not_work')", name="outcome"),
    )
    record_type = "lesson"

    title: Mapped[str] = mapped_column(String(300))
    observation: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="SET NULL"), nullable=True, index=True
    )
    review_id: Mapped[int | None] = mapped_column(
        ForeignKey("tf_after_action_reviews.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: The tool or method the observation concerns (e.g. "joint investigation team").
    tool_method: Mapped[str] = mapped_column(String(300), default="")
    outcome: Mapped[str] = mapped_column(String(12))
    analysis: Mapped[str] = mapped_column(Text, default="")
    #: The lesson as identified: what to do (or avoid) next time.
    statement: Mapped[str] = mapped_column(Text, default="")
    submitted_by: Mapped[str] = mapped_column(String(80))

    crime_area_links: Mapped[list[LessonCrimeArea]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")
    stage_links: Mapped[list[LessonStage]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")
    country_links: Mapped[list[LessonCountry]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")
    history: Mapped[list[LessonStep]] = relationship(
        cascade="all, delete-orphan", order_by="LessonStep.id"
    )
    actions: Mapped[list[RemedialAction]] = relationship(
        cascade="all, delete-orphan", order_by="RemedialAction.id"
    )

    @property
    def crime_areas(self) -> list[str]:
        return sorted(link.crime_area_code for link in self.crime_area_links)

    @property
    def stages(self) -> list[str]:
        return sorted(link.stage_code for link in self.stage_links)

    @property
    def countries(self) -> list[str]:
        return sorted(link.country_code for link in self.country_links)


class LessonCrimeArea(Base):
    __tablename__ = "tf_lesson_crime_areas"

    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("tf_lessons.id", ondelete="CASCADE"), primary_key=True)
    crime_area_code: Mapped[str] = mapped_column(
        ForeignKey("ref_crime_areas.code"), primary_key=True, index=True)


class LessonStage(Base):
    __tablename__ = "tf_lesson_stages"

    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("tf_lessons.id", ondelete="CASCADE"), primary_key=True)
    stage_code: Mapped[str] = mapped_column(
        ForeignKey("ref_stages.code"), primary_key=True, index=True)


class LessonCountry(Base):
    __tablename__ = "tf_lesson_countries"

    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("tf_lessons.id", ondelete="CASCADE"), primary_key=True)
    country_code: Mapped[str] = mapped_column(
        ForeignKey("ref_countries.code"), primary_key=True, index=True)


class LessonStep(Base):
    """One transition of a lesson: who moved it from which status to which, and when."""

    __tablename__ = "tf_lesson_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("tf_lessons.id", ondelete="CASCADE"), index=True)
    transition: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class RemedialAction(Guarded, Base):
    """What an action body must change so that an identified lesson becomes learned."""

    __tablename__ = "tf_remedial_actions"
    __table_args__ = guarded_table_args(
        CheckConstraint("status IN ('open', 'done')", name="status"),
    )
    record_type = "remedial_action"

    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("tf_lessons.id", ondelete="CASCADE"), index=True)
    action_body_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="open")
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    action_body: Mapped[Unit] = relationship(lazy="joined", foreign_keys=[action_body_id])


class Acknowledgement(Base):
    """The drafter of a new project (or draft form) read a lesson that applies to it."""

    __tablename__ = "tf_lesson_acknowledgements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("tf_lessons.id", ondelete="CASCADE"), index=True)
    #: The activity in pipeline being designed; empty for a draft not yet saved.
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), nullable=True, index=True)
    draft_title: Mapped[str] = mapped_column(String(500), default="")
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str] = mapped_column(String(80))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
