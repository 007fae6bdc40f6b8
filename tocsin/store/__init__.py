"""Relational storage: one SQLAlchemy metadata, engines, sessions, migrations, backup.

Tables live with their topic (``tocsin/access/tables.py``, ``tocsin/taskforce/…``);
they all derive from :class:`tocsin.store.base.Base` so that one metadata and one
Alembic history cover them.
"""

from tocsin.store.base import Base, Guarded, Timestamped
from tocsin.store.engine import make_engine, session_factory

__all__ = ["Base", "Guarded", "Timestamped", "make_engine", "session_factory"]
