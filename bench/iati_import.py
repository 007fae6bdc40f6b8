"""Benchmark: streaming import of a large IATI 2.03 file, against an lxml iterparse pass.

Generates an ``iati-activities`` file of about ``--megabytes`` MB written the way
publishers write them (several languages, recipient countries from all over
the world, OECD-DAC sectors, budgets over split years, transactions of every
type with provider and receiver, locations, policy markers, results …), then
runs, each in its own subprocess so that its peak resident memory (``ru_maxrss``)
is its own, interleaved ``--repeat`` times:

* ``floor``: ``lxml.etree.iterparse`` over the file, freeing each activity - the
  least any streaming reader must do (no validation, no mapping);
* ``read``: Tocsin's reader in batches of 500 as the import uses it (each
  activity validated against the schema, mapping to the platform's view and to the typed
  register, code-list and platform checks, the IATI rulesets as warnings),
  without the database;
* ``import``: the full import into a fresh embedded SQLite database (read,
  file-level checks, bulk writes of every table, audit entries, one
  transaction).

``read`` and ``import`` use the reader's worker processes as an import does
(``TOCSIN_IMPORT_WORKERS``; set it to 1 to measure one process); the peak
memory of the largest worker is printed beside the importing process's.

It prints the median time of each, activities per second, peak memory, the
CPU time (user + system, the importing process and its workers) per activity,
which depends less on what else the machine runs, and the ratios to the floor.

    .venv/bin/python bench/iati_import.py --megabytes 100 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ORG = "XM-DAC-99-1"
COUNTRIES = ["MM", "CO", "GH", "AL", "RS", "UA", "KE", "PE", "TJ", "KG", "BA", "MD", "NG",
             "BD", "HN", "GT", "MX", "PH", "VN", "ME"]
SECTORS = ["16063", "15113", "15190", "15130", "15210", "15137", "15160", "11110", "12220",
           "31120"]


def _activity(rng: random.Random, n: int) -> str:
    start = date(2019, 1, 1) + timedelta(days=rng.randint(0, 1500))
    end = start + timedelta(days=rng.randint(400, 1400))
    picked = rng.sample(COUNTRIES, rng.randint(1, 3))
    cuts = sorted(rng.sample(range(1, 100), len(picked) - 1))
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    countries = "".join(f'\n    <recipient-country code="{c}" percentage="{p}"/>'
                        for c, p in zip(picked, shares, strict=True))
    sectors_picked = rng.sample(SECTORS, 2)
    share = rng.randint(10, 90)
    sectors = (f'\n    <sector vocabulary="1" code="{sectors_picked[0]}" percentage="{share}"/>'
               f'\n    <sector vocabulary="1" code="{sectors_picked[1]}" '
               f'percentage="{100 - share}"/>')
    budgets = []
    for year in range(start.year, end.year + 1):
        budgets.append(
            f'\n    <budget type="1" status="2">\n      <period-start iso-date="{year}-04-01"/>'
            f'\n      <period-end iso-date="{year + 1}-03-31"/>'
            f'\n      <value currency="EUR" value-date="{year}-04-01">'
            f'{rng.randint(10_000, 900_000)}</value>\n    </budget>')
    transactions = []
    for i in range(rng.randint(4, 10)):
        kind = rng.choice([1, 2, 3, 3, 4, 4, 11])
        day = start + timedelta(days=rng.randint(0, 600))
        transactions.append(
            f'\n    <transaction ref="T{n}-{i}">\n      <transaction-type code="{kind}"/>'
            f'\n      <transaction-date iso-date="{day}"/>'
            f'\n      <value currency="EUR" value-date="{day}">'
            f'{rng.randint(100, 500_000)}.{rng.randint(0, 99):02d}</value>'
            f'\n      <description>\n        <narrative>Payment {i} of activity {n}</narrative>'
            f'\n      </description>'
            f'\n      <provider-org ref="XM-DAC-99-1" provider-activity-id="{ORG}-{n:07d}">'
            f'\n        <narrative>The reporting agency</narrative>\n      </provider-org>'
            f'\n      <receiver-org ref="XX-RECEIVER-{n % 97}" type="22">'
            f'\n        <narrative>Implementing partner {n % 97}</narrative>\n      </receiver-org>'
            f'\n      <disbursement-channel code="1"/>\n      <flow-type code="10"/>'
            f'\n      <finance-type code="110"/>\n      <aid-type code="C01"/>'
            f'\n      <tied-status code="5"/>\n    </transaction>')
    return f'''
  <iati-activity xml:lang="en" default-currency="EUR" hierarchy="1"
      last-updated-datetime="2024-05-06T10:15:37Z">
    <iati-identifier>{ORG}-{n:07d}</iati-identifier>
    <reporting-org ref="{ORG}" type="10">
      <narrative>The reporting agency</narrative>
      <narrative xml:lang="fr">L'agence déclarante</narrative>
    </reporting-org>
    <title>
      <narrative>Fictional activity {n}: countering organized crime</narrative>
      <narrative xml:lang="fr">Activité fictive {n} : contre la criminalité organisée</narrative>
    </title>
    <description type="1">
      <narrative>Generated for the import benchmark; not real data. Training, equipment and
        mentoring for investigators, prosecutors and border officials.</narrative>
    </description>
    <description type="2">
      <narrative>Objectives of activity {n}.</narrative>
    </description>
    <participating-org ref="XX-DONOR-{n % 13}" type="10" role="1">
      <narrative>Donor {n % 13}</narrative>
    </participating-org>
    <participating-org ref="{ORG}" type="10" role="2">
      <narrative>The reporting agency</narrative>
    </participating-org>
    <participating-org ref="XX-RECEIVER-{n % 97}" type="22" role="4" activity-id="XX-{n}">
      <narrative>Implementing partner {n % 97}</narrative>
    </participating-org>
    <other-identifier ref="PRJ-{n}" type="A1"/>
    <activity-status code="{rng.choice([2, 2, 3, 4])}"/>
    <activity-date iso-date="{start}" type="1"/>
    <activity-date iso-date="{start}" type="2"/>
    <activity-date iso-date="{end}" type="3"/>
    <contact-info type="1">
      <organisation>
        <narrative>The reporting agency</narrative>
      </organisation>
      <email>info@example.org</email>
    </contact-info>{countries}
    <location>
      <name>
        <narrative>Location of activity {n}</narrative>
      </name>
      <point srsName="http://www.opengis.net/def/crs/EPSG/0/4326">
        <pos>{rng.uniform(-40, 60):.5f} {rng.uniform(-80, 120):.5f}</pos>
      </point>
      <exactness code="1"/>
    </location>{sectors}
    <policy-marker vocabulary="1" code="1" significance="{rng.randint(0, 2)}"/>
    <policy-marker vocabulary="1" code="2" significance="0"/>
    <collaboration-type code="1"/>
    <default-flow-type code="10"/>
    <default-finance-type code="110"/>
    <default-aid-type code="C01"/>
    <default-tied-status code="5"/>{"".join(budgets)}{"".join(transactions)}
    <document-link format="text/html" url="https://example.org/activities/{n}">
      <title>
        <narrative>Activity page</narrative>
      </title>
      <category code="A12"/>
      <language code="en"/>
    </document-link>
    <result type="1" aggregation-status="0">
      <title>
        <narrative>Officials trained</narrative>
      </title>
      <indicator measure="1" ascending="1">
        <title>
          <narrative>Number of officials trained</narrative>
        </title>
        <baseline year="{start.year}" value="0"/>
        <period>
          <period-start iso-date="{start}"/>
          <period-end iso-date="{start + timedelta(days=364)}"/>
          <target value="{rng.randint(10, 80)}"/>
          <actual value="{rng.randint(0, 80)}"/>
        </period>
      </indicator>
    </result>
  </iati-activity>'''


def generate(path: Path, megabytes: float, seed: int = 11) -> int:
    """Write a file of about ``megabytes`` MB; returns how many activities it holds."""
    rng = random.Random(seed)
    limit = int(megabytes * 2**20)
    written = 0
    n = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03">')
        while written < limit:
            n += 1
            chunk = _activity(rng, n)
            out.write(chunk)
            written += len(chunk.encode("utf-8"))
        out.write("\n</iati-activities>\n")
    return n


def _measure(what: str, path: Path, workdir: Path) -> dict[str, float]:
    """Run inside the subprocess: one contender, its time and its peak memory."""
    count = 0
    cpu_before = _cpu()
    if what == "floor":
        from lxml import etree

        started = time.perf_counter()
        for _, element in etree.iterparse(str(path), events=("end",), tag="iati-activity",
                                          resolve_entities=False, no_network=True):
            count += 1
            element.clear(keep_tail=False)
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    elif what == "read":
        from tocsin.reference.registry import load_registry
        from tocsin.taskforce.iati.reader import iter_batches
        from tocsin.taskforce.programmes.vocabulary import Vocabulary

        vocab = Vocabulary.from_registry(load_registry())
        started = time.perf_counter()
        cpu_before = _cpu()
        for batch in iter_batches(path, vocab):  # as the import reads: 500 at a time
            if batch.problems:
                raise SystemExit(f"read: {batch.problems[:3]}")
            count += len(batch.activities)
    else:
        from sqlalchemy import select

        from tocsin.access.principal import Principal
        from tocsin.access.tables import Unit
        from tocsin.reference.load import sync_reference
        from tocsin.reference.registry import load_registry
        from tocsin.store import migrate
        from tocsin.store.database import Database
        from tocsin.taskforce.iati.exchange import import_iati

        # a throwaway database: its audit chain is signed with a throwaway key
        db = Database.from_url(f"sqlite:///{workdir / 'bench.db'}",
                               audit_key=b"iati-import-benchmark-" + b"k" * 24)
        migrate.upgrade(db.engine)
        with db.transaction() as session:
            sync_reference(session, load_registry())
        started = time.perf_counter()  # the import only, not the set-up
        cpu_before = _cpu()
        with db.transaction() as session:
            unit = session.scalar(select(Unit.id).where(Unit.code == "tntd"))
            summary = import_iati(session, Principal.system(), path, owner_unit_id=unit)
        count = summary.created
        db.engine.dispose()
        (workdir / "bench.db").unlink()
    elapsed = time.perf_counter() - started
    cpu = _cpu() - cpu_before
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # the reader's worker processes (files over 500 activities): the largest one's peak
    workers_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": elapsed, "count": count, "peak_mib": peak_kib / 1024,
            "workers_peak_mib": workers_kib / 1024, "cpu_seconds": cpu}


def _cpu() -> float:
    """User + system CPU seconds of this process and its finished children."""
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def _run(what: str, path: Path, workdir: Path) -> dict[str, float]:
    # the checkout this script belongs to, not whichever copy the venv has installed
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run(
        [sys.executable, __file__, "--measure", what, "--file", str(path),
         "--workdir", str(workdir)],
        check=True, capture_output=True, text=True, env=env,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=float, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    # one measurement in a process of its own: how the script runs each side
    parser.add_argument("--measure", choices=["floor", "read", "import"],
                        help="Run one measurement (with --file and --workdir) and print it.")
    parser.add_argument("--file", type=Path, help="With --measure: the file to read.")
    parser.add_argument("--workdir", type=Path, help="With --measure: a folder for the database.")
    args = parser.parse_args()
    if args.measure and (args.file is None or args.workdir is None):
        parser.error("--measure runs one measurement of the script's own: give --file and "
                     "--workdir too")
    if args.measure:
        print(json.dumps(_measure(args.measure, args.file, args.workdir)))
        return
    workdir = Path(tempfile.mkdtemp(prefix="tocsin-iati-bench-"))
    try:
        path = workdir / "activities.xml"
        started = time.perf_counter()
        count = generate(path, args.megabytes)
        size = path.stat().st_size / 2**20
        print(f"generated {count} activities ({size:.1f} MiB) in "
              f"{time.perf_counter() - started:.1f} s")
        print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        runs: dict[str, list[dict[str, float]]] = {"floor": [], "read": [], "import": []}
        for _ in range(args.repeat):
            for what in runs:  # interleaved: drift on a shared machine hits all alike
                runs[what].append(_run(what, path, workdir))
        medians = {}
        for what, results in runs.items():
            seconds = statistics.median(r["seconds"] for r in results)
            peak = max(r["peak_mib"] for r in results)
            workers = max(r.get("workers_peak_mib", 0) for r in results)
            n = results[0]["count"]
            cpu = statistics.median(r["cpu_seconds"] for r in results) / n * 1e3
            medians[what] = seconds
            print(f"{what:7s} {n:>7.0f} activities  median {seconds:7.2f} s  "
                  f"{n / seconds:8.0f} activities/s  CPU {cpu:5.2f} ms/activity  "
                  f"peak {peak:6.0f} MiB"
                  + (f" (+ each worker process {workers:.0f} MiB)" if workers else ""))
        for what in ("read", "import"):
            ratios = [r["seconds"] / f["seconds"]
                      for r, f in zip(runs[what], runs["floor"], strict=True)]
            print(f"{what} / floor: median x{statistics.median(ratios):.1f}")
        print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
