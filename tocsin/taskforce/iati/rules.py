"""The IATI rulesets and code lists, held as data (``rulesets/standard.yaml``,
``rulesets/codelists.yaml``), applied to one element.

:func:`check_element` runs every rule on an ``iati-activity`` (or, with
``kind="organisation"``, an ``iati-organisation``) and checks each coded value against
its code list, as the IATI Validator does; it returns ``(relative XPath, reason)`` for
each problem. The XPath expressions are compiled once. Reasons are messages (the
rulesets' ``reason:`` texts are in the catalogs), shown in the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from tocsin.i18n import N_, Message
from tocsin.taskforce.iati.codelists import codes, load_yaml

RULESETS = Path(__file__).parent / "rulesets"
Finding = tuple[str, str]
Check = Callable[[etree._Element, etree._Element], list[Finding]]


def _xpath(expression: str) -> etree.XPath:
    # without EXSLT's regular expressions (no rule uses them): lxml registers those
    # functions on every call otherwise, about 0.2 µs per call, tens of calls per activity
    return etree.XPath(expression, regexp=False)


def _union(paths: list[str]) -> list[etree.XPath]:
    """One compiled XPath for several paths (one call instead of one per path)."""
    return [_xpath(_joined(paths))]


def _any(paths: list[str]) -> etree.XPath:
    """Whether any of the paths selects something: libxml2 answers, no node is handed over."""
    return _xpath(f"boolean({_union(paths)[0].path})")


def _values(element: etree._Element, paths: list[etree.XPath]) -> list[tuple[Any, str]]:
    """``(node, text)`` for every attribute or element the paths select."""
    out = []
    for path in paths:
        for node in path(element):
            if isinstance(node, str):  # an attribute value (lxml's smart string)
                out.append((node.getparent(), str(node)))  # type: ignore[attr-defined]
            else:
                out.append((node, (node.text or "").strip()))
    return out


Texts = Callable[[etree._Element], list[str]]


def _plain(paths: list[etree.XPath]) -> Texts:
    """The texts :func:`_values` gives, from the paths compiled with ``smart_strings=False``.

    No proxy of an attribute's element is made: a rule looks at the texts first
    and asks for the nodes (to name them) only when one of them breaks it. A path
    that selects attributes only (dates, percentages: most of them) gives its list
    of strings as it is, without a Python loop over the values.
    """
    plain = [etree.XPath(path.path, smart_strings=False, regexp=False) for path in paths]
    if len(plain) == 1 and _attributes_only(plain[0].path):
        found: Texts = plain[0]
        return found

    def texts(element: etree._Element) -> list[str]:
        out = []
        for path in plain:
            for node in path(element):
                out.append(node if isinstance(node, str) else (node.text or "").strip())
        return out
    return texts


def _attributes_only(expression: str) -> bool:
    """Whether every branch of ``expression`` ends with an attribute step (``…/@name``);
    ``False`` when unsure, which only costs the loop of :func:`_plain`."""
    while True:  # the predicates, innermost first
        bare = re.sub(r"\[[^\[\]]*\]", "", expression)
        if bare == expression:
            break
        expression = bare
    return all(_ATTRIBUTE_PATH.fullmatch(branch.strip()) for branch in expression.split("|"))


#: A location path of plain steps (``(context)/a/b/@name``) ending with an attribute.
_STEP = r"(?:[\w.:-]+|\*)"
_ATTRIBUTE_PATH = re.compile(rf"(?:\({_STEP}(?:/{_STEP})*\)/)?(?:{_STEP}/)*@[\w.-]+")


def _total(texts: list[str]) -> Decimal | None:
    """The sum of the numbers; ``None`` when a text is not one (the schema reports it)."""
    values = [_number(text) for text in texts]
    if any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal(0))


def _where(root: etree._Element, node: etree._Element | None) -> str:
    if node is None or node is root:
        return ""
    tree = root.getroottree()
    return tree.getpath(node)[len(tree.getpath(root)):]


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


@dataclass
class _Rule:
    reason: str
    check: Check
    #: An XPath condition on the rule's target that holds whenever the rule finds
    #: something (``None``: no such condition; the rule always runs).
    guard: str | None = None


def _joined(paths: list[str]) -> str:
    return " | ".join(f"({p})" if "|" in p else p for p in paths)


def _either(paths: list[str]) -> str:
    return " or ".join(f"({p})" for p in paths)


def _guard(kind: str, case: dict[str, Any]) -> str | None:
    """A condition that holds whenever the rule of ``kind`` finds something, or ``None``.

    Exact for the rules that only test for the presence of elements (or contains '%',
    which may also hold when a rule would not fire: the guard only has to be true
    whenever the rule fires). Rules that read dates, numbers or patterns have none.
    """
    # "one of the paths selects something" as one test per path, not as a union: libxml2
    # merges and sorts a union's nodes, and stops at the first path that decides
    if kind == "atleast_one":
        test = " and ".join(f"not({p})" for p in case["paths"])
    elif kind == "none_missing":
        return f"({case['select']})"
    elif kind == "one_or_all":
        test = f"not({case['one']}) and ({case['each']})[not({case['has']})]"
    elif kind == "only_one_of":
        test = f"({_either(case['excluded'])}) and ({_either(case['paths'])})"
    elif kind == "if_then":
        test = f"({case['if']}) and not({case['then']})"
    elif kind == "no_percent":
        test = " or ".join(f"({p})[contains(., '%')]" for p in case["paths"])
    else:
        return None
    return f"({case['when']}) and {test}" if "when" in case else test


def _grouping(expression: str | None, default: str) -> Callable[[etree._Element], str]:
    """The group of a node: the first value ``expression`` selects on it, stripped, else
    ``default``. An attribute of the node itself (``@vocabulary``) is read without an
    XPath call: a sum asks for the group of every sector, twice."""
    if expression is None:
        return lambda node: default
    name = re.fullmatch(r"@([\w-]+)", expression)
    if name is not None:
        attribute = name.group(1)

        def by_attribute(node: etree._Element) -> str:
            value = node.get(attribute)
            return value.strip() if value is not None else default
        return by_attribute
    path = _xpath(expression)

    def by_path(node: etree._Element) -> str:
        found = path(node)
        return str(found[0]).strip() if found else default
    return by_path


def _compile(kind: str, case: dict[str, Any]) -> Check:
    reason: str = Message(str(case["reason"]))  # in the catalogs (babel.cfg)
    when = _xpath(f"boolean({case['when']})") if "when" in case else None

    def guarded(check: Check) -> Check:
        if when is None:
            return check
        return lambda root, el: check(root, el) if when(el) else []

    if kind == "atleast_one":
        present = _any(case["paths"])
        return guarded(lambda root, el: [] if present(el) else [(_where(root, el), reason)])
    if kind == "none_missing":
        # a lifted atleast_one: selects the context elements that have none of the paths
        offending = _xpath(case["select"])
        return lambda root, el: [(_where(root, node), reason) for node in offending(el)]
    if kind == "one_or_all":
        one, each, has = _any([case["one"]]), _xpath(case["each"]), _xpath(case["has"])

        def one_or_all(root: etree._Element, el: etree._Element) -> list[Finding]:
            if one(el):
                return []
            return [(_where(root, node), reason) for node in each(el) if not has(node)][:1]
        return guarded(one_or_all)
    if kind == "only_one_of":
        excluded, either = _any(case["excluded"]), _any(case["paths"])
        return guarded(lambda root, el: [(_where(root, el), reason)]
                       if excluded(el) and either(el) else [])
    if kind == "date_now":
        path = _xpath(case["date"])

        def date_now(root: etree._Element, el: etree._Element) -> list[Finding]:
            today = datetime.now(UTC).date()
            return [(_where(root, node), reason) for node, text in _values(el, [path])
                    if (day := _date(text)) is not None and day > today]
        return guarded(date_now)
    if kind == "date_order":
        less = _xpath(case["less"])
        more = None if case["more"] == "NOW" else _xpath(case["more"])

        less_texts = _plain([less])
        more_texts = _plain([more]) if more is not None else _plain([])

        def date_order(root: etree._Element, el: etree._Element) -> list[Finding]:
            first = less_texts(el)
            if not first:
                return []
            if more is None:
                limit = datetime.now(UTC).date()
            else:
                second = more_texts(el)
                if not second or (day := _date(second[0])) is None:
                    return []
                limit = day
            start = _date(first[0])
            if not (start and start > limit):
                return []
            return [(_where(root, _values(el, [less])[0][0]), reason)]
        return guarded(date_order)
    if kind == "date_now_all":
        every = _xpath(case["less"])
        texts = _plain([every])

        def date_now_all(root: etree._Element, el: etree._Element) -> list[Finding]:
            today = datetime.now(UTC).date().isoformat()
            # ISO dates compare as text; only a later one is parsed to be sure
            if not any(text[:10] > today for text in texts(el)):
                return []
            return [(_where(root, node), reason) for node, text in _values(el, [every])
                    if text[:10] > today and (day := _date(text)) is not None
                    and day.isoformat() > today]
        return guarded(date_now_all)
    if kind == "time_limit":
        each = _xpath(case["each"])
        start, end = _plain([_xpath(case["start"])]), _plain([_xpath(case["end"])])

        def time_limit(root: etree._Element, el: etree._Element) -> list[Finding]:
            found = []
            for node in each(el):
                a, b = start(node), end(node)
                if (a and b and (x := _date(a[0])) and (y := _date(b[0]))
                        and (y - x).days > 366):
                    found.append((_where(root, node), reason))
            return found
        return guarded(time_limit)
    if kind == "between_dates":
        dates = _xpath(case["date"])
        start, end = _plain([_xpath(case["start"])]), _plain([_xpath(case["end"])])

        def between_dates(root: etree._Element, el: etree._Element) -> list[Finding]:
            a, b = start(el), end(el)
            if not (a and b and (first := _date(a[0])) and (last := _date(b[0]))):
                return []
            return [(_where(root, node), reason) for node, text in _values(el, [dates])
                    if (day := _date(text)) is not None and not first <= day <= last]
        return guarded(between_dates)
    if kind == "regex_matches":
        pattern = re.compile(case["regex"])
        paths = _union(case["paths"])
        texts = _plain(paths)
        # an empty value breaks a pattern of one character at least without holding any
        # character the reason names: said as it is
        empty = Message(str(case["empty_reason"])) if "empty_reason" in case else None

        def regex_matches(root: etree._Element, el: etree._Element) -> list[Finding]:
            if all(pattern.fullmatch(text) for text in texts(el)):
                return []
            return [(_where(root, node), empty if empty is not None and not text else
                     N_("%(reason)s (%(value)s)", reason=reason, value=repr(text)))
                    for node, text in _values(el, paths) if not pattern.fullmatch(text)]
        return guarded(regex_matches)
    if kind == "sum":
        paths = [_xpath(p) for p in case["paths"]]
        shared = [_xpath(p) for p in case.get("shared", [])]
        grouped = "group_by" in case
        default = str(case.get("default", ""))
        key_of = _grouping(case["group_by"] if grouped else None, default)
        target = Decimal(str(case["sum"]))
        # strict: with more than one of ``elements`` in a group, each needs a percentage
        strict = _xpath(case["elements"]) if "elements" in case else None
        # whole: the sum over every group together may be the target instead
        whole = bool(case.get("or_whole", False))

        def total(root: etree._Element, el: etree._Element) -> list[Finding]:
            groups: dict[str, list[tuple[Any, str]]] = {}
            out: list[Finding] = []
            if strict is not None:
                counted: dict[str, list[etree._Element]] = {}
                for node in strict(el):
                    counted.setdefault(key_of(node), []).append(node)
                for key, nodes in sorted(counted.items()):
                    if len(nodes) > 1 and any(n.get("percentage") is None for n in nodes):
                        out.append((_where(root, nodes[0]),
                                    N_("%(reason)s (vocabulary %(vocabulary)s): more than "
                                       "one, so each needs a percentage", reason=reason,
                                       vocabulary=key)))
            for node, text in _values(el, paths):
                groups.setdefault(key_of(node), []).append((node, text))
            common = _values(el, shared)
            if not groups and common:
                groups[default] = []
            if whole:
                everything = _total([text for items in groups.values() for _, text in items]
                                    + [text for _, text in common])
                if everything is not None and abs(everything - target) <= Decimal("0.01"):
                    return out
            for key, items in sorted(groups.items()):
                amount = _total([text for _, text in items + common])
                if amount is not None and abs(amount - target) > Decimal("0.01"):
                    node = (items + common)[0][0]
                    total = f"{amount.normalize():f}"
                    out.append((_where(root, node), N_(
                        "%(reason)s (vocabulary %(vocabulary)s): %(total)s", reason=reason,
                        vocabulary=key, total=total) if grouped else N_(
                        "%(reason)s: %(total)s", reason=reason, total=total)))
            return out
        return guarded(total)
    if kind == "no_percent":
        paths = _union(case["paths"])
        return guarded(lambda root, el: [(_where(root, node), reason)
                                         for node, text in _values(el, paths) if "%" in text])
    if kind == "if_then":
        condition = _xpath(f"boolean({case['if']})")
        then = _xpath(f"boolean({case['then']})")
        return guarded(lambda root, el: [(_where(root, el), reason)]
                       if condition(el) and not then(el) else [])
    if kind == "range":
        paths = _union(case["paths"])
        texts = _plain(paths)
        low = Decimal(str(case["min"])) if "min" in case else None
        high = Decimal(str(case["max"])) if "max" in case else None

        def outside(text: str) -> bool:
            return (v := _number(text)) is not None and (
                (low is not None and v < low) or (high is not None and v > high))

        def in_range(root: etree._Element, el: etree._Element) -> list[Finding]:
            if not any(outside(text) for text in texts(el)):
                return []
            return [(_where(root, node), reason) for node, text in _values(el, paths)
                    if outside(text)]
        return guarded(in_range)
    raise ValueError(N_("unknown rule kind %(kind)s in the IATI ruleset", kind=repr(kind)))


@cache
def ruleset(kind: str = "activity", name: str = "standard"
            ) -> tuple[tuple[etree.XPath | None, etree.XPath | None, tuple[_Rule, ...]], ...]:
    """The compiled rules: ``(context path or None for the element itself, guard, rules)``.

    A rule of a repeated context that compares dates with today (``date_order``
    with ``more: NOW``) is evaluated once over the whole element with the
    context's path in front: the same finding, without one XPath call per
    transaction. The guard of a context is one XPath that holds whenever one of
    its guarded rules (:func:`_guard`) may find something: on a target where it
    does not hold, only the unguarded rules run, so a clean activity costs one
    XPath call for all of those rules instead of one each.
    """
    data = load_yaml(RULESETS / f"{name}.yaml")[kind]
    on_root: list[_Rule] = []
    out = []

    def rule(rule_kind: str, case: dict[str, Any]) -> _Rule:
        return _Rule(Message(str(case["reason"])), _compile(rule_kind, case),
                     _guard(rule_kind, case))

    for context, kinds in data.items():
        rules = []
        for rule_kind, cases in kinds.items():
            for case in cases:
                if (context != "." and rule_kind == "date_order" and case["more"] == "NOW"
                        and "when" not in case):
                    on_root.append(rule("date_now_all",
                                        {**case, "less": f"({context})/{case['less']}"}))
                elif context != "." and rule_kind == "atleast_one" and "|" not in context:
                    test = " or ".join(case["paths"])
                    when = f"({case['when']}) and " if "when" in case else ""
                    on_root.append(rule("none_missing", {
                        "reason": case["reason"],
                        "select": f"{context}[{when}not({test})]"}))
                else:
                    rules.append(rule(rule_kind, case))
        if context == ".":
            on_root[:0] = rules
        elif rules:
            out.append((_xpath(context), _guard_of(rules), tuple(rules)))
    return ((None, _guard_of(on_root), tuple(on_root)), *out)


def _guard_of(rules: list[_Rule]) -> etree.XPath | None:
    guards = [r.guard for r in rules if r.guard is not None]
    return _xpath("boolean(" + " or ".join(f"({g})" for g in guards) + ")") if guards else None


def check_element(element: etree._Element, kind: str = "activity") -> list[Finding]:
    """Every rule ``element`` breaks, as ``(XPath relative to it, reason)``, then every
    coded value outside its code list (:func:`unlisted_codes`)."""
    findings: list[Finding] = []
    for context, guard, rules in ruleset(kind):
        targets = [element] if context is None else context(element)
        for target in targets:
            # the guarded rules find nothing where the guard does not hold; the order
            # of the findings is the rules' order either way
            every = guard is None or guard(target)
            for rule in rules:
                if every or rule.guard is None:
                    findings += rule.check(element, target)
    return findings + unlisted_codes(element, kind)


_XML_NS = "{http://www.w3.org/XML/1998/namespace}"
#: Code lists whose codes are compared without regard to case: language codes are
#: BCP 47 language tags (XML 1.0, 2.12, for ``xml:lang``), which "are to be treated as
#: case insensitive" (RFC 5646, 2.1.1): a publisher's ``EN`` is English, as ``en`` is.
CASE_INSENSITIVE = frozenset({"Language"})


@dataclass(frozen=True)
class _Coded:
    path: etree.XPath  # the coded values (attributes: smart strings name their element)
    name: str  # the code list
    codes: frozenset[str]
    folded: bool  # compared in lower case (see CASE_INSENSITIVE)


@cache
def _coded(kind: str) -> tuple[etree.XPath, tuple[_Coded, ...]]:
    """The coded values of an element of ``kind`` with their lists
    (``rulesets/codelists.yaml``), and one XPath that holds whenever a value is outside
    its list: libxml2 answers it for a clean element without a value handed to Python.
    A value holding a space is always looked at in Python (a code list has none)."""
    coded, tests = [], []
    # the paths under one child (transaction/provider-org/@type, transaction/sector/…)
    # are tested on that child in one step: each step costs about a scan of the
    # element's children, whatever it selects
    under: dict[str, list[str]] = {}
    for entry in load_yaml(RULESETS / "codelists.yaml")[kind]:
        path, listed = entry["path"], codes(entry["list"])
        folded = entry["list"] in CASE_INSENSITIVE
        tokens = sorted(listed)
        if folded:
            listed = frozenset(code.lower() for code in listed)
            # the guard knows the forms publishers write (en, EN, En), the lower case
            # first (contains() stops at the first match); another mix of cases is
            # looked at in Python, which folds it (a translate() on every value would
            # double the check's cost)
            tokens = [*sorted(listed), *sorted({form for code in listed for form in (
                code.upper(), code.capitalize())} - listed)]
        coded.append(_Coded(_xpath(path), entry["list"], listed, folded))
        outside = (f"[contains(., ' ') or not(contains(' {' '.join(tokens)} ', "
                   "concat(' ', ., ' ')))]")
        first, _, rest = path.partition("/")
        name, bracket, condition = first.partition("[")
        if first.startswith(("@", "descendant")):
            tests.append(f"({path}){outside}")
        else:
            on_child = f"self::*[{condition}/{rest}" if bracket else rest
            under.setdefault(name, []).append(f"({on_child}){outside}")
    tests += [f"{name}[{' or '.join(each)}]" for name, each in under.items()]
    return _xpath("boolean(" + " or ".join(tests) + ")"), tuple(coded)


def unlisted_codes(element: etree._Element, kind: str = "activity", *,
                   guarded: bool = True) -> list[Finding]:
    """Every coded value of ``element`` that is not in its IATI code list, as
    ``(XPath relative to it, reason)``, in the order of ``rulesets/codelists.yaml``
    (``guarded=False`` looks at every value even where the guard says none is out)."""
    guard, coded = _coded(kind)
    if guarded and not guard(element):
        return []
    findings: list[Finding] = []
    for entry in coded:
        for found in entry.path(element):
            name: str = found.attrname
            if name.startswith(_XML_NS):
                name = "xml:" + name[len(_XML_NS):]
            code = found.strip()
            if (code.lower() if entry.folded else code) not in entry.codes:
                findings.append((f"{_where(element, found.getparent())}/@{name}", N_(
                    "code %(code)s is not in the bundled IATI code list %(list)s; kept as "
                    "published", code=repr(code), list=entry.name)))
    return findings
