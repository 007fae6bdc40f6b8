"""Tables of the search index: one row per searchable document, its facets, embeddings.

The full-text structures cannot be expressed in the ORM: on SQLite an FTS5
virtual table ``search_fts`` kept in step with ``search_documents`` by triggers;
on PostgreSQL a generated ``tsvector`` column ``search_vector`` with a GIN
index. Both are created by the ``search_0001`` migration and hidden from
autogenerate by :mod:`tocsin.search.autogen`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.search import autogen  # noqa: F401  (registers the autogenerate filter)
from tocsin.store.base import Base, utcnow

#: Facets stored in ``search_facets`` (multi-valued); type and year are columns.
LINK_FACETS = ("crime_area", "stage", "country", "structure")
#: One letter per facet in the facet tokens of the ``tags`` column.
TOKEN_LETTERS = {"type": "t", "year": "y", "crime_area": "a", "stage": "s", "country": "c",
                 "structure": "u"}


def facet_token(facet: str, value: object) -> str:
    """The word standing for one facet value in the full-text index.

    ``zz`` + the facet's letter + the value's UTF-8 bytes in hex + ``0``: letters
    and digits only, so the tokenizer keeps it whole, and ending in a digit, so
    the Porter stemmer leaves it alone. ``search_0003`` computes the same in SQL.
    """
    return f"zz{TOKEN_LETTERS[facet]}{str(value).encode().hex()}0"


class SearchDocument(Base):
    """One searchable document: a record of any type, or a file attached to one.

    ``handling`` and ``owner_unit_id`` are copied from the record (or, for a
    file, from the record it belongs to), so the read policy filters the index
    exactly as it filters the pages.
    """

    __tablename__ = "search_documents"
    __table_args__ = (
        UniqueConstraint("record_type", "record_id", name="uq_search_documents_record"),
        Index("ix_search_documents_year", "year"),
        # Covers the read-policy and facet columns, so matching documents are checked
        # without reading their (long) rows.
        Index("ix_search_documents_access", "id", "handling", "owner_unit_id", "record_type",
              "year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    handling: Mapped[str] = mapped_column(String(12))
    owner_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), nullable=True, index=True
    )
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    url: Mapped[str] = mapped_column(String(500))
    #: For an attached file: the record it belongs to, as ``type:id``.
    parent: Mapped[str | None] = mapped_column(String(170), nullable=True)
    #: The document's facet values as :func:`facet_token` words, so the SQLite FTS5
    #: index answers facet filters together with the words (a third, unranked column).
    tags: Mapped[str] = mapped_column(Text, default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchFacet(Base):
    """One facet value of a document (crime area, stage, country, structure)."""

    __tablename__ = "search_facets"
    __table_args__ = (Index("ix_search_facets_value", "facet", "value"),)

    document_id: Mapped[int] = mapped_column(
        ForeignKey("search_documents.id", ondelete="CASCADE"), primary_key=True
    )
    facet: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(120), primary_key=True)


class SearchEmbedding(Base):
    """A sentence embedding of a document (float32, little-endian) for semantic ranking.

    Removed whenever the document's title or body changes, so a stored vector
    always describes the current text.
    """

    __tablename__ = "search_embeddings"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("search_documents.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(120))
    dimensions: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
