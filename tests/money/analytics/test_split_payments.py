"""Split payments, on a tiny named set with known answers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.money.features.conftest import Row, eur, write_set
from tocsin.money.detect import make
from tocsin.money.detect.split import split_score
from tocsin.money.engines.base import run_detectors
from tocsin.money.engines.embedded import EmbeddedEngine
from tocsin.money.findings import Finding
from tocsin.money.rank import RankConfig, rank

DAY = 24.0


def _town() -> list[Row]:
    """Thirty days of a town; every payer below pays three other accounts 300-500 a week
    (its usual), unless said otherwise.

    - P pays H four pieces of 5 within six hours on day 10 (a split);
    - P2 pays H three pieces of 4 on day 12 at 23:00, 23:30 and 00:30 the next day
      (a split across midnight);
    - Q pays N 9.99 on days 1, 11 and 21 (a subscription: not within a day);
    - C pays shop M 30 three times on day 5 (its usual purchases are 40: not smaller);
    - Z only ever pays 5 (to three others and three times to H2 on day 7: nothing
      larger to have been split);
    - Y pays 500 to two others only and three pieces of 5 to H3 on day 8 (too little
      history to know its usual).
    """
    rows: list[Row] = []
    n = 0

    def pay(h: float, s: str, d: str, a: float) -> None:
        nonlocal n
        n += 1
        rows.append(eur(f"t{n:05d}", h, s, d, a))

    for week in range(4):
        for payer in ("P", "P2", "Q"):
            for k in range(3):
                pay(week * 7 * DAY + 9 + k, payer, f"{payer}_usual{k}", 300 + 100 * k)
        for k in range(3):
            pay(week * 7 * DAY + 12 + k, "C", f"shop{k}", 40)
            pay(week * 7 * DAY + 14 + k, "Z", f"Z_usual{k}", 5)
    for h in (10, 12, 14, 15.5):
        pay(10 * DAY + h, "P", "H", 5)
    for h in (23, 23.5, 24.5):
        pay(12 * DAY + h, "P2", "H", 4)
    for day in (1, 11, 21):
        pay(day * DAY + 8, "Q", "N", 9.99)
    for h in (9, 13, 17):
        pay(5 * DAY + h, "C", "M", 30)
        pay(7 * DAY + h, "Z", "H2", 5)
        pay(8 * DAY + h, "Y", "H3", 5)
    pay(2 * DAY, "Y", "Y_usual0", 500)
    pay(3 * DAY, "Y", "Y_usual1", 500)
    return rows


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_set(tmp_path_factory.mktemp("town") / "set", _town())


@pytest.fixture(scope="module")
def town_findings(town: Path) -> list[Finding]:
    eng = EmbeddedEngine(town)
    try:
        return run_detectors(eng, [make("split_payments")])
    finally:
        eng.close()


def test_pieces_far_below_the_payers_usual_within_a_day_are_found(
        town_findings: list[Finding]) -> None:
    # N (monthly), M (as large as C's usual), H2 (Z never pays more) and H3 (Y's
    # usual is not known from two payments) are not reported.
    assert [f.subject for f in town_findings] == ["H"]
    h = town_findings[0]
    assert set(h.accounts) == {"H", "P", "P2"}
    assert len(h.transactions) == 7 and h.amount == pytest.approx(32)
    assert "received 7 payments from 2 payers," in h.reason
    assert "into 3 or more pieces within 5.5 hours at most (total 32.00)" in h.reason
    # Pieces of 5 and 4 (median of the two splits 4.5) against the usual 400 of both.
    assert "the pieces (median 4.50) are 89 times smaller" in h.reason
    assert "(median 400.00; threshold 3 pieces within 24 hours" in h.reason
    assert h.score == pytest.approx(split_score(2, 4, 3, 400 / 4.5), abs=1e-4)


def test_the_score_weighs_payers_pieces_and_how_much_smaller() -> None:
    assert split_score(3, 6, 3, 100.0) == pytest.approx(1.0)
    # One payer, the fewest pieces, ten times smaller: 0.45 + 0.05 + 0.1 + 0.1.
    assert split_score(1, 3, 3, 10.0) == pytest.approx(0.7)
    assert split_score(2, 4, 3, 400 / 4.5) == pytest.approx(
        0.45 + 0.1 + 0.2 * 4 / 6 + 0.1 * math.log10(400 / 4.5))


def test_the_settings_change_what_is_a_split(town: Path) -> None:
    eng = EmbeddedEngine(town)
    try:
        # Four pieces needed: only P's split of four is left.
        four = run_detectors(eng, [make("split_payments", min_pieces=4)])
        # Q's subscription (9.99 against its usual 400): three payments within 30 days.
        month = run_detectors(eng, [make("split_payments", window_hours=30 * 24.0)])
    finally:
        eng.close()
    assert [(f.subject, sorted(f.accounts)) for f in four] == [("H", ["H", "P"])]
    assert sorted(f.subject for f in month) == ["H", "N"]


def test_a_split_is_flagged_by_the_ranking(town: Path, town_findings: list[Finding]) -> None:
    eng = EmbeddedEngine(town)
    try:
        ranking = rank(eng, town_findings, RankConfig(max_share=1.0))
    finally:
        eng.close()
    assert set(ranking.flagged) == {"H", "P", "P2"}


def test_pieces_stamped_with_one_time_are_said_to_be_so(tmp_path: Path) -> None:
    # Simulated sets (AMLSim) stamp a day's payments with the same time.
    rows = [eur(f"u{k}", 24.0 * k, "S", f"S_usual{k}", 300) for k in range(3)]
    rows += [eur(f"p{k}", 100.0, "S", "T", 3) for k in range(3)]
    eng = EmbeddedEngine(write_set(tmp_path / "set", rows))
    try:
        (found,) = run_detectors(eng, [make("split_payments")])
    finally:
        eng.close()
    assert found.subject == "T"
    assert "into 3 or more pieces all at the same time (total 9.00)" in found.reason
