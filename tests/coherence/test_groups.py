"""OCG scoring: visible weights, re-ranking without saving, saving by analysts only."""

from __future__ import annotations

import pytest

from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.coherence import groups
from tocsin.coherence.method import ocg_method
from tocsin.errors import InputError, PermissionDenied
from tocsin.store.database import Database


def test_score_formula_and_unknown_indicators() -> None:
    weights = ocg_method().default_weights()
    scores = {code: 3 for code in weights}
    full, completeness, _ = groups.score_group(scores, weights)
    assert full == pytest.approx(100) and completeness == 1
    scores["corruption"] = None  # type: ignore[assignment]
    score, completeness, parts = groups.score_group(scores, weights)
    assert score == pytest.approx(100)
    assert completeness == pytest.approx(1 - weights["corruption"] / sum(weights.values()))
    assert {p.indicator: p.level for p in parts}["corruption"] == "unknown"


def test_weights_change_the_ranking_and_only_analysts_save(demo_db: Database) -> None:
    analyst = Principal(None, "analyst", Role.ANALYST, None)
    with demo_db.transaction() as session:
        ranked, used = groups.ranking(session, analyst)
        assert used == ocg_method().default_weights()
        first = ranked[0].name
        # only expansion counts: a fast-expanding group comes first, nothing saved
        only_expansion = {code: 0 for code in used} | {"expansion": 1}
        reranked, _ = groups.ranking(session, analyst, only_expansion)
        assert reranked[0].name != first
        assert groups.weights(session) == used
        with pytest.raises(PermissionDenied):
            groups.save_weights(session, Principal(None, "fm", Role.FUND_MANAGER, None),
                                {"violence": 2})
        with pytest.raises(InputError):
            groups.save_weights(session, analyst, {"violence": -1, "nonsense": 1})
        groups.save_weights(session, analyst, {"violence": 5})
        assert groups.weights(session)["violence"] == 5
        groups.reset_weights(session, analyst)
        assert groups.weights(session) == ocg_method().default_weights()
