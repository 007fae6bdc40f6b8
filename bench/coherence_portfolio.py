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
4. *Tabs* (``--tabs N``, default 50,000 activities): the generated portfolio and
   indicators are written into a fresh SQLite workspace; an analyst signs in to
   the web application (in process); the first request computes the analysis,
   then every coherence tab and API answer is requested ``--requests`` times in
   turn and its median and 95th percentile latency printed. The baseline in the
   same run is the same tab when every request recomputes (the cache emptied
   before each request), the way every tab worked before. Writing the workspace
   takes minutes; ``--keep DIR`` writes it into ``DIR`` once and reuses it in the
   next runs with the same ``--tabs`` (the analysis itself is computed again in
   every run: it is kept in the process only).

    .venv/bin/python bench/coherence_portfolio.py
    .venv/bin/python bench/coherence_portfolio.py --activities 5000 --slice 1000 --labelled 1000
    .venv/bin/python bench/coherence_portfolio.py --tabs 50000 --only-tabs --keep /tmp/coh-50k
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


TABS = [f"{path}?year={YEAR}" for path in (
    "/coherence", "/coherence/coverage", "/coherence/gaps", "/coherence/duplicates",
    "/coherence/recommendations", "/coherence/whatif", "/api/v1/coherence/threats",
    "/api/v1/coherence/gaps", "/api/v1/coherence/duplicates",
    "/api/v1/coherence/recommendations")] + [f"/api/v1/coherence/coverage?start={YEAR}"]


