"""The coherence analysis computed once per change of its inputs and reused.

Every tab, the report and the API ask :func:`tocsin.coherence.analysis.run`
for the analysis; it is computed on the first request after a change of its
inputs (see :mod:`tocsin.coherence.versions`) and read from here by the rest.

What a principal may read decides what enters the analysis, so entries are
kept per *readable view*: principals whom the read rule treats alike (the same
role class and unit) share an entry; no one is served an analysis built from
records they may not read. Reads that the computation audited (records above
TLP:GREEN) are audited again, for the principal asking, whenever an entry is
served.

The cache lives in the process (a server with several workers computes once
per worker); a few entries are kept, the least recently used dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.coherence import versions

T = TypeVar("T")
#: Entries kept per process. A readable view whose every tab was opened takes about nine
#: (its portfolio, inputs, coverage matrix, the lessons of its gaps, the analyses of the
#: tabs' four sets of options); with 12 a server used by five roles evicted entries other
#: users were about to ask for and recomputed the analysis over and over under load; 48
#: keeps five such views warm.
LIMIT = 48

Audited = tuple[str, str, str, str, str]  # action, record type, id, handling, detail


@dataclass
class _Entry:
    value: Any
    audited: list[Audited]


_entries: OrderedDict[Hashable, _Entry] = OrderedDict()
_lock = threading.Lock()
_computing: dict[Hashable, threading.Lock] = {}
stats = {"hits": 0, "misses": 0}


def view_of(principal: Principal) -> Hashable:
    """What the read rule looks at (:func:`tocsin.access.policy.read_clause`)."""
    if principal.role is Role.ADMINISTRATOR:
        return ("all",)
    return (principal.role is not Role.PARTNER_VIEWER,
            principal.role in (Role.COORDINATOR, Role.ANALYST), principal.unit_id)


def key_for(session: Session, principal: Principal, what: str, *parts: Hashable,
            inputs: tuple[str, ...] = versions.INPUTS) -> Hashable:
    current = versions.read(session)
    database = str(getattr(session.get_bind(), "url", ""))
    return (what, database, view_of(principal), tuple(current.get(i, "") for i in inputs),
            *parts)


def cached(session: Session, principal: Principal, key: Hashable,
           compute: Callable[[], T]) -> T:
    """The value for ``key``, computed by ``compute`` when absent (once per key at a time)."""
    if session.new or session.dirty or session.deleted or _wrote(session):
        # Uncommitted changes of this session: its view is not anyone else's.
        return compute()
    with _lock:
        entry = _entries.get(key)
        if entry is not None:
            _entries.move_to_end(key)
            stats["hits"] += 1
        else:
            guard = _computing.setdefault(key, threading.Lock())
    if entry is None:
        with guard:
            with _lock:
                entry = _entries.get(key)
            if entry is None:
                with _capture(session) as audited:
                    value = compute()
                entry = _Entry(value, audited)
                with _lock:
                    stats["misses"] += 1
                    _entries[key] = entry
                    _computing.pop(key, None)
                    while len(_entries) > LIMIT:
                        _entries.popitem(last=False)
                return value
    for action, record_type, record_id, handling, detail in entry.audited:
        audit.record(session, principal, action, record_type, record_id, handling, detail)
    return entry.value


def derived(owner: Any, name: str, compute: Callable[[], T]) -> T:
    """A value derived from a cached object (e.g. a page's option list of an analysis),
    computed once per object."""
    found: dict[str, Any] = owner.__dict__.setdefault("_derived", {})
    if name not in found:
        found[name] = compute()
    return found[name]


def clear() -> None:
    with _lock:
        _entries.clear()


def today() -> date:
    return date.today()


def _wrote(session: Session) -> bool:
    """Whether the session's transaction changed an input already (flushed, uncommitted)."""
    return bool(session.info.get("coherence_changed"))


@contextmanager
def _capture(session: Session) -> Iterator[list[Audited]]:
    """Collect the audit entries queued on the session while computing."""
    found: list[Audited] = []
    before = len(audit.pending(session))
    try:
        yield found
    finally:
        for item in audit.pending(session)[before:]:
            found.append((item["action"], item["record_type"], item["record_id"],
                          item["handling"], item["detail"]))
