"""Engines and sessions for the embedded SQLite default and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` URLs (SQLAlchemy would pick psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, busy_timeout: float = 30.0, **kwargs: Any) -> Engine:
    """An engine for ``url``; ``kwargs`` go to :func:`sqlalchemy.create_engine` (pool sizes).

    On SQLite, ``busy_timeout`` is how many seconds a write waits for another one.
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and "mode=memory" not in url:
            owner_only_file(Path(path))
        else:  # one shared connection: pool sizes do not apply
            for key in ("pool_size", "max_overflow", "pool_timeout"):
                kwargs.pop(key, None)
        # pysqlite opens a transaction only before the first INSERT/UPDATE/DELETE, and with
        # "IMMEDIATE" it takes the write lock right then (waiting up to the busy timeout)
        # instead of upgrading a read lock later, which fails at once with "database is
        # locked" when another connection wrote in between.
        engine = create_engine(url, connect_args={"timeout": busy_timeout,
                                                  "isolation_level": "IMMEDIATE"}, **kwargs)
        event.listen(engine, "connect", partial(_sqlite_pragmas, busy_ms=int(busy_timeout * 1000)))
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def owner_only_file(path: Path) -> None:
    """Create the SQLite file (and its folder) readable by the owner only, whatever the umask.

    The WAL and shared-memory files SQLite creates beside it take the main file's mode.
    """
    from tocsin.store.private import private_file

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        private_file(path)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, busy_ms: int = 30000) -> None:
    # WAL survives kill -9 and lets readers work beside one writer; foreign keys
    # are off by default in SQLite and must be switched on per connection.
    if dbapi_connection.isolation_level == "":  # deferred: make the first write take the lock
        dbapi_connection.isolation_level = "IMMEDIATE"
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
