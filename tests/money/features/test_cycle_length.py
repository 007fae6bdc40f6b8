"""A ring of three accounts is ranked but does not flag alone; a longer one flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.money.features.conftest import Row, eur, write_set
from tocsin.money.detect import make
from tocsin.money.engines.base import run_detector
from tocsin.money.engines.embedded import EmbeddedEngine

FLAG_LINE = 0.6  # tocsin.money.rank: a finding at or above it flags its accounts


def _ring(names: list[str], amount: float) -> list[Row]:
    """A ring through ``names`` and back, each hop five hours after the last."""
    return [eur(f"{names[0]}{i}", 5.0 * i, a, names[(i + 1) % len(names)], amount * 0.98 ** i)
            for i, a in enumerate(names)]


def test_a_ring_of_three_scores_half_and_says_why(tmp_path: Path) -> None:
    rows = [*_ring(["A1", "A2", "A3"], 5_000.0), *_ring(["B1", "B2", "B3", "B4"], 5_000.0)]
    engine = EmbeddedEngine(write_set(tmp_path / "set", rows), threads=1)
    try:
        found = {f.subject: f for f in run_detector(engine, make("cycle"))}
        three, four = found["A1"], found["B1"]
        assert four.score >= FLAG_LINE and "is halved" not in four.reason
        assert three.score < FLAG_LINE
        assert "A ring of 3 accounts is also what people and firms settling with each other " \
               "make, so its score is halved" in three.reason
        # the setting: with rings of three flagging, the same ring scores twice as much
        before = {f.subject: f for f in run_detector(engine, make("cycle", flag_length=3))}
        assert three.score == pytest.approx(0.5 * before["A1"].score, abs=1e-4)
        assert before["A1"].score >= FLAG_LINE
        assert before["B1"].score == four.score
    finally:
        engine.close()


def test_a_small_ring_of_three_is_halved_once(tmp_path: Path) -> None:
    # payments of the set's everyday size already halve the score: not twice
    rows = [*_ring(["A1", "A2", "A3"], 300.0),
            *[eur(f"e{i}", 1.0 + i, f"P{i}", f"Q{i}", 120.0) for i in range(8)]]
    engine = EmbeddedEngine(write_set(tmp_path / "set", rows), threads=1)
    try:
        [ring] = run_detector(engine, make("cycle"))
        [whole] = run_detector(engine, make("cycle", min_amount=280.0, flag_length=3))
        assert ring.score == pytest.approx(0.5 * whole.score, abs=1e-4)
        assert "everyday size" in ring.reason and "A ring of 3" not in ring.reason
    finally:
        engine.close()
