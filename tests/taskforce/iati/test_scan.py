"""The scan of the raw bytes splits a file exactly, or says it cannot; both ways read the same."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from lxml.etree import XMLSyntaxError

from tests.bench_scripts import load_bench
from tests.taskforce.iati.outline import outline
from tocsin import limits
from tocsin.reference.registry import load_registry
from tocsin.taskforce.iati import reader
from tocsin.taskforce.iati.reader import iter_batches
from tocsin.taskforce.iati.scan import Scan, Unsure, parse, wrap
from tocsin.taskforce.iati.schema import safe_parser
from tocsin.taskforce.programmes.vocabulary import Vocabulary

VOCAB = Vocabulary.from_registry(load_registry())
SIZE = 12


def _split(data: bytes) -> tuple[bytes, list[bytes]]:
    scan = Scan(io.BytesIO(data))
    head = scan.start()
    return head, list(scan)


def test_the_scan_splits_at_the_real_ends_only() -> None:
    first = (b'<iati-activity x:a="1 > 2 /iati-activity> iati-activity" b=\'"\'>\r\n'
             b"  <!-- </iati-activity> <iati-activity> -->\n"
             b"  <title><narrative><![CDATA[<iati-activity></iati-activity>]]></narrative>"
             b"</title><?pi </iati-activity>?>\n"
             b"  <iati-activityish a='>'></iati-activityish >\n"
             b"</iati-activity >")
    second = b"<iati-activity\n  hierarchy='2'></iati-activity>"
    data = (b"\xef\xbb\xbf<?xml version='1.0' encoding='utf-8'?>\n<!-- <iati-activities> -->\n"
            b'<?style x="<iati-activity>"?>\n'
            b'<iati-activities version="2.03" xmlns:x="urn:x" note="a>b">\n  '
            + first + b"\r\n  <!-- between -->\n  " + second
            + b"\n</iati-activities >\n<!-- the end -->\n")
    head, activities = _split(data)
    assert head == b'<iati-activities version="2.03" xmlns:x="urn:x" note="a>b">'
    # each with the white space after it, comments between left out (as its parsed tail)
    assert activities == [first + b"\r\n  \n  ", second + b"\n"]
    element, copy = parse(head, activities[0],
                          safe_parser(remove_comments=True, remove_pis=True))
    assert copy is None  # inside the root's start tag: the caller serialises it
    assert element.get("{urn:x}a") == "1 > 2 /iati-activity> iati-activity"
    assert element.findtext("title/narrative") == "<iati-activity></iati-activity>"
    assert element.tail == "\n  \n  "


def test_an_activity_inside_another_is_left_to_the_parse() -> None:
    """Its end tag ends the bytes found with the outer activity open: they do not parse."""
    data = (b"<iati-activities><iati-activity><iati-activity a='1'></iati-activity>"
            b"\n</iati-activities>")
    head, activities = _split(data)
    assert activities == [b"<iati-activity><iati-activity a='1'></iati-activity>\n"]
    with pytest.raises(XMLSyntaxError):
        parse(head, activities[0], safe_parser())


def test_an_activity_alone_gets_its_copy_with_the_tail() -> None:
    """Without namespaces on the root, the copy is made as the element and its tail."""
    data = b"<iati-activities><iati-activity a='1'>x<b/><!--c--></iati-activity>\r\n \r\t"
    data += b"</iati-activities>"
    head, activities = _split(data)
    element, copy = parse(head, activities[0], safe_parser(remove_comments=True))
    assert copy == b'<iati-activity a="1">x<b/></iati-activity>\n \n\t'
    assert element.tag == "iati-activity" and element.getparent() is None
    within = etree.fromstring(wrap(head, activities[0]), safe_parser(remove_comments=True))
    assert copy == etree.tostring(within[0], encoding="UTF-8")


def test_a_file_split_across_many_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tags, comments and ends cut by the buffer's edges are found whole."""
    from tocsin.taskforce.iati import scan

    body = b"".join(b'<iati-activity n="%d"><!-- c --><a>x</a></iati-activity>\n' % i
                    for i in range(40))
    data = b'<iati-activities version="2.03">\n' + body + b"</iati-activities>"
    monkeypatch.setattr(scan, "BLOCK", 7)
    _, activities = _split(data)
    assert len(activities) == 40
    assert b"".join(activities) == body


