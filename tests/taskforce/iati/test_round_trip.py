"""IATI files as publishers write them: read in full, written back with nothing lost."""

from __future__ import annotations

import gzip
import io
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.bench_scripts import load_bench
from tests.taskforce.iati.unreadable import not_iati_at_all
from tests.taskforce.programmes.factory import principal
from tocsin.access.principal import Principal
from tocsin.errors import InputError
from tocsin.taskforce.iati.exchange import export_iati, import_iati, report_lines, validate_export
from tocsin.taskforce.iati.schema import safe_parser
from tocsin.taskforce.iati.tables import (
    IatiBudget,
    IatiRecipient,
    IatiRecord,
    IatiSector,
    IatiTransaction,
)
from tocsin.taskforce.programmes import records

FIXTURES = Path(__file__).parents[2] / "fixtures" / "iati"
RICH = FIXTURES / "rich_2.03.xml"


def canonical(element: etree._Element) -> tuple[object, ...]:
    return (element.tag, tuple(sorted(element.attrib.items())), (element.text or "").strip(),
            tuple(canonical(c) for c in element if isinstance(c.tag, str)))


def semantic_diff(before: bytes, after: bytes) -> list[str]:
    """Activities present in one file and not, identically, in the other (by identifier)."""
    def activities(data: bytes) -> dict[str, tuple[object, ...]]:
        root = etree.fromstring(data, safe_parser(remove_comments=True))
        return {a.findtext("iati-identifier"): canonical(a) for a in root.iter("iati-activity")}

    a, b = activities(before), activities(after)
    out = [f"only before: {k}" for k in a.keys() - b.keys()]
    out += [f"only after: {k}" for k in b.keys() - a.keys()]
    for key in sorted(a.keys() & b.keys()):
        if a[key] != b[key]:
            out += _first_difference(key, a[key], b[key])
    return out


def _first_difference(path: str, x: tuple[object, ...], y: tuple[object, ...]) -> list[str]:
    if x[:3] != y[:3]:
        return [f"{path}: {x[:3]} != {y[:3]}"]
    xs, ys = list(x[3]), list(y[3])  # type: ignore[arg-type]
    for i, (c, d) in enumerate(zip(xs, ys, strict=False)):
        if c != d:
            return _first_difference(f"{path}/{c[0]}[{i}]", c, d)
    return [f"{path}: {len(xs)} children != {len(ys)}"]


def _export(session: Session, **kw: object) -> bytes:
    out = io.BytesIO()
    export_iati(session, Principal.system(), out, **kw)  # type: ignore[arg-type]
    return out.getvalue()


def _import(session: Session, data: bytes, **kw: object):  # type: ignore[no-untyped-def]
    return import_iati(session, Principal.system(), io.BytesIO(data),
                       owner_unit_id=principal(session, "analyst").unit_id, **kw)


def test_the_rich_file_round_trips_with_an_empty_semantic_diff(session: Session) -> None:
    data = RICH.read_bytes()
    report = _import(session, data)
    assert (report.created, report.version) == (2, "2.03")
    assert report.warnings == []
    # the report names what the platform keeps only as published XML
    assert report.preserved["location"] == 1
    assert report.preserved["crs-add"] == 1
    assert report.preserved["policy-marker"] == 3
    exported = _export(session)
    assert semantic_diff(data, exported) == []
    assert validate_export(exported) == []


