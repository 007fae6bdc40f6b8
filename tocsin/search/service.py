"""``search()``: one query over every record type, filtered by the read policy.

Access control is part of the SQL (:func:`tocsin.access.policy.read_clause`
on the index's own ``handling`` and ``owner_unit_id`` columns): a document the
principal may not read is never counted, faceted, ranked or returned. Reads of
results above TLP:GREEN are written to the audit log, as a page would.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, String, Table, false, func, literal, select, union_all
from sqlalchemy.orm import Session

from tocsin import types
from tocsin.access import audit
from tocsin.access.handling import Handling
from tocsin.access.policy import read_clause
from tocsin.access.principal import Principal
from tocsin.access.tables import Unit
from tocsin.errors import InputError
from tocsin.i18n import N_
from tocsin.search.base import SearchBackend, backend_for, marked_html
from tocsin.search.indexer import sync_pending
from tocsin.search.labels import reference_labels
from tocsin.search.query import ParsedQuery, parse_query
from tocsin.search.stemming import stem as stem_russian
from tocsin.search.synonyms import expand as expand_synonyms
from tocsin.search.tables import LINK_FACETS, SearchDocument, SearchFacet, facet_token
from tocsin.types.base import is_digits

DOCS = cast(Table, SearchDocument.__table__)
FACETS = cast(Table, SearchFacet.__table__)
MAX_PAGE_SIZE = 100
#: Readable, filtered matches that are ranked, paged and counted in the facets. A broad
#: query is answered within its newest WINDOW matches, so its cost does not grow with
#: the index (docs/search.md, "Broad queries").
WINDOW = 1000
#: Facet values shown per facet (the selected ones are always shown).
FACET_LIMIT = 25
FACET_NAMES = ("type", *LINK_FACETS, "year")


@dataclass(frozen=True)
class SearchFilters:
    """Facet filters: values within one facet are alternatives (OR), facets combine (AND)."""

    types: tuple[str, ...] = ()
    crime_areas: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    structures: tuple[str, ...] = ()
    years: tuple[int, ...] = ()

    def selected(self, facet: str) -> tuple[str, ...]:
        values: Iterable[object] = {
            "type": self.types, "crime_area": self.crime_areas, "stage": self.stages,
            "country": self.countries, "structure": self.structures, "year": self.years,
        }[facet]
        return tuple(str(v) for v in values)

    @classmethod
    def from_lists(cls, *, types: Iterable[str] = (), crime_areas: Iterable[str] = (),
                   stages: Iterable[str] = (), countries: Iterable[str] = (),
                   structures: Iterable[str] = (), years: Iterable[str | int] = ()
                   ) -> SearchFilters:
        """Build filters from request values; blank values are ignored, years checked."""
        parsed_years: list[int] = []
        for value in years:
            text = str(value).strip()
            if not text:
                continue
            if not is_digits(text) or not 1900 <= int(text) <= 2200:
                raise InputError.single("year", N_("%(value)s is not a year", value=repr(text)))
            parsed_years.append(int(text))

        def clean(values: Iterable[str]) -> tuple[str, ...]:
            return tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))

        return cls(clean(types), clean(crime_areas), clean(stages), clean(countries),
                   clean(structures), tuple(dict.fromkeys(parsed_years)))


@dataclass(frozen=True)
class Hit:
    """One result: what the list shows and where it links."""

    document_id: int
    record_type: str
    record_id: str
    title: str
    title_html: str
    snippet_html: str
    url: str
    handling: str
    owner_unit: str | None
    year: int | None
    parent: str | None
    score: float

    @property
    def id(self) -> str:
        """The record's id (so :func:`tocsin.access.audit.record_reads` can audit hits)."""
        return self.record_id


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class SearchResults:
    query: str
    understood: str
    hits: list[Hit]
    total: int
    page: int
    size: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    ranking: str = "full-text"
    #: More than ``total`` documents match: the newest ``total`` were ranked and counted.
    capped: bool = False
    #: For a query without results: a respelled query that has some ("did you mean").
    suggestion: str | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def total_label(self) -> str:
        """``"1,000+"`` when capped, else the exact count."""
        return f"{self.total:,}" + ("+" if self.capped else "")


