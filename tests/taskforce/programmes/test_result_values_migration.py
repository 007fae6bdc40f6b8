"""tf_0004 makes a result's baseline, target and actual value text of any length on a
database that held them in 100 characters, keeping every result, indicator and period
(on SQLite a copy of ``tf_indicators`` would have taken its periods with it)."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import String, Text, func, inspect, select, text, update
from sqlalchemy.engine import Connection

from tests.taskforce.programmes.factory import full_spec
from tocsin.access.principal import Principal
from tocsin.store import migrate
from tocsin.store.database import Database
from tocsin.taskforce.programmes import records
from tocsin.taskforce.programmes.spec import IndicatorSpec, PeriodSpec, ResultSpec
from tocsin.taskforce.programmes.tables import Indicator, IndicatorPeriod

BEFORE = "tf_0003_org_recipient_name"
COLUMNS = (("tf_indicators", "baseline_value"), ("tf_indicator_periods", "target_value"),
           ("tf_indicator_periods", "actual_value"))
#: As long as the old columns held: a qualitative value that fitted.
FITTED = ("Joint investigation teams agreed with both neighbouring States, and used in at "
          "least 5 cases a year.")
#: A qualitative target as the World Bank publishes them (more than 100 characters).
LONG = ("Cumulative savings of $41.1 million (over 5 years) in compliance costs for the private "
        "sector as a result of implementing business registration and licensing reforms.")


def _types(conn: Connection) -> dict[str, object]:
    inspector = inspect(conn)
    return {f"{table}.{column['name']}": column["type"]
            for table in ("tf_indicators", "tf_indicator_periods")
            for column in inspector.get_columns(table)
            if (table, column["name"]) in COLUMNS}


def _values(db: Database) -> list[tuple[str | None, str | None, str | None]]:
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(  # type: ignore[misc]
            select(Indicator.baseline_value, IndicatorPeriod.target_value,
                   IndicatorPeriod.actual_value)
            .join(IndicatorPeriod, IndicatorPeriod.indicator_id == Indicator.id)
            .order_by(Indicator.id))]


def test_the_values_become_text_and_every_result_stays(tf_db: Database) -> None:
    assert len(FITTED) == 100
    qualitative = ResultSpec(type=2, title="Cross-border co-operation", indicators=[
        IndicatorSpec(title="Co-operation in practice", measure=5, baseline_year=2023,
                      baseline_value=FITTED,
                      periods=[PeriodSpec(start=date(2024, 1, 1), end=date(2024, 12, 31),
                                          target=FITTED, actual=FITTED)])])
    with tf_db.transaction() as s:
        spec = full_spec()
        records.create_activity(s, Principal.system(),
                                spec.model_copy(update={"results": [*spec.results, qualitative]}))
    held = [("2", "5", "4"), (FITTED, FITTED, FITTED)]
    assert _values(tf_db) == held
    config = migrate.alembic_config(tf_db.engine)
    command.downgrade(config, BEFORE)
    # PostgreSQL: statements psycopg prepared on the pooled connections read the old types
    tf_db.engine.dispose()
    with tf_db.engine.connect() as conn:
        assert all(isinstance(t, String) and t.length == 100 for t in _types(conn).values())
    assert _values(tf_db) == held  # the way back keeps them too

    command.upgrade(config, "heads")
    tf_db.engine.dispose()
    assert migrate.is_current(tf_db.engine)
    with tf_db.engine.connect() as conn:
        types = _types(conn)
        assert len(types) == 3 and all(isinstance(t, Text) for t in types.values()), types
        # the periods are still their indicators' (no cascade, no copy left behind)
        assert conn.scalar(select(func.count()).select_from(IndicatorPeriod)) == 2
        assert "_alembic_tmp_tf_indicators" not in inspect(conn).get_table_names()
    assert _values(tf_db) == held
    # a longer value is held whole (PostgreSQL refused it in varchar(100))
    with tf_db.transaction() as s:
        s.execute(update(IndicatorPeriod).where(IndicatorPeriod.target_value == FITTED)
                  .values(target_value=LONG))
    assert _values(tf_db)[1] == (FITTED, LONG, FITTED)


def test_the_way_back_refuses_while_a_value_is_longer_than_100(tf_db: Database) -> None:
    with tf_db.transaction() as s:
        spec = full_spec()
        [result] = spec.results
        [indicator] = result.indicators
        long_target = indicator.periods[0].model_copy(update={"target": LONG})
        records.create_activity(s, Principal.system(), spec.model_copy(update={"results": [
            result.model_copy(update={"indicators": [
                indicator.model_copy(update={"periods": [long_target]})]})]}))
    config = migrate.alembic_config(tf_db.engine)
    with pytest.raises(RuntimeError, match=r"cannot go back to result values of at most 100 "
                       r"characters: tf_indicator_periods.target_value holds 1 longer"):
        command.downgrade(config, BEFORE)
    assert migrate.is_current(tf_db.engine)
    assert _values(tf_db) == [("2", LONG, "4")]
    with tf_db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tf_indicator_periods")).scalar() == 1
