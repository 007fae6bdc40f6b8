"""One row per background job, shared by every server process."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.store.base import Base, utcnow


class Job(Base):
    """A unit of background work and what is known about it.

    ``params`` holds what the work needs to run (again) in any process; it is
    never shown to users. ``result`` holds a small summary, ``result_ref`` names
    the file (relative to the data folder) that holds a larger result.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_created", "status", "created_at"),
        Index("ix_jobs_subject", "subject_type", "subject_id"),
    )

    #: Random and unguessable: it appears in URLs.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    #: The record the job works on (e.g. ``transaction_set`` 3), if any.
    subject_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    subject_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: What lists show about the subject, e.g. ``{"set": 3}`` or ``{"name": "Case 12"}``.
    label: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: queued, running, done, failed or interrupted.
    status: Mapped[str] = mapped_column(String(12), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(String(300), default="")
    #: The user who started the job (None: the platform itself).
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True)
    owner: Mapped[str] = mapped_column(String(80))
    result: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    result_ref: Mapped[str | None] = mapped_column(String(300), nullable=True)
    #: A message for the user: never a server path or a stack trace.
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: ``message`` and ``error`` as messages with their values (:func:`tocsin.i18n.to_data`),
    #: so pages show them in the reader's language; None or absent: the English text only.
    texts: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: The job this one runs again, if it does.
    rerun_of: Mapped[str | None] = mapped_column(String(32), nullable=True)
    #: The runner that claimed the job: ``host:pid:token``.
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    #: Refreshed by the runner while the job runs; a stale one means the runner died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(nullable=True)
