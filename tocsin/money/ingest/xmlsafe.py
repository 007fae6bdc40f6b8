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
from pathlib import Path

from lxml import etree

from tocsin.errors import InputError
from tocsin.money.ingest.base import ProgressBar, TrackedFile, file_size


@dataclass
class Node:
    """One finished element, its location and its depth (1 for the root)."""

    element: etree._Element
    path: str
    depth: int
    name: str


def local(element: etree._Element) -> str:
    return str(etree.QName(element).localname)


def _refuse_doctype(root: etree._Element, where: str) -> None:
    info = root.getroottree().docinfo
    dtd = info.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise InputError.single(where, "the DOCTYPE declares entities; such documents are "
                                       "refused (entity expansion and external entities)")
    if info.system_url or info.public_id:
        raise InputError.single(where, "the DOCTYPE refers to an external DTD; such documents "
                                       "are refused")


def iter_nodes(path: Path, bar: ProgressBar, record_depth: set[int],
               indexed: frozenset[str] = frozenset()) -> Iterator[Node]:
    """Yield every element that ends at one of ``record_depth`` levels, then clear it.

    Children of a yielded element are still attached when it is yielded; the
    element and its preceding siblings are removed afterwards. ``indexed``
    names elements whose position is always shown (``transaction[1]``); others
    show it only from the second occurrence on.
    """
    where = str(path)
    with path.open("rb") as raw, bar.track(f"XML {path.name}", file_size(path)) as tracked:
        context = etree.iterparse(
            TrackedFile(raw, tracked), events=("start", "end"), resolve_entities=False,
            no_network=True, load_dtd=False, huge_tree=False, remove_comments=True,
            remove_pis=True,
        )
        segments: list[str] = []
        counters: list[dict[str, int]] = [{}]
        checked = False
        try:
            for event, element in context:
                if not checked:
                    _refuse_doctype(element, where)
                    checked = True
                name = local(element)
                if event == "start":
                    counts = counters[-1]
                    counts[name] = counts.get(name, 0) + 1
                    n = counts[name]
                    segments.append(f"{name}[{n}]" if n > 1 or name in indexed else name)
                    counters.append({})
                    continue
                depth = len(segments)
                if depth in record_depth:
                    yield Node(element, "/" + "/".join(segments), depth, name)
                    element.clear(keep_tail=False)
                    parent = element.getparent()
                    if parent is not None:
                        while element.getprevious() is not None:
                            del parent[0]
                segments.pop()
                counters.pop()
        except etree.XMLSyntaxError as exc:
            line = exc.lineno or (exc.position[0] if exc.position else 0)
            raise InputError.single(f"{where}:{line}" if line else where,
                                    f"not well-formed XML ({exc.msg})") from None


def child(element: etree._Element, *names: str) -> etree._Element | None:
    """The first element along the path of child ``names`` (local names, any namespace)."""
    current: etree._Element | None = element
    for name in names:
        if current is None:
            return None
        current = current.find(f"{{*}}{name}")
    return current


def children(element: etree._Element, name: str) -> list[etree._Element]:
    return list(element.iterfind(f"{{*}}{name}"))


def text(element: etree._Element | None, *names: str) -> str | None:
    """Stripped text of the descendant along ``names``; ``None`` when missing or empty."""
    if element is None:
        return None
    found = child(element, *names) if names else element
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return value or None