def test_every_financial_element_is_kept_typed(session: Session) -> None:
    _import(session, RICH.read_bytes())
    activity = records.get_by_identifier(session, Principal.system(), "AA-AAA-123456789-ABC123")
    rows = session.scalars(select(IatiTransaction).where(
        IatiTransaction.activity_id == activity.id).order_by(IatiTransaction.position)).all()
    assert [t.type_code for t in rows] == list(range(1, 14))
    first = rows[0]
    assert (first.ref, first.humanitarian, first.provider_ref, first.provider_activity_id,
            first.receiver_ref, first.receiver_type, first.disbursement_channel,
            first.flow_type, first.finance_type, first.aid_types, first.tied_status) == (
        "1234", True, "BB-BBB-123456789", "BB-BBB-123456789-1234AA", "AA-AAA-123456789", "23",
        "1", "10", "110", "1:A01 2:1", "3")
    assert rows[3].value == Decimal("-1500.5") and rows[3].currency == "EUR"
    budgets = session.scalars(select(IatiBudget).where(IatiBudget.activity_id == activity.id)
                              .order_by(IatiBudget.position)).all()
    assert [(b.element, b.type, b.status, str(b.period_start), str(b.period_end))
            for b in budgets] == [
        ("budget", 1, 1, "2023-01-01", "2023-12-31"),
        ("budget", 1, 2, "2024-04-01", "2025-03-31"),
        ("budget", 2, 2, "2024-04-01", "2025-03-31"),
        ("planned-disbursement", 1, None, "2024-01-01", "2024-12-31"),
        ("planned-disbursement", 2, None, "2025-01-01", "None"),
    ]
    assert budgets[3].provider_activity_id == "BB-BBB-123456789-1234AA"
    # per-year view: a budget over two years is shared by days, the revised one wins
    by_year = {(f.kind, f.year, f.currency): f.amount for f in activity.finance}
    assert by_year[("budget", 2024, "EUR")] + by_year[("budget", 2025, "EUR")] == 1500000
    assert by_year[("budget", 2024, "EUR")] == Decimal("1130136.99")  # 275 of 365 days
    assert by_year[("expenditure", 2023, "USD")] == Decimal("40000.10")  # a disbursement


def test_recipients_of_the_whole_world_and_sectors_of_every_vocabulary(session: Session) -> None:
    _import(session, RICH.read_bytes())
    activity = records.get_by_identifier(session, Principal.system(), "AA-AAA-123456789-ABC123")
    recipients = session.scalars(select(IatiRecipient).where(
        IatiRecipient.activity_id == activity.id).order_by(IatiRecipient.position)).all()
    assert [(r.kind, r.vocabulary, r.code) for r in recipients] == [
        ("country", "", "MM"), ("country", "", "CO"), ("country", "", "GH"),
        ("country", "", "RS"), ("region", "1", "489"), ("region", "2", "419"),
        ("region", "99", "A1")]
    # the platform's own view keeps the participating States and every region
    assert [c.country_code for c in activity.countries] == ["RS"]
    assert [(r.vocabulary, r.code) for r in activity.regions] == [
        ("1", "489"), ("2", "419"), ("99", "A1")]
    sectors = session.scalars(select(IatiSector.vocabulary, IatiSector.code).where(
        IatiSector.activity_id == activity.id).order_by(IatiSector.position)).all()
    assert len(sectors) == 6
    # DAC codes read as crime areas and stages through the mapping table
    assert {c.crime_area_code for c in activity.crime_areas} == {"drug_trafficking",
                                                                  "corruption"}
    assert {s.stage_code for s in activity.stages} == {"prevention", "intelligence"}


def test_an_edit_in_the_platform_is_exported_and_the_rest_stays_as_published(
        session: Session) -> None:
    _import(session, RICH.read_bytes())
    system = Principal.system()
    activity = records.get_by_identifier(session, system, "AA-AAA-123456789-ABC123")
    spec = records.to_spec(activity, "AA-AAA-123456789-6789")
    records.update_activity(session, system, activity.id,
                            spec.model_copy(update={"status": 3, "parent_identifier": None}))
    exported = _export(session)
    diff = semantic_diff(RICH.read_bytes(), exported)
    assert diff == ["AA-AAA-123456789-ABC123/activity-status[12]: ('activity-status', "
                    "(('code', '2'),), '') != ('activity-status', (('code', '3'),), '')"]


