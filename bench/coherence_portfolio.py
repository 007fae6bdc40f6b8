"""Benchmark: the full coherence analysis of a large generated portfolio, and duplicate
detection by blocking against a naive all-pairs comparison, in the same run.

1. *Full analysis* (threat picture, coverage, gaps, duplicate candidates,
   recommendations) of ``--activities`` generated activities (default 50,000),
   in a subprocess so its peak resident memory (``ru_maxrss``) is its own.
2. *Blocking against all pairs* on a ``--slice`` activity portfolio (default
   5,000): candidate generation plus scoring by blocks, and the naive baseline
   scoring every pair with the same vectorised scorer; prints the time ratio and
   how many of the naive pairs the blocks also find.
3. *Quality* on a labelled portfolio (``--labelled``, default 5,000) with
   paraphrased duplicates and near misses: precision and recall of "likely
   duplicate".

    .venv/bin/python bench/coherence_portfolio.py
    .venv/bin/python bench/coherence_portfolio.py --activities 5000 --slice 1000 --labelled 1000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tocsin.coherence import overlaps, synthetic
from tocsin.coherence.analysis import Inputs, Options, analyse
from tocsin.coherence.method import method
from tocsin.coherence.picture import ActiveGroup, IndicatorValue

YEAR = 2024


def inputs(seed: int = 3) -> Inputs:
    """Generated indicators for every synthetic crime area, country and year, and groups."""
    rng = random.Random(seed)
    values = []
    ident = 0
    for area in synthetic.AREAS:
        for country in synthetic.COUNTRIES:
            base = rng.lognormvariate(4, 1)
            for year in range(YEAR - 3, YEAR + 1):
                for kind in ("cases", "seizures", "estimated_proceeds"):
                    ident += 1
                    values.append(IndicatorValue(
                        ident, area, country, year, kind,
                        base * rng.uniform(0.6, 1.4) * (1e5 if kind == "estimated_proceeds"
                                                        else 1),
                        "", "generated", rng.choice("ABCD"), rng.randint(1, 4)))
    groups = [ActiveGroup(k, f"group {k}", rng.uniform(20, 90),
                          tuple(rng.sample(list(synthetic.AREAS), 2)),
                          tuple(rng.sample(synthetic.COUNTRIES, 4))) for k in range(40)]
    regions = {c: f"region {i % 8}" for i, c in enumerate(synthetic.COUNTRIES)}
    return Inputs(indicators=values, groups=groups, regions=regions)


def part_analysis(n: int) -> dict[str, Any]:
    start = time.perf_counter()
    portfolio = synthetic.generate(n, seed=11, duplicate_rate=0.05, near_miss_rate=0.05).portfolio
    generated = time.perf_counter() - start
    data = inputs()
    start = time.perf_counter()
    result = analyse(portfolio, data, Options(year=YEAR, start=YEAR - 1, end=YEAR,
                                              candidate_limit=None))
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"records": len(portfolio), "generate_s": round(generated, 2),
            "analysis_s": round(seconds, 2), "peak_rss_mib": round(peak_kib / 1024, 1),
            "cells": len(result.matrix.cells), "gaps": len(result.gaps),
            "candidates": len(result.candidates),
            "likely_duplicates": sum(c.kind == "likely duplicate" for c in result.candidates),
            "recommendations": len(result.recommendations)}


def part_pairs(n: int) -> dict[str, Any]:
    portfolio = synthetic.generate(n, seed=13, duplicate_rate=0.05,
                                   near_miss_rate=0.05).portfolio
    f = overlaps.features(portfolio)
    rules = method().duplicates
    start = time.perf_counter()
    a, b, text = overlaps.candidate_pairs(f, rules)
    scored = overlaps.score_pairs(f, a, b, text, rules)
    keep = scored["score"] >= rules.propose
    blocked = set(zip(a[keep].tolist(), b[keep].tolist(), strict=True))
    blocked_s = time.perf_counter() - start
    start = time.perf_counter()
    na, nb, _ = overlaps.all_pairs(f, rules)
    naive_s = time.perf_counter() - start
    naive = set(zip(na.tolist(), nb.tolist(), strict=True))
    compared = len(f.rows)
    return {"records": compared, "all_pairs": compared * (compared - 1) // 2,
            "blocked_pairs_scored": len(a), "blocked_s": round(blocked_s, 2),
            "naive_s": round(naive_s, 2), "speed_ratio": round(naive_s / blocked_s, 1),
            "naive_hits": len(naive), "blocked_hits": len(blocked),
            "recall_vs_naive": round(len(blocked & naive) / len(naive), 4) if naive else 1.0}


def part_quality(n: int) -> dict[str, Any]:
    generated = synthetic.generate(n, seed=17, duplicate_rate=0.1, near_miss_rate=0.1)
    p = generated.portfolio
    found = {(p.ids[c.a], p.ids[c.b]) for c in overlaps.find_candidates(p)
             if c.kind == "likely duplicate"}
    precision, recall = synthetic.precision_recall(found, generated.duplicates)
    return {"records": len(p), "true_duplicates": len(generated.duplicates),
            "near_misses": len(generated.near_misses), "flagged": len(found),
            "precision": round(precision, 4), "recall": round(recall, 4),
            "near_misses_flagged": len(found & generated.near_misses)}


PARTS = {"analysis": part_analysis, "pairs": part_pairs, "quality": part_quality}


def in_subprocess(part: str, n: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--part", part, "--n", str(n)],
                         check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=50_000)
    parser.add_argument("--slice", type=int, default=5_000)
    parser.add_argument("--labelled", type=int, default=5_000)
    parser.add_argument("--part", choices=sorted(PARTS))
    parser.add_argument("--n", type=int)
    args = parser.parse_args(argv)
    if args.part:
        result = PARTS[args.part](args.n)
        print(json.dumps(result))
        return result
    results = {"analysis": in_subprocess("analysis", args.activities),
               "pairs": in_subprocess("pairs", args.slice),
               "quality": in_subprocess("quality", args.labelled)}
    a, p, q = results["analysis"], results["pairs"], results["quality"]
    print(f"Full analysis of {a['records']:,} records: {a['analysis_s']} s, peak RSS "
          f"{a['peak_rss_mib']} MiB ({a['cells']:,} coverage cells, {a['gaps']} gaps, "
          f"{a['candidates']:,} candidate pairs, {a['recommendations']:,} recommendations)")
    print(f"Duplicates on {p['records']:,} compared records: blocks {p['blocked_s']} s "
          f"({p['blocked_pairs_scored']:,} pairs scored) vs all pairs {p['naive_s']} s "
          f"({p['all_pairs']:,} pairs) -> {p['speed_ratio']}x faster; blocks find "
          f"{p['recall_vs_naive']:.1%} of what all pairs find")
    print(f"Labelled portfolio of {q['records']:,}: precision {q['precision']:.1%}, recall "
          f"{q['recall']:.1%} ({q['true_duplicates']} true duplicates, {q['flagged']} flagged, "
          f"{q['near_misses_flagged']} of {q['near_misses']} near misses flagged)")
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