@pytest.mark.parametrize("data", [
    # encodings other than UTF-8, a DOCTYPE
    b'<?xml version="1.0" encoding="ISO-8859-1"?><iati-activities></iati-activities>',
    '<iati-activities></iati-activities>'.encode("utf-16"),
    b'<!DOCTYPE x [<!ENTITY e "v">]><iati-activities></iati-activities>',
    # anything between the activities but white space and comments
    b"<iati-activities>text<iati-activity></iati-activity></iati-activities>",
    b"<iati-activities><iati-activity></iati-activity>&amp;</iati-activities>",
    b"<iati-activities><other/><iati-activity></iati-activity></iati-activities>",
    b"<iati-activities><iati-activity></iati-activity><?pi?></iati-activities>",
    b"<iati-activities><![CDATA[ ]]><iati-activity></iati-activity></iati-activities>",
    b"<iati-activities><!-- a -- b --><iati-activity></iati-activity></iati-activities>",
    # an activity in another one, an empty one
    b"<iati-activities><iati-activity><iati-activity></iati-activity></iati-activity>"
    b"</iati-activities>",
    b"<iati-activities><iati-activity/></iati-activities>",
    # not finished, or more than comments after the end
    b"<iati-activities><iati-activity></iati-activity>",
    b"<iati-activities><iati-activity><!-- </iati-activity>",
    b"<iati-activities></iati-activities><x/>",
    b"<iati-activities></iati-activities>&amp;",
    b"<iati-activities a=1></iati-activities>",
    b"<iati-activities><iati-activity a=1></iati-activity></iati-activities>",
    # the IATI Datastore's answer: a query other than first, more than the activities in the
    # answer, its start tag inside a comment
    b"<result><ok>True</ok><iati-activities><query/><query/></iati-activities></result>",
    b"<result><ok>True</ok><iati-activities><iati-activity></iati-activity><query/>"
    b"</iati-activities></result>",
    b"<result><ok>True</ok><iati-activities></iati-activities><x/></result>",
    b"<result><ok>True</ok><iati-activities></iati-activities></result><x/>",
    b"<result><!-- <iati-activities> --><iati-activities></iati-activities></result>",
    b"<result><ok>True</ok><iati-activities><query><query></query></query></iati-activities>"
    b"</result>",
])
def test_the_scan_says_when_it_cannot_vouch(data: bytes) -> None:
    with pytest.raises(Unsure):
        _split(data)


# --- the scan and the ordinary reading give the same -------------------------------------


def _read(path: Path, workers: int, scan: bool, monkeypatch: pytest.MonkeyPatch
          ) -> tuple[list[tuple[Any, ...]], bool]:
    """The batches, and whether the file was read the ordinary way (iterparse)."""
    ordinary: list[bool] = []
    iterparse = reader._iterparse

    def spy(source: Any) -> Any:
        ordinary.append(True)
        return iterparse(source)

    class Refused(Scan):
        def start(self) -> bytes:
            raise Unsure("refused for the test")

    with monkeypatch.context() as patch:
        patch.setattr(reader, "_iterparse", spy)
        if not scan:
            patch.setattr(reader, "Scan", Refused)
        with limits.override(import_workers=workers):
            out = [outline(batch) for batch in iter_batches(path, VOCAB, size=SIZE)]
    return out, bool(ordinary)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("iati") / "generated.xml"
    load_bench("iati_import").generate(path, 0.3)
    return path.read_bytes()


def _nth(data: bytes, what: bytes, n: int) -> int:
    at = -1
    for _ in range(n):
        at = data.index(what, at + 1)
    return at


def _insert(what: bytes, n: int, text: bytes, after: bool = False) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        at = _nth(data, what, n) + (len(what) if after else 0)
        return data[:at] + text + data[at:]
    return change


def _root_namespace(data: bytes) -> bytes:
    data = data.replace(b'<iati-activities version="2.03">',
                        b'<iati-activities version="2.03" xmlns:x="urn:tocsin:test">', 1)
    return data.replace(b"<iati-activity ", b'<iati-activity x:note="a > b" ', 3)


def _answer(data: bytes) -> bytes:
    """The file as the IATI Datastore's API answers: ``result``, ``ok``, the ``query``, no
    version on ``iati-activities`` and the activity's on each, its namespace on ``result``."""
    data = data.replace(
        b'<iati-activities version="2.03">',
        b'<result xmlns:iati-extra="http://datastore.iatistandard.org/ns">\n  <ok>True</ok>\n'
        b"  <iati-activities generated-datetime='2025-03-01T10:00:00'>\n    <query>"
        b"<total-count>9</total-count><start>0</start><limit>50</limit></query>", 1)
    data = data.replace(b"<iati-activity ", b'<iati-activity iati-extra:version="2.03" ')
    return data.replace(b"</iati-activities>", b"</iati-activities></result>", 1)


