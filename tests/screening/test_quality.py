"""Quality of the scorer on the labelled pair set (held-out seed) against the baseline;
the blocking index finds what all pairs would find."""

from __future__ import annotations

from tocsin.screening import evaluate, matching


def test_precision_and_recall_at_the_default_threshold() -> None:
    pairs = evaluate.generate_pairs(seed=2, people=150, companies=60)
    kinds = {p.kind for p in pairs}
    assert {"cyrillic", "arabic-script", "transliteration", "reordered", "missing-part",
            "typo", "same-name-other-person", "same-given", "near-family"} <= kinds
    ours = evaluate.quality(evaluate.tocsin_scores(pairs), matching.THRESHOLD)
    assert ours.precision >= 0.95 and ours.recall >= 0.90, str(ours)
    tune, held = evaluate.split(evaluate.generate_pairs(seed=3, people=60, companies=20))
    threshold = evaluate.best_threshold(evaluate.baseline_scores(tune))
    baseline = evaluate.quality(evaluate.baseline_scores(held), threshold)
    mine = evaluate.quality(evaluate.tocsin_scores(held), matching.THRESHOLD)
    assert mine.f1 > baseline.f1 + 0.1, f"{mine} vs {baseline}"


def test_blocking_keeps_the_true_entry_among_the_candidates() -> None:
    pairs = [p for p in evaluate.generate_pairs(seed=4, people=80, companies=30) if p.same]
    entries = {}
    for p in pairs:
        key = p.entry["properties"]["name"][0]
        entries.setdefault(key, p.entry)
    index = matching.Index([matching.IndexEntry(k, k, matching.prepare(
        matching.entity_from_dict(e))) for k, e in entries.items()])
    found = 0
    for p in pairs:
        query = matching.prepare(matching.entity_from_dict(p.query), query=True)
        hits = [index.entries[i].entity_id for i in index.candidates(query, 30)]
        found += p.entry["properties"]["name"][0] in hits
    assert found / len(pairs) >= 0.98, found / len(pairs)


def test_transliteration_helpers() -> None:
    assert evaluate.to_cyrillic("Ivan Sidorov") == "Иван Сидоров"
    first = evaluate.generate_pairs(seed=9, people=5, companies=2)
    again = evaluate.generate_pairs(seed=9, people=5, companies=2)
    assert [p.to_dict() for p in first] == [p.to_dict() for p in again]
