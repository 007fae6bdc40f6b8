"""Human names of facet values, cached per database.

Every search shows the names of the crime areas, stages, countries and
structures in its facets; the reference tables behind them change rarely. The
names are read once per database and kept for :data:`TTL_SECONDS`; a change to
a reference table in this process (ORM flush or bulk statement) clears the cache
at once, so only a change made by another process shows up to a minute late.
Only names are cached, never what a user may read.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

TTL_SECONDS = 60.0
#: Tables whose names label facets; a write to any ``ref_`` table clears the cache.
REFERENCE_PREFIX = "ref_"

_cache: dict[str, tuple[float, dict[str, dict[str, str]]]] = {}
_lock = threading.Lock()


def _models() -> dict[str, Any]:
    from tocsin.reference.tables import RefCountry, RefCrimeArea, RefStage, RefStructure

    return {"crime_area": RefCrimeArea, "stage": RefStage, "country": RefCountry,
            "structure": RefStructure}


def reference_labels(session: Session) -> dict[str, dict[str, str]]:
    """``{facet: {code: name}}`` for the facets named after reference entries."""
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
    if cached is not None and now - cached[0] < TTL_SECONDS:
        return cached[1]
    loaded = {facet: {code: name for code, name in session.execute(
        select(model.code, model.name))} for facet, model in _models().items()}
    with _lock:
        _cache[key] = (now, loaded)
    return loaded


def forget() -> None:
    """Drop every cached name (a reference table changed)."""
    with _lock:
        _cache.clear()


def touches_reference(table_name: str | None) -> bool:
    return bool(table_name) and str(table_name).startswith(REFERENCE_PREFIX)