#: name → (change to the generated file, read by the scan, the problem expected)
VARIANTS: dict[str, tuple[Callable[[bytes], bytes], bool, str | None]] = {
    "as generated": (lambda data: data, True, None),
    "comments and a PI inside": (_insert(b"<title>", 3, b"<!-- </iati-activity> --><?p x?>",
                                         after=True), True, None),
    "CDATA with an end tag": (_insert(b"<narrative>", 5, b"<![CDATA[</iati-activity>]]>",
                                      after=True), True, None),
    "namespaces of the root": (_root_namespace, True, None),
    "CRLF line ends": (lambda data: data.replace(b"\n", b"\r\n"), True, None),
    "comments between": (lambda data: data.replace(b"</iati-activity>\n",
                                                   b"</iati-activity>\n  <!-- x -->\n"),
                         True, None),
    "another encoding": (lambda data: data.replace(b'encoding="UTF-8"',
                                                   b'encoding="ISO-8859-1"', 1)
                         .decode("utf-8").encode("latin-1"), False, None),
    "text between": (_insert(b"<iati-activity ", 20, b"stray text\n  "), False, None),
    "malformed inside": (_insert(b"<title>", 20, b"<bad attr=1/>"), False,
                         "AttValue: \" or ' expected"),
    "unknown entity": (_insert(b"<narrative>", 30, b"&unknown;", after=True), False,
                       "not well-formed XML"),
    "malformed between": (_insert(b"<iati-activity ", 25, b"</oops>\n  "), False,
                          "Opening and ending tag mismatch"),
    "cut short": (lambda data: data[:_nth(data, b"<iati-activity ", 28) + 300], False,
                  "not well-formed XML"),
    "more after the end": (lambda data: data + b"<x/>", False, "Extra content at the end"),
    # its end tag ends the bytes the scan finds: their parse fails, the file is read again
    "an activity inside another": (_insert(b"<title>", 10, b"<iati-activity><iati-identifier>"
                                           b"X</iati-identifier></iati-activity>"),
                                   False, "/iati-activities/iati-activity[3]/document-link/"),
    "the Datastore's answer": (_answer, True, None),
    "the Datastore's answer, comments at its end": (
        lambda data: _answer(data).replace(b"</iati-activities></result>",
                                           b"</iati-activities>\n<!-- x -->\n</result>\n"),
        True, None),
    "the Datastore's answer, a PI between": (
        lambda data: _insert(b"<iati-activity ", 20, b"<?p x?>\n  ")(_answer(data)), False,
        None),
    "the Datastore's answer, more after its activities": (
        lambda data: _answer(data).replace(b"</iati-activities></result>",
                                           b"</iati-activities><more/></result>"),
        False, "/result/more[1]"),
}


@pytest.mark.parametrize("name", list(VARIANTS))
@pytest.mark.parametrize("workers", [1, 2])
def test_both_ways_read_the_same(generated: bytes, name: str, workers: int, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    change, by_scan, problem = VARIANTS[name]
    path = tmp_path / "variant.xml"
    path.write_bytes(change(generated))
    scanned, fell_back = _read(path, workers, True, monkeypatch)
    ordinary, _ = _read(path, workers, False, monkeypatch)
    assert scanned == ordinary
    assert fell_back is not by_scan
    problems = [p for batch in scanned for p in batch[3]]
    if problem is None:
        assert problems == []
        assert sum(len(batch[1]) for batch in scanned) == generated.count(b"<iati-activity ")
    elif problem.startswith("/"):
        assert problems
        assert all(p.location.startswith(problem) for p in problems), problems
    else:
        assert len(problems) == 1
        assert problem in problems[0].reason
        assert problems[0].location.startswith("line ")


def test_the_line_of_an_error_is_the_file_line(generated: bytes, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    data = _insert(b"<title>", 20, b"<bad attr=1/>")(generated)
    line = data[:data.index(b"<bad attr=1/>")].count(b"\n") + 1
    path = tmp_path / "bad.xml"
    path.write_bytes(data)
    for workers in (1, 2):
        read, _ = _read(path, workers, True, monkeypatch)
        assert [p.location for batch in read for p in batch[3]] == [f"line {line}"]


def test_namespaces_of_the_root_are_in_the_published_copy(
        generated: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "namespaces.xml"
    path.write_bytes(_root_namespace(generated))
    read, fell_back = _read(path, 2, True, monkeypatch)
    assert not fell_back
    copies = [xml for batch in read for xml, *_ in batch[2].values()]
    assert copies[0].startswith('<iati-activity xmlns:x="urn:tocsin:test" x:note="a &gt; b"')
    assert all('xmlns:x="urn:tocsin:test"' in xml for xml in copies)


def test_the_scan_keeps_the_tail_where_a_read_of_the_ordinary_way_ends(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The one difference: iterparse gives an activity's tail only if its read went past it.

    When one of its 32 KiB reads ends between an activity's end tag and the next
    ``<``, the ordinary way hands the activity over without the white space after it
    (so its published copy lacks it); the scan always keeps it, as the ordinary way
    does for every other activity.
    """
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03">\n'

    def activity(n: int, pad: int) -> bytes:
        return (b"  <iati-activity><iati-identifier>A%d</iati-identifier><title>" % n
                + b"x" * pad + b"</title></iati-activity>")

    pad = 32768 - len(head) - len(activity(1, 0)) - 2
    data = head + activity(1, pad) + b"\n  \n" + activity(2, 0) + b"\n</iati-activities>\n"
    path = tmp_path / "edge.xml"
    path.write_bytes(data)
    ordinary = [element.tail for element in reader._walk(reader._iterparse(path))]
    assert ordinary == [None, "\n"]
    with path.open("rb") as stream:
        scanned = list(Scan(stream))
    assert [raw[len(raw.rstrip()):] for raw in scanned] == [b"\n  \n  ", b"\n"]
