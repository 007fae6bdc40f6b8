"""One in-memory DuckDB database per process for the importers' SQL steps.

Opening a DuckDB database costs 20 ms and more, which was most of the time of
importing a small file (AMLworld's account classification, Bitcoin's spent
outputs). The importers therefore share one in-memory database and each step
runs on a cursor of its own: a cursor is a separate connection to it, so the
tables a step registers and the temporary views and tables it creates are its
own and are dropped with the cursor; two imports running at once (web
requests in threads) cannot see each other's.

The database is made again in a forked child: a DuckDB database is not safe to
use across ``fork``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

_lock = threading.Lock()
_shared: tuple[int, duckdb.DuckDBPyConnection] | None = None


def _database() -> duckdb.DuckDBPyConnection:
    global _shared
    with _lock:
        if _shared is None or _shared[0] != os.getpid():
            # the parent's copy in a forked child is left alone, not closed: its threads
            # are not there to close it
            _shared = (os.getpid(), duckdb.connect(config={"threads": max(1, os.cpu_count() or 1)}))
        return _shared[1]


@contextmanager
def cursor() -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection of its own to the shared database, closed (its temporary objects
    dropped) on leaving."""
    con = _database().cursor()
    try:
        con.execute("SET enable_progress_bar = false")
        yield con
    finally:
        con.close()
