"""Benchmark: the data-protection pages' queries on a workspace of many cases.

Loads ``--cases`` fictional cases, each with a suspect, a victim and a witness (category,
purpose, legal basis; every other case with its own purpose and legal basis), then times
the review queue, a subject-access report and the oversight overview, each in its own
transaction. On a fresh SQLite file.

    .venv/bin/python bench/safeguards_review.py --cases 500
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import User
from tocsin.access.users import unit_by_code
from tocsin.cases import records
from tocsin.cases.spec import CaseSpec, SubjectSpec
from tocsin.reference.load import sync_reference
from tocsin.reference.registry import load_registry
from tocsin.safeguards import oversight, report, review
from tocsin.safeguards import records as sg
from tocsin.safeguards.spec import ProcessingSpec
from tocsin.store import migrate
from tocsin.store.database import Database
from tocsin.store.engine import make_engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500)
    args = parser.parse_args()
    # the audit log is signed; a fresh workspace of this run uses a key of its own
    os.environ.setdefault("TOCSIN_AUDIT_KEY", "benchmark-audit-key-" + "k" * 24)
    url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    db = Database.from_url(url)
    with db.transaction() as s:
        sync_reference(s, load_registry())
        unit = unit_by_code(s, "tntd-spmu").id
        rows = [User(username=n, full_name=n, password_hash="x", role=r, unit_id=unit)
                for n, r in (("ana", "analyst"), ("dpo", "dp_officer"))]
        s.add_all(rows)
        s.flush()
        ana = Principal(rows[0].id, "ana", Role.ANALYST, unit)
        dpo = Principal(rows[1].id, "dpo", Role.DATA_PROTECTION_OFFICER, unit)
    basis = {"purpose": "investigation", "legal_basis": "ccp_investigation"}
    start = time.perf_counter()
    with db.transaction() as s:
        for i in range(args.cases):
            c = records.create_case(s, ana, CaseSpec(
                reference=f"B-{i}", title=f"Fictional case {i}", crime_area="money_laundering",
                opened_on=date(2024, 1, 1), handling="AMBER"))
            for j, category in enumerate(("suspect", "victim", "witness")):
                subject = records.add_subject(s, ana, c.id, SubjectSpec.model_validate(
                    {"schema": "Person", "properties": {"name": [f"Person {i}-{j}"]}}))
                sg.set_subject_processing(s, ana, subject.id,
                                          ProcessingSpec(category=category, **basis))
            if i % 2:
                sg.set_case_processing(s, ana, c.id, ProcessingSpec(**basis))
    print(f"loaded {args.cases} cases x 3 persons in {time.perf_counter() - start:.1f} s")
    runs: list[tuple[str, Callable[[Any], int]]] = [
        ("review queue, 10 years ahead", lambda s: len(review.queue(s, ana, ahead_days=3650))),
        ("subject-access report", lambda s: len(report.subject_access(
            s, dpo, f"Person {args.cases // 2}-1").entries)),
        ("oversight overview", lambda s: len(oversight.overview(s, dpo).entries)),
    ]
    for label, run in runs:
        with db.transaction() as s:
            start = time.perf_counter()
            count = run(s)
            took = time.perf_counter() - start
        print(f"{label}: {count} rows in {took * 1000:.0f} ms")


if __name__ == "__main__":
    main()