def _write_workspace(db: Any, n: int) -> int:
    """The generated portfolio and indicators as rows of a workspace; returns activities."""
    from datetime import UTC, datetime
    from typing import cast

    from sqlalchemy import Table, insert, select

    from tocsin.access.tables import Unit
    from tocsin.coherence.tables import ThreatIndicator
    from tocsin.taskforce.programmes.tables import (
        Activity,
        ActivityCountry,
        ActivityCrimeArea,
        ActivityStage,
        Finance,
    )

    p = synthetic.generate(n, seed=11, duplicate_rate=0.05, near_miss_rate=0.05).portfolio
    now = datetime.now(UTC)
    with db.transaction() as session:
        unit = session.scalar(select(Unit.id).where(Unit.code == "tntd-spmu"))
        activities: list[dict[str, Any]] = []
        countries: list[dict[str, Any]] = []
        areas: list[dict[str, Any]] = []
        stages: list[dict[str, Any]] = []
        finance: list[dict[str, Any]] = []
        for i in range(len(p)):
            ident = p.ids[i]
            activities.append({
                "id": ident, "identifier": p.identifiers[i], "level": p.levels[i],
                "parent_id": p.ids[p.parents[i]] if p.parents[i] >= 0 else None,
                "title": p.titles[i], "description": p.descriptions[i],
                "status": p.statuses[i], "planned_start": p.starts[i],
                "planned_end": p.ends[i], "reporting_org_ref": "XM-DAC-0000",
                "reporting_org_name": p.reporting_orgs[i] or "", "reporting_org_type": "40",
                "is_external": p.external[i], "language": "en", "default_currency": "EUR",
                "handling": p.handling[i] or "GREEN", "owner_unit_id": unit,
                "created_at": now, "updated_at": now})
            for rows, shares, column in ((countries, p.countries[i], "country_code"),
                                         (areas, p.crime_areas[i], "crime_area_code"),
                                         (stages, p.stages[i], "stage_code")):
                for k, (code, share) in enumerate(shares):
                    rows.append({"activity_id": ident, column: code,
                                 "percentage": round(100 * share, 2), "position": k})
            for year, amount in (p.budget[i] or {}).items():
                finance.append({"activity_id": ident, "year": year, "kind": "budget",
                                "amount": round(amount, 2), "currency": "EUR"})
        for table, rows in ((Activity, activities), (ActivityCountry, countries),
                            (ActivityCrimeArea, areas), (ActivityStage, stages),
                            (Finance, finance)):
            for lo in range(0, len(rows), 20_000):
                session.execute(insert(cast(Table, table.__table__)), rows[lo:lo + 20_000])
        data = inputs()
        session.execute(insert(cast(Table, ThreatIndicator.__table__)), [{
            "crime_area_code": v.crime_area, "country_code": v.country, "year": v.year,
            "kind": v.kind, "value": v.value, "unit": v.unit or "", "source": v.source,
            "source_reliability": v.reliability, "credibility": v.credibility, "note": "",
            "illustrative": False, "handling": "GREEN", "owner_unit_id": unit,
            "created_at": now, "updated_at": now} for v in data.indicators])
    return len(p)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def part_tabs(n: int, requests: int = 20, baseline: int = 2,
              keep: Path | None = None) -> dict[str, Any]:
    import contextlib
    import os
    import statistics
    import tempfile

    from fastapi.testclient import TestClient

    from tocsin.access import users
    from tocsin.access.principal import Principal
    from tocsin.access.roles import Role
    from tocsin.coherence import cache
    from tocsin.reference.load import sync_reference
    from tocsin.reference.registry import load_registry
    from tocsin.settings import Settings
    from tocsin.store import migrate
    from tocsin.store.database import Database
    from tocsin.web.app import create_app

    folder: contextlib.AbstractContextManager[str]
    if keep is None:
        folder = tempfile.TemporaryDirectory(prefix="tocsin-coh-")
    else:
        keep.mkdir(parents=True, exist_ok=True)
        folder = contextlib.nullcontext(str(keep))
    with folder as tmp:
        settings = Settings(data_dir=Path(tmp) / "data",
                            database_url=f"sqlite:///{tmp}/workspace.db",
                            secret_key="b" * 40, cookie_secure=True)
        # A kept workspace says how many activities it was written with; another count,
        # or a workspace whose writing did not finish, is written afresh.
        marker = Path(tmp) / "written.json"
        kept = json.loads(marker.read_text()) if marker.is_file() else None
        started = time.perf_counter()
        if kept is not None and kept.get("n") == n:
            records = int(kept["records"])
            db = Database.from_settings(settings)
            migrate.upgrade(db.engine)  # a workspace kept across changes of the schema
            db.engine.dispose()
        else:
            marker.unlink(missing_ok=True)
            Path(tmp, "workspace.db").unlink(missing_ok=True)
            db = Database.from_settings(settings)
            migrate.upgrade(db.engine)
            with db.transaction() as session:
                sync_reference(session, load_registry())
            with db.transaction() as session:
                users.add_user(session, Principal.system(), "analyst",
                               "Bench-horse-battery-9", Role.ANALYST, "tntd-spmu")
            records = _write_workspace(db, n)
            db.engine.dispose()
            if keep is not None:
                marker.write_text(json.dumps({"n": n, "records": records}))
        written = time.perf_counter() - started
        app = create_app(settings)
        with TestClient(app, base_url="https://testserver") as client:
            form = client.get("/login")
            token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            client.post("/login", data={"username": "analyst",
                                        "password": "Bench-horse-battery-9",
                                        "csrf_token": token, "next": "/"},
                        follow_redirects=False)
            cache.clear()

            def get(url: str) -> float:
                t = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - t
                if response.status_code != 200:
                    raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
                return elapsed

            gaps = f"/coherence/gaps?year={YEAR}"
            first = get(gaps)
            # Baseline: a tab recomputing the analysis, as every request did before.
            uncached: list[float] = []
            for _ in range(baseline):
                cache.clear()
                uncached.append(get(gaps))
            get(gaps)
            times: dict[str, list[float]] = {tab: [] for tab in TABS}
            # The first request of each tab's own options computes what that tab adds
            # (its analysis shares the portfolio, inputs and duplicate search).
            firsts = {tab: get(tab) for tab in TABS}
            for _ in range(requests):
                for tab in TABS:
                    times[tab].append(get(tab))
        app.state.db.engine.dispose()
    every = [t for values in times.values() for t in values]
    load = os.getloadavg()[0]
    return {
        "records": records, "write_s": round(written, 1), "reused": kept is not None and
        kept.get("n") == n, "first_request_s": round(first, 2),
        "requests_per_tab": requests, "load": round(load, 1),
        "first_of_each_tab_max_s": round(max(firsts.values()), 2),
        "first_of_each_tab_slowest": max(firsts, key=lambda tab: firsts[tab]),
        "tabs": {tab: {"median_ms": round(1000 * statistics.median(v), 1),
                       "p95_ms": round(1000 * _p95(v), 1)} for tab, v in times.items()},
        "all_tabs_median_ms": round(1000 * statistics.median(every), 1),
        "all_tabs_p95_ms": round(1000 * _p95(every), 1),
        "uncached_median_s": round(statistics.median(uncached), 2) if uncached else None,
        "uncached_runs": len(uncached),
    }