def search(session: Session, principal: Principal, query: str | None,
           filters: SearchFilters | None = None, page: int = 1, size: int = 20,
           *, semantic: Any = None, audit_reads: bool = True,
           suggest: bool = True) -> SearchResults:
    """Search every record type the principal may read.

    A query with more than :data:`WINDOW` readable, filtered matches is answered
    within the newest :data:`WINDOW` of them (ranked, paged and counted in the
    facets); ``capped`` on the results says so.

    ``semantic`` is an embedder (see :mod:`tocsin.search.semantic`); when given,
    the full-text ranking is fused with embedding similarity.
    """
    filters = filters or SearchFilters()
    if page < 1:
        raise InputError.single("page", N_("pages start at 1"))
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise InputError.single("size", N_("choose between 1 and %(most)s results per page",
                                           most=MAX_PAGE_SIZE))
    parsed = stem_russian(expand_synonyms(parse_query(query)))
    sync_pending(session)  # see this transaction's own writes
    backend = backend_for(session.get_bind().dialect.name)
    allowed = read_clause(SearchDocument, principal)
    filtered = _filter_conditions(filters)
    tags = _tag_groups(filters) if backend.indexes_facets else ()
    window = _window(session, backend, parsed, tags,
                     [allowed, *([] if tags else filtered)])
    capped = len(window) > WINDOW
    ids = window[:WINDOW]
    total = len(ids)
    offset = (page - 1) * size
    ranking = N_("full-text") if parsed.include else N_("newest first")  # shown translated
    order: list[tuple[int, float]]
    if not parsed.include:  # no words: the window is already newest first
        order = [(doc_id, float(-doc_id)) for doc_id in ids[offset:offset + size]]
    elif semantic is not None:
        from tocsin.search.semantic import LABEL, fused_page

        pool = [allowed, *filtered,
                *([backend.excluded(parsed.exclude)] if parsed.exclude else [])]
        order, total = fused_page(session, semantic, query or "",
                                  _ranked(backend, parsed, ids), pool, offset, size)
        ranking = LABEL
    else:
        ranked = _ranked(backend, parsed, ids)
        rows = session.execute(
            select(ranked.c.id, ranked.c.rank).order_by(ranked.c.rank, ranked.c.id)
            .offset(offset).limit(size)
        ).all()
        order = [(row[0], float(row[1])) for row in rows]
    hits = _hits(session, backend, parsed, order)
    facets = _facets(session, _counts(session, backend, ids), filters)
    if audit_reads:
        audit_hits(session, principal, hits)
    suggestion = None
    if suggest and not total and parsed.include:
        suggestion = _did_you_mean(session, principal, parsed, filters)
    return SearchResults(query=query or "", understood=parsed.text, hits=hits, total=total,
                         page=page, size=size, facets=facets, ranking=ranking, capped=capped,
                         suggestion=suggestion)


def _did_you_mean(session: Session, principal: Principal, parsed: ParsedQuery,
                  filters: SearchFilters) -> str | None:
    """A respelled query, offered only when it finds something for this user."""
    from tocsin.search.suggest import suggest

    respelled = suggest(session, principal, parsed)
    if respelled is None:
        return None
    found = search(session, principal, respelled, filters, size=1, audit_reads=False,
                   suggest=False)
    return respelled if found.total else None


def audit_hits(session: Session, principal: Principal, hits: Sequence[Hit]) -> None:
    """Audit every result shown above TLP:GREEN, as a read of the record it points to."""
    for hit in hits:
        if Handling(hit.handling).audited_on_read:
            audit.record(session, principal, "read", hit.record_type, hit.record_id,
                         hit.handling, detail="shown in search results")


def _filter_conditions(filters: SearchFilters) -> list[ColumnElement[bool]]:
    """The facet filters as SQL conditions on the index tables."""
    conditions: list[ColumnElement[bool]] = []
    if filters.types:
        conditions.append(DOCS.c.record_type.in_(filters.types))
    if filters.years:
        conditions.append(DOCS.c.year.in_(filters.years))
    for facet in LINK_FACETS:
        values = filters.selected(facet)
        if values:
            conditions.append(DOCS.c.id.in_(
                select(FACETS.c.document_id).where(FACETS.c.facet == facet,
                                                   FACETS.c.value.in_(values))))
    return conditions


def _tag_groups(filters: SearchFilters) -> tuple[tuple[str, ...], ...]:
    """The facet filters as index tokens: one group per facet, any token of a group."""
    return tuple(tuple(facet_token(facet, value) for value in filters.selected(facet))
                 for facet in FACET_NAMES if filters.selected(facet))


def _window(session: Session, backend: SearchBackend, parsed: ParsedQuery,
            tags: Sequence[Sequence[str]], conditions: list[ColumnElement[bool]]) -> list[int]:
    """Ids of the newest :data:`WINDOW` + 1 readable, filtered matches, newest first.

    FTS5 and the primary key both deliver ids in order, so the walk stops after
    :data:`WINDOW` + 1 readable matches and a broad query costs no more than a
    narrow one. The read policy is checked for each match through the covering
    index on the policy columns.
    """
    stmt: Select[Any]
    if parsed.include or tags:
        hits = backend.matches(parsed, tags).subquery("hits")
        stmt = (select(hits.c.id).join_from(hits, DOCS, DOCS.c.id == hits.c.id)
                .where(*conditions).order_by(hits.c.id.desc()))
    else:  # no words and no indexed filters: browse newest first
        if parsed.exclude:
            conditions = [*conditions, backend.excluded(parsed.exclude)]
        stmt = select(DOCS.c.id).where(*conditions).order_by(DOCS.c.id.desc())
    return list(session.execute(stmt.limit(WINDOW + 1)).scalars().all())


def _ranked(backend: SearchBackend, parsed: ParsedQuery, ids: Sequence[int]) -> Any:
    """A subquery ``(id, rank)`` of the documents in the window."""
    if not ids:
        return select(DOCS.c.id, literal(0.0).label("rank")).where(false()).subquery("ranked")
    return backend.ranked(parsed, ids).subquery("ranked")


