"""Ranking and flagging of rule findings, on tiny named sets with known answers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.money.features.conftest import Row, eur, write_set
from tocsin import i18n
from tocsin.errors import InputError
from tocsin.i18n import N_
from tocsin.money.detect import all_detectors, make
from tocsin.money.engines.base import run_detectors
from tocsin.money.engines.embedded import EmbeddedEngine
from tocsin.money.findings import Finding
from tocsin.money.rank import (
    Judged,
    RankConfig,
    Ranking,
    _through_busy,
    busy_levels,
    flag,
    poisson_tail,
    rank,
    with_model,
)

DAY = 24.0


def _town() -> list[Row]:
    """Sixty days of a small town, with one laundering-like burst and two ordinary ones.

    - E pays 200 people U0…U199 a salary on days 0 and 30 (a busy payer);
    - five shops M0…M4 are each paid once by 20 of the people, one every three days;
    - shop S is paid by one person a day and, on day 30, by six more within a day
      (a busy day for a shop that is busy every day);
    - H gets its salary from E and pays rent to L, then on day 40 receives from six
      people it never dealt with, within twelve hours (a burst against its history);
    - X pays rent to L, then on day 45 pays the five shops within twelve hours.
    """
    rows: list[Row] = []
    n = 0

    def pay(h: float, s: str, d: str, a: float, channel: str = "ACH") -> None:
        nonlocal n
        n += 1
        rows.append(eur(f"t{n:05d}", h, s, d, a, channel))

    for day in (0, 30):
        for i in range(200):
            pay(day * DAY + 1 + i * 0.01, "E", f"U{i}", 2_000)
    for m in range(5):
        for k in range(20):
            pay((k * 3 + m * 0.5) * DAY + 10, f"U{m * 20 + k}", f"M{m}", 40, "Credit Card")
    for day in range(60):
        pay(day * DAY + 12, f"U{day}", "S", 30, "Credit Card")
    for k in range(6):
        pay(30 * DAY + 2 + k * 3, f"U{60 + k}", "S", 30, "Credit Card")
    for day in (0, 30):
        pay(day * DAY + 2, "E", "H", 2_500)
        pay((day + 1) * DAY, "H", "L", 900)
    for k in range(6):
        pay(40 * DAY + k * 2, f"U{70 + k}", "H", 1_500)
    pay(2 * DAY, "X", "L", 800)
    for m in range(5):
        pay(45 * DAY + m * 2, "X", f"M{m}", 60, "Credit Card")
    return rows


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_set(tmp_path_factory.mktemp("town") / "set", _town())


@pytest.fixture(scope="module")
def town_ranking(town: Path) -> Ranking:
    eng = EmbeddedEngine(town)
    try:
        found = run_detectors(eng, all_detectors(["fan_in", "fan_out"]))
        return rank(eng, found)
    finally:
        eng.close()


def _finding(ranking: Ranking, detector: str, subject: str) -> Finding:
    return next(f for f in ranking.findings if f.detector == detector and f.subject == subject)


def test_a_burst_against_the_accounts_own_history_keeps_its_score(town_ranking: Ranking
                                                                   ) -> None:
    hub = _finding(town_ranking, "fan_in", "H")
    # 6 new payers; new share 1, degree factor 0.6: the detector's 0.8 stands.
    assert hub.score == pytest.approx(0.8)
    assert "Against its own history (1 other payer over" in hub.reason
    assert "so the score stands" in hub.reason
    # 2 % of the town's 210 accounts: four flagged, the hub first, all from its fan.
    assert town_ranking.set_accounts == 210
    assert town_ranking.flagged[0] == "H" and len(town_ranking.flagged) == 4
    assert set(town_ranking.flagged) <= set(hub.accounts)


def test_a_busy_day_of_a_busy_shop_is_ranked_low_and_not_flagged(town_ranking: Ranking
                                                                  ) -> None:
    shop = _finding(town_ranking, "fan_in", "S")
    assert shop.score < 0.1, shop.reason
    assert "times the usual" in shop.reason and "lowers the score" in shop.reason
    assert "S" not in town_ranking.flagged
    # Still ranked, below the burst.
    ranked = [a.account for a in town_ranking.accounts]
    assert ranked.index("H") < ranked.index("S")


def test_paying_the_sets_busiest_collectors_is_ordinary(town_ranking: Ranking) -> None:
    shopper = _finding(town_ranking, "fan_out", "X")
    assert shopper.score == 0.0
    assert "5 of its 5 payees collect from more than 1 payers" in shopper.reason
    assert "X" not in town_ranking.flagged


def test_flagged_share_is_capped_and_supporting_detectors_do_not_flag_alone() -> None:
    def finding(detector: str, subject: str, score: float, *others: str) -> Finding:
        return Finding.build(detector, subject, score, [subject, *others], ["t1"], 1.0, "r")

    found = [finding("cycle", "A", 0.9, "B", "C"), finding("fan_in", "D", 0.7, "E"),
             finding("pass_through", "F", 0.95, "G"), finding("fan_out", "H", 0.3, "I")]
    ranked = flag(found, set_accounts=100, config=RankConfig(max_share=0.04))
    by = {a.account: a for a in ranked}
    # Budget of four accounts: the cycle's three, then the strongest of the fan.
    assert [a.account for a in ranked if a.flagged] == ["A", "B", "C", "D"]
    assert not by["F"].flagged and by["F"].score == 0.95  # pass-through ranks, not flags
    assert not by["H"].flagged  # below min_score
    assert [a.account for a in ranked][:3] == ["F", "G", "A"]
    wide = flag(found, set_accounts=100, config=RankConfig(max_share=1.0))
    assert {a.account for a in wide if a.flagged} == {"A", "B", "C", "D", "E"}


def test_poisson_tail_and_busy_levels() -> None:
    assert poisson_tail(2.0, 0) == 1.0 and poisson_tail(0.0, 1) == 0.0
    assert poisson_tail(2.0, 3) == pytest.approx(1 - math.exp(-2) * (1 + 2 + 2))
    assert poisson_tail(0.1, 8) == pytest.approx(math.exp(-0.1) * 0.1 ** 8 / 40320, rel=1e-3)
    # Payers 0…99 (99 accounts have any), payees 1…100: the value at the 95 % position.
    known = {f"a{i}": (i, 100 - i, 0) for i in range(100)}
    assert busy_levels(known, 0.95) == (95, 96)


def test_rank_settings_are_checked() -> None:
    with pytest.raises(InputError) as err:
        RankConfig(max_share=0.0, min_score=2.0, supporting=("nope",), layered=("nor",),
                   usual_rarity=3.0, rare_rarity=2.0).check()
    where = {p.location for p in err.value.problems}
    assert where == {"rank.max_share", "rank.min_score", "rank.supporting", "rank.layered",
                     "rank.rare_rarity"}


def test_pass_through_paid_from_the_balance_counts_for_less(tmp_path: Path) -> None:
    rows = [eur("s1", 0, "EMP", "A", 9_000), eur("s2", 0, "EMP", "B", 9_000),
            eur("i1", 100, "P", "A", 2_000), eur("o1", 102, "A", "Q", 6_000),
            eur("i2", 100, "P2", "B", 2_000), eur("o2", 102, "B", "Q2", 1_900)]
    folder = write_set(tmp_path / "set", rows)
    eng = EmbeddedEngine(folder)
    try:
        found = {f.subject: f for f in run_detectors(eng, [make("pass_through")])}
    finally:
        eng.close()
    assert set(found) == {"A", "B"}
    # Both forwarded (nearly) all of the 2,000 within two hours; A's 6,000 out came
    # mostly from its salary, so its score is a third of what it would be.
    assert "those payments out total 6,000.00" in found["A"].reason
    assert "is 33% of the larger" in found["A"].reason
    assert found["A"].score < 0.4 < 0.7 < found["B"].score


def test_fan_outs_on_a_pay_day_of_the_set_are_ordinary(tmp_path: Path) -> None:
    """Twelve employers each pay six new people on day 10 (a twenty-day set, so each
    pays once); on day 15 account L pays six accounts it never paid before."""
    rows: list[Row] = []
    for e in range(12):
        rows.append(eur(f"c{e}", 2 * DAY + e, f"CLIENT{e}", f"E{e}", 50_000))
        for k in range(6):
            rows.append(eur(f"e{e}-{k}", 10 * DAY + 2 + e * 0.5 + k * 0.1, f"E{e}",
                            f"P{e}-{k}", 2_000))
    rows.append(eur("l0", 1 * DAY, "FRIEND", "L", 300))
    for k in range(6):
        rows.append(eur(f"l{k + 1}", 15 * DAY + 3 * k, "L", f"Q{k}", 1_800))
    rows.append(eur("end", 20 * DAY, "FRIEND", "Z", 10))
    folder = write_set(tmp_path / "set", rows)
    eng = EmbeddedEngine(folder)
    try:
        ranking = rank(eng, run_detectors(eng, [make("fan_out")]))
    finally:
        eng.close()
    employer = _finding(ranking, "fan_out", "E3")
    assert "12 accounts each paid many new accounts" in employer.reason
    assert "a pay day of this set" in employer.reason
    assert employer.score < 0.05
    launderer = _finding(ranking, "fan_out", "L")
    assert "pay day" not in launderer.reason and launderer.score > 0.6
    assert ranking.flagged[0] == "L" and "E3" not in ranking.flagged
    judged = ranking.judgement(employer)
    assert judged.original.score > 0.6 and judged.note and "pay day" in judged.note


def test_a_stack_through_busy_businesses_counts_for_less() -> None:
    stack = Finding.build("stack", "O", 0.8, ["O", "B1", "B2", "C", "D"], ["t1"], 1.0,
                          "Money from account O reached account D along 2 paths")
    known = {"B1": (400, 50, 0), "B2": (3, 2, 0), "C": (2, 900, 0), "D": (5, 0, 0)}
    judged = _through_busy(stack, known, busy_payee=100, busy_payer=100,
                           config=RankConfig())
    # B1 and C both pay and collect and deal with more than the busy levels; D only
    # collects and is not judged busy.
    assert judged.score == pytest.approx(0.4)
    assert judged.note.startswith("2 of its 4 other accounts both pay and collect")
    quiet = {"B1": (4, 5, 0), "C": (2, 9, 0)}
    assert _through_busy(stack, quiet, 100, 100, RankConfig()) == Judged(stack, 0.8, "")


def test_a_models_account_scores_weigh_the_ranking() -> None:
    def finding(detector: str, subject: str, score: float, *others: str) -> Finding:
        return Finding.build(detector, subject, score, [subject, *others], [f"t{subject}"],
                             1.0, "r")

    found = [finding("cycle", "A", 0.9, "B"), finding("fan_in", "C", 0.8, "D"),
             finding("pass_through", "E", 0.95, "F")]
    ranking = Ranking(found, flag(found, 100, RankConfig(max_share=0.03)), 100,
                      RankConfig(max_share=0.03))
    assert ranking.flagged == ["A", "B", "C"]
    # Log-odds against a cut of 2.0: B and C have the model's support; A is 1.609 below
    # (a fifth of the cut's odds), D 0.105 below (90 %), F has no scored payment.
    scores = {"A": 0.3906, "B": 2.0, "C": 40.0, "D": 1.8946, "E": 50.0}
    weighed = with_model(ranking, scores, cut=2.0, source="shipped model")
    by = {a.account: a for a in weighed.accounts}
    # A keeps a fifth of its 0.9; D 90 % of its 0.8 (0.72, still flagged); the
    # pass-through alone flags nobody.
    assert weighed.flagged == ["B", "C", "D"]
    assert by["A"].score == pytest.approx(0.18, abs=1e-3) and not by["A"].flagged
    assert "below its cut 2.00 in this set: the score keeps 20% (0.90 to 0.18)" in by["A"].model
    assert "at or above its cut" in by["C"].model and by["C"].score == 0.8
    assert by["F"].score == 0 and "scores no payment of the account" in by["F"].model
    assert not by["E"].flagged and weighed.model == "shipped model"
    assert weighed.summary()["model"] == "shipped model"
    # Findings keep their own scores; only accounts are weighed.
    assert weighed.findings == ranking.findings
    # A model certain of both (probability 1.0 for each) still tells them apart.
    certain = with_model(ranking, {**scores, "B": 100.0, "C": 104.0}, cut=103.6,
                         source="m")
    assert [a.account for a in certain.accounts if a.flagged] == ["C"]
    # Weighed while a command runs in French: the notes stay English, shown in French.
    with i18n.using("fr"):
        named = with_model(ranking, scores, cut=2.0, source=N_("shipped model"))
    note = {a.account: a.model for a in named.accounts}["A"]
    assert note == ("The shipped model gives the account log-odds 0.39, below its cut 2.00 "
                    "in this set: the score keeps 20% (0.90 to 0.18).")
    with i18n.using("fr"):
        assert str(note) == ("Le modèle livré avec Tocsin donne au compte un log-odds de "
                             "0,39, sous son seuil de 2,00 dans cet ensemble : le score "
                             "garde 20 % (de 0,90 à 0,18).")
    with pytest.raises(InputError):
        with_model(ranking, scores, cut=math.nan, source="m")


def test_detection_runs_are_weighed_by_the_shipped_model_up_to_the_setting(
        tiny_set: Path, tmp_path: Path) -> None:
    from tocsin.money.jobs import find_findings
    from tocsin.settings import Settings

    detectors = all_detectors(["fan_in", "cycle"])
    plain, _ = find_findings(tiny_set, detectors, Settings(secret_key="k" * 40,
                                                           data_dir=tmp_path))
    assert plain.model == "" and all(not a.model for a in plain.accounts)
    weighed, _ = find_findings(tiny_set, detectors, Settings(
        secret_key="k" * 40, data_dir=tmp_path, money_weigh_max_transactions=10 ** 9))
    assert weighed.model == "shipped model"
    assert all(a.model.startswith("The shipped model ") for a in weighed.accounts)
    # Too large for the setting: not weighed.
    small, _ = find_findings(tiny_set, detectors, Settings(
        secret_key="k" * 40, data_dir=tmp_path, money_weigh_max_transactions=1))
    assert small.model == ""
