"""The document registry: how each record type becomes a search document.

A provider turns records of one ORM class into :class:`SearchDoc` values and
names the classes whose changes alter them (link tables, child rows, a parent
whose handling code the documents inherit). Adding a record type is one
subclass of :class:`Provider` in ``tocsin/search/providers/<topic>.py`` and a
:func:`register` call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from tocsin.access.handling import Handling
from tocsin.access.links import as_open_as
from tocsin.access.policy import unguarded_get, unguarded_select
from tocsin.search.tables import facet_token

#: Why the indexer reads records past the read rule.
INDEXER = ("the index keeps every record with its handling code and owning unit; "
           "each search applies the read rule to them")

#: Largest body kept in the index, in characters (PostgreSQL's tsvector holds < 1 MB).
MAX_BODY_CHARS = 200_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str | None, limit: int = MAX_BODY_CHARS) -> str:
    """Text as indexed: no control characters (snippet markers use them), bounded length."""
    return _CONTROL.sub(" ", text or "")[:limit]


def join_text(*parts: object) -> str:
    """Join the non-empty parts of a body with blank lines."""
    return "\n\n".join(str(p).strip() for p in parts if p is not None and str(p).strip())


def year_of(*candidates: date | datetime | None) -> int | None:
    """The year of the first date given, for the year facet."""
    for value in candidates:
        if value is not None:
            return value.year
    return None


def shared_text(session: Session, model: type[Any], record_id: int | None,
                record: Any) -> Any | None:
    """A record linked from ``record`` whose text may go into ``record``'s document.

    A document is shown to everyone who may read ``record``; text of a linked
    record that some of them may not read is left out (``None``), so the index
    never answers a search with words of a record the searcher cannot read.
    """
    if record_id is None:
        return None
    item = unguarded_get(session, model, record_id, why=INDEXER)
    return item if item is not None and as_open_as(item, record) else None


def shared(items: Iterable[Any], record: Any) -> list[Any]:
    """The linked records among ``items`` whose text may go into ``record``'s document."""
    return [item for item in items if as_open_as(item, record)]


@dataclass(frozen=True)
class SearchDoc:
    """What the index stores about one record (or one attached file)."""

    record_type: str
    record_id: str
    title: str
    body: str
    handling: str
    owner_unit_id: int | None
    url: str
    year: int | None = None
    crime_areas: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    structures: tuple[str, ...] = ()
    #: For an attached file, the record it belongs to as ``type:id``.
    parent: str | None = None

    def __post_init__(self) -> None:
        Handling(self.handling)  # refuse an unknown handling code before anything is written

    def tags(self) -> str:
        """The facet tokens of the document (type, year and every facet value)."""
        pairs = [("type", self.record_type), *(([("year", str(self.year))])
                                                if self.year is not None else []),
                 *self.facet_rows()]
        return " ".join(facet_token(facet, value) for facet, value in pairs)

    def facet_rows(self) -> Iterator[tuple[str, str]]:
        for facet, values in (("crime_area", self.crime_areas), ("stage", self.stages),
                              ("country", self.countries), ("structure", self.structures)):
            for value in sorted(set(values)):
                if value:
                    yield facet, value


#: A function from a changed object to the keys of the provider's records it affects.
Affects = Callable[[Session, Any], Iterable[object]]


@dataclass
class Provider:
    """Base class: index the rows of ``model`` as documents of ``record_type``.

    Subclasses set ``record_type`` and ``model`` and implement :meth:`document`;
    ``affected_by`` maps other ORM classes to the keys of this provider's
    records that a change to them touches.
    """

    record_type: ClassVar[str]
    model: ClassVar[type[Any]]
    affected_by: Mapping[type[Any], Affects] = field(default_factory=dict)
    batch_size: ClassVar[int] = 500
    #: The attribute that identifies a record (``id``, or ``code`` for reference entries).
    key_attribute: ClassVar[str] = "id"
    #: Tables written with bulk statements (link tables) whose changes alter these documents.
    watch_tables: ClassVar[frozenset[str]] = frozenset()

    def key(self, record: Any) -> str:
        return str(getattr(record, self.key_attribute))

    def key_column(self) -> Any:
        return getattr(self.model, self.key_attribute)

    def document(self, record: Any) -> SearchDoc | None:
        """The search document for one record, or ``None`` to keep it out of the index."""
        raise NotImplementedError

    def documents(self, records: Sequence[Any]) -> list[SearchDoc | None]:
        """The documents of a batch of records (what the indexer calls); override it to
        look up the records' link rows in one query per table instead of one per record."""
        return [self.document(record) for record in records]

    def load(self, session: Session, keys: Sequence[str]) -> Sequence[Any]:
        column = self.key_column()
        typed = [int(k) for k in keys] if _is_integer(column) else list(keys)
        return session.scalars(unguarded_select(self.model, why=INDEXER)
                               .where(column.in_(typed))).all()

    def batches(self, session: Session) -> Iterator[Sequence[Any]]:
        """Every record, in batches (for a full reindex)."""
        column = self.key_column()
        keys = list(session.scalars(unguarded_select(column, why=INDEXER).order_by(column)))
        for start in range(0, len(keys), self.batch_size):
            chunk = keys[start:start + self.batch_size]
            yield session.scalars(unguarded_select(self.model, why=INDEXER)
                                  .where(column.in_(chunk))).all()


def _is_integer(column: Any) -> bool:
    try:
        return column.type.python_type is int
    except NotImplementedError:  # pragma: no cover - exotic types
        return False


_PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    """Add (or replace) the provider of a record type."""
    _PROVIDERS[provider.record_type] = provider
    return provider


def providers() -> list[Provider]:
    from tocsin.search.providers import load_all

    load_all()
    return list(_PROVIDERS.values())


def provider(record_type: str) -> Provider:
    for item in providers():
        if item.record_type == record_type:
            return item
    known = ", ".join(sorted(_PROVIDERS))
    raise KeyError(f"no search provider for record type {record_type!r} (known: {known})")


def record_types() -> list[str]:
    return sorted(p.record_type for p in providers())
