from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from tocsin.store.database import Database


@pytest.fixture
def session(platform_db: Database) -> Iterator[Session]:
    """A session on a database with the reference framework (and units) loaded."""
    with platform_db.transaction() as s:
        yield s
