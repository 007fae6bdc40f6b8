"""A re-import's report says, per changed activity, how many of each element were added,
removed, changed or moved, not only the elements' names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import create_user, login
from tests.taskforce.iati.test_published_organisations import (
    _import as _import_organisations,
)
from tests.taskforce.iati.test_round_trip import RICH, _import
from tocsin import i18n
from tocsin.errors import InputError
from tocsin.store.database import Database
from tocsin.taskforce.iati import exchange
from tocsin.taskforce.iati.exchange import (
    ElementChanges,
    IatiImport,
    changed_elements,
    element_changes,
    report_lines,
)
from tocsin.taskforce.iati.organisations import organisation_report_lines
from tocsin.taskforce.programmes.tables import Activity

PUBLISHED = Path(__file__).resolve().parents[2] / "fixtures" / "iati" / "published"
DFID_BS = PUBLISHED / "dfid-bs.xml"
COMPONENT = "GB-1-205154-101"
#: The component's second transaction, as DFID published it.
SECOND_TRANSACTION = (
    b'<transaction ref="6829098"><transaction-type code="3" /><transaction-date '
    b'iso-date="2016-04-18" /><value currency="GBP" value-date="2016-04-18">85225</value>'
    b'<description><narrative>Aid to civil society organisations / NGOs</narrative>'
    b'</description><provider-org ref="GB-GOV-1"><narrative>UK - Department for '
    b'International Development (DFID)</narrative></provider-org><receiver-org '
    b'ref="GB-GOV-8" type="10"><narrative>UK - Ministry of Defence</narrative>'
    b'</receiver-org></transaction>')
BUDGET_VALUE = b'<value value-date="2016-03-15" currency="GBP">85225</value></budget>'


def _activity(*children: str, updated: str = "2020-01-01T00:00:00") -> str:
    return (f'<iati-activity last-updated-datetime="{updated}"><iati-identifier>XM-1'
            f'</iati-identifier>{"".join(children)}</iati-activity>')


def _tx(code: str, value: str) -> str:
    return (f'<transaction><transaction-type code="{code}"/><value currency="EUR" '
            f'value-date="2020-01-01">{value}</value></transaction>')


def _budget(start: str, value: str) -> str:
    return (f'<budget type="1"><period-start iso-date="{start}"/><value '
            f'value-date="{start}">{value}</value></budget>')


TITLE = "<title><narrative>Ports</narrative></title>"
OLD = _activity(TITLE, _budget("2020-01-01", "10"), _tx("2", "100"), _tx("3", "50"),
                _tx("3", "25"))


def test_a_removed_element_is_counted_removed() -> None:
    new = _activity(TITLE, _budget("2020-01-01", "10"), _tx("2", "100"), _tx("3", "25"))
    assert element_changes(OLD, new) == {"transaction": ElementChanges(removed=1)}


def test_added_elements_are_counted_added() -> None:
    new = _activity(TITLE, _budget("2020-01-01", "10"), _budget("2021-01-01", "20"),
                    _budget("2022-01-01", "30"), _tx("2", "100"), _tx("3", "50"),
                    _tx("3", "25"))
    assert element_changes(OLD, new) == {"budget": ElementChanges(added=2)}


def test_an_element_edited_in_its_place_is_counted_changed() -> None:
    new = _activity(TITLE, _budget("2020-01-01", "10"), _tx("2", "100"), _tx("3", "55"),
                    _tx("3", "25"), updated="2021-01-01T00:00:00")
    assert element_changes(OLD, new) == {
        "@last-updated-datetime": ElementChanges(changed=1, single=True),
        "transaction": ElementChanges(changed=1)}


def test_one_removed_and_one_edited_are_counted_apart() -> None:
    # the second removed, the third edited: what is left between the equal ones is paired
    # in order, so the count says one changed and one removed
    new = _activity("<title><narrative>Ports and airports</narrative></title>",
                    _budget("2020-01-01", "10"), _tx("2", "100"), _tx("3", "20"))
    assert element_changes(OLD, new) == {
        "title": ElementChanges(changed=1, single=True),
        "transaction": ElementChanges(removed=1, changed=1)}


def test_a_copy_written_otherwise_is_unchanged() -> None:
    # indented, attributes in another order, a comment, other quotes: the same activity
    otherwise = OLD.replace("><", ">\n    <").replace(
        '<value currency="EUR" value-date="2020-01-01">',
        "<value value-date='2020-01-01'  currency='EUR'>").replace(
        "<title>", "<!-- as sent --><title>")
    assert otherwise != OLD
    assert element_changes(OLD, otherwise, "digest-a", "digest-b") == {}
    assert changed_elements(OLD, otherwise, "digest-a", "digest-b") == []
    # written otherwise and one budget edited: only the budget is counted
    edited = otherwise.replace(">10<", ">12<")
    assert element_changes(OLD, edited) == {"budget": ElementChanges(changed=1, single=True)}


def test_an_element_moved_to_another_place_is_counted_moved_not_changed() -> None:
    new = _activity(TITLE, _budget("2020-01-01", "10"), _tx("3", "25"), _tx("2", "100"),
                    _tx("3", "50"))
    assert element_changes(OLD, new) == {"transaction": ElementChanges(moved=1)}
    # moved and one of the others edited
    new = _activity(TITLE, _budget("2020-01-01", "10"), _tx("3", "25"), _tx("2", "100"),
                    _tx("3", "51"))
    assert element_changes(OLD, new) == {"transaction": ElementChanges(changed=1, moved=1)}


def test_the_names_are_those_the_report_always_gave() -> None:
    new = _activity(TITLE, _tx("2", "100"), _tx("3", "25"), _tx("3", "50"),
                    updated="2021-01-01T00:00:00")
    assert list(element_changes(OLD, new)) == changed_elements(OLD, new) == [
        "@last-updated-datetime", "budget", "transaction"]
    assert element_changes(OLD, new)["budget"] == ElementChanges(removed=1, single=True)


def test_the_report_line_counts_each_element_in_the_readers_language() -> None:
    report = IatiImport(version="2.03", updated=1, changed={"XM-1": ["budget", "title",
                                                                     "transaction"]},
                        changes={"XM-1": {
                            "budget": ElementChanges(added=2),
                            "title": ElementChanges(changed=1, single=True),
                            "transaction": ElementChanges(removed=1, changed=5, moved=1)}})
    line = "changed XM-1: 2 budget elements added, title changed, 1 transaction element " \
           "removed, 5 transaction elements changed, 1 transaction element moved"
    assert [str(x) for x in report_lines(report)][1:] == [line]
    with i18n.using("fr"):
        assert str(report_lines(report)[1]) == (
            "modifié XM-1 : 2 éléments budget ajoutés, title : modifié, 1 élément "
            "transaction supprimé, 5 éléments transaction modifiés, 1 élément transaction "
            "déplacé")
    with i18n.using("ru"):
        assert str(report_lines(report)[1]) == (
            "изменено XM-1: добавлено 2 элемента budget, title: изменён, удалён 1 элемент "
            "transaction, изменено 5 элементов transaction, перемещён 1 элемент transaction")
    # a report made without the counts still names the elements
    assert str(report_lines(IatiImport(changed={"XM-1": ["budget", "title"]}))[1]) == (
        "changed XM-1: budget, title")


def _edited_dfid() -> bytes:
    data = DFID_BS.read_bytes()
    assert data.count(SECOND_TRANSACTION) == 1 and data.count(BUDGET_VALUE) == 1
    return data.replace(SECOND_TRANSACTION, b"").replace(
        BUDGET_VALUE, BUDGET_VALUE.replace(b">85225<", b">90000<"))


def test_reimporting_dfids_file_with_a_transaction_removed_and_a_budget_edited(
        session: Session) -> None:
    first = _import(session, DFID_BS.read_bytes())
    assert first.created == 2
    report = _import(session, _edited_dfid())
    assert (report.created, report.updated, report.unchanged) == (0, 2, 1)
    assert report.changed == {COMPONENT: ["budget", "transaction"]}
    assert report.changes == {COMPONENT: {
        "budget": ElementChanges(changed=1, single=True),
        "transaction": ElementChanges(removed=1)}}
    assert [str(x) for x in report_lines(report)][:2] == [
        "IATI 2.03: 0 created, 2 updated (1 of them unchanged)",
        f"changed {COMPONENT}: budget changed, 1 transaction element removed"]


def test_the_api_answer_counts_the_changes(tf_client: TestClient, tf_db: Database) -> None:
    username, _ = create_user(tf_db, "analyst", "tntd-spmu")
    token = login(tf_client, username)
    answers = [tf_client.post("/api/v1/programmes/import/iati",
                              headers={"X-CSRF-Token": token},
                              files={"file": ("dfid-bs.xml", data, "application/xml")})
               for data in (DFID_BS.read_bytes(), _edited_dfid())]
    assert [a.status_code for a in answers] == [200, 200], answers[1].text
    again = answers[1].json()
    assert again["changed"] == {COMPONENT: ["budget", "transaction"]}
    assert again["changes"] == {COMPONENT: {
        "budget": {"added": 0, "removed": 0, "changed": 1, "moved": 0},
        "transaction": {"added": 0, "removed": 1, "changed": 0, "moved": 0}}}


def test_an_organisation_file_again_counts_its_changes_too(session: Session) -> None:
    # ARES's file again with its 2019 budget dropped and its 2021 one revised
    ares = (PUBLISHED / "ares-org.xml").read_bytes()
    dropped = (b'    <total-budget status="1">\n      <period-start iso-date="2019-01-01"/>\n'
               b'      <period-end iso-date="2019-12-31"/>\n      <value currency="EUR" '
               b'value-date="2017-01-01">30898289</value>\n    </total-budget>\n')
    assert ares.count(dropped) == 1 and ares.count(b">27886382<") == 1
    first = _import_organisations(session, ares)
    report = _import_organisations(
        session, ares.replace(dropped, b"").replace(b">27886382<", b">27000000<"))
    assert (first.created, report.updated, report.unchanged) == (1, 1, 0)
    assert report.changed == {"BE-BCE_KBO-0546740696": ["total-budget"]}
    assert report.changes == {"BE-BCE_KBO-0546740696": {
        "total-budget": ElementChanges(removed=1, changed=1)}}
    assert [str(x) for x in organisation_report_lines(report)] == [
        "changed BE-BCE_KBO-0546740696: 1 total-budget element removed, "
        "1 total-budget element changed"]



def _refuse_the_first_activity_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The register's writes refuse the file's first activity once, after the batch's rows
    were written (a late refusal, activity by activity)."""
    written, calls = exchange.write_parts, []

    def refusing(*args: Any, **kw: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise InputError.single("/iati-activities/iati-activity[1]/title", "refused late")
        written(*args, **kw)

    monkeypatch.setattr(exchange, "write_parts", refusing)


def test_a_child_is_not_linked_under_its_parents_rolled_back_row(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The retry writes the child alone: its parent's row was rolled back, and SQLite gives
    that id out again, so the hierarchy must forget it with the batch."""
    _refuse_the_first_activity_once(monkeypatch)
    report = _import(session, RICH.read_bytes(), mode="each")
    assert [str(p) for p in report.rejected][:1] == [
        "/iati-activities/iati-activity[1]/title: refused late"]
    [child] = session.scalars(select(Activity)).all()
    assert (child.identifier, report.ids) == ("AA-AAA-123456789-ABC124", [child.id])
    assert child.parent_id is None


def test_a_batch_refused_late_leaves_no_change_in_the_report(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    data = RICH.read_bytes()
    _import(session, data)
    _refuse_the_first_activity_once(monkeypatch)
    report = _import(session, data.replace(b"drug trafficking and money laundering</",
                                           b"drug trafficking and money laundering, again</",
                                           1), mode="each")
    assert [str(p) for p in report.rejected][:1] == [
        "/iati-activities/iati-activity[1]/title: refused late"]
    assert report.changed == report.changes == {}
    assert report.unchanged == 1
