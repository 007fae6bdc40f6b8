"""IATI files downloaded from portals (d-portal, the IATI Datastore, IATI.cloud).

Their root ``iati-activities`` declares no version; each activity carries the version
of the file it came from in the portal's own attribute (``iati-extra:version``,
``iati-activities:version``, or the root's ``version`` copied onto it), with other
attributes of the portal (``dstore:dataset``, ``dstore:index`` …). Each activity is
read as the version it declares; one declaring none only if it is valid 2.03. The
portal's attributes are noted, not kept and not written back. The IATI Datastore API's
answer (``result``, ``ok``, then ``iati-activities`` with its ``query``) is read the
same way, its wrapper noted; organisation files from portals as well.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.taskforce.iati.outline import outline
from tests.taskforce.iati.test_published_files import _round_trip, _strings
from tests.taskforce.iati.test_round_trip import _export, _import, semantic_diff
from tests.taskforce.programmes.factory import principal
from tocsin import limits
from tocsin.access.principal import Principal
from tocsin.errors import InputError
from tocsin.reference.registry import load_registry
from tocsin.taskforce.iati.exchange import report_lines
from tocsin.taskforce.iati.organisations import OrganisationImport, import_organisations
from tocsin.taskforce.iati.reader import (
    PORTAL_NAMESPACES,
    ReadResult,
    iter_batches,
    read_activities,
)
from tocsin.taskforce.iati.scan import Scan
from tocsin.taskforce.iati.schema import safe_parser, schema_errors
from tocsin.taskforce.iati.tables import IatiOrganisation, IatiRecord
from tocsin.taskforce.programmes.tables import Activity
from tocsin.taskforce.programmes.vocabulary import Vocabulary

FIXTURES = Path(__file__).parents[2] / "fixtures" / "iati"
PORTAL = FIXTURES / "portal_download.xml"
AWARE = FIXTURES / "published" / "aware-dportal-excerpt.xml"
DFLAT = FIXTURES / "published" / "dportal-dflat-excerpt.xml"
ANSWER = FIXTURES / "datastore_answer.xml"
ORGANISATIONS = FIXTURES / "portal_organisations.xml"
VOCAB = Vocabulary.from_registry(load_registry())


def _at(i: int, rest: str = "") -> str:
    return f"/iati-activities/iati-activity[{i}]{rest}"


def _metadata(i: int, names: str) -> str:
    return (f"{_at(i)}: {names}: portal metadata, not IATI data; not kept, not written back "
            "on export")


def _without(data: bytes, identifiers: set[str], root_copies: bool = False) -> bytes:
    """The file without the given activities and without the portal's attributes: what an
    export of it must equal (``root_copies``: the root's attributes copied onto each
    activity go too)."""
    root = etree.fromstring(data, safe_parser(remove_comments=True))
    for activity in list(root):
        if activity.findtext("iati-identifier") in identifiers:
            root.remove(activity)
            continue
        for name in list(activity.attrib):
            namespace = name[1:].partition("}")[0] if name[0] == "{" else ""
            if namespace in PORTAL_NAMESPACES or (
                    root_copies and name in ("version", "generated-datetime", "dataset")):
                del activity.attrib[name]
    return etree.tostring(root)


# What the hand-written download holds, one activity per case (see the file's comment).
PORTAL_VERSIONS = {"XX-PORTAL-201": "2.01", "XX-PORTAL-202": "2.02", "XX-PORTAL-203": "2.03",
                   "XX-PORTAL-NONE": "2.03"}
PORTAL_REFUSED = [
    f"{_at(4)}: IATI version '1.05' is not read; export the file as version 2.0x",
    f"{_at(6)}: no version on the file or on the activity, and it is not valid 2.03: an "
    "activity without a version is read only as valid 2.03",
    f"{_at(6, '/activity-status')}: activity-status is not allowed at this place: the schema "
    "expects one of description, participating-org here (schema: Element 'activity-status': This "
    "element is not expected. Expected is one of ( description, participating-org ).)",
]
PORTAL_NOTES = [
    f"{_at(1)}: read as 2.01 (version on the activity, @iati-extra:version)",
    _metadata(1, "@iati-extra:version"),
    f"{_at(2)}: read as 2.02 (version on the activity, @iati-activities:version)",
    _metadata(2, "@dstore:dataset, @dstore:index, @iati-activities:version"),
    f"{_at(3)}: read as 2.03 (version on the activity, @iati-extra:version)",
    _metadata(3, "@iati-extra:version"),
    _metadata(4, "@iati-extra:version"),
    f"{_at(5)}: read as 2.03 (no version on the file or on the activity; it is valid 2.03)",
]


def test_a_portal_download_is_refused_whole_for_its_unreadable_activities(
        session: Session) -> None:
    with pytest.raises(InputError) as caught:
        _import(session, PORTAL.read_bytes())
    assert _strings(caught.value.problems) == PORTAL_REFUSED
    assert session.scalars(select(IatiRecord)).all() == []


def test_a_portal_download_is_read_activity_by_activity_as_each_declares(
        session: Session) -> None:
    data = PORTAL.read_bytes()
    report = _import(session, data, mode="each")
    assert (report.version, report.created, _strings(report.rejected)) == (
        "", 4, PORTAL_REFUSED)
    assert _strings(report.notes) == PORTAL_NOTES
    assert str(report_lines(report)[0]) == "IATI (version per activity): 4 created, 0 updated"
    # the register keeps the version each activity was read as, and its copy without the
    # portal's attributes
    stored = dict(session.execute(select(Activity.identifier, IatiRecord.version).join(
        IatiRecord, IatiRecord.activity_id == Activity.id)).all())
    assert stored == PORTAL_VERSIONS
    for xml in session.scalars(select(IatiRecord.xml)):
        assert "dstore" not in xml and "iati-extra:version" not in xml
        assert "iati-activities:version" not in xml
    exported = _round_trip(session, _without(data, {"XX-PORTAL-105", "XX-PORTAL-INVALID"}),
                           report)
    assert b"dstore" not in exported and b"iati-extra" not in exported


def test_an_activity_is_checked_against_the_version_it_declares(session: Session) -> None:
    # the 2.03 activity with its tag, declared 2.01: the 2.01 schema has no tag
    data = PORTAL.read_bytes().replace(b'iati-extra:version="2.03"',
                                       b'iati-extra:version="2.01"')
    report = _import(session, data, mode="each")
    assert _strings(report.rejected)[0].startswith(
        f"{_at(3, '/tag')}: tag is not allowed at this place")
    assert f"{_at(3)}: read as 2.01 (version on the activity, @iati-extra:version)" in (
        _strings(report.notes))
    assert report.created == 3


def _only(data: bytes, position: int, root: bytes) -> bytes:
    """One activity of the download inside another root start tag."""
    starts = [m.start() for m in re.finditer(rb"  <iati-activity[ >]", data)]
    end = data.index(b"</iati-activity>", starts[position - 1]) + len(b"</iati-activity>\n")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + root + b"\n" + (
        data[starts[position - 1]:end]) + b"</iati-activities>\n"


@pytest.mark.parametrize("root", [b"<iati-activities>", b'<iati-activities version="2.03">'])
def test_d_portal_s_attributes_are_taken_off_whatever_the_root_says(
        session: Session, root: bytes) -> None:
    # d-portal's activity declares its namespaces itself: read without the root's (the
    # scan parses it on its own); with a root version (d-portal writes 2.03 on its
    # root nowadays) that version is the activity's, and nothing says "read as"
    data = _only(PORTAL.read_bytes(), 2, root)
    report = _import(session, data)
    assert (report.created, report.rejected) == (1, [])
    metadata = _metadata(1, "@dstore:dataset, @dstore:index, @iati-activities:version")
    read_as = f"{_at(1)}: read as 2.02 (version on the activity, @iati-activities:version)"
    assert _strings(report.notes) == (
        [read_as, metadata] if root == b"<iati-activities>" else [metadata])
    assert session.scalars(select(IatiRecord.version)).one() == (
        "2.02" if root == b"<iati-activities>" else "2.03")
    _round_trip(session, _without(data, set()), report)


def test_the_root_s_own_attributes_on_an_activity_count_only_without_a_root_version() -> None:
    # the root's version copied onto an activity, as d-portal once did: beside a root
    # version it is the publisher's and the schema refuses it, as before
    data = _only(PORTAL.read_bytes(), 5, b'<iati-activities version="2.03">').replace(
        b'<iati-activity xml:lang="en"', b'<iati-activity version="2.03" xml:lang="en"')
    result = read_activities(io.BytesIO(data), VOCAB)
    assert _strings(result.problems) == [
        f"{_at(1)}: @version is not allowed on iati-activity (schema: Element 'iati-activity', "
        "attribute 'version': The attribute 'version' is not allowed.)"]


def test_an_empty_version_on_an_activity_is_no_version() -> None:
    data = PORTAL.read_bytes().replace(b'iati-extra:version="2.03"', b'iati-extra:version=" "')
    notes = _strings(read_activities(io.BytesIO(data), VOCAB).notes)
    assert (f"{_at(3)}: read as 2.03 (no version on the file or on the activity; it is valid "
            "2.03)") in notes
    assert _metadata(3, "@iati-extra:version") in notes


def test_the_ordinary_reading_reads_a_download_as_the_scan_does() -> None:
    # a processing instruction between two activities: the scan cannot vouch for the
    # file, which is parsed whole (each activity inside the root, with its namespaces)
    data = PORTAL.read_bytes()
    odd = data.replace(b"</iati-activity>\n  <iati-activity iati-extra:version=\"2.03\"",
                       b"</iati-activity><?portal x?>\n  <iati-activity "
                       b"iati-extra:version=\"2.03\"", 1)
    assert odd != data

    def seen(result: ReadResult) -> tuple[object, ...]:
        return (_strings(result.problems), _strings(result.notes),
                {k: (v.version, dict(etree.fromstring(v.xml.encode()).attrib))
                 for k, v in result.iati.items()})

    assert seen(read_activities(io.BytesIO(odd), VOCAB)) == seen(
        read_activities(io.BytesIO(data), VOCAB))


def _many(data: bytes, copies: int) -> bytes:
    head, rest = data.split(b"\n  <iati-activity", 1)
    body = b"\n  <iati-activity" + rest[:rest.rindex(b"</iati-activities>")]
    out = [head]
    for i in range(copies):
        out.append(body.replace(b"<iati-identifier>XX-PORTAL-",
                                f"<iati-identifier>XX-PORTAL-{i}-".encode()))
    return b"".join(out) + b"</iati-activities>\n"


@pytest.mark.parametrize("odd", [False, True])
def test_worker_processes_read_a_download_as_one_process_does(tmp_path: Path,
                                                              odd: bool) -> None:
    data = _many(PORTAL.read_bytes(), 8)
    if odd:
        # read the ordinary way: each activity is serialised for the workers, which send
        # back the copy they made without the portal's attributes (they once sent none, and
        # the attributes stayed in the register)
        data = data.replace(b"</iati-activity>\n", b"</iati-activity><?x?>\n", 1)
    path = tmp_path / "download.xml"
    path.write_bytes(data)

    def read(workers: int) -> list[tuple[Any, ...]]:
        with limits.override(import_workers=workers):
            return [outline(batch) for batch in iter_batches(path, VOCAB, size=5)]

    alone = read(1)
    assert sum(len(batch[1]) for batch in alone) == 8 * 4
    assert read(2) == alone


# --- a real download -----------------------------------------------------------------------

# The EU's AWARE programme (European Commission, DEVCO) as d-portal's XML download gave it
# in 2019: no version on the root, the root's version and generated-datetime copied onto
# the activity. Its planned disbursements start in the year 20191900 (valid xs:date).
AWARE_READ_AS = [f"{_at(1)}: read as 2.02 (version on the activity, @version)",
                 _metadata(1, "@generated-datetime, @version")]
AWARE_DATE = (f"{_at(1, '/planned-disbursement[1]/period-start')}: @iso-date '20191900-01-01' "
              "is not a date (YYYY-MM-DD)")


def test_a_real_d_portal_download_is_read_as_the_version_it_gives_its_activity(
        session: Session) -> None:
    data = AWARE.read_bytes()
    assert b"\r\n" in data  # kept with its source's line ends
    with pytest.raises(InputError) as caught:
        _import(session, data)
    assert _strings(caught.value.problems) == [AWARE_DATE]
    report = _import(session, data, mode="each")
    assert (report.created, _strings(report.rejected)) == (0, [AWARE_DATE])
    assert _strings(report.notes) == AWARE_READ_AS
    assert session.scalars(select(IatiRecord)).all() == []


def test_the_real_download_with_its_dates_corrected_imports_and_comes_back(
        session: Session) -> None:
    data = AWARE.read_bytes()
    assert data.count(b'iso-date="20191900-01-01"') == 4
    data = data.replace(b'iso-date="20191900-01-01"', b'iso-date="2017-01-01"')
    report = _import(session, data)
    assert (report.version, report.created, report.rejected) == ("", 1, [])
    assert _strings(report.notes)[:2] == AWARE_READ_AS
    assert session.scalars(select(IatiRecord.version)).one() == "2.02"
    exported = _round_trip(session, _without(data, set(), root_copies=True), report)
    assert b'version="2.02"' not in exported and b"generated-datetime" not in exported
    assert _export(session) == exported


# d-portal's download as its own repository keeps it (2019-2020): each activity also
# carries the name of the Registry dataset it came from, as a plain @dataset. Oxfam GB in
# Mali (2.02), two of the European Commission's contracts in Congo (2.02), the Gates
# Foundation's grant to the WHO's Ebola science group (2.03).
DFLAT_IDS = ["GB-CHC-202918-MLIB06", "XI-IATI-EC_DEVCO-2007/191-971",
             "XI-IATI-EC_DEVCO-2008/190-916", "DAC-1601-OPP1122378"]
# the second contract ended (13 January 2010) before it started (30 September 2010)
DFLAT_REFUSED = [f"{_at(3, '/activity-date[4]')}: actual end 2010-01-13 is before actual "
                 "start 2010-09-30"]
SLASH = "identifiers may not contain / & | or ?"


def test_d_portal_s_dataset_attribute_is_portal_metadata(session: Session) -> None:
    data = DFLAT.read_bytes()
    assert data.count(b' dataset="') == 4
    with pytest.raises(InputError) as caught:
        _import(session, data)
    assert _strings(caught.value.problems) == DFLAT_REFUSED
    report = _import(session, data, mode="each")
    # every activity was refused for its @dataset ("The attribute 'dataset' is not
    # allowed") until this test: a portal's, not the publisher's
    assert (report.version, report.created, _strings(report.rejected)) == (
        "", 3, DFLAT_REFUSED)
    read_as = [("2.02", "@dataset, @generated-datetime, @version")] * 3 + [
        ("2.03", "@dataset, @version, @generated-datetime")]
    assert [n for n in _strings(report.notes) if "portal metadata" in n or "read as" in n] == [
        line for i, (version, names) in enumerate(read_as, 1) for line in (
            f"{_at(i)}: read as {version} (version on the activity, @version)",
            _metadata(i, names))]
    assert f"{_at(1, '/recipient-region')}: a recipient region with an empty code: kept as " \
        "published, not a recipient" in _strings(report.notes)
    assert _strings(report.warnings) == [
        f"{_at(2, '/iati-identifier')}: {SLASH} ('XI-IATI-EC_DEVCO-2007/191-971')",
        f"{_at(2, '/participating-org[4]')}: {SLASH} ('N/A')",
        f"{_at(3, '/activity-date[2]')}: the actual end is before the actual start",
        f"{_at(3, '/iati-identifier')}: {SLASH} ('XI-IATI-EC_DEVCO-2008/190-916')",
        f"{_at(3, '/participating-org[4]')}: {SLASH} ('N/A')"]
    # only what the three imported activities keep (the refused contract's twelve policy
    # markers were counted too, as if written back)
    assert (report.preserved["policy-marker"], report.preserved["contact-info"]) == (12, 3)
    assert sorted(session.scalars(select(IatiRecord.version)).all()) == ["2.02", "2.02", "2.03"]
    exported = _export(session)
    assert schema_errors(etree.fromstring(exported)) == []
    assert b"dataset=" not in exported and b"generated-datetime" not in exported
    assert semantic_diff(_without(data, {DFLAT_IDS[2]}, root_copies=True), exported) == []


# --- the IATI Datastore API's answer ---------------------------------------------------------

def _in(i: int, rest: str = "") -> str:
    return f"/result/iati-activities/iati-activity[{i}]{rest}"


def _unwrapped(data: bytes) -> bytes:
    """The answer's iati-activities without its query: the download inside the answer."""
    activities = etree.fromstring(data, safe_parser(remove_comments=True)).find(
        "iati-activities")
    assert activities is not None
    activities.remove(activities[0])
    return etree.tostring(activities)


