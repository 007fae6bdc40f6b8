"""The trash: deleted records kept, row for row, until an administrator restores them or
their retention period ends."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.store.base import Base, utcnow


class TrashItem(Base):
    """One deleted record: what it was, who deleted it when, and every row that went with it.

    ``rows`` holds ``[table name, {column: value}]`` pairs, parents before children, with
    dates, decimals and bytes tagged (see :mod:`tocsin.trash`), so a restore puts back
    exactly the rows the delete removed, with the same ids.
    """

    __tablename__ = "trash_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(500))
    handling: Mapped[str] = mapped_column(String(12))
    owner_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), nullable=True)
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    deleted_by: Mapped[str] = mapped_column(String(80))
    rows: Mapped[list[Any]] = mapped_column(JSON)
