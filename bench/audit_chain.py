"""Benchmark: the cost of the audit log's hash chain, against plain audit inserts, same run.

Writes ``--transactions`` transactions of one audit entry each (the shape of an
audited read), in ``--rounds`` interleaved rounds:

* chained: ``tocsin.access.audit.record`` and commit — the entry is chained under
  the head lock (HMAC-SHA256, ``UPDATE … RETURNING`` of the head, insert, head update);
* baseline: the same entry as a plain ORM insert of ``AuditEntry`` and commit — how
  the audit log was written before the chain (no head, no HMAC).

Then verifies the whole log once (``tocsin audit verify``'s function) and prints
rows per second. On a fresh SQLite file by default, or ``--database-url`` (an empty,
migrated PostgreSQL database).

    .venv/bin/python bench/audit_chain.py --transactions 500 --rounds 5
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from tocsin.access import audit, chain
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import AuditEntry
from tocsin.store import migrate
from tocsin.store.database import Database

KEY = b"benchmark-audit-key-" + b"k" * 20
WHO = Principal(1, "analyst", Role.ANALYST, 1)


def chained(db: Database, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        with db.transaction() as session:
            audit.record(session, WHO, "read", "activity", i, "AMBER", detail="bench")
    return time.perf_counter() - start


def plain(db: Database, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        with db.transaction() as session:
            session.add(AuditEntry(**chain.entry(user_id=WHO.user_id, username=WHO.username,
                                                 action="read", record_type="activity",
                                                 record_id=i, handling="AMBER",
                                                 detail="bench")))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        db = Database.from_url(url, audit_key=KEY)
        migrate.upgrade(db.engine)
        ours: list[float] = []
        base: list[float] = []
        for _ in range(args.rounds):  # interleaved, same count on both sides
            ours.append(chained(db, args.transactions) / args.transactions)
            base.append(plain(db, args.transactions) / args.transactions)
        with db.engine.connect() as conn:
            start = time.perf_counter()
            report = chain.verify(conn, KEY)
            took = time.perf_counter() - start
        db.engine.dispose()
    # the baseline's rows are not chained: written after the first chained row, verify
    # reports them as forged, which is what it should do
    print(f"engine: {db.dialect}; {args.rounds} rounds x {args.transactions} transactions")
    print(f"chained audit write: median {statistics.median(ours) * 1000:.2f} ms/transaction")
    print(f"plain audit insert:  median {statistics.median(base) * 1000:.2f} ms/transaction")
    print(f"ratio (chained / plain): {statistics.median(ours) / statistics.median(base):.2f}x")
    print(f"verify: {report.rows} chained rows in {took:.2f} s "
          f"({report.rows / took:,.0f} rows/s); {len(report.findings)} findings "
          f"(the baseline's unchained rows)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