WRAPPER = ("/result: /result/ok, /result/iati-activities/query: the portal's wrapper around "
           "the activities (an IATI Datastore answer), not IATI data; not kept")
ANSWER_VERSIONS = {"XX-STORE-201": "2.01", "XX-STORE-203": "2.03", "XX-STORE-NONE": "2.03"}
ANSWER_REFUSED = [f"{_in(4)}: IATI version '1.05' is not read; export the file as version 2.0x"]
ANSWER_NOTES = [
    WRAPPER,
    f"{_in(1)}: read as 2.01 (version on the activity, @iati-extra:version)",
    f"{_in(1)}: @iati-extra:version: portal metadata, not IATI data; not kept, not written "
    "back on export",
    f"{_in(2)}: read as 2.03 (version on the activity, @iati-extra:version)",
    f"{_in(2)}: @iati-extra:version: portal metadata, not IATI data; not kept, not written "
    "back on export",
    f"{_in(3)}: read as 2.03 (no version on the file or on the activity; it is valid 2.03)",
    f"{_in(4)}: @iati-extra:version: portal metadata, not IATI data; not kept, not written "
    "back on export",
]


def test_the_datastore_s_answer_is_refused_whole_for_its_unreadable_activity(
        session: Session) -> None:
    with pytest.raises(InputError) as caught:
        _import(session, ANSWER.read_bytes(), name="answer.xml")
    assert _strings(caught.value.problems) == ANSWER_REFUSED
    assert "answer.xml" in caught.value.summary
    assert session.scalars(select(IatiRecord)).all() == []


