"""Units, users, login sessions, login throttling and the hash-chained audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tocsin.store.base import Base, Timestamped, utcnow


class Unit(Timestamped, Base):
    """An owning unit: a structure of the organization or a partner organization."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    #: ``structure`` (the organization's own) or ``partner`` (external organization).
    kind: Mapped[str] = mapped_column(String(20), default="structure")


class User(Timestamped, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The language the user chose for pages (``tocsin.i18n.LANGUAGES``); empty: the browser's.
    language: Mapped[str | None] = mapped_column(String(12), nullable=True)

    unit: Mapped[Unit] = relationship(lazy="joined")


class LoginSession(Base):
    """A server-side session; the cookie carries a token whose hash is stored here."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    #: Last request seen on this session, for the idle timeout (updated at most once a minute).
    last_seen_at: Mapped[datetime | None] = mapped_column(nullable=True)


class LoginThrottle(Base):
    """Failed logins of one username from one client address: one row per pair.

    A login attempt locks its row before the password is checked, so parallel
    attempts are counted one after another (see :mod:`tocsin.access.throttle`).
    """

    __tablename__ = "login_throttle"

    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: Attempts counted in the current run of failures, including those still being checked.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: No attempt is checked before this moment (empty: none is blocked yet).
    blocked_until: Mapped[datetime | None] = mapped_column(nullable=True)


class AuditEntry(Base):
    """One line of the audit log. The database refuses UPDATE and DELETE on it."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_record", "record_type", "record_id"),
        Index("ux_audit_log_seq", "seq", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    username: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(20))  # create, update, delete, read, export, login…
    record_type: Mapped[str] = mapped_column(String(60), default="")
    record_id: Mapped[str] = mapped_column(String(80), default="")
    handling: Mapped[str] = mapped_column(String(12), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    #: Position in the hash chain (1, 2, …); empty for rows written before the chain existed.
    seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: ``row_hash`` of the previous row in the chain (64 zeros for the first).
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: HMAC-SHA256 over this row's content and ``prev_hash`` (see :mod:`tocsin.access.chain`).
    row_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditChainHead(Base):
    """The one row that says where the audit chain ends.

    Appending locks it, so concurrent writers chain one after another; its own MAC
    lets ``tocsin audit verify`` notice rows cut off the end of the log.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str | None] = mapped_column(String(64), nullable=True)
