"""What every ranked detection run shown by the API holds."""

from __future__ import annotations

from typing import Any


def assert_ranked(run: dict[str, Any]) -> None:
    """A detection run as ranked: flagged findings first, scores explained."""
    findings = run["findings"]
    flags = [f["flagged"] for f in findings]
    assert any(flags)
    assert flags == sorted(flags, reverse=True)
    for part in (True, False):
        scores = [f["score"] for f in findings if f["flagged"] is part]
        assert scores == sorted(scores, reverse=True)
    flagged = {a["account"] for a in run["flagged_accounts"]}
    assert len(flagged) == run["ranking"]["flagged"] <= 0.02 * run["ranking"]["set_accounts"]
    for f in findings:
        assert 0 < f["detector_score"] <= 1 and f["score"] <= f["detector_score"]
        assert set(f["flags"]) <= flagged and bool(f["flags"]) is f["flagged"]
        if f["flagged"]:
            assert f["score"] >= run["ranking"]["config"]["min_score"]
        if f["detector"] in ("fan_in", "fan_out", "gather_scatter"):
            assert f["adjustment"] and ("own history" in f["adjustment"]
                                        or "no other payments" in f["adjustment"])
        elif f["score"] == f["detector_score"]:
            assert f["adjustment"] is None