def test_the_datastore_s_answer_is_read_activity_by_activity_as_a_download(
        session: Session) -> None:
    data = ANSWER.read_bytes()
    report = _import(session, data, mode="each")
    assert (report.version, report.created, _strings(report.rejected)) == (
        "", 3, ANSWER_REFUSED)
    assert _strings(report.notes) == ANSWER_NOTES
    stored = dict(session.execute(select(Activity.identifier, IatiRecord.version).join(
        IatiRecord, IatiRecord.activity_id == Activity.id)).all())
    assert stored == ANSWER_VERSIONS
    for xml in session.scalars(select(IatiRecord.xml)):
        assert "iati-extra:version" not in xml and "<query" not in xml
    # the export is the activities inside the answer, as plain 2.03 without the wrapper
    exported = _round_trip(session, _without(_unwrapped(data), {"XX-STORE-105"}), report)
    assert b"iati-extra" not in exported and b"<result" not in exported
    assert b"<query" not in exported and b"<ok" not in exported


def test_the_datastore_s_answer_of_readable_activities_imports_whole(session: Session) -> None:
    data = ANSWER.read_bytes()
    cut = data.index(b"<iati-activity iati-extra:version=\"1.05\"")
    readable = data[:cut] + data[data.index(b"</iati-activity>", cut) + 16:]
    report = _import(session, readable)
    assert (report.version, report.created, report.rejected) == ("", 3, [])
    assert _strings(report.notes) == ANSWER_NOTES[:-1]
    assert str(report_lines(report)[0]) == "IATI (version per activity): 3 created, 0 updated"
    _round_trip(session, _without(_unwrapped(readable), set()), report)


