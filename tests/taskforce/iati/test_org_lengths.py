"""Values of organisation files longer than the platform's columns: the IATI schema sets no
length, PostgreSQL refuses what does not fit and SQLite keeps it silently. Every text and
attribute of IATI's annotated 2.03 organisation example, set to 1,200 characters one at a
time, is imported, refused with a reason naming where it is, or left out of its column with
a note naming it (kept as published): never a database error, never a cut."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import String, select
from sqlalchemy.orm import Session

from tests.taskforce.iati.test_long_values import LONG, _places, lengthened
from tests.taskforce.iati.test_published_organisations import _import, _written_back
from tocsin.errors import InputError
from tocsin.taskforce.iati.tables import IatiOrganisation, IatiOrgFinance, overlong
from tocsin.taskforce.partners.tables import Partner

IATI = Path(__file__).parents[2] / "fixtures" / "iati"
EXAMPLE = IATI / "published" / "organisation-standard-example-annotated-2.03.xml"
ORG_FILE = IATI / "organisation_2.03.xml"
ORG = "/iati-organisations/iati-organisation"


def _texts(session: Session) -> list[str]:
    """Every value of a column of bounded length the import writes (rows, partners)."""
    out: list[str] = []
    for table in (IatiOrgFinance, IatiOrganisation, Partner):
        columns = [c for c in table.__table__.columns
                   if isinstance(c.type, String) and c.type.length]
        for row in session.execute(select(*columns)):
            out += [value for value in row if isinstance(value, str)]
    return out


def test_every_text_and_attribute_made_too_long_is_noted_or_refused_where_it_is(
        session: Session) -> None:
    root = etree.parse(str(EXAMPLE), etree.XMLParser(remove_comments=True)).getroot()
    places = _places(root)
    assert len(places) > 120
    outcomes = {"whole": 0, "noted": 0, "refused": 0}
    for path, name in places:
        changed = lengthened(root, path, name)
        # where the import names it: the organisation by its position, an attribute by @
        at = path.replace(ORG, f"{ORG}[1]", 1) if path.startswith(ORG) else path
        attribute = at if name is None else f"{at}/@{name}"
        savepoint = session.begin_nested()
        try:
            report = _import(session, etree.tostring(changed))
        except InputError as refused:
            # at the value itself, or at the element holding it (a date, the root's version)
            assert refused.problems and all(
                attribute.startswith(p.location) for p in refused.problems), (path, name)
            outcomes["refused"] += 1
        else:
            noted = [n for n in report.notes if "more than the register holds" in n.reason]
            assert [n.location for n in noted] in ([], [attribute]), (path, name, noted)
            outcomes["noted" if noted else "whole"] += 1
            # no column holds it, whole or cut; the published copy does (not its root's)
            assert not any("X" * 20 in text for text in _texts(session)), (path, name)
            stored = session.scalars(select(IatiOrganisation.xml)).one()
            assert (LONG in stored) is path.startswith(ORG), (path, name)
        finally:
            savepoint.rollback()
    # the recipient of the three budgets that have one, and a recipient organisation's name
    assert outcomes == {"whole": 68, "noted": 4, "refused": 54}, outcomes


def test_a_recipient_name_longer_than_the_register_holds_is_noted_not_cut(
        session: Session) -> None:
    # it was cut to 300 characters without a word
    long_name = "Implementing partner " + "n" * 280
    data = ORG_FILE.read_bytes().replace(b">Implementing partner 1<", f">{long_name}<".encode())
    report = _import(session, data)
    assert [str(n) for n in report.notes] == [
        f"{ORG}[1]/recipient-org-budget/recipient-org/narrative: recipient_name is 301 "
        "characters long, more than the register holds (300): left empty there, kept as "
        "published"]
    row = session.scalars(select(IatiOrgFinance).where(
        IatiOrgFinance.element == "recipient-org-budget")).one()
    assert (row.recipient, row.recipient_name) == ("XX-RECEIVER-1", "")
    assert long_name in _written_back(session, data, report).decode()


def test_an_organisation_name_a_partner_cannot_hold_is_refused_naming_it(
        session: Session) -> None:
    # it was cut to 300 characters without a word
    name = b">Fictional Development Agency</narrative>\n      <narrative xml:lang"
    too_long = ORG_FILE.read_bytes().replace(name, name.replace(
        b"Fictional Development Agency", b"A" * 301))
    with pytest.raises(InputError) as caught:
        _import(session, too_long)
    assert [str(p) for p in caught.value.problems] == [
        f"{ORG}[1]/name/narrative[1]: name has 301 characters; at most 300 are allowed"]
    assert session.scalars(select(IatiOrganisation)).all() == []
    # a name that fits is the partner's whole
    report = _import(session, too_long.replace(b"A" * 301, b"A" * 300))
    partner = session.get(Partner, report.partners["XM-DAC-99-7"])
    assert partner is not None and partner.name == "A" * 300
    assert session.scalars(select(IatiOrganisation.name)).one() == "A" * 300


def _organisations(*named: tuple[str, str]) -> bytes:
    """The fixture's organisation once per ``(identifier, name)``."""
    root = etree.fromstring(ORG_FILE.read_bytes())
    template = root[0]
    root.remove(template)
    for identifier, name in named:
        organisation = copy.deepcopy(template)
        organisation.find("organisation-identifier").text = identifier
        organisation.find("reporting-org").set("ref", identifier)
        organisation.find("name/narrative").text = name
        root.append(organisation)
    return etree.tostring(root)


def test_a_name_that_does_not_fit_once_qualified_by_the_identifier_is_refused(
        session: Session) -> None:
    name = "N" * 290
    with pytest.raises(InputError) as caught:
        _import(session, _organisations(("XM-DAC-99-7", name), ("XM-DAC-99-8", name)))
    assert [str(p) for p in caught.value.problems] == [
        f"{ORG}[2]/name/narrative[1]: the partner named '{name}' is another IATI "
        f"organisation's, and '{name} (XM-DAC-99-8)' has 304 characters; a partner's name "
        "has at most 300"]


def test_a_third_organisation_whose_qualified_name_is_taken_is_refused_naming_it(
        session: Session) -> None:
    # the second organisation's partner bears the name the third would be given (the
    # registry refused it with its own error, naming no element of the file)
    name = "Fictional Development Agency"
    data = _organisations(("XM-DAC-99-7", name), ("XM-DAC-99-8", f"{name} (XM-DAC-99-9)"),
                          ("XM-DAC-99-9", name))
    with pytest.raises(InputError) as caught:
        _import(session, data, name="three.xml")
    assert caught.value.summary == "1 problem in three.xml; nothing was applied"
    assert [str(p) for p in caught.value.problems] == [
        f"{ORG}[3]/name/narrative[1]: the partners named '{name}' and '{name} "
        "(XM-DAC-99-9)' exist already (partner names are unique): rename one of them in the "
        "partners registry and import the file again"]


def test_the_register_rows_longer_than_their_columns_are_found() -> None:
    fits: dict[str, str | None] = {"element": "total-budget", "recipient": "R" * 200,
                                   "recipient_name": None, "currency": "EUR"}
    long = {"element": "recipient-org-budget", "recipient": "R" * 201,
            "recipient_name": "n" * 301, "currency": "EURO"}
    assert overlong(IatiOrgFinance, [fits, long]) == [(1, "recipient", 201, 200),
                                                      (1, "recipient_name", 301, 300),
                                                      (1, "currency", 4, 3)]
    assert overlong(IatiOrgFinance, [fits]) == []
    assert overlong(IatiOrgFinance, []) == []
