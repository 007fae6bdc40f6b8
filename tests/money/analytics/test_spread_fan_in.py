"""The fan-in spread over weeks, on a tiny named set with known answers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.money.features.conftest import Row, eur, write_set
from tocsin.money.detect import make
from tocsin.money.detect.fan import spread_fan_in_score
from tocsin.money.detect.windows import poisson_tail
from tocsin.money.engines.base import run_detectors
from tocsin.money.engines.embedded import EmbeddedEngine
from tocsin.money.findings import Finding
from tocsin.money.rank import RankConfig, Ranking, rank

DAY = 24.0
#: R's time in the set (hours from its first payment received to its last), its usual
#: one-off payers per 30 days (one more than the none seen outside the window) and the
#: chance of a window with five somewhere in that time.
R_ACTIVE = 110 * DAY + 11 - 9
R_USUAL = 1 * 720 / (R_ACTIVE - 720)
R_CHANCE = R_ACTIVE / 720 * poisson_tail(R_USUAL, 5)
R_RARITY = (-math.log10(R_CHANCE) - 3) / 4


def _village() -> list[Row]:
    """120 days of a village.

    - R is paid 500 every ten days by its regular payers P0…P2, and 5 once each by
      F0…F4 on days 50 to 72; F0…F4 pay nobody else (the spread fan-in);
    - shop Q is paid 30 once each by C0…C99, one a day or so (its usual business);
    - W is paid once each by V0…V2 within a week (too few);
    - G is paid 300 every ten days by P0 and once each by B0…B3, a month apart
      (one-off payers, but never many in one month);
    - K is paid 500 every ten days by P1 and 2,000 once each by the employers E0…E4 on
      days 20 to 40; each employer pays thirty employees every month (larger than usual).
    """
    rows: list[Row] = []
    n = 0

    def pay(h: float, s: str, d: str, a: float) -> None:
        nonlocal n
        n += 1
        rows.append(eur(f"t{n:05d}", h, s, d, a))

    for day in range(0, 120, 10):
        for p in range(3):
            pay(day * DAY + 9 + p, f"P{p}", "R", 500)
        pay(day * DAY + 13, "P0", "G", 300)
        pay(day * DAY + 14, "P1", "K", 500)
    for i, day in enumerate((50, 55, 61, 66, 72)):
        pay(day * DAY + 11, f"F{i}", "R", 5)
    for i in range(100):
        pay(i * 1.2 * DAY + 15, f"C{i}", "Q", 30)
    for i in range(3):
        pay((30 + 2 * i) * DAY + 10, f"V{i}", "W", 80)
    for i in range(4):
        pay((10 + 30 * i) * DAY + 10, f"B{i}", "G", 120)
    for e in range(5):
        pay((20 + 5 * e) * DAY + 8, f"E{e}", "K", 2_000)
        for month in range(4):
            for j in range(30):
                pay((month * 30 + e) * DAY + 6 + j * 0.01, f"E{e}", f"U{e}_{j}", 1_500)
    return rows


@pytest.fixture(scope="module")
def village(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_set(tmp_path_factory.mktemp("village") / "set", _village())


@pytest.fixture(scope="module")
def village_findings(village: Path) -> list[Finding]:
    eng = EmbeddedEngine(village)
    try:
        return run_detectors(eng, [make("spread_fan_in")])
    finally:
        eng.close()


def test_one_off_payers_over_weeks_against_regular_ones_are_found(
        village_findings: list[Finding]) -> None:
    found = {f.subject: f for f in village_findings}
    # Q (new customers every day), W (three) and G (one a month) are not reported.
    assert set(found) == {"R", "K"}
    r = found["R"]
    assert set(r.accounts) == {"R", "F0", "F1", "F2", "F3", "F4"}
    assert len(r.transactions) == 5 and r.amount == pytest.approx(25)
    # 5 payers of 8 for a full size; the rarity of the window; amounts 100 times
    # smaller; all five pay nobody else.
    assert r.score == pytest.approx(0.25 + 0.15 * 5 / 8 + 0.25 * R_RARITY + 0.25 + 0.1,
                                    abs=1e-4)
    assert "one payment each from 5 accounts that never paid it otherwise" in r.reason
    assert "(0 others over 110 days, about 0.4 per 720 hours)" in r.reason
    assert f"by chance about {R_CHANCE:.1g} times" in r.reason
    assert "0.01 times the median 500.00 it receives from its 3 regular payers" in r.reason
    assert "5 of the 5 pay no other account" in r.reason


def test_larger_payments_than_usual_count_half(village_findings: list[Finding]) -> None:
    k = next(f for f in village_findings if f.subject == "K")
    assert set(k.accounts) == {"K", "E0", "E1", "E2", "E3", "E4"}
    # 2,000 against the usual 500: four times larger, counted half.
    off = 0.5 * math.log(4) / math.log(10)
    assert 0.45 < k.score < 0.25 + 0.15 * 5 / 8 + 0.25 * 0.3 + 0.25 * off
    assert "4 times the median 500.00" in k.reason


def test_the_score_weighs_size_rarity_amounts_and_payers_that_pay_nobody_else() -> None:
    assert spread_fan_in_score(8, 4, 0.0, 1e-3, 0.1, 10.0, 1.0) == pytest.approx(1.0)
    # At the chance limit, amounts as usual, nobody dedicated: size only.
    assert spread_fan_in_score(4, 4, 1e-3, 1e-3, 1.0, 10.0, 0.0) == pytest.approx(0.325)
    # No regular payers to compare with: the amounts add nothing.
    assert spread_fan_in_score(4, 4, 1e-5, 1e-3, None, 10.0, 0.0) == pytest.approx(
        0.325 + 0.25 * 0.5)


def test_a_spread_fan_in_is_ranked_and_flagged_with_its_payers(
        village: Path, village_findings: list[Finding]) -> None:
    eng = EmbeddedEngine(village)
    try:
        ranking: Ranking = rank(eng, village_findings, RankConfig(max_share=1.0))
    finally:
        eng.close()
    r = next(f for f in ranking.findings if f.subject == "R")
    assert ranking.judgement(r).note == "" and r.score > 0.6
    # K (about 0.47) is ranked but not flagged.
    assert ranking.flagged == ["F0", "F1", "F2", "F3", "F4", "R"]
    assert "K" in [a.account for a in ranking.accounts]


def test_a_short_history_is_not_judged(tmp_path: Path) -> None:
    """The same fan-in in a set of 75 days: under three windows of history are too few."""
    rows = [r for r in _village() if r[1] < 75 * DAY]
    eng = EmbeddedEngine(write_set(tmp_path / "set", rows))
    try:
        assert run_detectors(eng, [make("spread_fan_in")]) == []
        # Judged with looser settings, the same payers are found.
        found = run_detectors(eng, [make("spread_fan_in", min_history=1.5, max_chance=0.01,
                                         min_burst=2.0)])
    finally:
        eng.close()
    assert "R" in {f.subject for f in found}


def test_one_other_payer_outside_the_window_is_one_other(tmp_path: Path) -> None:
    # R as in the village with three more one-off payers in its window, and one more
    # months before them
    rows = [r for r in _village() if r[3] == "R"]
    rows += [eur(f"t9999{i}", day * DAY + 12, f"F{5 + i}", "R", 5)
             for i, day in enumerate((52, 58, 64))]
    rows.append(eur("t99999", 2 * DAY + 11, "F9", "R", 5))
    eng = EmbeddedEngine(write_set(tmp_path / "set", rows))
    try:
        [found] = run_detectors(eng, [make("spread_fan_in")])
    finally:
        eng.close()
    assert "(1 other over 110 days," in found.reason