def test_the_scan_reads_the_answer_inside_the_namespaces_of_its_result() -> None:
    # the Datastore declares iati-extra on result: without it no activity parses alone
    scan = Scan(io.BytesIO(ANSWER.read_bytes()))
    assert scan.start() == (b'<iati-activities xmlns:iati-extra="http://datastore.iatistandard'
                            b'.org/ns" generated-datetime=\'2025-03-01T10:00:00.218204\'>')
    activities = list(scan)
    assert [a[:32] for a in activities] == [b'<iati-activity iati-extra:versio'] * 2 + [
        b'<iati-activity xml:lang="en" def', b'<iati-activity iati-extra:versio']


REAL_ANSWER = FIXTURES / "published" / "dportal-datastore-answer-2014-excerpt.xml"
REAL_ANSWER_REFUSED = [
    "/result/iati-activities/iati-activity[1]: no version on the file or on the activity, and "
    "it is not valid 2.03: an activity without a version is read only as valid 2.03",
    "/result/iati-activities/iati-activity[1]/reporting-org: reporting-org is not allowed at this "
    "place: the schema expects iati-identifier here (schema: Element 'reporting-org': This element "
    "is not expected. Expected is ( iati-identifier ).)",
]


@pytest.mark.parametrize("mode", ["all", "each"])
def test_a_real_answer_of_the_first_datastore_is_read_as_an_answer(session: Session,
                                                                 mode: str) -> None:
    # the first IATI Datastore's answer of 2014 as d-portal keeps it for its tests (the
    # first of its fifty DFID activities): a stylesheet processing instruction before
    # result, the query of 12,634 activities, no version anywhere, the activity as 1.0x
    # wrote it (names as text, roles as words, iati-identifier after the organisations).
    # Read as an answer (the wrapper noted), its activity refused for what it is, by
    # XPath, in both modes, nothing written
    data = REAL_ANSWER.read_bytes()
    assert data.index(b"<?xml-stylesheet") < data.index(b"<result>")
    if mode == "all":
        with pytest.raises(InputError) as caught:
            _import(session, data)
        assert _strings(caught.value.problems) == REAL_ANSWER_REFUSED
    else:
        report = _import(session, data, mode="each")
        assert (report.created, _strings(report.rejected)) == (0, REAL_ANSWER_REFUSED)
        assert _strings(report.notes) == [WRAPPER]
    assert session.scalars(select(IatiRecord)).all() == []
    scan = Scan(io.BytesIO(data))
    assert scan.start() == b"<iati-activities generated-datetime='2014-02-03T05:38:04.060755'>"
    assert [a[:30] for a in scan] == [b'<iati-activity last-updated-da']


