"""The guard of the IATI rules skips only rules that would find nothing.

``check_element`` runs the rules that test for the presence of elements only where
one XPath (their guard) says one of them may fire. This compares it, on activities
broken in many ways, with every rule run on every target, and checks that each
guarded rule did fire somewhere (else the comparison would prove nothing).
"""

from __future__ import annotations

import copy
import random
from pathlib import Path

from lxml import etree

from tocsin.taskforce.iati.rules import Finding, check_element, ruleset

FIXTURES = Path(__file__).parents[2] / "fixtures" / "iati"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
VALUES = ["%", "5%", "", "98", "99", "1", "2", "x", "2030-01-01", "1999-12-31", "150", "a/b"]
ATTRIBUTES = [XML_LANG, "percentage", "vocabulary", "currency", "significance", "ref", "type",
              "iso-date", "default-currency", "rate-1"]
#: Elements that break the rules the fixtures never come near (loans, forecasts).
EXTRA = [
    b'<iati-activity default-currency="EUR"><crs-add><loan-terms rate-1="4%" rate-2="3"/>'
    b'</crs-add></iati-activity>',
    b'<iati-activity><crs-add><loan-status year="2020"/></crs-add><fss><forecast year="2020">'
    b'1</forecast></fss></iati-activity>',
    b'<iati-activity><sector vocabulary="98" code="A"/><recipient-country code="KE"/>'
    b'<transaction><recipient-region code="289"/></transaction></iati-activity>',
    b'<iati-activity><transaction><sector code="15110"/></transaction><transaction/>'
    b'</iati-activity>',
]


def _unguarded(element: etree._Element, kind: str) -> list[Finding]:
    findings: list[Finding] = []
    for context, _guard, rules in ruleset(kind):
        for target in [element] if context is None else context(element):
            for rule in rules:
                findings += rule.check(element, target)
    return findings


def _broken(rng: random.Random, element: etree._Element) -> etree._Element:
    root = copy.deepcopy(element)
    for _ in range(rng.randint(1, 12)):
        nodes = list(root.iter())
        node = rng.choice(nodes)
        dice = rng.random()
        if dice < 0.3 and node is not root:
            node.getparent().remove(node)
        elif dice < 0.5 and node.attrib:
            del node.attrib[rng.choice(list(node.attrib))]
        elif dice < 0.7:
            other = rng.choice(nodes)
            if other is not root and other is not node and node not in other.iterancestors():
                node.append(copy.deepcopy(other))
        elif dice < 0.9:
            node.set(rng.choice(ATTRIBUTES), rng.choice(VALUES))
        else:
            node.text = rng.choice(VALUES)
    return root


def test_the_guard_skips_only_rules_that_find_nothing() -> None:
    rng = random.Random(7)
    activities = [a for name in ("rich_2.03.xml", "rich_2.02.xml", "partner_activities.xml")
                  for a in etree.parse(str(FIXTURES / name)).getroot().iter("iati-activity")]
    cases = [etree.fromstring(data) for data in EXTRA]
    cases += [_broken(rng, rng.choice(activities)) for _ in range(1500)]
    fired: set[str] = set()
    for element in cases:
        expected = _unguarded(element, "activity")
        assert check_element(element) == expected, etree.tostring(element)[:500]
        fired |= {str(reason) for _, reason in expected}
    guarded = {str(rule.reason) for _, _, rules in ruleset("activity") for rule in rules
               if rule.guard is not None}
    assert len(guarded) >= 12
    # a guarded rule's message may carry values after its reason ("… (vocabulary 1)")
    assert {reason for reason in guarded if not any(f.startswith(reason) for f in fired)} \
        == set()


def test_a_clean_activity_runs_only_the_unguarded_rules() -> None:
    activity = etree.parse(str(FIXTURES / "rich_2.03.xml")).getroot().find("iati-activity")
    assert activity is not None
    (_, guard, _), *_ = ruleset("activity")
    assert guard is not None
    assert check_element(activity) == _unguarded(activity, "activity")
