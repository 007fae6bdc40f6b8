"""Results: a baseline's, target's and actual's value as text of any length

Revision ID: tf_0004_result_values_text
Revises: tf_0003_org_recipient_name

IATI sets no length on these values, and a qualitative indicator's is often a sentence
or a paragraph (the World Bank's up to 379 characters); the platform held 100
characters, so a longer published value was left out of its result (an empty cell on the
record's page). The three columns become ``TEXT``; the platform takes at most 20,000
characters there (``check.RESULT_VALUE_MAX``), checked with the activity.

On PostgreSQL a ``varchar`` becomes ``text`` in place, without rewriting the table. On
SQLite (which never enforced the length, only declared it) each column is replaced by a
``TEXT`` one with the same values: added, filled, the old one dropped and the new one
renamed (``ALTER TABLE``, SQLite 3.35+). A batch copy of the table would drop
``tf_indicators`` with the platform's foreign keys on, and its periods with it
(``ON DELETE CASCADE``).

The values an import left out are then filled in from the activity's copy as published
(``tf_iati_records``), as an import now reads them: without them the export, which
compares the platform's result with the published one read again, would take the empty
value for an edit and drop the published one. A value is filled only where the platform
holds none, the published one is longer than 100 characters (and at most 20,000), and the
period's dates (or the baseline's year) are those published at the same place. The way
back empties those values again (the published copy keeps them) and refuses while a value
longer than 100 characters remains that the published copy does not hold (entered in the
platform: it would be lost).
"""

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op
from lxml import etree

revision = 'tf_0004_result_values_text'
down_revision = 'tf_0003_org_recipient_name'
branch_labels = None
depends_on = None

COLUMNS = (('tf_indicators', 'baseline_value'), ('tf_indicator_periods', 'target_value'),
           ('tf_indicator_periods', 'actual_value'))
#: The length the columns had before.
BEFORE = 100
#: The most the platform takes in one of them now (``check.RESULT_VALUE_MAX``).
MOST = 20_000

RESULTS = sa.table('tf_results', sa.column('id'), sa.column('activity_id'),
                   sa.column('position'))
INDICATORS = sa.table('tf_indicators', sa.column('id'), sa.column('result_id'),
                      sa.column('position'), sa.column('baseline_year'),
                      sa.column('baseline_value'))
PERIODS = sa.table('tf_indicator_periods', sa.column('id'), sa.column('indicator_id'),
                   sa.column('position'), sa.column('period_start'), sa.column('period_end'),
                   sa.column('target_value'), sa.column('actual_value'))
RECORDS = sa.table('tf_iati_records', sa.column('activity_id'), sa.column('xml'))
TABLES = {'tf_indicators': INDICATORS, 'tf_indicator_periods': PERIODS}


def _retype(table: str, column: str, new: sa.types.TypeEngine, old: sa.types.TypeEngine
            ) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column(table, column, type_=new, existing_type=old, existing_nullable=True)
        return
    swap = f'{column}_retyped'
    op.add_column(table, sa.Column(swap, new, nullable=True))
    both = sa.table(table, sa.column(swap), sa.column(column))
    op.execute(both.update().values({swap: both.c[column]}))
    op.drop_column(table, column)
    # the names are this module's constants
    op.execute(f'ALTER TABLE {table} RENAME COLUMN {swap} TO {column}')


def _published(xml: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=True)
    return etree.fromstring(xml.encode('utf-8'), parser)


def _first(element: etree._Element | None, tag: str) -> etree._Element | None:
    return None if element is None else next(element.iterchildren(tag), None)


def _nth(element: etree._Element | None, tag: str, n: int) -> etree._Element | None:
    if element is None:
        return None
    return next((c for i, c in enumerate(element.iterchildren(tag)) if i == n), None)


def _titled(result: etree._Element) -> bool:
    # a result whose title has no text was kept as published only, not made a result
    title = _first(result, 'title')
    return title is not None and any((n.text or '').strip()
                                     for n in title.iterchildren('narrative'))


def _day(element: etree._Element | None) -> str | None:
    return None if element is None else (element.get('iso-date') or '').strip()[:10]


def _year(baseline: etree._Element) -> str | None:
    year = baseline.get('year') or (baseline.get('iso-date') or '')[:4] or None
    return year.strip() if year and year.strip().isdigit() else None


def _left_out(element: etree._Element | None) -> str | None:
    """The ``@value`` an import left out of the platform's result (longer than it held)."""
    value = None if element is None else element.get('value')
    return value if value is not None and BEFORE < len(value) <= MOST else None