PARTS = {"analysis": part_analysis, "pairs": part_pairs, "quality": part_quality,
         "tabs": part_tabs}


def in_subprocess(part: str, n: int, *extra: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--part", part, "--n", str(n), *extra],
                         check=False, capture_output=True, text=True)
    if out.returncode:  # say why: the part's own output is captured
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit(f"part {part!r} failed (exit status {out.returncode})")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=50_000)
    parser.add_argument("--slice", type=int, default=5_000)
    parser.add_argument("--labelled", type=int, default=5_000)
    parser.add_argument("--tabs", type=int, default=50_000,
                        help="activities in the workspace whose tabs are timed (0: skip)")
    parser.add_argument("--only-tabs", action="store_true", help="time the tabs only")
    parser.add_argument("--requests", type=int, default=20,
                        help="requests of each tab after the first computation")
    parser.add_argument("--baseline", type=int, default=2,
                        help="requests of the gaps tab recomputing the analysis (the before)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="write the tabs' workspace into this folder once and reuse it")
    parser.add_argument("--part", choices=sorted(PARTS))
    parser.add_argument("--n", type=int)
    args = parser.parse_args(argv)
    if args.part == "tabs":
        result = part_tabs(args.n, args.requests, args.baseline, args.keep)
        print(json.dumps(result))
        return result
    if args.part:
        result = PARTS[args.part](args.n)
        print(json.dumps(result))
        return result
    results: dict[str, Any] = {}
    if args.tabs:
        extra = ["--requests", str(args.requests), "--baseline", str(args.baseline)]
        if args.keep is not None:
            extra += ["--keep", str(args.keep.resolve())]
        results["tabs"] = t = in_subprocess("tabs", args.tabs, *extra)
        print(f"Coherence tabs on a workspace of {t['records']:,} activities (load "
              f"{t['load']}; workspace {'reused' if t['reused'] else 'written'} in "
              f"{t['write_s']} s): first request {t['first_request_s']} s (computes); first "
              f"request of each other tab at most {t['first_of_each_tab_max_s']} s "
              f"({t['first_of_each_tab_slowest']}); then "
              f"{t['requests_per_tab']} requests of each of {len(TABS)} tabs: median "
              f"{t['all_tabs_median_ms']} ms, p95 {t['all_tabs_p95_ms']} ms; recomputing on "
              f"every request (before): median {t['uncached_median_s']} s over "
              f"{t['uncached_runs']} requests")
        for tab, v in t["tabs"].items():
            print(f"  {tab:<36} median {v['median_ms']:>7} ms   p95 {v['p95_ms']:>7} ms")
    if args.only_tabs:
        print(json.dumps(results))
        return results
    results |= {"analysis": in_subprocess("analysis", args.activities),
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
