"""The IATI Datastore's search answers in JSON and CSV: each document's ``iati_xml`` read
as its activity, under its ``dataset_iati_version``.

The answers are made here the way the Datastore makes them (IATI/refresher ``lakify.py``:
each ``iati-activity`` of a publisher's file serialised on its own with lxml, and
``solrize.py``: a Solr document with it as ``iati_xml`` and the file's version as
``dataset_iati_version``), from real publishers' files of three versions kept in
``tests/fixtures/iati/published`` (see its ``SOURCES.md``).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import create_user, login
from tests.taskforce.iati.test_round_trip import _export, _import, semantic_diff
from tocsin import limits
from tocsin.errors import InputError
from tocsin.limits import TooLarge
from tocsin.store.database import Database
from tocsin.taskforce.iati.reader import read_activities
from tocsin.taskforce.iati.tables import IatiRecord
from tocsin.taskforce.programmes.tables import Activity
from tocsin.taskforce.programmes.vocabulary import Vocabulary

PUBLISHED = Path(__file__).parents[2] / "fixtures" / "iati" / "published"
#: Real files of three versions, with identifiers of their own (no two files share one).
FILES = {"MAEC_IATI_INDONESIA-excerpt.xml": "2.01", "zimmzimm-activities.xml": "2.02",
         "example_activity_203_purchase_of_equity.xml": "2.03"}
NOTE = ("/response/docs: an IATI Datastore answer (JSON): the iati_xml of each of its "
        "documents read as an activity under its dataset_iati_version; iati-activity[n] "
        "below is its n-th document")


def _docs() -> list[dict[str, Any]]:
    """Solr documents as the Datastore indexes them: a few flattened fields, the
    activity's own XML and the version of the file it came from."""
    docs = []
    for name, version in FILES.items():
        root = etree.parse(str(PUBLISHED / name)).getroot()
        assert root.get("version") == version
        for activity in root.iter("iati-activity"):
            docs.append({
                "iati_identifier": activity.findtext("iati-identifier").strip(),
                "title_narrative": [t.text for t in activity.iterfind("title/narrative")],
                "dataset_iati_version": version,
                "iati_xml": etree.tostring(activity, encoding="utf-8").decode(),
            })
    return docs


def _published() -> bytes:
    """The same activities in one iati-activities, to compare the export with."""
    root = etree.Element("iati-activities")
    for name in FILES:
        root.extend(etree.parse(str(PUBLISHED / name)).getroot().iter("iati-activity"))
    return etree.tostring(root)


def _json(docs: list[dict[str, Any]], found: int | None = None) -> bytes:
    return json.dumps({
        "responseHeader": {"status": 0, "QTime": 3, "params": {
            "q": "reporting_org_ref:*", "fl": "iati_identifier,title_narrative,"
            "dataset_iati_version,iati_xml", "wt": "json"}},
        "response": {"numFound": found or len(docs), "start": 0, "numFoundExact": True,
                     "docs": docs}}, indent=2).encode()