def test_reimport_updates_in_place_and_reports_what_changed(session: Session) -> None:
    data = RICH.read_bytes()
    _import(session, data)
    first = session.scalars(select(IatiRecord.activity_id)).all()
    newer = (data.replace(b'<activity-status code="2"/>', b'<activity-status code="3"/>')
             .replace(b">250000<", b">260000<"))
    report = _import(session, newer)
    assert (report.created, report.updated, report.unchanged) == (0, 2, 1)
    assert report.changed == {"AA-AAA-123456789-ABC123": ["activity-status", "transaction"]}
    assert sorted(session.scalars(select(IatiRecord.activity_id)).all()) == sorted(first)
    assert semantic_diff(newer, _export(session)) == []


def test_activity_by_activity_keeps_the_valid_ones(session: Session) -> None:
    data = RICH.read_bytes().replace(b'<activity-status code="3"/>',
                                     b'<activity-status code="9"/>')
    with pytest.raises(InputError):
        _import(session, data)
    assert session.scalars(select(IatiRecord)).all() == []
    report = _import(session, data, mode="each")
    assert report.created == 1
    assert [str(p) for p in report.rejected] == [
        "/iati-activities/iati-activity[2]/activity-status: @code '9' is not an activity "
        "status (1, 2, 3, 4, 5, 6)"]


@pytest.mark.parametrize("version", ["2.01", "2.02"])
def test_earlier_versions_are_read_as_what_they_are(session: Session, version: str) -> None:
    data = (FIXTURES / f"rich_{version}.xml").read_bytes()
    report = _import(session, data)
    assert (report.created, report.version) == (2, version)
    stored = session.scalars(select(IatiRecord.version)).all()
    assert stored == [version, version]
    exported = _export(session)
    assert etree.fromstring(exported).get("version") == "2.03"
    # 2.0x versions only add to each other: the 2.03 export holds the same activities
    assert semantic_diff(data, exported) == []
    assert validate_export(exported) == []


def test_version_1_files_are_refused_with_a_clear_message(session: Session) -> None:
    data = b'<iati-activities version="1.04"><iati-activity/></iati-activities>'
    with pytest.raises(InputError, match=r"IATI version '1.04' is not read; export the file "
                                         r"as version 2.0x"):
        _import(session, data)


def test_a_file_without_a_version_on_its_root_reads_each_activity_as_its_own(
        session: Session) -> None:
    # as some portals' downloads write it: the version on each activity, none on the root
    # (tests/taskforce/iati/test_portal_downloads.py has the whole story): this one is
    # checked against the 2.03 schema, which it fails
    data = (b'<iati-activities><iati-activity version="2.03"><iati-identifier>XM-1'
            b'</iati-identifier></iati-activity></iati-activities>')
    with pytest.raises(InputError) as caught:
        _import(session, data)
    assert [str(p) for p in caught.value.problems] == [
        "/iati-activities/iati-activity[1]: iati-activity lacks reporting-org, which it must "
        "contain (schema: Element 'iati-activity': Missing child element(s). Expected is "
        "( reporting-org ).)"]


def test_a_problem_late_in_a_large_file_undoes_the_batches_written(session: Session,
                                                                   tmp_path: Path) -> None:
    bench = load_bench("iati_import")
    path = tmp_path / "large.xml"
    count = bench.generate(path, 6)
    assert count > 500  # the first batch of 500 is written before the last is read
    data = path.read_bytes()
    last = data.rindex(b"<activity-status code=")
    broken = data[:last] + b'<activity-status code="8"/>' + data[data.index(b"/>", last) + 2:]
    with pytest.raises(InputError) as caught:
        _import(session, broken)
    assert [p.location for p in caught.value.problems] == [
        f"/iati-activities/iati-activity[{count}]/activity-status"]
    assert session.scalars(select(IatiRecord)).all() == []
    report = _import(session, broken, mode="each")
    assert report.created == count - 1 and len(report.rejected) == 1


@pytest.mark.parametrize("kind", ["3", "x", "\u00b2"])
def test_a_budget_type_not_in_its_code_list_is_refused_at_the_budget(
        session: Session, kind: str) -> None:
    # "x" was taken for an original budget, "²" (a digit to str.isdigit) crashed int()
    data = RICH.read_bytes().replace(b'<budget type="1"', f'<budget type="{kind}"'.encode(), 1)
    with pytest.raises(InputError) as caught:
        _import(session, data)
    assert [(p.location, str(p.reason)) for p in caught.value.problems] == [
        ("/iati-activities/iati-activity[1]/budget[1]",
         f"@type {kind!r} is not a budget type (1 original, 2 revised)")]