def _hits(session: Session, backend: SearchBackend, parsed: ParsedQuery,
          order: Sequence[tuple[int, float]]) -> list[Hit]:
    ids = [doc_id for doc_id, _ in order]
    if not ids:
        return []
    rows = {row.id: row for row in session.execute(
        select(DOCS.c.id, DOCS.c.record_type, DOCS.c.record_id, DOCS.c.title,
               func.substr(DOCS.c.body, 1, 300).label("lead"), DOCS.c.url, DOCS.c.handling,
               DOCS.c.year, DOCS.c.parent, Unit.code.label("unit"))
        .outerjoin(Unit, Unit.id == DOCS.c.owner_unit_id).where(DOCS.c.id.in_(ids)))}
    marked = backend.highlights(session, parsed, ids)
    hits = []
    for doc_id, score in order:
        row = rows.get(doc_id)
        if row is None:
            continue
        title_raw, snippet_raw = marked.get(doc_id, (row.title, _lead(row.lead)))
        hits.append(Hit(
            document_id=doc_id, record_type=row.record_type, record_id=row.record_id,
            title=row.title, title_html=marked_html(title_raw or row.title),
            snippet_html=marked_html(snippet_raw or _lead(row.lead)), url=row.url,
            handling=row.handling, owner_unit=row.unit, year=row.year, parent=row.parent,
            score=score,
        ))
    return hits


def _lead(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) < 240 else text[:240].rsplit(" ", 1)[0] + " …"


def _counts(session: Session, backend: SearchBackend,
            ids: Sequence[int]) -> dict[str, dict[str, int]]:
    """Facet counts of the documents in the window, in one statement.

    The ids are listed rather than matched again: their facet rows are found by
    primary key, whatever the facet filters were.
    """
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    counts.setdefault("type", {})
    if not ids:
        return counts
    by_type = (select(literal("type").label("facet"), DOCS.c.record_type.label("value"),
                      func.count().label("n"))
               .where(backend.among(DOCS.c.id, ids)).group_by(DOCS.c.record_type))
    by_year = (select(literal("year"), func.cast(DOCS.c.year, String), func.count())
               .where(backend.among(DOCS.c.id, ids), DOCS.c.year.is_not(None))
               .group_by(DOCS.c.year))
    by_link = (select(FACETS.c.facet, FACETS.c.value, func.count())
               .where(backend.among(FACETS.c.document_id, ids))
               .group_by(FACETS.c.facet, FACETS.c.value))
    for facet, value, count in session.execute(union_all(by_type, by_year, by_link)):
        counts[facet][str(value)] = int(count)
    return counts


def _facets(session: Session, counts: dict[str, dict[str, int]],
            filters: SearchFilters) -> dict[str, list[FacetValue]]:
    labels = facet_labels(session, {f: set(counts.get(f, {})) | set(filters.selected(f))
                                    for f in FACET_NAMES})
    result: dict[str, list[FacetValue]] = {}
    for facet in FACET_NAMES:
        selected = set(filters.selected(facet))
        found = counts.get(facet, {})
        if facet == "year":
            ordered = sorted(found.items(), key=lambda kv: kv[0], reverse=True)
        else:
            ordered = sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = ordered[:FACET_LIMIT]
        shown += [(v, c) for v, c in ordered[FACET_LIMIT:] if v in selected]
        shown += [(v, 0) for v in sorted(selected - set(found))]
        result[facet] = [FacetValue(v, labels.get(facet, {}).get(v, v), c, v in selected)
                         for v, c in shown]
    return result


def facet_labels(session: Session, wanted: dict[str, set[str]]) -> dict[str, dict[str, str]]:
    """Human names for facet codes (crime areas, stages, countries, structures, types)."""
    names = reference_labels(session)
    labels: dict[str, dict[str, str]] = {}
    for facet, values in wanted.items():
        if facet == "type":
            labels[facet] = {v: TYPE_LABELS.get(v, v.replace("_", " ")) for v in values}
        elif facet in names:
            known = names[facet]
            labels[facet] = {v: known[v] for v in values if v in known}
            if facet == "country":  # a country outside the reference States: its ISO name
                labels[facet].update({v: types.country.label(v) for v in values
                                      if v not in known and types.country.known(v)})
    return labels


TYPE_LABELS = {  # marked for the catalogs; translated where shown
    "activity": N_("Programmes and activities"), "document": N_("Attached documents"),
    "commitment": N_("Commitments"), "crime_area": N_("Crime areas"),
    "stage": N_("Justice-chain stages"), "instrument": N_("Instruments"),
    "provision": N_("Provisions"), "lesson": N_("Lessons and observations"),
    "partner": N_("Partners"), "agreement": N_("Agreements"), "event": N_("Events"),
    "expert": N_("Experts"), "transaction_set": N_("Transaction sets"),
    "ocg_profile": N_("Organized crime groups"), "case": N_("Cases"),
    "case_asset": N_("Assets"), "coop_request": N_("Co-operation requests"),
}