def _csv(docs: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    names = ["iati_identifier", "title_narrative", "dataset_iati_version", "iati_xml"]
    writer = csv.DictWriter(out, names, lineterminator="\n")
    writer.writeheader()
    for doc in docs:  # Solr's CSV writer joins a multi-valued field's values with commas
        writer.writerow({**doc, "title_narrative": ",".join(doc["title_narrative"])})
    return out.getvalue().encode()


def _versions(session: Session) -> dict[str, str]:
    rows = session.execute(select(Activity.identifier, IatiRecord.version)
                           .join(IatiRecord, IatiRecord.activity_id == Activity.id))
    return {identifier: version for identifier, version in rows}


@pytest.mark.parametrize("form", ["JSON", "CSV"])
def test_an_answer_imports_each_activity_under_its_version_and_loses_nothing(
        session: Session, form: str) -> None:
    docs = _docs()
    data = _json(docs) if form == "JSON" else _csv(docs)
    report = _import(session, data)
    assert (report.created, report.rejected) == (8, [])
    note = NOTE if form == "JSON" else NOTE.replace("/response/docs", "/").replace(
        "(JSON)", "(CSV)")
    assert note in [str(n) for n in report.notes]
    assert _versions(session) == {d["iati_identifier"]: d["dataset_iati_version"]
                                  for d in docs}
    # the register holds each activity as its publisher wrote it: the export gives them back
    assert semantic_diff(_published(), _export(session)) == []


def test_the_same_activities_read_from_their_files_and_from_an_answer_agree() -> None:
    vocab = Vocabulary()
    answer = read_activities(io.BytesIO(_json(_docs())), vocab)
    files = [read_activities(PUBLISHED / name, vocab) for name in FILES]
    assert [a.identifier for a in answer.activities] == [
        a.identifier for f in files for a in f.activities]
    assert answer.activities == [a for f in files for a in f.activities]
    assert sorted(w.reason for w in answer.warnings) == sorted(
        w.reason for f in files for w in f.warnings)


def test_a_page_of_a_larger_answer_says_so() -> None:
    read = read_activities(io.BytesIO(_json(_docs()[:3], found=25_310)), Vocabulary())
    assert len(read.activities) == 3
    assert ("/response: this answer is one page of a larger one: documents 1 to 3 of the "
            "25,310 its query found; the others are not in it") in [str(n) for n in read.notes]


def test_the_bare_list_of_documents_is_read_too() -> None:
    read = read_activities(io.BytesIO(json.dumps(_docs()).encode()), Vocabulary())
    assert (len(read.activities), read.problems) == (8, [])


def test_an_answer_without_iati_xml_is_refused_with_what_to_ask_for(session: Session) -> None:
    docs = [{k: v for k, v in d.items() if k != "iati_xml"} for d in _docs()]
    with pytest.raises(InputError) as refused:
        _import(session, _json(docs))
    assert [str(p) for p in refused.value.problems] == [
        "/response/docs: this IATI Datastore answer holds no iati_xml: ask the Datastore "
        "for it (fl=iati_xml,dataset_iati_version); its other fields do not hold whole "
        "activities"]
    assert session.scalars(select(Activity)).all() == []


def test_broken_documents_are_named_and_the_others_read_one_by_one(session: Session) -> None:
    docs = _docs()
    docs[1]["iati_xml"] = docs[1]["iati_xml"][:-20]  # cut short
    del docs[4]["iati_xml"]
    docs[6]["iati_xml"] = "<iati-organisation/>"
    docs[2]["dataset_iati_version"] = "2.0\x013"
    docs[3]["iati_xml"] = docs[3]["iati_xml"].replace("Personas", "\ud800")
    with pytest.raises(InputError) as refused:  # all or nothing: nothing written
        _import(session, _json(docs))
    assert session.scalars(select(Activity)).all() == []
    report = _import(session, _json(docs), mode="each")
    assert report.created == 3
    rejected = [str(p) for p in report.rejected]
    assert rejected == [str(p) for p in refused.value.problems]
    assert rejected[0].startswith("/response/docs[2]/iati_xml: not well-formed XML: ")
    assert rejected[1:] == [
        "/response/docs[3]/dataset_iati_version: '2.0\\x013' is not an IATI version; the "
        "activity is not read",
        "/response/docs[4]/iati_xml: not well-formed XML: not Unicode text",
        "/response/docs[7]/iati_xml: holds 'iati-organisation', not an iati-activity",
        "/response/docs[5]: this document of the IATI Datastore answer has no iati_xml: its "
        "activity cannot be read"]


def test_what_is_not_an_answer_says_where_and_why() -> None:
    vocab = Vocabulary()
    bad = read_activities(io.BytesIO(b'{"response": {"docs": [\n{"iati_xml": }]}}'), vocab)
    assert [str(p) for p in bad.problems] == [
        "line 2: this IATI Datastore answer is not valid JSON: Expecting value (column 14)"]
    other = read_activities(io.BytesIO(b'{"activities": []}'), vocab)
    assert [str(p) for p in other.problems] == [
        "/response/docs: a JSON file is read as an IATI Datastore answer (its activities in "
        "response.docs, each with iati_xml); this one has no response.docs"]
    # the first Datastore's JSON, its activities converted element by element
    first = read_activities(io.BytesIO(
        b'{"iati-activities": [{"iati-activity": {"iati-identifier": "XM-1"}, '
        b'"iati-extra:version": "2.01"}], "limit": 50, "ok": true, "start": 0, '
        b'"total-count": 1}'), vocab)
    assert [str(p) for p in first.problems] == [
        "/iati-activities: this is the first IATI Datastore's JSON answer (activity.json), "
        "in which the activities are converted to JSON and cannot be read back as "
        "published: ask it for activity.xml, which is read whole"]
    assert first.activities == []
    latin = '[\n{"iati_xml": "é"}]'.encode("latin-1")
    with pytest.raises(InputError) as refused:  # refused as a whole, as an oversized one
        read_activities(io.BytesIO(latin), vocab)
    assert [str(p) for p in refused.value.problems] == [
        "this IATI Datastore answer (JSON): line 2: not UTF-8 text (byte 0xe9 at position 15)"]


def test_an_answer_uploaded_on_the_programmes_page(tf_client: TestClient,
                                                   tf_db: Database) -> None:
    username, _ = create_user(tf_db, "analyst", "tntd-spmu")
    token = login(tf_client, username)
    page = tf_client.get("/programmes").text
    assert "an IATI Datastore answer (.json, .csv)" in page
    done = tf_client.post("/programmes/import",
                          data={"kind": "iati", "mode": "each", "csrf_token": token},
                          files={"file": ("select.json", _json(_docs()[:3], found=40),
                                          "application/json")})
    assert done.status_code == 200, done.text
    assert "3 created" in done.text
    assert "documents 1 to 3 of the 40 its query found" in done.text


def test_an_answer_over_the_size_read_at_once_is_refused(tmp_path: Path) -> None:
    data = _json(_docs())
    (tmp_path / "select.json").write_bytes(data)
    with limits.override(archive_max_unpacked_bytes=len(data) - 1):
        for source in (io.BytesIO(data), tmp_path / "select.json"):
            with pytest.raises(TooLarge) as refused:
                read_activities(source, Vocabulary())
            assert str(refused.value.problems[0]) == (
                f"/: this IATI Datastore answer is larger than {len(data) - 1:,} bytes, the "
                "most read at once: ask the Datastore for it in pages (rows, cursorMark)")
    with limits.override(archive_max_unpacked_bytes=len(data)):
        assert len(read_activities(io.BytesIO(data), Vocabulary()).activities) == 8
