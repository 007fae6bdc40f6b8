"""Alembic environment: uses the engine handed over by ``tocsin.store.migrate``,
or the configured database when run as ``alembic`` from the repository root."""

from alembic import context

from tocsin.settings import get_settings
from tocsin.store.engine import make_engine
from tocsin.store.migrate import import_all_tables

target_metadata = import_all_tables()
engine = context.config.attributes.get("engine") or make_engine(
    get_settings().resolved_database_url
)

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
