"""Streaming, hardened XML reading for the XML importers.

The parser never expands entities, never loads a DTD and never touches the
network; a document whose DOCTYPE declares entities or points at an external
DTD is refused outright (billion laughs, external entities). Elements are
yielded with an XPath-like location (``/report/transaction[12]``) and cleared
after use so memory stays flat on large files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

from tocsin import limits
from tocsin.errors import InputError
from tocsin.i18n import N_, Number
from tocsin.limits import TooLarge
from tocsin.money.ingest.base import ProgressBar, TrackedFile, file_size

#: A document whose root element starts later than this is refused (a DTD that large is hostile).
MAX_PROLOG = 1 << 20
ENTITY_REFUSAL = N_("the DOCTYPE declares entities; such documents are refused (entity "
                    "expansion and external entities)")


@dataclass
class Node:
    """One finished element, its location and its depth (1 for the root)."""

    element: etree._Element
    path: str
    depth: int
    name: str

    @property
    def line(self) -> int | None:
        """The 1-based line of the element's start tag."""
        return line_of(self.element)


def line_of(element: etree._Element | None) -> int | None:
    """The 1-based line of an element's start tag (None when lxml does not know it)."""
    line = element.sourceline if element is not None else None
    return int(line) if line else None


def local(element: etree._Element) -> str:
    """The element's name without its namespace. Read from the tag itself: a name with an
    undeclared prefix (``re:port``) is kept as written, where ``etree.QName`` would raise."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag[tag.index("}") + 1:] if tag.startswith("{") else tag


def namespace(element: etree._Element) -> str:
    """The element's namespace URI, or "" (read from the tag, like :func:`local`)."""
    return _namespace(element)


def _refuse_doctype(root: etree._Element, where: str) -> None:
    info = root.getroottree().docinfo
    dtd = info.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise InputError.single(where, ENTITY_REFUSAL)
    if info.system_url or info.public_id:
        raise InputError.single(where, N_("the DOCTYPE refers to an external DTD; such "
                                          "documents are refused"))


def iter_nodes(path: Path, bar: ProgressBar, record_depth: set[int],
               tags: set[str], indexed: frozenset[str] = frozenset()) -> Iterator[Node]:
    """Yield the elements named in ``tags`` that end at a ``record_depth`` level, then clear them.

    Only those elements reach Python (lxml filters the rest), which keeps the
    parse fast. Children of a yielded element are still attached when it is
    yielded; the element and its preceding siblings are removed afterwards.
    ``indexed`` names elements whose position is always shown
    (``transaction[1]``); others show it from the second occurrence on.
    """
    where = str(path)
    _check_prolog(path)
    with path.open("rb") as raw, bar.track(f"XML {path.name}", file_size(path)) as tracked:
        context = etree.iterparse(
            TrackedFile(raw, tracked), events=("end",), tag=[f"{{*}}{t}" for t in tags],
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
            remove_comments=True, remove_pis=True,
        )
        counts: dict[tuple[str, str], int] = {}
        # the ancestors last seen, root first, with their paths; and how many siblings of an
        # ancestor were let go, by parent path and tag (so positions stay right)
        chain: list[tuple[etree._Element, str]] = []
        removed: dict[tuple[str, str], int] = {}
        checked = False
        most = limits.active().max_rows
        records = 0
        try:
            for _, element in context:
                if not checked:
                    _refuse_doctype(element, where)
                    checked = True
                ancestors = list(element.iterancestors())
                depth = len(ancestors) + 1
                if depth not in record_depth:
                    continue
                records += 1
                if records > most:
                    raise TooLarge.single(path.name, N_(
                        "more than %(most)s elements; the limit is set by "
                        "TOCSIN_IMPORT_MAX_ROWS", most=Number(most)))
                ancestors.reverse()
                parent_path = _ancestor_path(ancestors, chain, removed, indexed)
                name = local(element)
                key = (parent_path, name)
                counts[key] = n = counts.get(key, 0) + 1
                step = f"{name}[{n}]" if n > 1 or name in indexed else name
                yield Node(element, f"{parent_path}/{step}", depth, name)
                element.clear(keep_tail=False)
                parent = element.getparent()
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
            if not checked and context.root is not None:
                _refuse_doctype(context.root, where)
        except etree.XMLSyntaxError as exc:
            line = exc.lineno or (exc.position[0] if exc.position else 0)
            raise InputError.single(f"{where}:{line}" if line else where,
                                    N_("not well-formed XML (%(error)s)", error=exc.msg)) \
                from None