def _activities(bind: Any, condition: Any) -> Iterator[tuple[etree._Element, list[Any]]]:
    """Each activity with a published copy and an indicator or period matching
    ``condition``: its published element and those rows."""
    i, p, r = INDICATORS.c, PERIODS.c, RESULTS.c
    rows = bind.execute(
        sa.select(r.activity_id, r.position, i.id, i.position, i.baseline_year,
                  i.baseline_value, p.id, p.position, p.period_start, p.period_end,
                  p.target_value, p.actual_value)
        .select_from(RESULTS.join(INDICATORS, i.result_id == r.id)
                     .outerjoin(PERIODS, p.indicator_id == i.id))
        .where(r.activity_id.in_(sa.select(RECORDS.c.activity_id)), condition)).all()
    by_activity: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        by_activity[row[0]].append(row)
    for activity_id, found in by_activity.items():
        xml = bind.execute(sa.select(RECORDS.c.xml)
                           .where(RECORDS.c.activity_id == activity_id)).scalar_one()
        yield _published(xml), found


def _set(bind: Any, table: str, row_id: int, column: str, value: str | None) -> None:
    target = TABLES[table]
    bind.execute(target.update().where(target.c.id == row_id).values({column: value}))


def _fill_from_published(bind: Any) -> None:
    i, p = INDICATORS.c, PERIODS.c
    empty = sa.or_(i.baseline_value.is_(None), p.target_value.is_(None),
                   p.actual_value.is_(None))
    for activity, rows in _activities(bind, empty):
        results = [r for r in activity.iterchildren('result') if _titled(r)]
        done: set[int] = set()
        for (_a, r, indicator_id, j, year, baseline_value, period_id, k, start, end,
             target, actual) in rows:
            indicator = _nth(results[r] if r < len(results) else None, 'indicator', j)
            baseline = _first(indicator, 'baseline')
            value = _left_out(baseline)
            if (baseline_value is None and indicator_id not in done and value is not None
                    and _year(baseline) == (None if year is None else str(year))):
                _set(bind, 'tf_indicators', indicator_id, 'baseline_value', value)
                done.add(indicator_id)
            period = _nth(indicator, 'period', k) if period_id is not None else None
            if (period is None or _day(_first(period, 'period-start')) != str(start)[:10]
                    or _day(_first(period, 'period-end')) != str(end)[:10]):
                continue
            for name, held in (('target', target), ('actual', actual)):
                value = _left_out(_first(period, name))
                if held is None and value is not None:
                    _set(bind, 'tf_indicator_periods', period_id, f'{name}_value', value)


def upgrade() -> None:
    for table, column in COLUMNS:
        _retype(table, column, sa.Text(), sa.String(length=BEFORE))
    _fill_from_published(op.get_bind())


def _empty_published(bind: Any) -> None:
    """Empty the values longer than the old columns that the published copy holds."""
    i, p = INDICATORS.c, PERIODS.c
    long = sa.or_(*(sa.func.length(c) > BEFORE
                    for c in (i.baseline_value, p.target_value, p.actual_value)))
    for activity, rows in _activities(bind, long):
        published = {e.get('value') for e in activity.iter('baseline', 'target', 'actual')}
        for row in rows:
            for table, row_id, column, value in (
                    ('tf_indicators', row[2], 'baseline_value', row[5]),
                    ('tf_indicator_periods', row[6], 'target_value', row[10]),
                    ('tf_indicator_periods', row[6], 'actual_value', row[11])):
                if value is not None and len(value) > BEFORE and value in published:
                    _set(bind, table, row_id, column, None)


def downgrade() -> None:
    bind = op.get_bind()
    _empty_published(bind)
    # a value longer than the old columns hold would be cut (PostgreSQL refuses it, SQLite
    # would keep it in a column declared shorter): say which, and change nothing
    longer = {}
    for table, column in COLUMNS:
        held = TABLES[table].c[column]
        count = bind.execute(sa.select(sa.func.count()).select_from(TABLES[table])
                             .where(sa.func.length(held) > BEFORE)).scalar_one()
        if count:
            longer[f'{table}.{column}'] = count
    if longer:
        raise RuntimeError(
            f'cannot go back to result values of at most {BEFORE} characters: '
            + ', '.join(f'{name} holds {count} longer' for name, count in longer.items())
            + ' (entered in the platform, not in a published copy)')
    for table, column in COLUMNS:
        _retype(table, column, sa.String(length=BEFORE), sa.Text())
