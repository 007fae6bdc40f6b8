"""Duplicate detection on a labelled synthetic portfolio, blocking against all pairs,
and judgements respected by later runs."""

from __future__ import annotations

import numpy as np

from tocsin.coherence import overlaps, synthetic
from tocsin.coherence.overlaps import Judged

#: Floors measured on the labelled portfolio (docs/coherence.md has the full numbers).
PRECISION_FLOOR = 0.85
RECALL_FLOOR = 0.95


def test_precision_and_recall_on_labelled_portfolio() -> None:
    g = synthetic.generate(1500, seed=3, duplicate_rate=0.1, near_miss_rate=0.1)
    p = g.portfolio
    found = {(p.ids[c.a], p.ids[c.b]) for c in overlaps.find_candidates(p)
             if c.kind == "likely duplicate"}
    precision, recall = synthetic.precision_recall(found, g.duplicates)
    assert len(g.duplicates) > 100
    assert precision >= PRECISION_FLOOR, precision
    assert recall >= RECALL_FLOOR, recall
    assert not found & g.near_misses  # near misses are never called duplicates


def test_blocking_finds_what_all_pairs_finds() -> None:
    g = synthetic.generate(800, seed=5, duplicate_rate=0.1, near_miss_rate=0.1)
    f = overlaps.features(g.portfolio)
    a, b, _scores = overlaps.all_pairs(f)
    naive = set(zip(a.tolist(), b.tolist(), strict=True))
    ca, cb, text = overlaps.candidate_pairs(f)
    scored = overlaps.score_pairs(f, ca, cb, text)
    keep = scored["score"] >= 0.65
    blocked = set(zip(ca[keep].tolist(), cb[keep].tolist(), strict=True))
    assert len(naive) > 50
    assert len(blocked & naive) / len(naive) >= 0.95
    # the blocks score far fewer pairs than all n(n-1)/2
    n = len(f.rows)
    assert len(ca) < 0.2 * n * (n - 1) / 2
    # and the two paths score a pair identically
    same = np.isin(ca * n + cb, a * n + b)
    assert same.any()


def test_explanations_are_plain_sentences() -> None:
    g = synthetic.generate(300, seed=9, duplicate_rate=0.2)
    p = g.portfolio
    candidates = overlaps.find_candidates(p, limit=5)
    overlaps.explain_all(p, candidates)
    top = candidates[0]
    assert top.reasons[0].startswith("Titles and descriptions are")
    assert any(r.startswith("Both work on") for r in top.reasons)


def test_explanations_name_areas_stages_and_places_in_the_readers_language() -> None:
    g = synthetic.generate(300, seed=9, duplicate_rate=0.2)
    p = g.portfolio
    top = overlaps.find_candidates(p, limit=1)[0]
    # stored and sent in English, as the reference data names them (a code it does
    # not name reads as the code)
    names = {"money_laundering": "Money laundering", "MK": "North Macedonia"}
    overlaps.explain_all(p, [top], names)
    both, stages = top.reasons[1:3]
    assert str.__str__(both) == "Both work on Money laundering in North Macedonia."
    assert str.__str__(stages) == "Same justice-chain stage: victim witness protection."
    # shown in the reader's language
    assert both.translated("fr") == (  # type: ignore[attr-defined]
        "Les deux portent sur Blanchiment d\u2019argent, lieu : Macédoine du Nord.")
    assert stages.translated("ru") == (  # type: ignore[attr-defined]
        "Одинаковый этап цепочки правосудия: Защита потерпевших и свидетелей.")


def test_judged_distinct_is_not_proposed_until_material_change() -> None:
    g = synthetic.generate(300, seed=9, duplicate_rate=0.2)
    p = g.portfolio
    first = overlaps.find_candidates(p, limit=1)[0]
    key = (p.ids[first.a], p.ids[first.b])
    judged = {key: Judged("distinct", "analyst", "2025-01-01", "different audiences",
                          p.fingerprint(first.a), p.fingerprint(first.b))}
    again = overlaps.find_candidates(p, judged)
    assert key not in {(p.ids[c.a], p.ids[c.b]) for c in again}

    changed = p.copy()
    changed.titles[first.a] = changed.titles[first.a] + " (second phase)"
    changed.changed()
    back = {(changed.ids[c.a], changed.ids[c.b]): c
            for c in overlaps.find_candidates(changed, judged)}
    assert back[key].changed_since_judged

    duplicate = {key: Judged("duplicate", "analyst", "2025-01-01", "", "x", "y")}
    kept = {(p.ids[c.a], p.ids[c.b]): c for c in overlaps.find_candidates(p, duplicate)}
    assert kept[key].judgement is not None
    assert kept[key].judgement.verdict == "duplicate"


