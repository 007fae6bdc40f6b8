"""Semantic ranking: reciprocal-rank fusion, stored embeddings, the real offline model."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from sqlalchemy import func, select

from tests.search.conftest import principal, sqlite_only
from tocsin.search import SearchFilters, search
from tocsin.search.semantic import K, available, reciprocal_rank_fusion
from tocsin.search.tables import SearchEmbedding
from tocsin.store.database import Database
from tocsin.taskforce.programmes.tables import Activity

ACTIVITIES = SearchFilters(types=("activity",))
#: Words that mean the same thing share a dimension, as an embedding model would have it.
CONCEPTS = {"drugs": 0, "narcotics": 0, "cocaine": 0, "heroin": 0,
            "firearms": 1, "weapons": 1, "guns": 1,
            "laundering": 2, "launder": 2, "proceeds": 2}


class FakeEmbedder:
    name = "fake-concepts"

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), 4), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, CONCEPTS.get(word, 3)] += 1.0 if word in CONCEPTS else 0.05
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def test_reciprocal_rank_fusion_formula() -> None:
    fused = dict(reciprocal_rank_fusion([[1, 2, 3], [3, 1]]))
    assert fused[1] == pytest.approx(1 / (K + 1) + 1 / (K + 2))
    assert fused[3] == pytest.approx(1 / (K + 3) + 1 / (K + 1))
    assert fused[2] == pytest.approx(1 / (K + 2))
    assert [d for d, _ in reciprocal_rank_fusion([[1, 2, 3], [3, 1]])] == [1, 3, 2]


@pytest.fixture
def corpus(make_activity: Callable[..., int]) -> dict[str, int]:
    return {
        "cocaine": make_activity("Cocaine trafficking routes through ports",
                                 description="Heroin and cocaine seizures."),
        "narcotics": make_activity("Narcotics unit training", description="Narcotics law."),
        "weapons": make_activity("Small arms control", description="Weapons and guns."),
        "secret": make_activity("Heroin informants", handling="RED", unit="oceea"),
    }


def test_fusion_finds_meaning_beyond_words(platform_db: Database,
                                           corpus: dict[str, int]) -> None:
    embedder = FakeEmbedder()
    with platform_db.transaction() as session:
        viewer = principal(session, "partner_viewer", "unodc")
        plain = search(session, viewer, "narcotics", ACTIVITIES)
        assert [h.title for h in plain.hits] == ["Narcotics unit training"]
        fused = search(session, viewer, "narcotics", ACTIVITIES, semantic=embedder)
        titles = [h.title for h in fused.hits]
        # the word match stays first; the cocaine activity joins by meaning; the RED one
        # of another unit never appears, though its text is the closest in meaning
        assert titles[:2] == ["Narcotics unit training",
                              "Cocaine trafficking routes through ports"]
        assert "Heroin informants" not in titles
        assert "reciprocal-rank fusion" in fused.ranking
        assert session.scalar(select(func.count()).select_from(SearchEmbedding)) >= 1


@sqlite_only
def test_embeddings_are_dropped_when_the_text_changes(platform_db: Database,
                                                      corpus: dict[str, int]) -> None:
    from tocsin.search.semantic import embed_missing

    embedder = FakeEmbedder()
    with platform_db.transaction() as session:
        assert embed_missing(session, embedder) > 0
        assert embed_missing(session, embedder) == 0
    with platform_db.transaction() as session:
        session.get(Activity, corpus["weapons"]).title = "Firearms control"
    with platform_db.transaction() as session:
        assert embed_missing(session, embedder) == 1


def test_missing_package_gives_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from tocsin.errors import ConfigurationError
    from tocsin.search import semantic

    monkeypatch.setattr(semantic, "available", lambda: False)
    semantic.load_embedder.cache_clear()
    with pytest.raises(ConfigurationError, match="semantic extra is not installed"):
        semantic.load_embedder()
    semantic.load_embedder.cache_clear()


@pytest.mark.skipif(not available(), reason="the semantic extra is not installed")
def test_real_offline_model_ranks_by_meaning(monkeypatch: pytest.MonkeyPatch) -> None:
    from tocsin.search.semantic import MiniLMEmbedder

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder = MiniLMEmbedder()
    vectors = embedder.embed(["seizure of narcotics at the border",
                              "cocaine smuggling by sea",
                              "annual budget of the gender section"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    similarity = vectors @ vectors[0]
    assert similarity[1] > similarity[2]
