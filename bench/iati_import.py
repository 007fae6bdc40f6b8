"""Benchmark: IATI 2.03 import of a generated file, against a plain DOM baseline.

Generates an ``iati-activities`` file of ``--activities`` fictional activities
(programmes with projects and activities, finance, shares, results, documents),
then measures, each in its own subprocess so its peak resident memory
(``ru_maxrss``) is its own:

* ``baseline``: ``lxml.etree.parse`` of the whole file plus one schema validation
  of the whole tree - what a straightforward validator does, without mapping;
* ``read``: Tocsin's streaming reader (per-activity schema validation, mapping,
  checks against the reference codes), without the database;
* ``import``: the full import into a fresh embedded SQLite database (read, file
  checks, writes, audit entries, one transaction).

    .venv/bin/python bench/iati_import.py --activities 10000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from tocsin.taskforce.programmes.spec import (
    ActivitySpec,
    DocumentSpec,
    FinanceSpec,
    IndicatorSpec,
    ParticipantSpec,
    PeriodSpec,
    ResultSpec,
    ShareSpec,
)
from tocsin.taskforce.programmes.vocabulary import Vocabulary

ORG = "XM-OSCE"


def _shares(rng: random.Random, codes: list[str], most: int) -> list[ShareSpec]:
    picked = rng.sample(codes, rng.randint(1, most))
    if len(picked) == 1:
        return [ShareSpec(code=picked[0], percentage=Decimal(100))]
    cuts = sorted(rng.sample(range(1, 100), len(picked) - 1))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    return [ShareSpec(code=c, percentage=Decimal(p)) for c, p in zip(picked, parts, strict=True)]


def generate_specs(count: int, vocab: Vocabulary, seed: int = 11) -> list[ActivitySpec]:
    """``count`` fictional activities: each programme has 3 projects of 5 activities."""
    rng = random.Random(seed)
    countries, areas = sorted(vocab.countries), sorted(vocab.crime_areas)
    stages, structures = sorted(vocab.stages), sorted(vocab.structures)
    organizations = sorted(vocab.organizations)
    specs: list[ActivitySpec] = []
    parent_of_level: dict[str, str] = {}
    n = 0
    while len(specs) < count:
        position = n % 19  # 1 programme + 3 x (1 project + 5 activities)
        level = "programme" if position == 0 else ("project" if (position - 1) % 6 == 0
                                                  else "activity")
        n += 1
        identifier = f"{ORG}-GEN-{n:06d}"
        parent = None if level == "programme" else parent_of_level[
            "programme" if level == "project" else "project"]
        parent_of_level[level] = identifier
        start = date(2020, 1, 1) + timedelta(days=rng.randint(0, 1500))
        years = range(start.year, start.year + rng.randint(1, 3))
        finance = [FinanceSpec(year=y, kind="budget", currency="EUR",
                               amount=Decimal(rng.randint(10_000, 900_000))) for y in years]
        finance += [FinanceSpec(year=start.year, kind="expenditure", currency="EUR",
                                amount=Decimal(rng.randint(1_000, 9_000_00)) / 100)]
        specs.append(ActivitySpec(
            identifier=identifier, level=level, parent_identifier=parent,  # type: ignore[arg-type]
            title=f"Fictional {level} {n}: capacity building against organized crime",
            description="Generated for the import benchmark; not real data.",
            implementing_structure=rng.choice(structures), status=rng.choice([1, 2, 2, 3, 4]),
            planned_start=start, planned_end=start + timedelta(days=rng.randint(200, 1200)),
            reporting_org_ref=ORG, reporting_org_name="The organization",
            default_currency="EUR",
            participants=[ParticipantSpec(role=1, name="A fictional donor", org_ref="XX-DONOR",
                                          org_type="10"),
                          ParticipantSpec(role=4, organization_code=rng.choice(organizations))],
            countries=_shares(rng, countries, 3),
            crime_areas=_shares(rng, areas, 3),
            stages=_shares(rng, stages, 2),
            finance=finance,
            results=[ResultSpec(type=1, title="Officials trained", indicators=[IndicatorSpec(
                title="Number of officials trained", baseline_year=start.year,
                baseline_value="0", periods=[PeriodSpec(
                    start=start, end=start + timedelta(days=364),
                    target=str(rng.randint(10, 80)), actual=str(rng.randint(0, 80)))])])],
            documents=[DocumentSpec(title="Activity page",
                                    url=f"https://example.org/activities/{n}",
                                    mime_type="text/html", category="A12")],
        ))
    return specs


def generate(path: Path, count: int, vocab: Vocabulary, seed: int = 11) -> Path:
    from tocsin.taskforce.iati.writer import write_activities

    write_activities(generate_specs(count, vocab, seed), path, vocab)
    return path


def _registry_vocab() -> Vocabulary:
    from tocsin.reference.registry import load_registry

    return Vocabulary.from_registry(load_registry())


def _measure(what: str, path: Path, workdir: Path) -> dict[str, float]:
    """Run inside the subprocess: one contender, its time and its peak memory."""
    started = time.perf_counter()
    count = 0
    if what == "baseline":
        from lxml import etree

        from tocsin.taskforce.iati.schema import activity_schema, safe_parser

        tree = etree.parse(str(path), safe_parser())
        if not activity_schema().validate(tree):
            raise SystemExit(f"baseline: invalid file {activity_schema().error_log}")
        count = len(tree.getroot())
    elif what == "read":
        from tocsin.taskforce.iati.reader import read_activities

        result = read_activities(path, _registry_vocab())
        if result.problems:
            raise SystemExit(f"read: {result.problems[:3]}")
        count = len(result.activities)
    else:
        from sqlalchemy import select

        from tocsin.access.principal import Principal
        from tocsin.access.tables import Unit
        from tocsin.reference.load import sync_reference
        from tocsin.reference.registry import load_registry
        from tocsin.store import migrate
        from tocsin.store.database import Database
        from tocsin.taskforce.iati.exchange import import_iati

        db = Database.from_url(f"sqlite:///{workdir / 'bench.db'}")
        migrate.upgrade(db.engine)
        with db.transaction() as session:
            sync_reference(session, load_registry())
        started = time.perf_counter()  # the import only, not the set-up
        with db.transaction() as session:
            unit = session.scalar(select(Unit.id).where(Unit.code == "tntd"))
            summary = import_iati(session, Principal.system(), path, owner_unit_id=unit)
        count = summary.created
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": elapsed, "count": count, "peak_mib": peak_kib / 1024}


def _run(what: str, path: Path, workdir: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", what, "--file", str(path),
         "--workdir", str(workdir)],
        check=True, capture_output=True, text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--measure", choices=["baseline", "read", "import"])
    parser.add_argument("--file", type=Path)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure, args.file, args.workdir)))
        return
    workdir = Path(tempfile.mkdtemp(prefix="tocsin-iati-bench-"))
    try:
        path = workdir / "activities.xml"
        started = time.perf_counter()
        generate(path, args.activities, _registry_vocab())
        size = path.stat().st_size / 2**20
        print(f"generated {args.activities} activities ({size:.1f} MiB) in "
              f"{time.perf_counter() - started:.1f} s")
        results = {what: _run(what, path, workdir) for what in ("baseline", "read", "import")}
        for what, r in results.items():
            rate = r["count"] / r["seconds"] if r["seconds"] else float("inf")
            print(f"{what:9s} {r['count']:>7.0f} activities  {r['seconds']:7.2f} s  "
                  f"{rate:8.0f} activities/s  peak {r['peak_mib']:6.0f} MiB")
        base, read = results["baseline"], results["read"]
        print(f"read vs baseline: time x{read['seconds'] / base['seconds']:.2f}, "
              f"peak memory x{read['peak_mib'] / base['peak_mib']:.2f}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
