"""The guards of the IATI rules and code lists skip only checks that would find nothing.

``check_element`` runs the rules that test for the presence of elements only where
one XPath (their guard) says one of them may fire, and looks at coded values only
where one XPath says one is outside its list. This compares it, on activities broken
in many ways, with every rule run on every target and every coded value looked at,
and checks that each guarded rule and each code list did find something somewhere
(else the comparison would prove nothing).
"""

from __future__ import annotations

import copy
import random
from pathlib import Path

from lxml import etree

from tocsin.taskforce.iati.rules import (
    Finding,
    _coded,
    _where,
    check_element,
    ruleset,
    unlisted_codes,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "iati"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
VALUES = ["%", "5%", "", "98", "99", "1", "2", "x", "2030-01-01", "1999-12-31", "150", "a/b"]
ATTRIBUTES = [XML_LANG, "percentage", "vocabulary", "currency", "significance", "ref", "type",
              "iso-date", "default-currency", "rate-1"]
#: And for the code lists: codes in and out of them, with spaces, on coded attributes.
CODES = ([*VALUES, "1 2", " 1", "EUR", "en", "A02", "B01", "xx"],
         [*ATTRIBUTES, "code", "status", "measure", "budget-not-provided"])
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
    return findings + unlisted_codes(element, kind, guarded=False)


def _broken(rng: random.Random, element: etree._Element,
            values: list[str] = VALUES, attributes: list[str] = ATTRIBUTES) -> etree._Element:
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
            node.set(rng.choice(attributes), rng.choice(values))
        else:
            node.text = rng.choice(values)
    return root


def test_the_guard_skips_only_rules_that_find_nothing() -> None:
    rng = random.Random(7)
    activities = [a for name in ("rich_2.03.xml", "rich_2.02.xml", "partner_activities.xml")
                  for a in etree.parse(str(FIXTURES / name)).getroot().iter("iati-activity")]
    cases = [etree.fromstring(data) for data in EXTRA]
    cases += [_broken(rng, rng.choice(activities)) for _ in range(1500)]
    cases += [_broken(rng, rng.choice(activities), *CODES) for _ in range(1500)]
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


def test_the_code_guard_sees_every_coded_value_out_of_its_list() -> None:
    """Each coded value of the rich fixtures, alone set out of its list (or given a
    space inside), is found through the guard, with its XPath; every code list of the
    mapping is tried."""
    tried: set[str] = set()
    # what the fixtures do not hold: a budget identifier of vocabulary 1 (IATI's)
    budget_item = etree.fromstring(b'<iati-activity><country-budget-items vocabulary="1">'
                                   b'<budget-item code="1.1.1"/></country-budget-items>'
                                   b'</iati-activity>')
    for source, kind in (("rich_2.03.xml", "activity"), ("rich_2.02.xml", "activity"),
                         ("organisation_2.03.xml", "organisation"), (budget_item, "activity")):
        tree = etree.parse(str(FIXTURES / source)) if isinstance(source, str) else source
        for original in tree.iter(f"iati-{kind}"):
            assert unlisted_codes(original, kind) == []
            for entry in _coded(kind)[1]:
                for i in range(len(entry.path(original))):
                    for wrong in ("xx", "1 1"):
                        element = copy.deepcopy(original)
                        value = entry.path(element)[i]
                        value.getparent().set(value.attrname, wrong)
                        name = value.attrname.replace(XML_LANG[:-4], "xml:")
                        finding = (f"{_where(element, value.getparent())}/@{name}",
                                   f"code {wrong!r} is not in the bundled IATI code list "
                                   f"{entry.name}; kept as published")
                        found = unlisted_codes(element, kind)
                        assert found == unlisted_codes(element, kind, guarded=False)
                        assert finding in [(p, str(r)) for p, r in found], finding
                    tried.add(entry.name)
    assert {e.name for kind in ("activity", "organisation") for e in _coded(kind)[1]} - tried \
        == set()