def root_name(path: Path) -> str:
    """The local name of the document's root element (the prolog is checked as by
    :func:`iter_nodes`)."""
    return _check_prolog(path)


def _check_prolog(path: Path) -> str:
    """Parse up to the root element's start and refuse a hostile DOCTYPE before anything else;
    the root's local name."""
    parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True,
                                 load_dtd=False, huge_tree=False)
    seen = bytearray()
    try:
        with path.open("rb") as handle:
            # small pieces, so the root's start is seen before any entity reference is parsed
            while chunk := handle.read(512):
                seen += chunk
                parser.feed(chunk)
                for _, element in parser.read_events():
                    _refuse_doctype(element, str(path))
                    return local(element)
                if handle.tell() > MAX_PROLOG:
                    raise InputError.single(str(path), N_(
                        "no root element in the first %(size)s KiB; refused",
                        size=MAX_PROLOG // 1024))
    except etree.XMLSyntaxError as exc:
        if b"<!ENTITY" in seen:  # libxml2 may stop inside the DTD (entity amplification)
            raise InputError.single(str(path), ENTITY_REFUSAL) from None
        line = exc.lineno or 0
        raise InputError.single(f"{path}:{line}" if line else str(path),
                                N_("not well-formed XML (%(error)s)", error=exc.msg)) from None
    return ""  # no element at all: the parse proper says why


def _ancestor_path(ancestors: list[etree._Element], chain: list[tuple[etree._Element, str]],
                   removed: dict[tuple[str, str], int], indexed: frozenset[str]) -> str:
    """The path of the last of ``ancestors`` (root first), reusing ``chain`` for those seen
    before. A new ancestor's earlier siblings are finished: they are counted in ``removed``
    and let go, so many records under many parents (a batch of reports, of statements) cost
    neither a walk over all earlier siblings nor the memory of their empty shells."""
    path = ""
    for level, ancestor in enumerate(ancestors):
        if level < len(chain) and chain[level][0] is ancestor:
            path = chain[level][1]
            continue
        del chain[level:]
        parent = ancestor.getparent()
        if parent is not None:
            while (previous := ancestor.getprevious()) is not None:
                if isinstance(previous.tag, str):
                    key = (path, previous.tag)
                    removed[key] = removed.get(key, 0) + 1
                del parent[0]
        name = local(ancestor)
        n = 1 + removed.get((path, ancestor.tag), 0)
        path = f"{path}/{name}[{n}]" if n > 1 or name in indexed else f"{path}/{name}"
        chain.append((ancestor, path))
    return path


def child(element: etree._Element, *names: str) -> etree._Element | None:
    """The first element along the path of child ``names``, in the element's own namespace."""
    return element.find(_path(_namespace(element), names))


def children(element: etree._Element, name: str) -> list[etree._Element]:
    return list(element.iterfind(_path(_namespace(element), (name,))))


def _namespace(element: etree._Element) -> str:
    tag = element.tag
    return tag[1:tag.index("}")] if isinstance(tag, str) and tag.startswith("{") else ""


@lru_cache(maxsize=1024)
def _path(namespace: str, names: tuple[str, ...]) -> str:
    prefix = f"{{{namespace}}}" if namespace else ""
    return "/".join(prefix + name for name in names)


def text(element: etree._Element | None, *names: str) -> str | None:
    """Stripped text of the descendant along ``names``; ``None`` when missing or empty."""
    if element is None:
        return None
    found = child(element, *names) if names else element
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return value or None


def fields(element: etree._Element) -> dict[str, str]:
    """Stripped, non-empty text of the direct children by local name (first occurrence).

    One pass over the children instead of one search per field read.
    """
    out: dict[str, str] = {}
    for item in element:
        tag = item.tag
        if not isinstance(tag, str):
            continue
        name = tag[tag.index("}") + 1:] if tag.startswith("{") else tag
        if name not in out and item.text is not None:
            value = item.text.strip()
            if value:
                out[name] = value
    return out
