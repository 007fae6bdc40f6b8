"""The IATI reader terminates in bounded time on any input (issue 9: ``EURO`` hung it)."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from tocsin.reference.registry import load_registry
from tocsin.taskforce.iati.reader import ReadResult, read_activities
from tocsin.taskforce.programmes.vocabulary import Vocabulary

FIXTURE = Path(__file__).parents[2] / "fixtures" / "iati" / "partner_activities.xml"
T = TypeVar("T")
VOCAB = Vocabulary.from_registry(load_registry())


def bounded(work: Callable[[], T], seconds: float = 10.0) -> T:
    """Run ``work`` in a thread; fail the test when it does not end within ``seconds``."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"did not finish within {seconds} s"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def _read(data: bytes) -> ReadResult:
    return bounded(lambda: read_activities(io.BytesIO(data), VOCAB))


def test_an_unknown_default_currency_is_reported_not_looped_on() -> None:
    data = FIXTURE.read_bytes().replace(b'default-currency="USD" hierarchy',
                                        b'default-currency="EURO" hierarchy')
    result = _read(data)
    reasons = [str(p) for p in result.problems]
    assert any("'EURO'" in r and r.startswith("/iati-activities/iati-activity[1]")
               for r in reasons), reasons


_ATTRIBUTES = [(element, name) for element in etree.parse(str(FIXTURE)).iter()
               if isinstance(element.tag, str) for name in element.attrib]


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(0, len(_ATTRIBUTES) - 1),
                          st.text(max_size=12)), min_size=1, max_size=4))
def test_any_attribute_value_ends_in_bounded_time(changes: list[tuple[int, str]]) -> None:
    tree = etree.parse(str(FIXTURE))
    elements = [e for e in tree.iter() if isinstance(e.tag, str)]
    pairs = [(i, name) for i, e in enumerate(elements) for name in e.attrib]
    for index, value in changes:
        position, name = pairs[index % len(pairs)]
        clean = "".join(c for c in value if c.isprintable())
        elements[position].set(name, clean)
    result = _read(etree.tostring(tree))
    assert isinstance(result, ReadResult)
