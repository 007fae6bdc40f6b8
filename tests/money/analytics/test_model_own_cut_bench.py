"""The cuts of bench/model_own_cut.py, on scores with known answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from tests.bench_scripts import load_bench


@dataclass
class _Model:
    """What the script reads of a model: its training weight, cut and flag share."""

    meta: dict[str, Any] = field(default_factory=lambda: {"params": {"scale_pos_weight": 1.0}})
    flag_share: dict[str, float] = field(default_factory=lambda: {"transaction": 1.0})

    def floor(self, raw: np.ndarray) -> None:
        return None

    def flags(self, raw: np.ndarray, floor: float | None = None) -> np.ndarray:
        return raw >= 0.0


def _logit(p: float) -> float:
    return float(np.log(p) - np.log1p(-p))


@pytest.fixture(scope="module")
def bench():  # type: ignore[no-untyped-def]
    return load_bench("model_own_cut")


def test_each_cut_flags_what_the_expected_scores_say(bench) -> None:  # type: ignore[no-untyped-def]
    # probabilities 0.9, 0.9, 0.2 and 97 payments at nearly 0: about 2 laundering expected;
    # expected F1 at 1, 2, 3 flagged: 0.6, 0.9, 0.8 -> 2 (and none other within 0.05);
    # expected F2 (recall weighing twice): 0.5, 0.9, 0.909 -> 3; the model's cut at 0: 2
    raw = np.array([_logit(0.9), _logit(0.9), _logit(0.2)] + [-30.0] * 97)
    flagged, expected = bench.counts(raw, _Model())
    assert expected == pytest.approx(2.0, abs=1e-6)
    assert flagged == {"shipped": 2, "expected F1": 2, "within 0.05": 2, "expected F2": 3}


def test_the_training_weight_is_taken_out_and_the_share_caps(bench) -> None:  # type: ignore[no-untyped-def]
    # trained with laundering weighing e^2: the same log-odds less 2 expect fewer
    raw = np.array([_logit(0.9), _logit(0.9), _logit(0.2)] + [-30.0] * 97)
    weighted = _Model(meta={"params": {"scale_pos_weight": float(np.exp(2.0))}})
    _, expected = bench.counts(raw, weighted)
    assert expected == pytest.approx(2 * (1 / (1 + np.exp(-(_logit(0.9) - 2))))
                                     + 1 / (1 + np.exp(-(_logit(0.2) - 2))), abs=1e-6)
    capped = _Model(flag_share={"transaction": 0.01})  # at most 1 of 100
    flagged, _ = bench.counts(raw, capped)
    assert set(flagged.values()) == {1}
