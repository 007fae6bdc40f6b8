"""IATI 2.03: schema-valid exports, byte-identical round trips, all-or-nothing imports."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tests.bench_scripts import load_bench
from tests.taskforce.programmes.factory import count, full_spec, principal, spec
from tocsin.access.principal import Principal
from tocsin.access.tables import AuditEntry
from tocsin.errors import InputError, PermissionDenied
from tocsin.taskforce.iati.exchange import export_iati, import_iati
from tocsin.taskforce.iati.schema import activity_schema, safe_parser
from tocsin.taskforce.programmes import records
from tocsin.taskforce.programmes.spec import ShareSpec
from tocsin.taskforce.programmes.tables import Activity

FIXTURES = Path(__file__).parents[2] / "fixtures" / "iati"


def _export(session: Session, principal: Principal = Principal.system(), **kw: object) -> bytes:
    out = io.BytesIO()
    export_iati(session, principal, out, **kw)  # type: ignore[arg-type]
    return out.getvalue()


def _hierarchy(session: Session) -> None:
    system = Principal.system()
    records.create_activity(session, system, full_spec("XM-OSCE-P1"))
    records.create_activity(session, system, spec(
        "XM-OSCE-P1-A", level="project", parent_identifier="XM-OSCE-P1", status=3,
        crime_areas=[ShareSpec(code="drug_trafficking"), ShareSpec(code="firearms_trafficking")]))
    records.create_activity(session, system, spec(
        "XM-OSCE-P1-A-1", parent_identifier="XM-OSCE-P1-A", description="Leaf & <test>"))


def _wipe(session: Session) -> None:
    for level in ("activity", "project", "programme"):
        session.execute(delete(Activity).where(Activity.level == level))
    session.flush()
    session.expire_all()


def test_export_is_valid_against_the_schema(session: Session) -> None:
    _hierarchy(session)
    data = _export(session)
    tree = etree.fromstring(data, safe_parser())
    assert activity_schema().validate(tree), activity_schema().error_log
    assert len(tree) == 3
    sectors = tree.xpath("//iati-activity[iati-identifier='XM-OSCE-P1']/sector")
    by_vocabulary = {(s.get("vocabulary"), s.get("code")): s.get("percentage") for s in sectors}
    # own crime-area vocabulary and the OECD-DAC codes they map to, each adding up to 100
    assert by_vocabulary[("99", "money_laundering")] == "70"
    assert by_vocabulary[("1", "15113")] is not None
    dac = [Decimal(p) for (v, _), p in by_vocabulary.items() if v == "1"]
    assert sum(dac) == 100
    child = tree.xpath("//iati-activity[iati-identifier='XM-OSCE-P1-A']")[0]
    assert child.get("hierarchy") == "2"
    assert [(r.get("type"), r.get("ref")) for r in child.findall("related-activity")] == [
        ("1", "XM-OSCE-P1"), ("2", "XM-OSCE-P1-A-1")]


def test_export_import_export_is_byte_identical(session: Session) -> None:
    _hierarchy(session)
    first = _export(session)
    _wipe(session)
    assert count(session, Activity) == 0
    summary = import_iati(session, Principal.system(), io.BytesIO(first),
                          owner_unit_id=principal(session, "analyst").unit_id)
    assert (summary.created, summary.updated, summary.notes) == (3, 0, [])
    second = _export(session)
    assert second == first
    # importing the same file again updates in place and still changes nothing
    summary = import_iati(session, Principal.system(), io.BytesIO(first))
    assert (summary.created, summary.updated) == (0, 3)
    assert _export(session) == first


def test_bad_elements_are_reported_by_xpath_and_nothing_is_applied(session: Session) -> None:
    _hierarchy(session)
    data = _export(session).decode()
    _wipe(session)
    broken = (data
              .replace('percentage="45"', 'percentage="sixty"', 1)        # schema: decimal
              .replace('code="RS"', 'code="XX"', 1)                      # unknown country
              .replace('<activity-status code="3"/>', '<activity-status code="7"/>'))
    with pytest.raises(InputError) as caught:
        import_iati(session, Principal.system(), io.BytesIO(broken.encode()))
    problems = {p.location: p.reason for p in caught.value.problems}
    assert problems == {
        "/iati-activities/iati-activity[1]/recipient-country[1]":
            "@percentage of recipient-country is 'sixty', which is not a number, such as 1500.50 "
            "(schema: Element 'recipient-country', attribute 'percentage': 'sixty' is not a valid "
            "value of the atomic type 'xs:decimal'.)",
        "/iati-activities/iati-activity[2]/activity-status":
            "@code '7' is not an activity status (1, 2, 3, 4, 5, 6)",
    }
    assert count(session, Activity) == 0
    fixed = broken.replace('percentage="sixty"', 'percentage="45"')
    with pytest.raises(InputError) as caught:
        import_iati(session, Principal.system(), io.BytesIO(fixed.encode()))
    assert [str(p) for p in caught.value.problems] == [
        "/iati-activities/iati-activity[1]/recipient-country[2]: unknown country 'XX': "
        "not an ISO 3166-1 country code",
        "/iati-activities/iati-activity[2]/activity-status: @code '7' is not an activity "
        "status (1, 2, 3, 4, 5, 6)",
    ]
    assert count(session, Activity) == 0


@pytest.mark.parametrize(("content", "reason"), [
    (b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
     b'<iati-activities version="2.03">&b;</iati-activities>', "DOCTYPE is not accepted"),
    (b'<iati-activities version="2.03"><iati-activity>', "not well-formed"),
    (b'<iati-organisation version="2.03"/>', "root element must be iati-activities"),
    (b'<iati-organisations version="2.03"/>', "this is an IATI organisation file"),
    (b'<iati-activities version="1.05"/>', "version '1.05' is not read"),
    (b'<iati-activities version="2.03"></iati-activities>', "holds no iati-activity"),
])
def test_unsafe_or_malformed_files_are_refused(session: Session, content: bytes,
                                               reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        import_iati(session, Principal.system(), io.BytesIO(content))
    assert count(session, Activity) == 0


@pytest.mark.parametrize("mode", ["all", "each"])
def test_an_unknown_handling_code_is_refused_before_the_file_is_read(
        session: Session, mode: str) -> None:
    # `tocsin programmes import-iati … --handling purple` ended in the database's CHECK
    # constraint and its traceback, the SQL statement and every activity's values in it
    unit = principal(session, "analyst", "unodc").unit_id
    data = (FIXTURES / "partner_activities.xml").read_bytes()
    with pytest.raises(InputError) as caught:
        import_iati(session, Principal.system(), io.BytesIO(data), owner_unit_id=unit,
                    handling="PURPLE", mode=mode)  # type: ignore[arg-type]
    assert [str(p) for p in caught.value.problems] == [
        "handling: unknown handling code 'PURPLE'; use one of CLEAR, GREEN, AMBER, "
        "AMBER+STRICT, RED"]
    assert count(session, Activity) == 0
    # written as the Traffic Light Protocol writes it, in any case, the code is read
    report = import_iati(session, Principal.system(), io.BytesIO(data), owner_unit_id=unit,
                         handling="tlp:amber", mode=mode)  # type: ignore[arg-type]
    assert report.created == 2
    assert {a.handling for a in session.scalars(select(Activity))} == {"AMBER"}


def test_a_partners_file_is_mapped(session: Session) -> None:
    unit = principal(session, "analyst", "unodc").unit_id
    summary = import_iati(session, Principal.system(), FIXTURES / "partner_activities.xml",
                          owner_unit_id=unit)
    assert summary.created == 2
    system = Principal.system()
    parent = records.get_by_identifier(session, system, "XX-PARTNER-100")
    child = records.get_by_identifier(session, system, "XX-PARTNER-101")
    assert parent.is_external and child.is_external
    assert parent.owner_unit_id == unit
    assert parent.title == "Regional programme against drug trafficking"
    assert parent.description == "General description."
    assert (parent.level, child.level, child.parent_id) == ("programme", "activity", parent.id)
    assert [(p.role, p.organization_code, p.org_ref) for p in parent.participants] == [
        (1, None, "XX-DONOR"), (4, "unodc", "")]
    assert [(c.country_code, c.percentage) for c in parent.countries] == [
        ("TJ", Decimal("50.00")), ("KG", Decimal("50.00"))]
    # only DAC sectors in the file: mapped back onto the crime area that owns the code
    assert [(c.crime_area_code, c.percentage) for c in parent.crime_areas] == [
        ("drug_trafficking", Decimal("100.00"))]
    # the revised budget replaces the original; spending per year is disbursements
    # (type 3, USD 50,000) plus expenditure (type 4)
    assert sorted((f.kind, f.year, f.currency, f.amount) for f in parent.finance) == [
        ("budget", 2024, "USD", Decimal("1200000.00")),
        ("expenditure", 2024, "EUR", Decimal("10000.50")),
        ("expenditure", 2024, "USD", Decimal("80000.00")),
    ]


def test_exports_hold_only_what_the_principal_may_read(session: Session) -> None:
    system = Principal.system()
    records.create_activity(session, system, spec("STRICT-1", handling="AMBER+STRICT",
                                                  implementing_structure="tntd-spmu"))
    records.create_activity(session, system, spec("AMBER-1", handling="AMBER"))
    records.create_activity(session, system, spec("OPEN-1"))
    other = principal(session, "analyst", "fo-serbia")
    data = _export(session, other)
    identifiers = etree.fromstring(data, safe_parser()).xpath("//iati-identifier/text()")
    assert identifiers == ["AMBER-1", "OPEN-1"]
    exported = session.scalars(select(AuditEntry.record_id).where(
        AuditEntry.action == "export", AuditEntry.username == other.username)).all()
    assert str(records.get_by_identifier(session, system, "AMBER-1").id) in exported
    with pytest.raises(PermissionDenied):
        _export(session, principal(session, "partner_viewer", "unodc"))
    assert _export(session, system, ids=[]).count(b"<iati-activity ") == 0


def test_import_into_another_units_records_is_refused(session: Session) -> None:
    records.create_activity(session, Principal.system(), spec("XM-OSCE-OWNED"))
    data = _export(session)
    analyst = principal(session, "analyst", "fo-serbia")
    with pytest.raises(InputError, match="whose records you may not change"):
        import_iati(session, analyst, io.BytesIO(data))


def test_the_benchmark_file_imports_and_round_trips(session: Session, tmp_path: Path) -> None:
    from tests.taskforce.iati.test_round_trip import semantic_diff

    bench = load_bench("iati_import")
    path = tmp_path / "generated.xml"
    activities = bench.generate(path, 0.3)
    summary = import_iati(session, Principal.system(), path,
                          owner_unit_id=principal(session, "analyst").unit_id)
    assert summary.created == activities == count(session, Activity)
    assert summary.warnings == []
    out = tmp_path / "again.xml"
    export_iati(session, Principal.system(), out, strict=True)
    assert semantic_diff(path.read_bytes(), out.read_bytes()) == []
