"""Alembic migrations, run from code (``tocsin init``) or the ``alembic`` command.

Each topic keeps its own branch of revisions (``branch_labels``) that depends on
the foundation revision; the database is upgraded to all heads at once.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData

import tocsin
from tocsin.store.base import Base

MIGRATIONS = Path(__file__).parent / "migrations"


def import_all_tables() -> MetaData:
    """Import every ``tables`` module of the package so the metadata is complete."""
    for info in pkgutil.walk_packages(tocsin.__path__, prefix="tocsin."):
        if info.name.rsplit(".", 1)[-1] == "tables":
            importlib.import_module(info.name)
    return Base.metadata


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Create or migrate the schema to the newest revision of every branch."""
    command.upgrade(alembic_config(engine), "heads")


def current_heads(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def expected_heads() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def applied_revisions(engine: Engine) -> set[str]:
    """Every revision the database has, including those only recorded as dependencies."""
    script = ScriptDirectory.from_config(alembic_config())
    heads = tuple(current_heads(engine))
    return {rev.revision for rev in script.iterate_revisions(heads, "base")} if heads else set()


def is_current(engine: Engine) -> bool:
    return expected_heads() <= applied_revisions(engine)
