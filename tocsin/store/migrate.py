"""Alembic migrations, run from code (``tocsin init``) or the ``alembic`` command.

Each topic keeps its own branch of revisions (``branch_labels``) that depends on
the foundation revision; the database is upgraded to all heads at once.
"""

from __future__ import annotations

import importlib
import os
from functools import cache
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
    for name in _table_modules():
        importlib.import_module(name)
    return Base.metadata


@cache
def _table_modules() -> tuple[str, ...]:
    # found on disk, once per process: walking the package with pkgutil imports every
    # package to find its subpackages, and with them FollowTheMoney, scikit-learn,
    # WeasyPrint … (2.2 s and 1,635 modules in a fresh process, against 1.0 s and 678);
    # only folders that are packages are entered, as the walk did
    root = Path(tocsin.__path__[0])
    found = []
    for here, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if (Path(here) / d / "__init__.py").is_file()]
        if "tables.py" in files:
            found.append(".".join(("tocsin", *Path(here).relative_to(root).parts, "tables")))
    return tuple(sorted(found))


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


@cache
def _scripts() -> ScriptDirectory:
    # Alembic compiles every revision file to read the graph (50 ms and more, asked twice
    # by a backup check); the revisions are those installed, read once per process
    return ScriptDirectory.from_config(alembic_config())


def expected_heads() -> set[str]:
    return set(_scripts().get_heads())


def applied_revisions(engine: Engine) -> set[str]:
    """Every revision the database has, including those only recorded as dependencies."""
    script = _scripts()
    heads = tuple(current_heads(engine))
    return {rev.revision for rev in script.iterate_revisions(heads, "base")} if heads else set()


def is_current(engine: Engine) -> bool:
    return expected_heads() <= applied_revisions(engine)
