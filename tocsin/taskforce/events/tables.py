"""Tables of events: panels, speakers, participants, documents, recommendations, actions.

Everything below an event follows the event's handling code.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tocsin.access.tables import Unit
from tocsin.store.base import Base, Guarded, guarded_table_args

EVENT_KINDS = ("conference", "meeting", "workshop", "training")
RECOMMENDATION_STATUSES = ("open", "closed")
ACTION_STATUSES = ("open", "in_progress", "done")


class Event(Guarded, Base):
    __tablename__ = "tf_events"
    __table_args__ = guarded_table_args(
        CheckConstraint("kind IN ('conference', 'meeting', 'workshop', 'training')", name="kind"),
    )
    record_type = "event"

    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20), default="conference")
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    location: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")

    organizers: Mapped[list[EventOrganizer]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")
    panels: Mapped[list[Panel]] = relationship(
        cascade="all, delete-orphan", order_by="Panel.position", lazy="selectin")
    participants: Mapped[list[EventParticipant]] = relationship(
        cascade="all, delete-orphan", order_by="EventParticipant.id")
    documents: Mapped[list[EventDocument]] = relationship(
        cascade="all, delete-orphan", order_by="EventDocument.id")


class EventOrganizer(Base):
    """A partner that organized (or co-organized) the event."""

    __tablename__ = "tf_event_organizers"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("tf_events.id", ondelete="CASCADE"), primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("tf_partners.id", ondelete="CASCADE"), primary_key=True, index=True)


class Panel(Base):
    __tablename__ = "tf_event_panels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("tf_events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(500))
    theme: Mapped[str] = mapped_column(Text, default="")

    speakers: Mapped[list[Speaker]] = relationship(
        cascade="all, delete-orphan", order_by="Speaker.id", lazy="selectin")
    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="panel", cascade="all, delete-orphan", order_by="Recommendation.id",
        lazy="selectin")


class Speaker(Base):
    __tablename__ = "tf_event_speakers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(
        ForeignKey("tf_event_panels.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    organization: Mapped[str] = mapped_column(String(300), default="")
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("tf_partners.id", ondelete="SET NULL"), nullable=True)
    topic: Mapped[str] = mapped_column(String(500), default="")


class EventParticipant(Base):
    __tablename__ = "tf_event_participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("tf_events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    organization: Mapped[str] = mapped_column(String(300), default="")
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("tf_partners.id", ondelete="SET NULL"), nullable=True)


class EventDocument(Base):
    """An agenda, concept note or report of the event (a title and where to find it)."""

    __tablename__ = "tf_event_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("tf_events.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40), default="document")
    location: Mapped[str] = mapped_column(String(500), default="")


class Recommendation(Base):
    """A recommendation of a panel; closes when its actions are done or explicitly."""

    __tablename__ = "tf_event_recommendations"
    __table_args__ = (CheckConstraint("status IN ('open', 'closed')", name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(
        ForeignKey("tf_event_panels.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="open")
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_reason: Mapped[str] = mapped_column(Text, default="")

    panel: Mapped[Panel] = relationship(back_populates="recommendations")
    actions: Mapped[list[FollowUpAction]] = relationship(
        back_populates="recommendation", cascade="all, delete-orphan",
        order_by="FollowUpAction.id", lazy="selectin")


class FollowUpAction(Base):
    __tablename__ = "tf_event_actions"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'in_progress', 'done')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("tf_event_recommendations.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(12), default="open")
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    owner: Mapped[Unit] = relationship(lazy="joined")
    recommendation: Mapped[Recommendation] = relationship(back_populates="actions")

    def overdue(self, today: date) -> bool:
        return self.status != "done" and self.due_on < today
