"""A rule's values read by a path of attributes are the XPath's own strings, as the loop
over the nodes gives them; anything that may not be a list of attributes takes the loop."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tocsin.taskforce.iati.rules import _attributes_only, _plain, _xpath

FIXTURES = Path(__file__).parents[2] / "fixtures" / "iati"
PATHS = ["activity-date[@type='1']/@iso-date", "(transaction)/transaction-date/@iso-date",
         "recipient-country/@percentage | recipient-region/@percentage | sector/@percentage",
         "budget/period-start/@iso-date", "transaction/value/@value-date", "@xml:lang",
         "iati-identifier", "reporting-org/@ref | iati-identifier", "sector/@*"]


def _looped(element: etree._Element, expression: str) -> list[str]:
    out = []
    for node in etree.XPath(expression, smart_strings=False)(element):
        out.append(node if isinstance(node, str) else (node.text or "").strip())
    return out


@pytest.mark.parametrize("expression", PATHS)
def test_the_texts_are_those_of_the_loop(expression: str) -> None:
    texts = _plain([_xpath(expression)])
    activities = list(etree.parse(str(FIXTURES / "rich_2.03.xml")).getroot())
    assert any(_looped(activity, expression) for activity in activities)
    for activity in activities:
        assert texts(activity) == _looped(activity, expression)


@pytest.mark.parametrize(("expression", "plain"), [
    ("budget/period-start/@iso-date", True),
    ("(transaction)/transaction-date/@iso-date", True),
    ("a[b[@c='1']]/@d", True),
    ("iati-identifier", False),
    ("a/@x | b", False),
    ("a or b/@x", False),       # a boolean
    ("a*b/@x", False),          # a product
    ("count(a)/@x", False),
    ("(a | b)/@x", False),      # attributes, but not a form the check knows
])
def test_only_paths_of_attributes_skip_the_loop(expression: str, plain: bool) -> None:
    assert _attributes_only(expression) is plain
