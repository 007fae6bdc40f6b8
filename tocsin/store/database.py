"""A database handle: engine plus session factory, built from settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tocsin.settings import Settings
from tocsin.store.engine import make_engine, session_factory, transaction
from tocsin.store.migrate import import_all_tables


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def from_url(cls, url: str, data_dir: Path | None = None, audit_key: bytes | None = None,
                 **engine_options: Any) -> Database:
        # Every table module is imported so that their session hooks (e.g. the search
        # index kept in step on flush) are active for any code using this handle.
        import_all_tables()
        engine = make_engine(url, **engine_options)
        sessions = session_factory(engine)
        info: dict[str, object] = {}
        if data_dir is not None:  # where stored files (documents) live, for session hooks
            info["data_dir"] = data_dir
        if audit_key is not None:  # signs the audit log's hash chain (tocsin.access.audit)
            info["audit_key"] = audit_key
        if info:
            sessions.kw["info"] = info
        return cls(engine=engine, sessions=sessions)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls.from_url(settings.resolved_database_url, settings.data_dir,
                            settings.audit_hmac_key_or_none(),
                            busy_timeout=settings.database_busy_timeout_seconds,
                            pool_size=settings.database_pool_size,
                            max_overflow=settings.database_max_overflow,
                            pool_timeout=settings.database_pool_timeout_seconds)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit on success, roll back on error: nothing half-written."""
        with transaction(self.sessions) as session:
            yield session

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name
