"""The embedded database survives ``kill -9`` in the middle of writing:
every committed transaction is there afterwards and the file is intact."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text

from tocsin.access.tables import AuditEntry
from tocsin.store.database import Database

WRITER = """
import sys
from tocsin.access import audit
from tocsin.access.principal import Principal
from tocsin.store.database import Database

db = Database.from_url(sys.argv[1])
n = 0
while True:
    with db.transaction() as session:
        for _ in range(50):
            audit.record(session, Principal.system(), "create", "activity", n, "GREEN",
                         detail="x" * 500)
    n += 1
    print(n, flush=True)  # printed only after the commit returned
"""


def test_committed_writes_survive_kill_9(tmp_path: Path, sqlite_template: Path) -> None:
    path = tmp_path / "crash.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert writer.stdout is not None
    committed = 0
    deadline = time.monotonic() + 60
    while committed < 40 and time.monotonic() < deadline:
        committed = int(writer.stdout.readline())
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    assert committed >= 40, "the writer did not get going"

    db = Database.from_url(url)
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    with db.transaction() as session:
        rows = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    assert rows >= committed * 50  # nothing that was committed is lost
    assert rows % 50 == 0  # and no transaction is half there
    db.engine.dispose()
