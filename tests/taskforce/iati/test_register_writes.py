"""The register's bulk writes store exactly what SQLAlchemy's ``insert()`` stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from tests.taskforce.programmes.factory import principal
from tocsin.access.principal import Principal
from tocsin.taskforce.iati.exchange import _t, import_iati
from tocsin.taskforce.iati.reader import read_activities
from tocsin.taskforce.iati.tables import (
    IatiBudget,
    IatiRecipient,
    IatiRecord,
    IatiSector,
    IatiTransaction,
)
from tocsin.taskforce.programmes.tables import Activity
from tocsin.taskforce.programmes.vocabulary import Vocabulary

RICH = Path(__file__).parents[2] / "fixtures" / "iati" / "rich_2.03.xml"
PARTS = {IatiTransaction: "transactions", IatiBudget: "budgets", IatiSector: "sectors",
         IatiRecipient: "recipients"}


def _rows(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for model in (IatiRecord, *PARTS):
        table = _t(model)
        columns = [c for c in table.columns if c.name not in ("id", "imported_at")]
        out[table.name] = sorted((tuple(row) for row in session.execute(select(*columns))),
                                 key=repr)
    return out


def test_bulk_writes_store_what_insert_stores(session: Session) -> None:
    import_iati(session, Principal.system(), RICH,
                owner_unit_id=principal(session, "analyst").unit_id)
    written = _rows(session)
    assert all(written.values())
    ids = {identifier: ident for identifier, ident in
           session.execute(select(Activity.identifier, Activity.id))}
    read = read_activities(RICH, Vocabulary.load(session))
    for model in (IatiRecord, *PARTS):
        session.execute(delete(_t(model)))
    for identifier, parts in read.iati.items():
        ident = ids[identifier]
        session.execute(insert(_t(IatiRecord)), [
            {"activity_id": ident, "version": parts.version, "source": RICH.name,
             "xml": parts.xml, "digest": parts.digest}])
        for model, attribute in PARTS.items():
            rows = [{**row, "activity_id": ident} for row in getattr(parts, attribute)]
            if rows:
                session.execute(insert(_t(model)), rows)
    assert _rows(session) == written
