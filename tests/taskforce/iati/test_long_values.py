"""Values longer than the platform's columns: the IATI schema sets no length on any text
or attribute, and PostgreSQL refuses what does not fit (SQLite keeps it silently). Every
text and attribute of the rich 2.03 fixture, set to 1,200 characters one at a time, is
imported (activity by activity), refused with a reason naming the element, or kept as
published with a note: never a database error."""

from __future__ import annotations

import copy
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.taskforce.iati.test_round_trip import _export, _import, semantic_diff
from tocsin.errors import InputError
from tocsin.taskforce.iati.tables import IatiTransaction

RICH = Path(__file__).parents[2] / "fixtures" / "iati" / "rich_2.03.xml"
LONG = "X" * 1200


def _places(root: etree._Element) -> list[tuple[str, str | None]]:
    tree = root.getroottree()
    out: list[tuple[str, str | None]] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        path = tree.getpath(element)
        out += [(path, name) for name in element.attrib]
        if element.text and element.text.strip():
            out.append((path, None))
    return out


def lengthened(root: etree._Element, path: str, name: str | None) -> etree._Element:
    """A copy of ``root`` with the text at ``path`` (or its attribute ``name``) made LONG."""
    changed = copy.deepcopy(root)
    element = changed.getroottree().xpath(path)[0]
    if name is None:
        element.text = LONG
    else:
        element.set(name, LONG)
    return changed


def test_every_text_and_attribute_made_too_long_gives_a_reason_not_a_crash(
        session: Session) -> None:
    root = etree.parse(str(RICH)).getroot()
    places = _places(root)
    assert len(places) > 400
    outcomes = {"whole": 0, "an activity refused": 0, "file refused": 0}
    for path, name in places:
        savepoint = session.begin_nested()
        try:
            report = _import(session, etree.tostring(lengthened(root, path, name)), mode="each")
        except InputError as refused:  # the file itself: its problems say where
            assert refused.problems, path
            outcomes["file refused"] += 1
        else:
            outcomes["an activity refused" if report.rejected else "whole"] += 1
            for problem in report.rejected:
                assert problem.location.startswith("/iati-activities"), (path, problem)
        finally:
            savepoint.rollback()
    assert outcomes["whole"] > 200 and outcomes["an activity refused"] > 100, outcomes


def test_a_partner_name_too_long_for_the_platform_is_refused_where_it_is(
        session: Session) -> None:
    data = RICH.read_bytes()
    root = etree.fromstring(data)
    narrative = root.find("iati-activity/participating-org/narrative")
    narrative.text = "N" * 301
    report = _import(session, etree.tostring(root), mode="each")
    assert [str(p) for p in report.rejected] == [
        "/iati-activities/iati-activity[1]/participating-org[1]: name has 301 characters; at "
        "most 300 are allowed"]
    assert report.created == 1  # the other activity of the file


def test_a_transactions_long_party_name_and_aid_type_are_noted_not_cut(
        session: Session) -> None:
    # the register holds 300 characters of a provider's name and 200 of the aid types;
    # longer ones were cut there without a word (the published copy kept them whole)
    root = etree.fromstring(RICH.read_bytes())
    transaction = root.find("iati-activity/transaction")
    transaction.find("provider-org/narrative").text = "P" * 301
    transaction.find("aid-type[@vocabulary='2']").set("vocabulary", "99")
    transaction.find("aid-type[@vocabulary='99']").set("code", "A" * 201)
    data = etree.tostring(root)
    report = _import(session, data)
    where = "/iati-activities/iati-activity[1]/transaction[1]"
    assert [str(n) for n in report.notes if n.location == where] == [
        f"{where}: provider_name is 301 characters long, more than the register holds "
        "(300): left empty there, kept as published",
        f"{where}: aid_types is 210 characters long, more than the register holds (200): "
        "left empty there, kept as published"]
    row = session.scalars(select(IatiTransaction).order_by(IatiTransaction.id)).first()
    assert row is not None and (row.provider_name, row.aid_types) == ("", "")
    assert semantic_diff(data, _export(session)) == []