def _seen(result: ReadResult) -> tuple[object, ...]:
    return (_strings(result.problems), _strings(result.notes),
            {k: (v.version, v.xml) for k, v in result.iati.items()})


def test_the_ordinary_reading_reads_the_answer_as_the_scan_does() -> None:
    # a processing instruction between two activities: the scan cannot vouch for the file
    data = ANSWER.read_bytes()
    odd = data.replace(b"</iati-activity><iati-activity xml:lang",
                       b"</iati-activity><?store x?><iati-activity xml:lang", 1)
    assert odd != data
    plain = read_activities(io.BytesIO(data), VOCAB)
    assert len(plain.iati) == 3
    assert _seen(read_activities(io.BytesIO(odd), VOCAB)) == _seen(plain)


def _many_answered(data: bytes, copies: int) -> bytes:
    head, rest = data.split(b"</query>", 1)
    body = rest[:rest.rindex(b"</iati-activities>")]
    out = [head, b"</query>"]
    for i in range(copies):
        out.append(body.replace(b"<iati-identifier>XX-STORE-",
                                f"<iati-identifier>XX-STORE-{i}-".encode()))
    return b"".join(out) + b"</iati-activities></result>\n"


@pytest.mark.parametrize("odd", [False, True])
def test_worker_processes_read_the_answer_as_one_process_does(tmp_path: Path,
                                                              odd: bool) -> None:
    data = _many_answered(ANSWER.read_bytes(), 8)
    if odd:  # read the ordinary way: the workers get each activity serialised
        data = data.replace(b"</iati-activity><iati-activity", b"</iati-activity><?x?>"
                            b"<iati-activity", 1)
    path = tmp_path / "answer.xml"
    path.write_bytes(data)

    def read(workers: int) -> list[tuple[Any, ...]]:
        with limits.override(import_workers=workers):
            return [outline(batch) for batch in iter_batches(path, VOCAB, size=5)]

    alone = read(1)
    # the wrapper's note in a batch of its own, first
    assert _strings(alone[0][4]) == [WRAPPER]
    assert sum(len(batch[1]) for batch in alone) == 8 * 3
    assert read(2) == alone