def test_external_activities_are_compared() -> None:
    g = synthetic.generate(1500, seed=3, duplicate_rate=0.1)
    p = g.portfolio
    candidates = overlaps.find_candidates(p)
    assert any(p.external[c.a] or p.external[c.b] for c in candidates
               if c.kind == "likely duplicate")


def test_limits_share_one_search_and_zero_lists_none(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    g = synthetic.generate(400, seed=9, duplicate_rate=0.1, near_miss_rate=0.1)
    p = g.portfolio
    searches = []
    search = overlaps.candidate_pairs
    monkeypatch.setattr(overlaps, "candidate_pairs",
                        lambda *a, **k: searches.append(1) or search(*a, **k))
    every = overlaps.find_candidates(p, {})
    judged: dict[tuple[int, int], Judged] = {}
    assert overlaps.find_candidates(p, judged, limit=0) == []
    five = overlaps.find_candidates(p, judged, limit=5)
    ten = overlaps.find_candidates(p, judged, limit=10)
    assert len(every) > 10 and len(searches) == 2  # one search per judgements given
    assert [(c.a, c.b, c.score) for c in ten] == [(c.a, c.b, c.score) for c in every[:10]]
    assert [(c.a, c.b) for c in five] == [(c.a, c.b) for c in ten[:5]]
    assert five[0] is not ten[0]  # each list its own candidates (their reasons are filled in)
    # other judgements are searched again, and so is a changed portfolio
    first = every[0]
    verdict = Judged("distinct", "t", "2026-01-01", "", p.fingerprint(first.a),
                     p.fingerprint(first.b))
    after = overlaps.find_candidates(p, {(p.ids[first.a], p.ids[first.b]): verdict}, limit=10)
    assert len(searches) == 3 and (first.a, first.b) not in {(c.a, c.b) for c in after}
    p.changed()
    overlaps.find_candidates(p, judged, limit=5)
    assert len(searches) == 4


def test_text_terms_are_stems_without_stop_words() -> None:
    assert overlaps.analyse("The trainings of Investigators, and activities: training") == [
        "train", "investigator", "train"]
    assert overlaps.analyse("Programmes supporting the phase") == []


def test_nothing_to_explain_builds_no_text_model() -> None:
    p = synthetic.generate(200, seed=2).portfolio
    overlaps.explain_all(p, overlaps.find_candidates(p, limit=0))
    assert "overlap_features" not in p._cache
    pairs = overlaps.find_candidates(p, limit=3)
    overlaps.explain_all(p, pairs)
    assert all(c.reasons for c in pairs) and "overlap_features" in p._cache


def test_code_bitsets_cross_word_boundaries() -> None:
    codes = [f"c{i}" for i in range(70)]
    bits = overlaps._bitsets([["c0", "c1"], [], codes, ["c69", "c0"]])
    assert bits.shape == (4, 2) and bits.dtype == np.uint64
    assert bits[0].tolist() == [3, 0] and bits[1].tolist() == [0, 0]
    assert bits[2].tolist() == [2**64 - 1, 2**6 - 1]
    assert bits[3].tolist() == [1, 2**5]


def test_pairs_involving_some_rows_are_those_of_the_whole_search() -> None:
    g = synthetic.generate(600, seed=4, duplicate_rate=0.1, near_miss_rate=0.1)
    p = g.portfolio
    some = {c.a for c in overlaps.find_candidates(p, {})[:3]} | {7, 40}
    everything = [(c.a, c.b, c.score, c.kind) for c in overlaps.find_candidates(p, {})
                  if c.a in some or c.b in some]
    involving = overlaps.find_candidates(p, {}, involving=some)
    assert len(everything) >= 3
    assert [(c.a, c.b, c.score, c.kind) for c in involving] == everything