@pytest.mark.parametrize(("file", "old", "new", "problem"), [
    # Zimmerman & Zimmerman's values each name their currency
    ("published/zimmzimm-activities.xml", b'default-currency="EUR"', b'default-currency="EUX"',
     "/iati-activities/iati-activity[1]/@default-currency: 'EUX' is not an ISO 4217 code"),
    # the rich file's second transaction names none: it takes the activity's
    ("rich_2.03.xml", b'default-currency="EUR"', b'default-currency="EUX"',
     "/iati-activities/iati-activity[1]/transaction[2]/value: @default-currency 'EUX' is not "
     "an ISO 4217 code"),
    ("rich_2.03.xml", b'<iati-activity xml:lang="en"', b'<iati-activity xml:lang="qq"',
     "/iati-activities/iati-activity[1]/@xml:lang: 'qq' is not an ISO 639-1 language code"),
    ("rich_2.03.xml", b"<narrative>Agency A</narrative>",
     b"<narrative>" + b"A" * 301 + b"</narrative>",
     "/iati-activities/iati-activity[1]/reporting-org: reporting_org_name has 301 "
     "characters; at most 300 are allowed"),
], ids=["default-currency", "default-currency-of-a-value", "language", "reporting-org-name"])
def test_a_bad_value_of_the_activity_itself_is_refused_where_it_is(
        session: Session, file: str, old: bytes, new: bytes, problem: str) -> None:
    # each was refused at the activity alone (/iati-activities/iati-activity[1]: 'EUX' is
    # not an ISO 4217 code), leaving the publisher to guess which of its values it was; and
    # a value without a currency of its own was said to have @currency 'EUX'
    data = (FIXTURES / file).read_bytes()
    assert old in data
    with pytest.raises(InputError) as caught:
        _import(session, data.replace(old, new, 1))
    assert [str(p) for p in caught.value.problems] == [problem]


@pytest.mark.parametrize(("data", "problem"), [
    *not_iati_at_all("iati-activities"),
    pytest.param(b'<iati-organisations version="2.03"/>',
                 "/iati-organisations: this is an IATI organisation file (iati-organisations): "
                 "import it as an organisation file, into the partners registry",
                 id="organisation-file"),
])
def test_files_that_are_not_an_activity_file_are_told_what_they_are(
        session: Session, data: bytes, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        _import(session, data)
    assert [str(p) for p in caught.value.problems] == [problem]


@pytest.mark.parametrize("data", [
    b"", gzip.compress(b"<iati-activities version='2.03'/>", mtime=0),
    b'<iati-activities xmlns="http://www.iatistandard.org" version="2.03"/>',
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", b'<iati-organisations version="2.03"/>',
    # the root declares 2.03, but the parser stops before handing it over
    RICH.read_bytes().replace(b"</title>", b"", 1),
], ids=["empty", "gzip", "namespace", "pdf", "organisation-file", "malformed"])
def test_the_report_of_a_file_not_read_does_not_speak_of_versions_per_activity(
        session: Session, data: bytes) -> None:
    # activity by activity, the first line said "IATI (version per activity): 0 created, 0
    # updated", the words for a portal's download, whose activities each give their own
    report = _import(session, data, mode="each")
    assert (report.version, report.rejected[0].location.startswith(("/", "line "))) == (
        "", True)
    assert str(report_lines(report)[0]) == "IATI (no activity read): 0 created, 0 updated"


def test_a_root_with_an_undeclared_prefix_is_refused_as_the_wrong_root(
        session: Session) -> None:
    # found by the fuzzer: lxml keeps "iati-activ:ities" as the tag
    with pytest.raises(InputError) as caught:
        _import(session, b'<iati-activ:ities version="2.03"/>')
    assert [str(p) for p in caught.value.problems] == [
        "/iati-activ:ities: the root element must be iati-activities"]