@pytest.mark.parametrize(("change", "problem"), [
    ((b"<ok>True</ok>", b"<ok>False</ok>"),
     "/result/ok: this IATI Datastore answer says ok is 'False', not True: nothing in it is "
     "read"),
    ((b"<ok>True</ok>", b""),
     "/result: this IATI Datastore answer does not say it is ok (no ok element before "
     "iati-activities): nothing in it is read"),
])
def test_an_answer_that_is_not_ok_is_refused(session: Session, change: tuple[bytes, bytes],
                                             problem: str) -> None:
    data = ANSWER.read_bytes().replace(*change)
    with pytest.raises(InputError) as caught:
        _import(session, data, name="answer.xml")
    assert _strings(caught.value.problems) == [problem]
    assert str(caught.value.summary) == "1 problem in answer.xml; nothing was applied"
    report = _import(session, data, mode="each")
    assert (report.created, _strings(report.rejected)) == (0, [problem])


@pytest.mark.parametrize(("data", "problem"), [
    (b'<result><ok>True</ok></result>',
     "/result: this IATI Datastore answer holds no iati-activities: there is nothing to read"),
    (b'<result><ok>True</ok><iati-activities><query><total-count>0</total-count></query>'
     b'</iati-activities></result>',
     "/result/iati-activities: the file holds no iati-activity"),
])
def test_an_answer_without_activities_says_so(data: bytes, problem: str) -> None:
    assert _strings(read_activities(io.BytesIO(data), VOCAB).problems) == [problem]


