"""IATI organisation files land in the partners registry, all or nothing."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.taskforce.iati.unreadable import not_iati_at_all
from tests.taskforce.programmes.factory import principal
from tocsin.access.principal import Principal
from tocsin.errors import InputError, PermissionDenied
from tocsin.taskforce.iati.organisations import import_organisations
from tocsin.taskforce.iati.tables import IatiOrganisation, IatiOrgFinance
from tocsin.taskforce.partners.tables import Partner

ORG = Path(__file__).parents[2] / "fixtures" / "iati" / "organisation_2.03.xml"


def _import(session: Session, data: bytes, who: Principal | None = None):  # type: ignore[no-untyped-def]
    who = who or Principal.system()
    return import_organisations(session, who, io.BytesIO(data),
                                owner_unit_id=principal(session, "analyst").unit_id)


def test_an_organisation_file_creates_a_partner_with_its_budgets(session: Session) -> None:
    report = _import(session, ORG.read_bytes())
    assert (report.version, report.created, report.updated) == ("2.03", 1, 0)
    partner = session.get(Partner, report.partners["XM-DAC-99-7"])
    assert partner is not None
    assert (partner.name, partner.kind) == ("Fictional Development Agency",
                                            "national_institution")
    rows = session.scalars(select(IatiOrgFinance).order_by(IatiOrgFinance.position)).all()
    assert [(r.element, r.recipient, r.status, r.currency, r.value) for r in rows] == [
        ("total-budget", "", 2, "EUR", Decimal("25000000")),
        ("recipient-org-budget", "XX-RECEIVER-1", 1, "USD", Decimal("1500000")),
        ("recipient-region-budget", "89", 1, "EUR", Decimal("3000000")),
        ("recipient-country-budget", "MM", 2, "EUR", Decimal("900000")),
        ("total-expenditure", "", None, "EUR", Decimal("22000000")),
    ]
    # the element is kept as published: documents and budget lines included
    stored = session.scalars(select(IatiOrganisation.xml)).one()
    assert "annual-report-2023.pdf" in stored and "budget-line" in stored



def test_a_recipient_longer_than_the_register_holds_is_noted_and_kept_as_published(
        session: Session) -> None:
    # no length in the schema; on PostgreSQL the row was refused with a database error
    long_ref = "XX-" + "R" * 247
    report = _import(session, ORG.read_bytes().replace(b'ref="XX-RECEIVER-1"',
                                                       f'ref="{long_ref}"'.encode()))
    assert report.created == 1
    assert [str(n) for n in report.notes if "characters long" in n.reason] == [
        "/iati-organisations/iati-organisation[1]/recipient-org-budget/recipient-org/@ref: "
        "recipient is 250 characters long, more than the register holds (200): left empty "
        "there, kept as published"]
    assert session.scalars(select(IatiOrgFinance.recipient).where(
        IatiOrgFinance.element == "recipient-org-budget")).one() == ""
    assert long_ref in session.scalars(select(IatiOrganisation.xml)).one()

def test_a_newer_file_updates_the_same_partner(session: Session) -> None:
    first = _import(session, ORG.read_bytes())
    newer = ORG.read_bytes().replace(b">25000000<", b">26000000<")
    second = _import(session, newer)
    assert (second.created, second.updated) == (0, 1)
    assert second.partners == first.partners
    total = session.scalars(select(IatiOrgFinance.value).where(
        IatiOrgFinance.element == "total-budget")).one()
    assert total == Decimal("26000000")
    assert len(session.scalars(select(IatiOrganisation)).all()) == 1


def test_bad_organisation_files_name_the_element_and_write_nothing(session: Session) -> None:
    usd = b'<period-end iso-date="2024-12-31"/>\n      <value currency="USD"'
    bad = ORG.read_bytes().replace(usd, usd.replace(b"2024", b"2023"))
    with pytest.raises(InputError) as caught:
        _import(session, bad)
    assert [str(p) for p in caught.value.problems] == [
        "/iati-organisations/iati-organisation[1]/recipient-org-budget: the period ends "
        "(2023-12-31) before it starts (2024-01-01)"]
    assert session.scalars(select(IatiOrganisation)).all() == []
    with pytest.raises(InputError, match="root element must be iati-organisations"):
        _import(session, b'<iati-organisation version="2.03"/>')
    with pytest.raises(InputError, match=r"this is an IATI activity file \(iati-activities\): "
                                         r"import it as an activity file"):
        _import(session, b'<iati-activities version="2.03"/>')


@pytest.mark.parametrize(("data", "problem"), [
    *not_iati_at_all("iati-organisations"),
    pytest.param('<iati-organisations version="2.03"/>'.encode("utf-32"),
                 "/: the file is written in UTF-32, which is not read: save it as UTF-8 and "
                 "import it again", id="utf-32"),
])
def test_files_that_are_not_an_organisation_file_are_told_what_they_are(
        session: Session, data: bytes, problem: str) -> None:
    # as an activity file is: the empty file was "line 0: not well-formed XML: no element
    # found", the others libxml2's "Start tag expected, '<' not found" and the root
    # "/{http://www.iatistandard.org}iati-organisations: the root element must be …"
    with pytest.raises(InputError) as caught:
        _import(session, data)
    assert [str(p) for p in caught.value.problems] == [problem]
    assert session.scalars(select(IatiOrganisation)).all() == []


def test_readers_may_not_import_organisation_files(session: Session) -> None:
    with pytest.raises(PermissionDenied):
        _import(session, ORG.read_bytes(), principal(session, "partner_viewer"))
