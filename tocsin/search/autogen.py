"""Keep Alembic autogenerate blind to the full-text structures the ORM cannot describe.

The SQLite FTS5 table (``search_fts`` and its shadow tables) and the
PostgreSQL ``search_vector`` column with its GIN index are created by the
``search_0001`` migration with raw SQL. Without this filter, autogenerate (and
the test comparing the tables with the migrations) would propose dropping them.
The filter is registered on Alembic's global comparator registry, which every
autogenerate run copies, so ``env.py`` needs no ``include_object`` hook.
"""

from __future__ import annotations

from typing import Any

FTS_TABLE = "search_fts"
VECTOR_COLUMN = "search_vector"
VECTOR_INDEX = "ix_search_documents_search_vector"
DOCUMENTS_TABLE = "search_documents"


def is_search_structure(op: Any) -> bool:
    """True for an autogenerate operation that concerns the raw-SQL search structures."""
    table = getattr(op, "table_name", None)
    if table is not None and (table == FTS_TABLE or table.startswith(FTS_TABLE + "_")):
        return True
    if getattr(op, "column_name", None) == VECTOR_COLUMN:
        return True
    return getattr(op, "index_name", None) == VECTOR_INDEX


def _prune(ops_list: list[Any]) -> list[Any]:
    kept = []
    for op in ops_list:
        if is_search_structure(op):
            continue
        nested = getattr(op, "ops", None)
        if isinstance(nested, list):
            op.ops = _prune(nested)
            if not op.ops and op.__class__.__name__ == "ModifyTableOps":
                continue
        kept.append(op)
    return kept


def _drop_search_structures(_context: Any, upgrade_ops: Any, *_args: Any) -> None:
    upgrade_ops.ops = _prune(upgrade_ops.ops)


def _register() -> None:
    from alembic.autogenerate import comparators

    try:
        from alembic.util import DispatchPriority
    except ImportError:  # Alembic < 1.18: plain dispatcher, functions run in order
        comparators.dispatch_for("schema")(_drop_search_structures)
        return
    comparators.dispatch_for("autogenerate", priority=DispatchPriority.LAST)(
        _drop_search_structures
    )


_register()
