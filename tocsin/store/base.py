"""Declarative base and the column sets most records share."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from tocsin.access.handling import HANDLING_CODES

# Deterministic constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Guarded(Timestamped):
    """A record under access control: a handling code and an owning unit.

    Reads are filtered in one place, :mod:`tocsin.access.policy`; never filter
    by hand in a route.
    """

    #: Name used in the audit log and in search results, e.g. ``"programme"``.
    record_type: str = "record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handling: Mapped[str] = mapped_column(String(12), default="GREEN")
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[object, ...]:
        return guarded_table_args()


def guarded_table_args(*extra: object) -> tuple[object, ...]:
    """``__table_args__`` for a guarded table that needs its own constraints or indexes."""
    codes = ", ".join(f"'{c}'" for c in HANDLING_CODES)
    return (CheckConstraint(f"handling IN ({codes})", name="handling"), *extra)
