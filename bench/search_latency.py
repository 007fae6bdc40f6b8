"""Benchmark: search latency on the embedded SQLite default against a LIKE scan, same run.

Builds ``--records`` search documents (default 100,000) with varied text
generated from a vocabulary of the field, in a freshly migrated SQLite file,
spread over five handling codes, six units, crime areas, stages, countries and
years. Then runs ``--queries`` varied queries (default 240: words, two-word
queries, phrases, prefixes, exclusions, with and without facet filters) as an
analyst, twice:

* through ``tocsin.search.search``, the library function behind the route, so
  the read policy, facet counts, snippets and audit entries are part of every
  measured call;
* through the ``GET /api/v1/search`` route of the web application, signed in,
  with the in-process test client (it adds the HTTP layer, the session check,
  JSON encoding and the commit of the audit entries; no network).

Baseline: a plain ``LIKE '%word%'`` scan over title and body of the same table
for the same words (every word must occur), with the same read-policy
condition, returning the count and the first page — what one would write
without a full-text index.

    .venv/bin/python bench/search_latency.py --records 100000 --queries 240
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import and_, func, or_, select, text

from tocsin.access.policy import read_clause
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import Unit
from tocsin.search import SearchDoc, SearchFilters, parse_query, search
from tocsin.search.indexer import suspended, write_documents
from tocsin.search.tables import SearchDocument
from tocsin.store import migrate
from tocsin.store.database import Database

SUBJECTS = ["the task force", "the field operation", "the financial intelligence unit",
            "the prosecution service", "border police", "customs officers", "the asset "
            "recovery office", "the cybercrime unit", "investigators", "the national "
            "coordinator", "a regional working group", "the anti-corruption agency"]
VERBS = ["trained", "assessed", "supported", "mapped", "reviewed", "coordinated", "analysed",
         "disrupted", "investigated", "monitored", "strengthened", "evaluated"]
OBJECTS = ["money laundering typologies", "trafficking in human beings", "migrant smuggling "
           "routes", "firearms trafficking networks", "drug trafficking through ports",
           "cryptocurrency exchanges", "shell companies and beneficial ownership",
           "virtual asset service providers", "cash couriers", "trade-based laundering",
           "hawala networks", "confiscation of criminal assets", "mutual legal assistance",
           "joint investigation teams", "corruption in public procurement", "cyber-enabled "
           "fraud", "identity document fraud", "organized crime groups", "environmental crime",
           "cultural property trafficking", "victim identification", "witness protection"]
QUALIFIERS = ["cross-border", "regional", "online", "maritime", "informal", "organized",
              "high-risk", "large-scale", "cash-intensive", "transnational", "seasonal",
              "coastal", "urban", "emerging", "complex", "low-value", "repeat", "suspicious",
              "undeclared", "fraudulent", "opaque", "offshore", "licensed", "unregistered"]
TOPICS = ["remittances", "casinos", "real estate", "car dealers", "gold traders", "notaries",
          "freight forwarders", "money mules", "prepaid cards", "front companies", "invoices",
          "charities", "timber exports", "fuel smuggling", "cigarette smuggling", "counterfeit "
          "medicines", "wildlife products", "stolen vehicles", "labour exploitation",
          "forced begging", "online grooming", "ransomware payments", "darknet markets",
          "mixers", "stablecoins", "trade finance", "bank drafts", "payroll schemes",
          "procurement tenders", "customs declarations", "shipping containers",
          "airport cargo", "postal parcels", "sim cards", "forged passports", "visa fraud"]
CODENAMES = ["Aurora", "Basalt", "Cobalt", "Delta", "Ember", "Falcon", "Granite", "Harbor",
             "Iris", "Juniper", "Kestrel", "Lantern", "Meridian", "Nimbus", "Onyx", "Pioneer",
             "Quartz", "Raven", "Sable", "Tundra", "Umber", "Vanguard", "Willow", "Zephyr"]
PLACES = ["in Albania", "in Serbia", "along the Balkan route", "in Central Asia", "in Moldova",
          "at the Danube ports", "in Ukraine", "in the South Caucasus", "across borders",
          "in Montenegro", "in Kyrgyzstan", "in North Macedonia"]
TAILS = ["with partner organizations", "under the national action plan", "after the "
         "evaluation", "following the ministerial decision", "with UNODC and INTERPOL",
         "through a train-the-trainer course", "in a pilot project", "over two years"]
AREAS = ["money_laundering", "drug_trafficking", "trafficking_in_human_beings",
         "migrant_smuggling", "firearms_trafficking", "cybercrime", "corruption"]
STAGES = ["prevention", "intelligence", "investigation", "prosecution", "adjudication"]
COUNTRIES = ["AL", "RS", "MD", "UA", "KG", "ME", "MK", "GE", "AM", "KZ"]
HANDLING = ["CLEAR", "GREEN", "GREEN", "GREEN", "AMBER", "AMBER", "AMBER+STRICT", "RED"]
TYPES = ["activity", "activity", "activity", "commitment", "lesson", "document", "event"]
UNITS = ["tntd-spmu", "oceea", "tntd-bsmu", "tntd-cyber", "unodc", "fo-albania"]

RARE = ["casinos", "notaries", "timber", "mules", "stablecoins", "ransomware", "darknet",
        "forwarders", "charities", "cigarette", "wildlife", "grooming", "begging", "payroll",
        "containers", "parcels", "passports", "visa", "gold", "remittances", "Aurora",
        "Basalt", "Kestrel", "Meridian", "Zephyr", "offshore", "unregistered", "maritime",
        "seasonal", "counterfeit"]
WORDS = ["laundering", "trafficking", "smuggling", "cryptocurrency", "hawala", "confiscation",
         "prosecution", "customs", "corruption", "witness", "firearms", "fraud", "ports",
         "procurement", "couriers", "typologies", "beneficial", "evaluation", "Moldova",
         "Balkan", "exchanges", "victim", "cyber", "assets", "identity", "environmental"]
PHRASES = ['"money laundering"', '"joint investigation teams"', '"shell companies"',
           '"mutual legal assistance"', '"cash couriers"', '"organized crime"',
           '"witness protection"', '"virtual asset"']
PREFIXES = ["launder*", "traffick*", "smuggl*", "crypto*", "confisc*", "investig*", "corrupt*"]


def sentence(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.35:
        what = rng.choice(OBJECTS)
    elif kind < 0.85:
        what = f"{rng.choice(QUALIFIERS)} {rng.choice(TOPICS)}"
    else:
        what = f"operation {rng.choice(CODENAMES)} on {rng.choice(TOPICS)}"
    return (f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} "
            f"{what} {rng.choice(PLACES)} {rng.choice(TAILS)}.")


def build(db: Database, records: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with db.transaction() as session:
        units = []
        for code in UNITS:
            unit = Unit(code=code, name=code.upper(), kind="structure")
            session.add(unit)
            units.append(unit)
        session.flush()
        unit_ids = [u.id for u in units]
        with suspended(session):
            batch: list[SearchDoc] = []
            for number in range(records):
                body = " ".join(sentence(rng) for _ in range(rng.randint(3, 9)))
                batch.append(SearchDoc(
                    record_type=rng.choice(TYPES), record_id=str(number),
                    title=sentence(rng).rstrip(".")[:200], body=body,
                    handling=rng.choice(HANDLING), owner_unit_id=rng.choice(unit_ids),
                    url=f"/bench/{number}", year=rng.randint(2015, 2026),
                    crime_areas=tuple(rng.sample(AREAS, rng.randint(1, 2))),
                    stages=tuple(rng.sample(STAGES, rng.randint(1, 2))),
                    countries=tuple(rng.sample(COUNTRIES, rng.randint(0, 2)))))
                if len(batch) == 5000:
                    write_documents(session, batch)
                    batch = []
            write_documents(session, batch)


@dataclass(frozen=True)
class Case:
    query: str
    filters: SearchFilters


def cases(count: int, seed: int = 11) -> list[Case]:
    rng = random.Random(seed)
    out = []
    for number in range(count):
        kind = number % 6
        if kind == 0:
            query = rng.choice(WORDS if number % 12 == 0 else RARE)
        elif kind == 1:
            query = f"{rng.choice(RARE)} {rng.choice(WORDS + RARE)}"
        elif kind == 2:
            query = rng.choice(PHRASES)
        elif kind == 3:
            query = rng.choice(PREFIXES)
        elif kind == 4:
            query = f"{rng.choice(RARE)} -{rng.choice(WORDS)}"
        else:
            query = f"{rng.choice(RARE)} {rng.choice(PLACES).split()[-1]}*"
        filters = SearchFilters()
        if number % 3 == 1:
            filters = SearchFilters(types=("activity",))
        elif number % 3 == 2:
            filters = SearchFilters(crime_areas=(rng.choice(AREAS),),
                                    years=(rng.randint(2015, 2026),))
        out.append(Case(query, filters))
    return out


def like_baseline(session: object, principal: Principal, case: Case) -> int:
    """Count and first page by ``LIKE '%word%'`` over title and body (no index can help)."""
    parsed = parse_query(case.query)
    conditions = [read_clause(SearchDocument, principal)]
    for term in parsed.include:
        pattern = f"%{' '.join(term.words).rstrip('*')}%"
        conditions.append(or_(SearchDocument.title.ilike(pattern),
                              SearchDocument.body.ilike(pattern)))
    for term in parsed.exclude:
        pattern = f"%{' '.join(term.words)}%"
        conditions.append(~or_(SearchDocument.title.ilike(pattern),
                               SearchDocument.body.ilike(pattern)))
    if case.filters.types:
        conditions.append(SearchDocument.record_type.in_(case.filters.types))
    if case.filters.years:
        conditions.append(SearchDocument.year.in_(case.filters.years))
    where = and_(*conditions)
    total = session.scalar(select(func.count()).select_from(SearchDocument).where(where))  # type: ignore[attr-defined]
    session.execute(select(SearchDocument.id, SearchDocument.title).where(where)  # type: ignore[attr-defined]
                    .order_by(SearchDocument.id).limit(20)).all()
    return int(total or 0)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _params(case: Case) -> list[tuple[str, str]]:
    params = [("q", case.query)]
    params += [("type", t) for t in case.filters.types]
    params += [("crime_area", a) for a in case.filters.crime_areas]
    params += [("year", str(y)) for y in case.filters.years]
    return params


def api_latencies(folder: Path, workload: list[Case]) -> list[float]:
    """Milliseconds per ``GET /api/v1/search`` request, signed in as an analyst."""
    import re

    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from tocsin.access import users
    from tocsin.settings import Settings
    from tocsin.web.app import create_app

    settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'bench.db'}",
                        secret_key=SecretStr("bench-" + "k" * 40), cookie_secure=True)
    password = "Bench-latency-42-horse"
    db = Database.from_settings(settings)
    with db.transaction() as session:
        users.add_user(session, Principal.system(), "bench-analyst", password, Role.ANALYST,
                       "tntd-spmu")
    db.engine.dispose()
    app = create_app(settings)
    timings: list[float] = []
    with TestClient(app, base_url="https://testserver") as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        signed_in = client.post("/login", follow_redirects=False, data={
            "username": "bench-analyst", "password": password, "csrf_token": token.group(1),
            "next": "/"})
        assert signed_in.status_code == 303, signed_in.text
        client.get("/api/v1/search", params=_params(workload[0]))  # warm up
        for case in workload:
            t0 = time.perf_counter()
            response = client.get("/api/v1/search", params=_params(case))
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.text
    app.state.db.engine.dispose()
    return timings


def run(records: int, queries: int, folder: Path, api: bool = True) -> dict[str, float]:
    db = Database.from_url(f"sqlite:///{folder / 'bench.db'}")
    migrate.upgrade(db.engine)
    started = time.perf_counter()
    build(db, records)
    build_seconds = time.perf_counter() - started
    with db.transaction() as session:
        unit = session.scalar(select(Unit.id).where(Unit.code == "tntd-spmu"))
        session.execute(text("ANALYZE"))
    analyst = Principal(user_id=None, username="bench-analyst", role=Role.ANALYST, unit_id=unit)
    workload = cases(queries)
    ours: list[float] = []
    baseline: list[float] = []
    hits = 0
    like_hits = 0
    capped = 0
    with db.transaction() as session:
        for case in workload:  # warm the page cache once for both contenders
            search(session, analyst, case.query, case.filters)
            break
        for case in workload:
            t0 = time.perf_counter()
            result = search(session, analyst, case.query, case.filters)
            ours.append((time.perf_counter() - t0) * 1000)
            hits += result.total
            capped += result.capped
            t0 = time.perf_counter()
            like_hits += like_baseline(session, analyst, case)
            baseline.append((time.perf_counter() - t0) * 1000)
        session.rollback()  # keep the audit entries of the benchmark out of the file
    db.engine.dispose()
    through_api = api_latencies(folder, workload) if api else [0.0]
    return {
        "records": records, "queries": len(workload), "build_s": build_seconds,
        "median_ms": statistics.median(ours), "p95_ms": percentile(ours, 0.95),
        "api_median_ms": statistics.median(through_api),
        "api_p95_ms": percentile(through_api, 0.95),
        "like_median_ms": statistics.median(baseline),
        "like_p95_ms": percentile(baseline, 0.95), "mean_hits": hits / len(workload),
        "like_mean_hits": like_hits / len(workload),
        "capped_share": capped / len(workload),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load_1min": os.getloadavg()[0],
    }


#: The search API's p95 target at 100,000 records (docs/benchmarks.md).
TARGET_P95_MS = 50.0


def shortfalls(result: dict[str, float]) -> list[str]:
    """What the run failed to show: the API within its p95 target, the full-text index ahead
    of the LIKE scan at the median and at p95, and queries that find readable documents."""
    found = []
    if result["api_p95_ms"] > TARGET_P95_MS:
        found.append(f"API p95 {result['api_p95_ms']:.1f} ms is over the "
                     f"{TARGET_P95_MS:.0f} ms target")
    for key in ("median", "p95"):
        if result[f"{key}_ms"] >= result[f"like_{key}_ms"]:
            found.append(f"the index is not ahead of the LIKE scan at the {key}: "
                         f"{result[f'{key}_ms']:.1f} vs {result[f'like_{key}_ms']:.1f} ms")
    if result["mean_hits"] <= 0:
        found.append("no query found a readable document")
    return found


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--no-api", action="store_true", help="skip the API-route measurement")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        result = run(args.records, args.queries, Path(folder), api=not args.no_api)
    print(f"records {result['records']:,}, queries {result['queries']}, "
          f"index built in {result['build_s']:.1f} s, mean readable hits counted "
          f"{result['mean_hits']:.0f} ({result['capped_share']:.0%} of queries over the "
          f"window; the LIKE scan counts {result['like_mean_hits']:.0f}), "
          f"load average {result['load_1min']:.1f} on {os.cpu_count()} cores")
    print(f"tocsin search (FTS5)  median {result['median_ms']:.1f} ms  "
          f"p95 {result['p95_ms']:.1f} ms  (library function)")
    print(f"GET /api/v1/search    median {result['api_median_ms']:.1f} ms  "
          f"p95 {result['api_p95_ms']:.1f} ms  (in-process test client)")
    print(f"LIKE scan baseline    median {result['like_median_ms']:.1f} ms  "
          f"p95 {result['like_p95_ms']:.1f} ms")
    print(f"ratio (baseline / tocsin): median {result['like_median_ms'] / result['median_ms']:.1f}x"
          f"  p95 {result['like_p95_ms'] / result['p95_ms']:.1f}x;  peak RSS "
          f"{result['peak_rss_mb']:.0f} MB")
    missed = shortfalls(result)
    print("target met" if not missed else "NOT MET: " + "; ".join(missed))
    return result


if __name__ == "__main__":
    sys.exit(1 if shortfalls(main(sys.argv[1:])) else 0)
