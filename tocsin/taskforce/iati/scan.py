"""Split an ``iati-activities`` file into its activities' bytes without parsing it.

The reader's importing process used to parse the whole file (``iterparse``) and
serialise every activity again for the worker process that reads it: about a
fifth of the importing process's work, which does not spread over cores. This
scan finds each ``<iati-activity …>`` … ``</iati-activity>`` in the raw bytes
instead; each activity is then parsed (and its published copy serialised) where
it is read, inside the root's own start tag (:func:`wrap`), so that it sees the
namespaces the root declares.

The scan vouches only for what it fully understands and raises :class:`Unsure`
for anything else, and the reader then reads the file the ordinary way (which
reports a malformed file by line and reason as it always did):

* an XML declaration naming an encoding other than UTF-8, a byte order mark
  other than UTF-8's, a DOCTYPE;
* anything between the activities but white space and comments (text, other
  elements, CDATA, processing instructions), an empty ``<iati-activity/>``;
* a file that ends before ``</iati-activities>``, or with more than comments,
  processing instructions and white space after it.

The IATI Datastore API's answer wraps its activities: ``<result><ok>True</ok>
<iati-activities …><query>…</query>`` then the activities, then
``</iati-activities></result>``. The scan reads it too: what comes before
``iati-activities`` is checked by the parser (the reader has read it already and
notes it), a ``query`` first in ``iati-activities`` is skipped (checked by the
parser as comments are), and only white space and comments may come between
``</iati-activities>`` and ``</result>``. The namespaces ``result`` declares are
copied into the start tag the activities are parsed in (:attr:`Scan.head`): the
Datastore declares ``iati-extra`` there.

Comments, CDATA sections and processing instructions inside an activity are
skipped whole, so ``</iati-activity>`` written inside them does not end it;
attribute values may hold ``>`` (but never ``<``, so no tag hides in them).
What is between the activities is checked here by the parser itself; each
activity is checked as it is parsed where it is read (a parse error there
means the reader falls back as well). A file the scan accepts is therefore
well-formed exactly when the ordinary reading finds it so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from lxml import etree

from tocsin.i18n import N_
from tocsin.taskforce.iati.schema import safe_parser

#: Bytes read at a time.
BLOCK = 1 << 20
#: What the scan reads past the end of the root element before giving up on it.
EPILOGUE_LIMIT = 1 << 20
#: The longest start tag (of the root or an activity) the scan looks for.
TAG_LIMIT = 1 << 16

_ATTRIBUTES = rb"""(?:\s+[^\s=/>"'<]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*\s*"""
_ROOT_START = re.compile(rb"<iati-activities" + _ATTRIBUTES + rb">")
_START = re.compile(rb"<iati-activity" + _ATTRIBUTES + rb"(/?)>")
_END = re.compile(rb"</iati-activity\s*>")
_ROOT_END = re.compile(rb"</iati-activities\s*>")
_ANSWER_START = re.compile(rb"<result" + _ATTRIBUTES + rb">")
_ANSWER_END = re.compile(rb"</result\s*>")
_QUERY_START = re.compile(rb"<query" + _ATTRIBUTES + rb"(/?)>")
_QUERY_END = re.compile(rb"</query\s*>")
#: One attribute of a start tag (matched in turn from the end of the tag's name).
_ATTRIBUTE = re.compile(rb"""\s+([^\s=/>"'<]+)\s*=\s*("[^"<]*"|'[^'<]*')""")
_SPACE = re.compile(rb"[ \t\r\n]*")
_DECLARATION = re.compile(rb"<\?xml[ \t\r\n][^?]*\?>")
_ENCODING = re.compile(rb"""[ \t\r\n]encoding[ \t\r\n]*=[ \t\r\n]*["']([^"']*)["']""")
_NAME_AFTER = frozenset(b" \t\r\n>/")
_SPACES = (b" ", b"\t", b"\r", b"\n")
UTF8_BOM = b"\xef\xbb\xbf"
ROOT_END = b"</iati-activities>"
ANSWER_END = b"</result>"


def _namespaces(tag: bytes, at: int) -> dict[bytes, bytes]:
    """The namespace declarations of a start tag (its name ending at ``at``), as written."""
    return {found.group(1): found.group(2) for found in _ATTRIBUTE.finditer(tag, at)
            if found.group(1) == b"xmlns" or found.group(1).startswith(b"xmlns:")}


#: Why a file (or a Datastore answer's activity) with a DOCTYPE is refused: entities, which
#: the reader never expands, are declared there.
DOCTYPE = N_("a DOCTYPE is not accepted in IATI files")
#: A DOCTYPE after what may come before it: comments, processing instructions (the XML
#: declaration among them) and white space (possessive: no backtracking over many comments).
_DOCTYPE_FIRST = re.compile(r"(?:<\?[^>]*\?>|<!--.*?-->|\s)*+<!DOCTYPE", re.S)


#: How much of a file's start :func:`has_doctype` looks at.
PROLOG_LIMIT = 1 << 16


def has_doctype(head: bytes) -> bool:
    """Whether the prolog at the start of ``head`` (a file's first bytes, in UTF-8, UTF-16
    or a single-byte encoding; its first :data:`PROLOG_LIMIT` are read) holds a DOCTYPE:
    where libxml2 stops inside one (entities expanding beyond its limit), the refusal is
    the DOCTYPE's all the same."""
    head = head[:PROLOG_LIMIT]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[:2]:
        text = head.decode("utf-16-be" if head[:1] in (b"\xfe", b"\x00") else "utf-16-le",
                           "ignore")
    else:  # UTF-8 and the single-byte encodings write markup in ASCII
        text = head.removeprefix(UTF8_BOM).decode("latin-1")
    return _DOCTYPE_FIRST.match(text.removeprefix("\ufeff")) is not None


class Unsure(Exception):
    """The scan cannot vouch for this file: read it the ordinary way."""


def wrap(head: bytes, activity: bytes) -> bytes:
    """One activity's bytes (with what followed it) inside the root's start tag."""
    return head + activity + ROOT_END


def parse(head: bytes, activity: bytes, parser: etree.XMLParser
          ) -> tuple[etree._Element, bytes | None]:
    """The activity as the ordinary reading would have it, and its published copy.

    Where the root declares no namespace the activity is parsed as a document of
    its own, as a worker parsed the serialised copy it was sent before (the schema
    validates a document's root faster than an element inside one), and its copy is
    made here: the element serialised, then the white space after it as the parser
    gives a tail (line ends made ``\n``). Otherwise it is parsed inside the root's
    start tag and the copy is left to the caller (``None``): the element serialised
    with its tail, the root's namespace declarations copied onto it.
    """
    if b"xmlns" not in head:
        element = etree.fromstring(activity, parser)
        body = activity.rstrip(b" \t\r\n")
        tail = activity[len(body):].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        return element, etree.tostring(element, encoding="UTF-8") + tail
    root = etree.fromstring(wrap(head, activity), parser)
    if len(root) != 1:
        raise Unsure("not one element")
    return root[0], None


class Scan:
    """The activities of one file, as bytes, in order (see the module's notes)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.buf = b""
        self.eof = False
        #: The root's start tag, exactly as written (known once :meth:`start` has run); in
        #: the IATI Datastore's answer, its iati-activities' with the namespaces declared
        #: on ``result`` added.
        self.head = b""
        #: Whether the file is the IATI Datastore's answer (``result`` around the activities).
        self.wrapped = False
        self.parser = safe_parser(remove_comments=True, remove_pis=True)
        self._at = -1

    def start(self) -> bytes:
        """Check what comes before the first activity; the root's start tag."""
        self._at = self._prolog()
        return self.head

    # --- the buffer -------------------------------------------------------------------------

    def _more(self) -> bool:
        """Read one more block onto the buffer; ``False`` at the end of the file."""
        if self.eof:
            return False
        data = self.stream.read(BLOCK)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _find(self, what: bytes, at: int) -> int:
        """Where ``what`` next occurs from ``at`` (reading on as needed), else -1."""
        while True:
            found = self.buf.find(what, at)
            if found >= 0:
                return found
            at = max(at, len(self.buf) - len(what) + 1)
            if not self._more():
                return -1

    def _ahead(self, at: int, count: int) -> None:
        """At least ``count`` bytes from ``at`` in the buffer, unless the file ends first."""
        while len(self.buf) - at < count and self._more():
            pass

    def _match(self, pattern: re.Pattern[bytes], at: int) -> re.Match[bytes]:
        """``pattern`` at ``at`` (a tag: read on until it is complete)."""
        while True:
            found = pattern.match(self.buf, at)
            if found is not None:
                return found
            end = self.buf.find(b">", at)
            if end >= 0 and self.buf.find(b"<", at + 1, end) >= 0:
                raise Unsure("not a tag")
            # not complete yet (a ``>`` may be inside a quoted value): read on
            if len(self.buf) - at > TAG_LIMIT or not self._more():
                raise Unsure("not a tag")

    def _skip(self, at: int, close: bytes) -> int:
        """The position after ``close``, which ends the construct starting at ``at``."""
        end = self._find(close, at)
        if end < 0:
            raise Unsure("unterminated")
        return end + len(close)

    def _named(self, at: int, name: bytes) -> bool:
        """Whether the tag at ``at`` is ``name`` itself (not a longer name beginning so)."""
        end = at + len(name)
        self._ahead(at, len(name) + 1)
        return (self.buf.startswith(name, at) and self.buf[end:end + 1] != b""
                and self.buf[end] in _NAME_AFTER)

    def _next_markup(self, at: int, why: str) -> int:
        """Where the next tag from ``at`` begins, past white space, comments and processing
        instructions (checked as the parser reads them); anything else first is ``why``."""
        while True:
            lt = self._find(b"<", at)
            if lt < 0 or not _SPACE.fullmatch(self.buf, at, lt):
                raise Unsure(why)
            self._ahead(lt, 4)
            if self.buf.startswith(b"<!--", lt):
                at = self._skip(lt + 4, b"-->")
            elif self.buf.startswith(b"<?", lt):
                at = self._skip(lt + 2, b"?>")
            else:
                return lt
            self._check(self.buf[lt:at])

    def _check(self, piece: bytes) -> None:
        """Comments (or a closing part) as the parser reads them, outside the activities."""
        try:
            etree.fromstring(b"<x>" + piece + b"</x>", self.parser)
        except etree.XMLSyntaxError:
            raise Unsure("malformed") from None

    # --- the file ---------------------------------------------------------------------------

    def _prolog(self) -> int:
        """Check what comes before the root; the position after its start tag."""
        self._ahead(0, 4)
        at = len(UTF8_BOM) if self.buf.startswith(UTF8_BOM) else 0
        self._ahead(at, 6)
        # the XML declaration; a processing instruction whose name begins so
        # (``<?xml-stylesheet …?>``, first where a tool wrote no declaration) is one like any
        if self.buf.startswith(b"<?xml", at) and self.buf[at + 5:at + 6] in _SPACES:
            end = self._skip(at, b"?>")
            declaration = _DECLARATION.fullmatch(self.buf, at, end)
            if declaration is None:
                raise Unsure("declaration")
            encoding = _ENCODING.search(declaration.group())
            if encoding is not None and encoding.group(1).lower() not in (b"utf-8", b"utf8"):
                raise Unsure("encoding")
            at = end
        lt = self._next_markup(at, "before the root")
        if self._named(lt, b"<iati-activities"):
            head = self._match(_ROOT_START, lt)
            self.head = head.group()
            try:
                etree.fromstring(self.buf[:lt] + self.head + ROOT_END, self.parser)
            except etree.XMLSyntaxError:
                raise Unsure("malformed") from None
            return head.end()
        if self._named(lt, b"<result"):
            return self._answer(self._match(_ANSWER_START, lt))
        raise Unsure("before the root")

    def _answer(self, root: re.Match[bytes]) -> int:
        """The IATI Datastore's answer: the position after its iati-activities' start tag."""
        at = root.end()
        while True:
            lt = self._find(b"<iati-activities", at)
            if lt < 0:
                raise Unsure("no iati-activities")
            if self._named(lt, b"<iati-activities"):
                break
            at = lt + 16
        head = self._match(_ROOT_START, lt)
        # what comes before is well-formed exactly when this is (a "<iati-activities" inside
        # a comment or a value leaves something open)
        try:
            etree.fromstring(self.buf[:head.end()] + ROOT_END + ANSWER_END, self.parser)
        except etree.XMLSyntaxError:
            raise Unsure("malformed") from None
        own = _namespaces(head.group(), len(b"<iati-activities"))
        added = b"".join(b" " + name + b"=" + value for name, value
                         in _namespaces(root.group(), len(b"<result")).items()
                         if name not in own)
        self.head = b"<iati-activities" + added + head.group()[len(b"<iati-activities"):]
        self.wrapped = True
        return head.end()

    def _activity_end(self, at: int) -> int:
        """The position after the ``</iati-activity>`` closing the activity begun before.

        An activity inside this one needs no search of its own: its end tag would end
        the bytes with this one still open, which the parse of the activity refuses.
        """
        while True:
            end = self._find(b"</iati-activity", at)
            if end < 0:
                raise Unsure("unterminated")
            buf = self.buf
            # comments, CDATA and processing instructions are rare: two searches for a
            # single byte (memchr) tell when there can be none before the end tag
            if buf.find(b"!", at, end) >= 0 or buf.find(b"?", at, end) >= 0:
                special = min((i for i in (buf.find(b"<!", at, end), buf.find(b"<?", at, end))
                               if i >= 0), default=-1)
                if special >= 0:
                    at = self._special(special)
                    continue
            self._ahead(end, 16)
            if len(self.buf) > end + 15 and self.buf[end + 15] not in _NAME_AFTER:
                at = end + 15  # the end tag of another element, named iati-activity…
                continue
            return self._match(_END, end).end()

    def _special(self, at: int) -> int:
        """Skip a comment, CDATA section or processing instruction inside an activity."""
        self._ahead(at, 16)
        buf = self.buf
        if buf.startswith(b"<!--", at):
            return self._skip(at + 4, b"-->")
        if buf.startswith(b"<![CDATA[", at):
            return self._skip(at + 9, b"]]>")
        if buf.startswith(b"<?", at):
            return self._skip(at + 2, b"?>")
        raise Unsure("a DOCTYPE or declaration inside an activity")

    def __iter__(self) -> Iterator[bytes]:
        """Each activity's bytes, with the white space after it (its tail when parsed)."""
        if self._at < 0:
            self.start()
        at = self._at
        start = end = -1  # the activity not given out yet (its tail still to come)
        pieces: list[bytes] | None = None  # its tail's white space, when comments come between
        query = self.wrapped  # the Datastore's query may come before the first activity
        while True:
            cut = start if start >= 0 else at
            if cut > BLOCK:
                self.buf = self.buf[cut:]
                at, start, end = at - cut, start - cut, end - cut
            lt = self._find(b"<", at)
            if lt < 0 or not _SPACE.fullmatch(self.buf, at, lt):
                raise Unsure("text or an unfinished file between the activities")
            self._ahead(lt, 19)
            buf = self.buf
            if buf.startswith(b"<!--", lt):
                if start >= 0:
                    pieces = pieces if pieces is not None else []
                    pieces.append(buf[at:lt])
                at = self._skip(lt + 4, b"-->")
                self._check(self.buf[lt:at])
                continue
            if query and buf.startswith(b"<query", lt):
                at = self._query(lt)
                query = False
                continue
            query = False
            activity = (buf.startswith(b"<iati-activity", lt) and buf[lt + 14:lt + 15] != b""
                        and buf[lt + 14] in _NAME_AFTER)
            if not activity and not buf.startswith(b"</iati-activities", lt):
                raise Unsure("something other than an activity in the root")
            if start >= 0:
                # one slice when nothing came between (the comments are not in the tail)
                yield (buf[start:lt] if pieces is None
                       else buf[start:end] + b"".join(pieces) + buf[at:lt])
                start, pieces = -1, None
            if not activity:
                at = self._match(_ROOT_END, lt).end()
                self._epilogue(self._answer_end(at) if self.wrapped else at)
                return
            tag = self._match(_START, lt)
            if tag.group(1):
                raise Unsure("an empty activity")
            start, end = lt, self._activity_end(tag.end())
            at = end

    def _query(self, at: int) -> int:
        """Skip the Datastore's ``query`` (its paging), checked as the parser reads it."""
        tag = self._match(_QUERY_START, at)
        end = tag.end() if tag.group(1) else self._match(_QUERY_END, self._skip(
            tag.end(), b"</query") - len(b"</query")).end()
        self._check(self.buf[at:end])
        return end

    def _answer_end(self, at: int) -> int:
        """The position after ``</result>``: only white space, comments and processing
        instructions may come first."""
        lt = self._next_markup(at, "more than the activities in the answer")
        self._ahead(lt, 9)
        if not self.buf.startswith(b"</result", lt):
            raise Unsure("more than the activities in the answer")
        return self._match(_ANSWER_END, lt).end()

    def _epilogue(self, at: int) -> None:
        while len(self.buf) - at <= EPILOGUE_LIMIT and self._more():
            pass
        rest = self.buf[at:]
        if len(rest) > EPILOGUE_LIMIT:
            raise Unsure("a long end")
        try:
            etree.fromstring(b"<x/>" + rest, self.parser)
        except etree.XMLSyntaxError:
            raise Unsure("malformed") from None