@pytest.mark.parametrize(("after", "where"), [
    (b"<iati-activities><iati-activity/></iati-activities>", "/result/iati-activities[2]"),
    (b"<more/>", "/result/more[1]"),
])
def test_what_follows_the_activities_of_an_answer_is_refused(after: bytes,
                                                             where: str) -> None:
    data = ANSWER.read_bytes().replace(b"</iati-activities></result>",
                                       b"</iati-activities>" + after + b"</result>")
    result = read_activities(io.BytesIO(data), VOCAB)
    assert _strings(result.problems) == [
        *ANSWER_REFUSED, f"{where}: an IATI Datastore answer ends with its iati-activities: "
        "what follows is not read"]
    assert sorted(result.iati) == sorted(ANSWER_VERSIONS)
    # white space and comments there are nothing
    spaced = ANSWER.read_bytes().replace(b"</iati-activities></result>",
                                         b"</iati-activities>\n<!-- end -->\n</result>")
    assert _seen(read_activities(io.BytesIO(spaced), VOCAB)) == _seen(
        read_activities(io.BytesIO(ANSWER.read_bytes()), VOCAB))


# --- organisation files from portals ---------------------------------------------------------

def _org(i: int) -> str:
    return f"/iati-organisations/iati-organisation[{i}]"


