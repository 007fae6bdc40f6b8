"""A result's baseline, target and actual values as long as IATI allows (it sets no
length): held whole by the platform, written to IATI and read back unchanged; only a value
beyond the platform's bound on free text is left out of its result, noted and kept as
published."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from alembic import command
from lxml import etree
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.taskforce.iati.test_published_files import (
    LONG_VALUES,
    WORLD_BANK,
    WORLD_BANK_ID,
    _held_values,
    _published_values,
)
from tests.taskforce.iati.test_round_trip import _export, _import, semantic_diff
from tests.taskforce.programmes.factory import QUALITATIVE, full_spec, principal
from tocsin.access.principal import Principal
from tocsin.store import migrate
from tocsin.store.database import Database
from tocsin.taskforce.iati.reader import read_activities
from tocsin.taskforce.iati.schema import schema_errors
from tocsin.taskforce.programmes import records
from tocsin.taskforce.programmes.check import RESULT_VALUE_MAX
from tocsin.taskforce.programmes.spec import IndicatorSpec, PeriodSpec, ResultSpec
from tocsin.taskforce.programmes.tables import IndicatorPeriod
from tocsin.taskforce.programmes.vocabulary import Vocabulary

RICH = Path(__file__).parents[2] / "fixtures" / "iati" / "rich_2.03.xml"
BASELINE = ("No joint investigation team in the region; requests for financial information "
            "between the asset-recovery offices answered in four months on average, when at all.")
ACTUAL = ("Two joint investigation teams agreed, one of them used in a case of laundering "
          "through casinos; requests answered in six weeks on average.")


def test_a_long_value_made_in_the_platform_is_exported_and_read_back_whole(
        session: Session) -> None:
    spec = full_spec()
    qualitative = ResultSpec(type=2, title="Financial investigations across borders",
                             indicators=[IndicatorSpec(
                                 title="Co-operation between the asset-recovery offices",
                                 measure=5, baseline_year=2023, baseline_value=BASELINE,
                                 periods=[PeriodSpec(start=date(2024, 1, 1),
                                                     end=date(2024, 12, 31),
                                                     target=QUALITATIVE, actual=ACTUAL)])])
    records.create_activity(session, principal(session, "coordinator"),
                            spec.model_copy(update={"results": [*spec.results, qualitative]}))
    activity = records.get_by_identifier(session, Principal.system(), spec.identifier)
    [indicator] = activity.results[1].indicators
    assert (indicator.baseline_value, indicator.periods[0].target_value,
            indicator.periods[0].actual_value) == (BASELINE, QUALITATIVE, ACTUAL)

    exported = _export(session)
    root = etree.fromstring(exported)
    assert schema_errors(root) == []
    [written] = root.findall("iati-activity/result")[1:]
    assert [written.find(f"indicator/{name}").get("value")  # type: ignore[union-attr]
            for name in ("baseline", "period/target", "period/actual")] == [
        BASELINE, QUALITATIVE, ACTUAL]
    read = read_activities(io.BytesIO(exported), Vocabulary.load(session))
    assert (read.problems, read.notes) == ([], [])
    [again] = read.activities
    assert again.results == [*spec.results, qualitative]


def test_a_value_beyond_the_platforms_bound_is_noted_and_kept_as_published(
        session: Session) -> None:
    data = RICH.read_bytes()
    assert data.count(b'<target value="10">') == 1
    # a report pasted into the value: longer than the platform takes in any free text
    pasted = " ".join([QUALITATIVE] * (RESULT_VALUE_MAX // len(QUALITATIVE) + 1))
    assert len(pasted) > RESULT_VALUE_MAX
    data = data.replace(b'<target value="10">', f'<target value="{pasted}">'.encode())
    report = _import(session, data)
    assert (report.created, report.rejected) == (2, [])
    assert [str(n) for n in report.notes if "value is" in str(n)] == [
        f"/iati-activities/iati-activity[1]/result/indicator/period/target: value "
        f"is {len(pasted)} characters long, more than the platform's results hold "
        f"({RESULT_VALUE_MAX}): left empty there, kept as published"]
    activity = records.list_activities(session, Principal.system())[0]
    period = activity.results[0].indicators[0].periods[0]
    assert (period.target_value, period.actual_value) == (None, "11")
    exported = _export(session)
    assert exported.count(pasted.encode()) == 1
    assert semantic_diff(data, exported) == []


def test_the_upgrade_fills_in_what_an_import_left_out_from_the_published_copy(
        tf_db: Database) -> None:
    # a database that imported the World Bank's file while the results held 100 characters:
    # its 13 longer values empty, the export (which reads the published copy again and
    # takes what differs for an edit) would drop them once the reader keeps them
    data = WORLD_BANK.read_bytes()
    with tf_db.transaction() as s:
        assert _import(s, data).created == 1
    config = migrate.alembic_config(tf_db.engine)
    command.downgrade(config, "tf_0003_org_recipient_name")  # empties what the copy holds
    # PostgreSQL: statements psycopg prepared on the pooled connections read the old types
    tf_db.engine.dispose()
    with tf_db.transaction() as s:
        activity = records.get_by_identifier(s, Principal.system(), WORLD_BANK_ID)
        held = _held_values(activity)
        assert {key: value for key, value in _published_values(data).items()
                if key not in held} == {
            (result, where): value for (result, where), value in _published_values(data).items()
            if (result, where, len(value)) in LONG_VALUES}
        # one period's dates changed in the platform since: its target is not filled in
        moved = activity.results[1].indicators[0].periods[0]
        s.execute(update(IndicatorPeriod).where(IndicatorPeriod.id == moved.id)
                  .values(period_start=date(2021, 1, 1)))
    command.upgrade(config, "heads")
    tf_db.engine.dispose()
    published = _published_values(data)
    moved_target = {(2, "period/target"): published[2, "period/target"]}
    with tf_db.transaction() as s:
        activity = records.get_by_identifier(s, Principal.system(), WORLD_BANK_ID)
        filled = _held_values(activity)
        assert {k: v for k, v in published.items() if filled.get(k) != v} == moved_target
        exported = _export(s)
    # the export writes every published value back as it was, but the moved period's
    # target, which the platform still lacks (that period now reads as edited)
    assert schema_errors(etree.fromstring(exported)) == []
    written = _published_values(exported)
    assert {k: v for k, v in published.items() if written.get(k) != v} == moved_target
