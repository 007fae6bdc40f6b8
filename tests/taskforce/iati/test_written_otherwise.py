"""IATI files written the ways other tools write XML: the same information, read the same.

Each transformation below rewrites a file without changing what it says (another
encoding, other line ends, comments and processing instructions, CDATA, character
references, quoting, attribute order, namespaces declared elsewhere) or adds only what
a publisher's own extension adds (elements and attributes of its namespace). Each file
so written is read by the scan and by the ordinary reading, in one process and in
worker processes, from a path and from a stream, and must give what the file as
published gives: the platform's view of each activity, the published copy (compared
by its elements, attributes and text), the typed rows, the problems, notes and
warnings, and the export. Hostile files (entities, deep nesting, huge values) are
refused in bounded time with a plain reason, and nothing of them is written.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.taskforce.iati.test_reader_bounds import bounded
from tests.taskforce.iati.test_round_trip import _export, _import, canonical, semantic_diff
from tocsin import limits
from tocsin.errors import InputError
from tocsin.reference.registry import load_registry
from tocsin.taskforce.iati import exchange, reader
from tocsin.taskforce.iati.exchange import validate_export
from tocsin.taskforce.iati.organisations import read_organisations
from tocsin.taskforce.iati.reader import iter_batches
from tocsin.taskforce.iati.scan import Scan, Unsure
from tocsin.taskforce.iati.schema import safe_parser
from tocsin.taskforce.iati.tables import IatiRecord
from tocsin.taskforce.programmes.vocabulary import Vocabulary

VOCAB = Vocabulary.from_registry(load_registry())
FIXTURES = Path(__file__).parents[2] / "fixtures" / "iati"
PUBLISHED = FIXTURES / "published"
XML_NS = "http://www.w3.org/XML/1998/namespace"
#: The publisher's own namespace the extensions below are written in.
EXT = "http://example.org/publisher/ns"

# --- writing a tree the way another tool would --------------------------------------------


def _tree(data: bytes) -> etree._ElementTree:
    """The file as a tree, its comments and processing instructions kept."""
    parser = safe_parser(remove_comments=False, remove_pis=False, remove_blank_text=False,
                         strip_cdata=True)
    return etree.parse(io.BytesIO(data), parser)


def _escape(text: str, attribute: str = "") -> str:
    """``&``, ``<``, ``>`` escaped; in an attribute also its quote and the white space
    the parser would otherwise normalise."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attribute:
        text = (text.replace(attribute, "&quot;" if attribute == '"' else "&apos;")
                .replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;"))
    return text.replace("\r", "&#13;")


class Writer:
    """A serialiser with the choices other tools make (the defaults: lxml's own)."""

    def __init__(self, *, quote: str = '"', between: str = " ",
                 order: Callable[[list[tuple[str, str]]], list[tuple[str, str]]] = list,
                 text: Callable[[str], str] | None = None,
                 value: Callable[[str, str], str] | None = None,
                 cdata: bool = False, blank: Callable[[int], str | None] | None = None,
                 codec: str = "utf-8", equals: str = "=", closing: str = "",
                 empty: bool = True) -> None:
        self.quote, self.between, self.order, self.cdata = quote, between, order, cdata
        #: what stands between a name and its value, before the ``>`` of an end tag, and
        #: whether an empty element is written ``<x/>`` (else ``<x></x>``)
        self.equals, self.closing, self.empty = equals, closing, empty
        self.text = text or _escape
        self.value = value or _escape
        #: depth → the white space between elements at that depth (None: as in the file)
        self.blank = blank
        self.codec = codec

    def _encodable(self, text: str) -> str:
        """Characters the encoding cannot hold, as character references."""
        return text.encode(self.codec, "xmlcharrefreplace").decode(self.codec)

    def _name(self, element: etree._Element, name: str) -> str:
        if not name.startswith("{"):
            return name
        uri, local = name[1:].split("}", 1)
        if uri == XML_NS:
            return f"xml:{local}"
        prefix = next(p for p, u in element.nsmap.items() if u == uri and p)
        return f"{prefix}:{local}"

    def element(self, element: Any, depth: int = 0) -> str:
        if isinstance(element, etree._Comment):
            return f"<!--{element.text or ''}-->"
        if isinstance(element, etree._ProcessingInstruction):
            return f"<?{element.target} {element.text or ''}?>"
        parent = element.getparent()
        inherited = parent.nsmap if parent is not None else {}
        declared = [(f"xmlns:{p}" if p else "xmlns", u) for p, u in element.nsmap.items()
                    if inherited.get(p) != u]
        attributes = [(self._name(element, k), v) for k, v in element.attrib.items()]
        q = self.quote
        local = etree.QName(element).localname
        tag = f"{element.prefix}:{local}" if element.prefix else local
        out = [f"<{tag}"]
        for name, value in [*declared, *self.order(attributes)]:
            out.append(f"{self.between}{name}{self.equals}{q}"
                       f"{self._encodable(self.value(value, q))}{q}")
        children = list(element)
        if not children and element.text is None and self.empty:
            return "".join(out) + "/>"
        out.append(">")
        out.append(self._content(element.text, depth + 1, bool(children), element))
        for child in children:
            out.append(self.element(child, depth + 1))
            out.append(self._content(child.tail, depth + 1 if child.getnext() is not None
                                     else depth, True, None))
        out.append(f"</{tag}{self.closing}>")
        return "".join(out)

    def _content(self, text: str | None, depth: int, mixed: bool,
                 leaf: etree._Element | None) -> str:
        if mixed and self.blank is not None and not (text or "").strip():
            return self.blank(depth) or ""
        if not text:
            return ""
        if (self.cdata and leaf is not None and etree.QName(leaf).localname == "narrative"
                and "]]>" not in text and "\r" not in text and not mixed):
            return f"<![CDATA[{text}]]>"
        return self._encodable(self.text(text))

    def document(self, tree: etree._ElementTree, declaration: str | None = '1.0') -> bytes:
        root = tree.getroot()
        before = list(reversed(list(root.itersiblings(preceding=True))))
        after = list(root.itersiblings())
        parts = []
        if declaration is not None:
            parts.append(f'<?xml version="{declaration}" encoding="{self.codec.upper()}"?>\n')
        for node in before:
            parts += [self.element(node), "\n"]
        parts.append(self.element(root))
        for node in after:
            parts += ["\n", self.element(node)]
        parts.append("\n")
        body = "".join(parts)
        return body.encode(self.codec)


def _rewritten(data: bytes, writer: Writer | None = None, declaration: str | None = "1.0"
               ) -> bytes:
    return (writer or Writer()).document(_tree(data), declaration)


# --- the transformations: bytes of a UTF-8 file → the same information written otherwise ---


def _declaration_removed(data: bytes) -> bytes:
    data = data.removeprefix(b"\xef\xbb\xbf")
    if data.startswith(b"<?xml"):
        data = data[data.index(b"?>") + 2:].lstrip(b"\r\n")
    return data


def with_bom(data: bytes) -> bytes:
    return b"\xef\xbb\xbf" + data.removeprefix(b"\xef\xbb\xbf")


def utf16(codec: str, bom: bytes) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        text = _declaration_removed(data).decode("utf-8")
        return bom + ('<?xml version="1.0" encoding="UTF-16"?>\n' + text).encode(codec)
    change.__name__ = codec
    return change


def single_byte(codec: str) -> Callable[[bytes], bytes]:
    """Declared in ``codec``; characters it cannot hold written as character references."""
    return lambda data: _rewritten(data, Writer(codec=codec))


def no_declaration(data: bytes) -> bytes:
    return _declaration_removed(data)


def line_ends(end: bytes) -> Callable[[bytes], bytes]:
    return lambda data: data.replace(b"\r\n", b"\n").replace(b"\n", end)


def one_line(data: bytes) -> bytes:
    """No white space between elements (leaf text as it was)."""
    return _rewritten(data, Writer(blank=lambda depth: None))


def tabs(data: bytes) -> bytes:
    """Every element on a line of its own, two tabs a level."""
    return _rewritten(data, Writer(blank=lambda depth: "\n" + "\t\t" * depth))


def _edited(edit: Callable[[etree._ElementTree], None], writer: Writer | None = None
            ) -> Callable[[bytes], bytes]:
    """Change the tree, then write it (lxml's choices unless ``writer`` says otherwise)."""
    def change(data: bytes) -> bytes:
        tree = _tree(data)
        edit(tree)
        return (writer or Writer()).document(tree)
    return change


#: The root's items, and the parts of an item that comments go inside (at their start and
#: end) and, the first of each, a publisher's extensions (where the schemas allow other
#: namespaces: last among its children): of an activity file, of an organisation file.
PARTS = {"iati-activity": ("transaction", "result"),
         "iati-organisation": ("total-budget", "recipient-country-budget")}
#: The start tag of the root and of each item, of either kind of file.
ROOT_TAG = rb"<iati-(?:activities|organisations)(?=[\s/>])"
ITEM_TAG = rb"<iati-(?:activity|organisation)(?=[\s/>])"


def _activities(tree: etree._ElementTree) -> list[etree._Element]:
    """The activities of an activity file, the organisations of an organisation file."""
    return list(tree.getroot().iter(*PARTS))


def _between(make: Callable[[], etree._Element]) -> Callable[[etree._ElementTree], None]:
    def edit(tree: etree._ElementTree) -> None:
        for activity in _activities(tree):
            node = make()
            node.tail = activity.tail
            activity.addnext(node)
    return edit


def _inside(make: Callable[[], etree._Element]) -> Callable[[etree._ElementTree], None]:
    """At the start of each activity, of its transactions and results, and at their end."""
    def edit(tree: etree._ElementTree) -> None:
        for activity in _activities(tree):
            for element in [activity, *activity.iterchildren(*PARTS[activity.tag])]:
                element.insert(0, make())
                element.append(make())
    return edit


def _in_narratives(make: Callable[[], etree._Element]) -> Callable[[etree._ElementTree], None]:
    """In the middle of each narrative's text."""
    def edit(tree: etree._ElementTree) -> None:
        for narrative in tree.getroot().iter("narrative"):
            text = narrative.text or ""
            if len(text) > 1 and not len(narrative):
                half = len(text) // 2
                node = make()
                narrative.text, node.tail = text[:half], text[half:]
                narrative.append(node)
    return edit


def _comment() -> etree._Element:
    return etree.Comment(" written by another tool: </iati-activity> ")


def _pi() -> etree._Element:
    return etree.ProcessingInstruction("another-tool", "written='yes'")


def _references(text: str, quote: str = "") -> str:
    """Every non-ASCII character and every ``e`` as a character reference (decimal and
    hexadecimal in turn), markup as the predefined entities."""
    out = []
    for i, c in enumerate(text):
        if c in "&<>\"'":
            out.append({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                        "'": "&apos;"}[c])
        elif c == "e" or ord(c) > 127 or c == "\r" or (quote and c in "\t\n"):
            out.append(f"&#{ord(c)};" if i % 2 else f"&#x{ord(c):x};")
        else:
            out.append(c)
    return "".join(out)


def _entities(text: str, quote: str = "") -> str:
    """The five predefined entities wherever their characters are."""
    text = (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&apos;"))
    if quote:
        text = text.replace("\t", "&#9;").replace("\n", "&#10;")
    return text.replace("\r", "&#13;")


def _start_tags(pattern: bytes, change: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    regex = re.compile(pattern + rb"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?>""")
    return lambda data: regex.sub(lambda m: change(m.group()), data)


def _declare(prefix: bytes, uri: str) -> Callable[[bytes], bytes]:
    """Declare a namespace in a start tag (after its name)."""
    def add(tag: bytes) -> bytes:
        if b"xmlns:" + prefix + b"=" in tag:
            return tag
        name_end = len(tag.split(None, 1)[0].rstrip(b"/>"))
        return tag[:name_end] + b' xmlns:' + prefix + b'="' + uri.encode() + b'"' + tag[name_end:]
    return add


def _extended(tree: etree._ElementTree) -> None:
    """A publisher's own attributes and elements on each activity, its first transaction
    and its first result (where the schemas allow other namespaces: last in each)."""
    for activity in _activities(tree):
        targets = [activity]
        targets += [e for e in map(activity.find, PARTS[activity.tag]) if e is not None]
        for n, element in enumerate(targets):
            element.set(f"{{{EXT}}}origin", f"system {n} & <more> \"quoted\" 'so'")
            last = element[-1] if len(element) else None
            extension = etree.SubElement(element, f"{{{EXT}}}detail", code=str(n))
            etree.SubElement(extension, f"{{{EXT}}}part").text = f"kept {n} \u2019 \u00e9"
            if last is not None:
                extension.tail, last.tail = last.tail, element.text


def extensions(where: bytes, writer: Writer | None = None) -> Callable[[bytes], bytes]:
    """The extensions of :func:`_extended`, their namespace declared on ``where``."""
    def change(data: bytes) -> bytes:
        data = _start_tags(where, _declare(b"ext", EXT))(data)
        return _edited(_extended, writer)(data)
    return change


def namespaces_on_each_activity(data: bytes) -> bytes:
    """The root's namespace declarations moved onto each activity (kept on the root only
    where its own attributes use them)."""
    root = re.search(ROOT_TAG + rb"[^>]*>", data)
    assert root is not None
    tag = root.group()
    declared = re.findall(rb"""\sxmlns:([\w.-]+)\s*=\s*("[^"]*"|'[^']*')""", tag)
    kept = tag
    for prefix, _ in declared:
        if not re.search(rb"\s" + re.escape(prefix) + rb":[\w.-]+\s*=", tag):
            kept = re.sub(rb"""\sxmlns:""" + re.escape(prefix) + rb"""\s*=\s*("[^"]*"|'[^']*')""",
                          b"", kept)
    data = data[:root.start()] + kept + data[root.end():]
    for prefix, value in declared:
        data = _start_tags(ITEM_TAG, _declare(prefix, value[1:-1].decode()))(data)
    return data


#: name → the transformation (bytes of a UTF-8 file → bytes of the same file written so).
TRANSFORMATIONS: dict[str, Callable[[bytes], bytes]] = {
    "rewritten by lxml": _edited(lambda tree: None),
    "UTF-8 with a BOM": with_bom,
    "UTF-16 LE": utf16("utf-16-le", b"\xff\xfe"),
    "UTF-16 BE": utf16("utf-16-be", b"\xfe\xff"),
    "UTF-16 LE without a byte order mark": utf16("utf-16-le", b""),
    "US-ASCII": single_byte("ascii"),
    "ISO-8859-1": single_byte("iso-8859-1"),
    "windows-1252": single_byte("windows-1252"),
    "no XML declaration": no_declaration,
    "a declaration of its own": lambda data: (
        b"<?xml version='1.0' encoding='utf8' standalone='yes'?>\n" + no_declaration(data)),
    "XML 1.1": lambda data: b'<?xml version="1.1" encoding="UTF-8"?>\n' + no_declaration(data),
    "a stylesheet first, no declaration": lambda data: (
        b'<?xml-stylesheet type="text/xsl" href="activities.xsl"?>\n' + no_declaration(data)),
    "CRLF": line_ends(b"\r\n"),
    "CR": line_ends(b"\r"),
    "one line": one_line,
    "tabs": tabs,
    "comments between activities": _edited(_between(_comment)),
    "PIs between activities": _edited(_between(_pi)),
    "comments inside activities": _edited(_inside(_comment)),
    "PIs inside activities": _edited(_inside(_pi)),
    "comments inside narratives": _edited(_in_narratives(_comment)),
    "PIs inside narratives": _edited(_in_narratives(_pi)),
    "CDATA narratives": _edited(lambda tree: None, Writer(cdata=True)),
    "character references": _edited(lambda tree: None, Writer(
        text=_references, value=lambda text, q: _references(text, q))),
    "predefined entities": _edited(lambda tree: None, Writer(
        text=_entities, value=lambda text, q: _entities(text, q))),
    "single quotes": _edited(lambda tree: None, Writer(quote="'")),
    "attributes over lines": _edited(lambda tree: None, Writer(between="\n\t\t  ")),
    "attributes reversed": _edited(lambda tree: None, Writer(order=lambda a: a[::-1])),
    "spaces inside tags": _edited(lambda tree: None, Writer(equals=" =\n ", closing="\n")),
    "empty elements with an end tag": _edited(lambda tree: None, Writer(empty=False)),
    "an empty default namespace on each activity": _start_tags(
        ITEM_TAG, lambda tag: re.sub(rb"^(<[\w-]+)", rb'\1 xmlns=""', tag, count=1)),
    "namespaces on each activity": namespaces_on_each_activity,
    "extensions declared on the root": extensions(ROOT_TAG),
    "extensions declared on each activity": extensions(ITEM_TAG, Writer(quote="'")),
}
#: The transformations that add a publisher's extensions (compared without them).
EXTENDING = frozenset(name for name in TRANSFORMATIONS if name.startswith("extensions"))

#: Text with characters outside ASCII and the five of XML's markup, added to each title's
#: first narrative of every file before it is transformed, so that encodings, references
#: and entities have something to write.
SAMPLE = " \u2013 \u00c9t\u00e9 \u00e0 K\u00f6ln: \u201c5 > 3\u201d & 'x' <y> \u2019"


def _with_sample(data: bytes, within: bytes = b"title") -> bytes:
    """``SAMPLE`` added to the first narrative of each title (see above; of each element
    ``within`` names: an organisation's ``name``)."""
    escaped = _escape(SAMPLE).encode()
    return re.sub(rb"(<" + within + rb"\b[^>]*>\s*<narrative\b(?:[^>]*[^/>])?>)",
                  lambda m: m.group(1) + escaped, data)


# --- reading ------------------------------------------------------------------------------


class _Unseekable(io.RawIOBase):
    """A stream as an upload arrives: read once, never sought."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[:len(chunk)] = chunk
        return len(chunk)


def _source(data: bytes, how: str, folder: Path) -> Path | IO[bytes]:
    if how == "path":
        path = folder / "written.xml"
        path.write_bytes(data)
        return path
    if how == "stream":
        return io.BytesIO(data)
    return io.BufferedReader(_Unseekable(data))


def view(batches: Iterator[Any]) -> dict[str, Any]:
    """What the reader gives, comparable across ways of writing the file: each published
    copy by its elements, attributes and text (its layout is the file's)."""
    out: dict[str, Any] = {"count": 0, "activities": [], "parts": {}, "problems": [],
                           "notes": [], "warnings": [], "children": {}, "implicit": set(),
                           "preserved": {}, "broken": {}, "locations": {}, "versions": []}
    parser = safe_parser(remove_comments=True, remove_pis=True)
    for batch in batches:
        out["count"] += batch.count
        out["versions"].append(batch.version)
        out["activities"] += [spec.model_dump() for spec in batch.activities]
        for key, parts in batch.iati.items():
            out["parts"][key] = (parts.version,
                                 canonical(etree.fromstring(parts.xml.encode(), parser)),
                                 parts.transactions, parts.budgets, parts.sectors,
                                 parts.recipients)
        for name in ("problems", "notes", "warnings"):
            out[name] += [str(p) for p in getattr(batch, name)]
        out["children"].update(batch.children)
        out["implicit"] |= batch.implicit_level
        for key, count in batch.preserved.items():
            out["preserved"][key] = out["preserved"].get(key, 0) + count
        out["broken"].update(batch.broken)
        out["locations"].update(batch.locations)
    out["versions"] = sorted(set(out["versions"]) - {""})
    # the portal's attributes a note names, in the order the file writes them
    out["notes"] = [_METADATA.sub(_sorted_attributes, note) for note in out["notes"]]
    return out


_METADATA = re.compile(r"((?:@[\w.:-]+, )*@[\w.:-]+): portal metadata")


def _sorted_attributes(found: re.Match[str]) -> str:
    return ", ".join(sorted(found.group(1).split(", "))) + ": portal metadata"


def _stripped(item: Any) -> Any:
    """A canonical element without the publisher's extensions of :data:`EXT`."""
    tag, attributes, text, children = item
    return (tag, tuple((k, v) for k, v in attributes if not k.startswith(f"{{{EXT}}}")), text,
            tuple(_stripped(c) for c in children if not c[0].startswith(f"{{{EXT}}}")))


def without_extensions(read: dict[str, Any]) -> dict[str, Any]:
    """``read`` as if the file had none of the extensions :func:`extensions` adds."""
    out = dict(read)
    out["parts"] = {k: (v[0], _stripped(v[1]), *v[2:]) for k, v in read["parts"].items()}
    out["preserved"] = {k: n for k, n in read["preserved"].items() if EXT not in k}
    return out


#: How a file is read: from a path or a stream, by the scan or the ordinary reading
#: (iterparse), in this process or in worker processes from the first activity.
WAYS = {
    "path, scan": ("path", True, 1),
    "path, ordinary": ("path", False, 1),
    "path, scan, workers": ("path", True, 2),
    "path, ordinary, workers": ("path", False, 2),
    "stream": ("stream", True, 1),
    "stream read once": ("once", True, 1),
}


class _Refused(Scan):
    """The scan declining every file: the ordinary reading does it all."""

    def start(self) -> bytes:
        raise Unsure("refused for the test")


def read(data: bytes, way: str, folder: Path, *, size: int = 500
         ) -> tuple[dict[str, Any], bool]:
    """What the reader gives for ``data`` read ``way``, and whether the scan declined it."""
    how, scan, workers = WAYS[way]
    ordinary: list[bool] = []
    iterparse = reader._iterparse

    def spy(source: Any) -> Any:
        ordinary.append(True)
        return iterparse(source)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "_iterparse", spy)
        if not scan:
            patch.setattr(reader, "Scan", _Refused)
        if workers > 1:
            patch.setattr(reader, "LARGE_FILE", 0)  # every activity goes to the workers
        with limits.override(import_workers=workers):
            got = view(iter_batches(_source(data, how, folder), VOCAB, size=size))
    return got, bool(ordinary) and scan


def _path(name: str) -> Path:
    return FIXTURES / name if (FIXTURES / name).exists() else PUBLISHED / name


_BASES: dict[str, tuple[bytes, dict[str, Any]]] = {}


def _base(name: str, folder: Path) -> tuple[bytes, dict[str, Any]]:
    """The file with :data:`SAMPLE` in its titles, and what the reader gives for it."""
    if name not in _BASES:
        data = _with_sample(_path(name).read_bytes())
        _BASES[name] = data, read(data, "path, scan", folder)[0]
    return _BASES[name]


#: The transformations the scan does not vouch for: the ordinary reading reads those files
#: (another encoding, processing instructions between the activities).
DECLINED = frozenset({"UTF-16 LE", "UTF-16 BE", "UTF-16 LE without a byte order mark",
                      "US-ASCII", "ISO-8859-1", "windows-1252", "PIs between activities"})

#: A representative few: the rich files of 2.01 and 2.03 (every element of the schema),
#: IATI's 2.02 example (CRLF) and USAID's activity as a portal gives it (no version on the
#: root, the portal's namespace there and the publisher's on the activity).
FILES = ["rich_2.01.xml", "rich_2.03.xml", "standard-202-activity-xml.xml",
         "usaid-humanitarian-activity.xml"]
#: Every activity file of 2.0x among the fixtures, the portals' downloads and answers among
#: them (``-m slow``).
ALL_FILES = sorted({*FILES, *(
    path.name for path in [*FIXTURES.glob("*.xml"), *PUBLISHED.glob("*.xml")]
    if re.search(rb"<iati-activities(?![^>]*version=\"1)", path.read_bytes()[:4096]))})


#: The ways of the ordinary run: the ordinary reading in workers is met there through the
#: files the scan declines; a stream read once goes where a seekable one does.
FAST_WAYS = ("path, scan", "path, ordinary", "path, scan, workers", "stream read once")


def _check(name: str, transformation: str, folder: Path,
           ways: Iterable[str] = FAST_WAYS) -> None:
    data, base = _base(name, folder)
    written = TRANSFORMATIONS[transformation](data)
    if written == data:  # no declaration to take off, CRLF already, no namespace to move …
        pytest.skip("the file is written so already")
    for way in ways:
        got, declined = read(written, way, folder)
        if transformation in EXTENDING:
            _check_extensions(base, got)
            # the schema names an extension where it meets one in an activity it refuses
            # anyway: the same activities are refused
            got = {**without_extensions(got), "problems": _named(got["problems"])}
            expected = {**base, "problems": _named(base["problems"])}
        else:
            expected = base
        assert got == expected, (way, [k for k in base if got[k] != expected[k]])
        assert declined is (transformation in DECLINED and WAYS[way][1]), way


def _named(problems: list[str]) -> list[str]:
    """The activities the problems are in."""
    return sorted({re.sub(r"(iati-activity\[\d+\]).*", r"\1", p) for p in problems})


def _check_extensions(base: dict[str, Any], got: dict[str, Any]) -> None:
    """Every activity read keeps its extensions and the report counts them."""
    assert got["broken"] == base["broken"]
    # the report counts what the activities read whole keep (a refused one keeps nothing)
    whole = sum(base["locations"][k] not in base["broken"] for k in base["parts"])
    kept = {k: n for k, n in got["preserved"].items() if EXT in k}
    assert kept.get(f"{{{EXT}}}detail", 0) == whole == kept.get(f"@{{{EXT}}}origin", 0), kept
    for parts in got["parts"].values():
        assert parts[1][3][-1][0] == f"{{{EXT}}}detail"


@pytest.mark.parametrize("transformation", list(TRANSFORMATIONS))
@pytest.mark.parametrize("name", FILES)
def test_a_file_written_otherwise_reads_the_same(name: str, transformation: str,
                                                 tmp_path: Path) -> None:
    _check(name, transformation, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("transformation", list(TRANSFORMATIONS))
@pytest.mark.parametrize("name", ALL_FILES)
def test_every_file_written_otherwise_reads_the_same(name: str, transformation: str,
                                                     tmp_path: Path) -> None:
    _check(name, transformation, tmp_path, WAYS)


# --- the export ---------------------------------------------------------------------------


def _round_trip(session: Session, name: str, transformation: str) -> None:
    """Imported as written otherwise, exported; then the file as published imported over
    it changes nothing and exports the same (but for the extensions the writing added)."""
    data = _with_sample(_path(name).read_bytes())
    written = TRANSFORMATIONS[transformation](data)
    if written == data:
        pytest.skip("the file is written so already")
    report = _import(session, written, mode="each")
    assert report.created > 0 and report.updated == 0
    exported = _export(session)
    assert validate_export(exported) == report.warnings
    again = _import(session, data, mode="each")
    assert again.created == 0 and again.rejected == report.rejected
    if transformation in EXTENDING:
        # written back with their namespace; the file as published has none of them
        root = etree.fromstring(exported)
        assert len(root.findall(f"iati-activity/{{{EXT}}}detail")) == report.created
        assert len(root.findall(f"iati-activity/*/{{{EXT}}}detail")) == report.preserved[
            f"transaction/{{{EXT}}}detail"] + report.preserved.get(f"result/{{{EXT}}}detail", 0)
        assert all(f"@{{{EXT}}}origin" in names for names in again.changed.values())
        assert len(again.changed) == report.created
        exported = _without_extensions(exported)
    else:
        # the same activities, however written: unchanged, nothing named as changed
        assert (again.updated, again.unchanged, again.changed) == (
            report.created, report.created, {})
    assert semantic_diff(_export(session), exported) == []


def _without_extensions(data: bytes) -> bytes:
    root = etree.fromstring(data, safe_parser())
    for element in list(root.iter(f"{{{EXT}}}*")):
        parent = element.getparent()
        if parent is not None:  # not already taken off with an element of its own
            parent.remove(element)
    for element in root.iter():
        for name in [n for n in element.attrib if n.startswith(f"{{{EXT}}}")]:
            del element.attrib[name]
    return etree.tostring(root)


@pytest.mark.parametrize("transformation", list(TRANSFORMATIONS))
def test_a_file_written_otherwise_exports_as_published(session: Session,
                                                       transformation: str) -> None:
    _round_trip(session, "rich_2.03.xml", transformation)


@pytest.mark.slow
@pytest.mark.parametrize("transformation", list(TRANSFORMATIONS))
@pytest.mark.parametrize("name", [name for name in FILES if name != "rich_2.03.xml"])
def test_each_file_written_otherwise_exports_as_published(
        session: Session, name: str, transformation: str) -> None:
    _round_trip(session, name, transformation)


# --- large files: the scan hands the activities to worker processes ---------------------


def repeated(data: bytes, size: int) -> bytes:
    """The file's activities again and again, each copy under new identifiers, up to about
    ``size`` bytes."""
    start = data.index(b"<iati-activity", data.index(b"<iati-activities") + 16)
    end = data.rindex(b"</iati-activity>") + len(b"</iati-activity>")
    activities = data[start:end]
    identifiers = re.findall(rb"<iati-identifier>([^<]*)</iati-identifier>", activities)
    copies = [activities]
    n = 1
    while sum(map(len, copies)) < size:
        copy = activities
        for identifier in identifiers:
            copy = copy.replace(b">" + identifier + b"<", b">" + identifier + b"-%d<" % n)
        copies.append(copy)
        n += 1
    return data[:start] + b"\n  ".join(copies) + data[end:]


#: The ways a large file's activities reach the workers: from the first one (a file of
#: ``LARGE_FILE`` bytes or more), after the first batch read here (a smaller one).
LARGE_WAYS = ["path, scan", "path, scan, workers", "path, ordinary, workers", "stream"]
#: What changes the way the scan hands the activities over: its declining, what comes
#: between the activities, the namespaces the workers parse each activity in.
LARGE = ["UTF-8 with a BOM", "UTF-16 LE", "PIs between activities",
         "extensions declared on the root", "namespaces on each activity"]


def _late_pi(data: bytes) -> bytes:
    """A processing instruction between two activities after the first batches: the scan
    declines only there, the batches given out stand."""
    at = [m.start() for m in re.finditer(rb"<iati-activity[\s>]", data)][30]
    return data[:at] + b"<?another-tool late='yes'?>\n  " + data[at:]


@pytest.fixture(scope="module")
def large_usaid() -> bytes:
    """USAID's activity as a portal gives it, 40 times (its namespace on the root)."""
    return repeated(_with_sample(_path("usaid-humanitarian-activity.xml").read_bytes()),
                    400_000)


@pytest.mark.parametrize("transformation", [*LARGE, "a PI after the first batches"])
def test_a_large_file_written_otherwise_reads_the_same_in_the_workers(
        large_usaid: bytes, transformation: str, tmp_path: Path) -> None:
    change = _late_pi if transformation.startswith("a PI") else TRANSFORMATIONS[transformation]
    written = change(large_usaid)
    base, _ = read(large_usaid, "path, scan", tmp_path, size=12)
    assert base["count"] > 36 and base["problems"] == []
    for way in LARGE_WAYS:
        got, _ = read(written, way, tmp_path, size=12)
        if transformation in EXTENDING:
            got = without_extensions(got)
        assert got == base, (way, [k for k in base if got[k] != base[k]])
    # crossing the size from which the workers read every activity
    path = tmp_path / "large.xml"
    path.write_bytes(written)
    for threshold in (path.stat().st_size, path.stat().st_size + 1):
        with pytest.MonkeyPatch.context() as patch, limits.override(import_workers=2):
            patch.setattr(reader, "LARGE_FILE", threshold)
            got = view(iter_batches(path, VOCAB, size=12))
        assert (without_extensions(got) if transformation in EXTENDING else got) == base


@pytest.mark.slow
@pytest.mark.parametrize("transformation", ["UTF-8 with a BOM", "UTF-16 LE", "CRLF", "tabs",
                                            "PIs between activities"])
def test_a_file_over_the_workers_threshold_written_otherwise_reads_the_same(
        transformation: str, tmp_path: Path) -> None:
    """Over ``LARGE_FILE`` as it is: the workers read every activity, as one process does."""
    data = repeated(_with_sample(FIXTURES.joinpath("rich_2.03.xml").read_bytes()),
                    reader.LARGE_FILE + (1 << 20))
    written = TRANSFORMATIONS[transformation](data)
    path = tmp_path / "large.xml"
    path.write_bytes(written)
    assert path.stat().st_size >= reader.LARGE_FILE
    with limits.override(import_workers=1):
        alone = view(iter_batches(path, VOCAB))
    with limits.override(import_workers=2):
        assert view(iter_batches(path, VOCAB)) == alone
    assert alone["problems"] == [] and alone["count"] == data.count(b"<iati-identifier>")


# --- hostile files: refused in bounded time and memory, nothing of them written ---------

RICH = FIXTURES / "rich_2.03.xml"
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
#: Nine levels of ten: a thousand million "lol"s if expanded.
LAUGHS = b"<!DOCTYPE iati-activities [<!ENTITY lol0 \"lol\">" + b"".join(
    b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10)) + b"]>\n"
XXE = b'<!DOCTYPE iati-activities [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
DOCTYPE = "/: a DOCTYPE is not accepted in IATI files"
UTF_32 = "/: the file is written in UTF-32, which is not read: save it as UTF-8 and import it again"
TOO_LONG = ("an attribute value or a text longer than the reader reads (10,000,000 "
            "characters), at or before this line: not read")

NAME_TOO_LONG = ("an element or attribute name longer than the reader reads (50,000 "
                 "characters): not read (IATI's names are short words)")


def _body() -> bytes:
    """The rich file from its root on (no declaration, no comment before it)."""
    data = RICH.read_bytes()
    return data[data.index(b"<iati-activities"):]


def _activity() -> str:
    """The rich file's first activity."""
    body = _body().decode()
    return body[body.index("<iati-activity "):body.index("</iati-activity>") + 16]


def _answer(xml: str) -> bytes:
    """The IATI Datastore's search answer in JSON holding one activity."""
    return json.dumps({"response": {"numFound": 1, "start": 0, "docs": [
        {"iati_xml": xml, "dataset_iati_version": "2.03"}]}}).encode()


def _first(what: bytes, into: bytes) -> bytes:
    body = _body()
    assert what in body
    return body.replace(what, what + into, 1)


def _nested(depth: int) -> bytes:
    return _body().replace(b"</iati-activity>", b"<ext:a>" * depth + b"</ext:a>" * depth
                           + b"</iati-activity>", 1).replace(
        b"<iati-activities ", b'<iati-activities xmlns:ext="' + EXT.encode() + b'" ', 1)


def _huge_value(tag: bytes, attribute: bytes) -> bytes:
    return _body().replace(tag, tag + b" " + attribute + b'="' + b"x" * 30_000_000 + b'"', 1)


#: name → (the file, the one problem it gives: location and reason)
HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "billion laughs in a narrative": (
        lambda: _DECLARATION + LAUGHS + _first(b"<narrative>", b"&lol9;"), DOCTYPE),
    "billion laughs in the root's attribute": (
        lambda: LAUGHS + _body().replace(b"<iati-activities ", b'<iati-activities x="&lol9;" ',
                                         1), DOCTYPE),
    "billion laughs, UTF-16": (
        lambda: b"\xff\xfe" + (LAUGHS + _first(b"<narrative>", b"&lol9;")).decode()
        .replace("encoding='UTF-8'", "").encode("utf-16-le"), DOCTYPE),
    "an external entity (XXE)": (
        lambda: _DECLARATION + XXE + _first(b"<narrative>", b"&xxe;"), DOCTYPE),
    "an external entity as the identifier": (
        lambda: XXE + _body().replace(b"<iati-identifier>", b"<iati-identifier>&xxe;", 1),
        DOCTYPE),
    "an external parameter entity": (
        lambda: b'<!DOCTYPE iati-activities [<!ENTITY % xxe SYSTEM "file:///etc/passwd"> '
                b"%xxe;]>\n" + _body(), DOCTYPE),
    "an external DTD": (
        lambda: b'<!DOCTYPE iati-activities SYSTEM "file:///etc/passwd">\n' + _body(), DOCTYPE),
    "an entity never declared": (
        lambda: _first(b"<narrative>", b"&nbsp;"),
        "line 5: not well-formed XML: Entity 'nbsp' not defined"),
    "elements nested 100,000 deep": (
        lambda: _nested(100_000),
        "line 360: elements nested more than 256 levels deep: not read (IATI's are nested a "
        "few levels)"),
    "an attribute value of 30 MB on the root": (
        lambda: _huge_value(b"<iati-activities", b"x"), f"line 332: {TOO_LONG}"),
    "an attribute value of 30 MB on an activity": (
        lambda: _huge_value(b"<iati-activity", b"x"), f"line 332: {TOO_LONG}"),
    "an attribute value of 30 MB on a narrative": (
        lambda: _huge_value(b"<narrative", b"xml:lang"), f"line 332: {TOO_LONG}"),
    "an element name of 60,000 characters": (
        lambda: _first(b"</title>", b"<ext:" + b"a" * 60_000 + b"/>").replace(
            b"<iati-activities ", b'<iati-activities xmlns:ext="' + EXT.encode() + b'" ', 1),
        f"line 12: {NAME_TOO_LONG}"),
    "an attribute name of 60,000 characters": (
        lambda: _first(b"<narrative", b" " + b"a" * 60_000 + b'="1"'), f"line 5: {NAME_TOO_LONG}"),
    "a narrative of 30 MB": (
        lambda: _first(b"<narrative>", b"x" * 30_000_000), f"line 5: {TOO_LONG}"),
    "an external entity in a Datastore answer's activity (JSON)": (
        lambda: _answer(XXE.decode() + _activity().replace("<narrative>", "<narrative>&xxe;")),
        "/response/docs[1]/iati_xml: a DOCTYPE is not accepted in IATI files"),
    "billion laughs in a Datastore answer's activity (JSON)": (
        lambda: _answer(LAUGHS.decode() + _activity().replace("<narrative>",
                                                              "<narrative>&lol9;")),
        "/response/docs[1]/iati_xml: a DOCTYPE is not accepted in IATI files"),
    # not hostile, but an encoding libxml2 does not read
    "UTF-32 LE": (lambda: b"\xff\xfe\x00\x00" + _body().decode().encode("utf-32-le"), UTF_32),
    "UTF-32 BE": (lambda: b"\x00\x00\xfe\xff" + _body().decode().encode("utf-32-be"), UTF_32),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_file_is_refused_in_bounded_time(name: str, tmp_path: Path) -> None:
    make, problem = HOSTILE[name]
    data = make()
    for way in ("path, scan", "path, ordinary", "path, scan, workers", "stream read once"):
        got, _ = bounded(lambda: read(data, way, tmp_path), 20)
        assert (got["problems"], got["activities"], got["parts"]) == ([problem], [], {}), way


@pytest.mark.parametrize("name", [name for name in HOSTILE if "30 MB" not in name])
def test_nothing_of_a_hostile_file_is_written(session: Session, name: str) -> None:
    data = HOSTILE[name][0]()
    with pytest.raises(InputError) as caught:
        _import(session, data)
    assert [str(p) for p in caught.value.problems] == [HOSTILE[name][1]]
    report = _import(session, data, mode="each")
    assert (report.created, [str(p) for p in report.rejected]) == (0, [HOSTILE[name][1]])
    assert session.scalars(select(IatiRecord)).all() == []
    # nor does the look before an import read the entity
    assert not any("root:" in identifier for identifier in exchange.file_identifiers(data))
    assert b"root:" not in _export(session)


def test_an_extension_nested_deep_but_within_the_limit_is_kept(session: Session) -> None:
    """A publisher's own element 250 levels deep is read, kept and written back."""
    data = _nested(250)
    report = _import(session, data)
    assert (report.created, report.preserved[f"{{{EXT}}}a"]) == (2, 1)
    assert semantic_diff(data, _export(session)) == []


#: The same refusals in an organisation file (its own reader, the same words).
ORGANISATION = PUBLISHED / "organisation-standard-example-annotated-2.03.xml"


def _organisation(edit: Callable[[bytes], bytes]) -> bytes:
    data = ORGANISATION.read_bytes()
    return edit(data[data.index(b"<iati-organisations"):])


ORGANISATION_HOSTILE = {
    "billion laughs": (
        lambda: LAUGHS.replace(b"iati-activities", b"iati-organisations") + _organisation(
            lambda data: data.replace(b"<narrative>", b"<narrative>&lol9;", 1)),
        "/: a DOCTYPE is not accepted in IATI files"),
    "an entity never declared": (
        lambda: _organisation(lambda data: data.replace(b"<narrative>", b"<narrative>&nbsp;",
                                                        1)),
        "line 12: not well-formed XML: Entity 'nbsp' not defined"),
    "elements nested 100,000 deep": (
        lambda: _organisation(lambda data: data.replace(
            b"</iati-organisation>", b"<a>" * 100_000 + b"</a>" * 100_000
            + b"</iati-organisation>", 1)),
        "line 163: elements nested more than 256 levels deep: not read (IATI's are nested a "
        "few levels)"),
    "an attribute name of 60,000 characters": (
        lambda: _organisation(lambda data: data.replace(
            b"<narrative", b"<narrative " + b"a" * 60_000 + b'="1"', 1)),
        f"line 12: {NAME_TOO_LONG}"),
}


@pytest.mark.parametrize("name", list(ORGANISATION_HOSTILE))
def test_a_hostile_organisation_file_is_refused_plainly(name: str) -> None:
    make, problem = ORGANISATION_HOSTILE[name]
    data = make()
    _, organisations, problems, _, _ = bounded(lambda: read_organisations(io.BytesIO(data)))
    assert (organisations, [str(p) for p in problems]) == ([], [problem])