ORGANISATION_NOTES = [
    f"{_org(1)}: read as 2.03 (version on the organisation, @iati-extra:version)",
    f"{_org(1)}: @iati-extra:version: portal metadata, not IATI data; not kept",
    f"{_org(2)}: read as 2.01 (version on the organisation, @version)",
    f"{_org(2)}: @version, @generated-datetime: portal metadata, not IATI data; not kept",
]


def _import_organisations(session: Session, data: bytes) -> OrganisationImport:
    return import_organisations(session, Principal.system(), io.BytesIO(data),
                                owner_unit_id=principal(session, "analyst").unit_id)


def test_a_portal_s_organisation_file_is_read_as_each_organisation_declares(
        session: Session) -> None:
    report = _import_organisations(session, ORGANISATIONS.read_bytes())
    assert (report.version, report.created, report.updated, report.warnings) == ("", 2, 0, [])
    assert _strings(report.notes) == ORGANISATION_NOTES
    stored = session.execute(select(IatiOrganisation.identifier, IatiOrganisation.version,
                                    IatiOrganisation.xml)).all()
    assert {row[0]: row[1] for row in stored} == {"AA-AAA-123456789": "2.03",
                                                  "AA-AAA-987654321": "2.01"}
    for _identifier, version, xml in stored:
        # kept as published without the portal's attributes, valid as its version
        element = etree.fromstring(xml.encode())
        assert "iati-extra" not in xml and element.get("version") is None
        assert element.get("generated-datetime") is None
        assert element.get("last-updated-datetime") == "2014-09-10T07:15:37Z"
        assert schema_errors(element, version, "organisations") == []
    # read as the examples are when their files declare the version
    assert report.preserved["document-link"] == 10


def test_a_portal_s_organisation_is_refused_for_its_version(session: Session) -> None:
    data = ORGANISATIONS.read_bytes()
    old = data.replace(b'version="2.01" generated', b'version="1.03" generated')
    with pytest.raises(InputError) as caught:
        _import_organisations(session, old)
    assert _strings(caught.value.problems) == [
        f"{_org(2)}: IATI version '1.03' is not read; export the file as version 2.0x"]
    # the 2.03 example declared 2.01: its 2.03 elements are refused by the 2.01 schema
    wrong = data.replace(b'iati-extra:version="2.03"', b'iati-extra:version="2.01"')
    with pytest.raises(InputError) as caught:
        _import_organisations(session, wrong)
    assert _strings(caught.value.problems)[0].startswith(f"{_org(1)}/")
    assert session.scalars(select(IatiOrganisation)).all() == []


def test_a_portal_s_organisation_without_a_version_is_read_only_if_valid_2_03(
        session: Session) -> None:
    data = ORGANISATIONS.read_bytes().replace(b' iati-extra:version="2.03"', b"")
    report = _import_organisations(session, data)
    assert _strings(report.notes)[0] == (
        f"{_org(1)}: read as 2.03 (no version on the file or on the organisation; it is "
        "valid 2.03)")
    assert session.scalars(select(IatiOrganisation.version).where(
        IatiOrganisation.identifier == "AA-AAA-123456789")).one() == "2.03"
    # an element no version of the schema has: not valid 2.03, so not read at all
    bad = data.replace(b"</name>", b"</name><unknown/>", 1)
    with pytest.raises(InputError) as caught:
        _import_organisations(session, bad)
    assert _strings(caught.value.problems)[0] == (
        f"{_org(1)}: no version on the file or on the organisation, and it is not valid "
        "2.03: an organisation without a version is read only as valid 2.03")
