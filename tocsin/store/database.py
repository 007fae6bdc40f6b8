"""A database handle: engine plus session factory, built from settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tocsin.settings import Settings
from tocsin.store.engine import make_engine, session_factory, transaction


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def from_url(cls, url: str) -> Database:
        engine = make_engine(url)
        return cls(engine=engine, sessions=session_factory(engine))

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls.from_url(settings.resolved_database_url)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit on success, roll back on error: nothing half-written."""
        with transaction(self.sessions) as session:
            yield session

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name
