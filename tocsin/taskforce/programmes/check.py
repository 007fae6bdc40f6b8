"""Checks of one activity against the rules and the reference codes.

Each issue names the field it concerns (``crime_areas[1].code``); a reader turns
that into a file location (an XPath, a line and column) before reporting it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from tocsin import types
from tocsin.access.handling import HANDLING_CODES
from tocsin.i18n import N_, Message
from tocsin.taskforce.iati import codelists
from tocsin.taskforce.programmes.spec import (
    ACTIVITY_STATUSES,
    INDICATOR_MEASURES,
    LEVEL_DEPTH,
    ORG_ROLES,
    RESULT_TYPES,
    ActivitySpec,
    DocumentSpec,
    IndicatorSpec,
    ParticipantSpec,
    PeriodSpec,
    ResultSpec,
    ShareSpec,
    format_decimal,
)
from tocsin.taskforce.programmes.vocabulary import Vocabulary

#: IATI DocumentCategory codes for activities (A01-A12) and organisations (B01-B18).
DOCUMENT_CATEGORIES = frozenset(
    [f"A{n:02d}" for n in range(1, 13)] + [f"B{n:02d}" for n in range(1, 19)]
)
#: Tolerance on "shares add up to 100", so thirds written as 33.33 pass.
SHARE_TOLERANCE = Decimal("0.1")
#: The longest baseline, target or actual value a result takes. IATI sets no length (a
#: qualitative indicator's value is often a sentence or a paragraph) and the columns are
#: ``Text``; the bound is the one the platform's other free text has (a case's or a
#: safeguard's text, ``tocsin.cases.spec.TEXT_MAX``), so one field cannot take megabytes.
RESULT_VALUE_MAX = 20_000
#: The result values held to it, by spec class (text columns without a length of their own).
_BOUNDED_TEXT: dict[type[BaseModel], tuple[str, ...]] = {
    IndicatorSpec: ("baseline_value",), PeriodSpec: ("target", "actual")}

_Bad = Callable[[str, str], None]

#: How the problems name dates, levels and finance kinds (English: as the fields read).
FIELD_LABELS = {"planned_start": N_("planned start"), "planned_end": N_("planned end"),
                "actual_start": N_("actual start"), "actual_end": N_("actual end")}
LEVEL_LABELS = {"programme": N_("programme"), "project": N_("project"),
                "activity": N_("activity")}
FINANCE_KINDS = {"budget": N_("budget"), "commitment": N_("commitment"),
                 "expenditure": N_("expenditure")}


@dataclass(frozen=True)
class Issue:
    field: str
    reason: str


def check_activity(spec: ActivitySpec, vocab: Vocabulary) -> list[Issue]:
    """Every rule one activity breaks on its own (the hierarchy is checked per file)."""
    issues: list[Issue] = []

    def bad(field: str, reason: str) -> None:
        issues.append(Issue(field, reason))

    if not spec.identifier.strip():
        bad("identifier", N_("the activity identifier is empty"))
    elif re.search(r"[^\S ]", spec.identifier):
        bad("identifier", N_("the identifier contains line breaks, tabs or other white "
                             "space than spaces"))
    elif spec.identifier != spec.identifier.strip(" "):
        # IATI's guidance: no white space around it; inside, spaces are only advised against
        bad("identifier", N_("the identifier begins or ends with a space"))
    elif len(spec.identifier) > 200:
        bad("identifier", N_("the identifier exceeds 200 characters"))
    if not spec.title.strip():
        bad("title", N_("the title is empty"))
    elif len(spec.title) > 500:
        bad("title", N_("the title has %(count)s characters; at most 500 are allowed",
                       count=len(spec.title)))
    if spec.status not in ACTIVITY_STATUSES:
        bad("status", N_("activity status %(status)s is not an IATI code (1-6)",
                        status=spec.status))
    if spec.implementing_structure and spec.implementing_structure not in vocab.structures:
        bad("implementing_structure", N_("unknown structure %(code)s",
                                        code=repr(spec.implementing_structure)))
    if not spec.reporting_org_ref.strip():
        bad("reporting_org_ref", N_("the reporting organisation identifier is empty"))
    if spec.planned_start is None and spec.actual_start is None:
        bad("planned_start", N_("a planned or actual start date is required"))
    for start, end in (("planned_start", "planned_end"), ("actual_start", "actual_end")):
        first, last = getattr(spec, start), getattr(spec, end)
        if first and last and last < first:
            bad(end, N_("%(end_field)s %(end)s is before %(start_field)s %(start)s",
                       end_field=FIELD_LABELS[end], end=last,
                       start_field=FIELD_LABELS[start], start=first))
    if not types.language.known(spec.language):
        bad("language", N_("%(code)s is not an ISO 639-1 language code",
                              code=repr(spec.language)))
    if spec.default_currency is not None and not types.currency.known(spec.default_currency):
        bad("default_currency", N_("%(code)s is not an ISO 4217 code",
                                      code=repr(spec.default_currency)))
    if spec.handling is not None and spec.handling not in HANDLING_CODES:
        bad("handling", N_("unknown handling code %(code)s; use one of %(codes)s",
                           code=repr(spec.handling), codes=", ".join(HANDLING_CODES)))
    if spec.owner_unit is not None and spec.owner_unit not in vocab.units:
        bad("owner_unit", N_("unknown unit %(code)s", code=repr(spec.owner_unit)))

    for i, p in enumerate(spec.participants):
        where = f"participants[{i}]"
        if p.role not in ORG_ROLES:
            bad(f"{where}.role", N_("organisation role %(role)s is not 1-4", role=p.role))
        if p.organization_code and p.organization_code not in vocab.organizations:
            bad(f"{where}.organization_code", N_("unknown organization %(code)s",
                                                  code=repr(p.organization_code)))
        if not (p.organization_code or p.name.strip() or p.org_ref.strip()):
            bad(where, N_("a partner needs an organization code, a name or an IATI reference"))

    _check_shares(spec.countries, "countries", vocab.countries, N_("country"), bad,
                  percentages=False)
    _check_shares(spec.crime_areas, "crime_areas", vocab.crime_areas, N_("crime area"), bad)
    _check_shares(spec.stages, "stages", vocab.stages, N_("justice-chain stage"), bad)
    _check_regions(spec, bad)
    _check_finance(spec, bad)
    _check_results(spec, bad)
    _check_documents(spec, bad)
    _check_lengths(spec, "", bad)
    for i, participant in enumerate(spec.participants):
        _check_lengths(participant, f"participants[{i}].", bad)
    for i, result in enumerate(spec.results):
        _check_lengths(result, f"results[{i}].", bad)
        for j, indicator in enumerate(result.indicators):
            _check_lengths(indicator, f"results[{i}].indicators[{j}].", bad)
            for k, period in enumerate(indicator.periods):
                _check_lengths(period, f"results[{i}].indicators[{j}].periods[{k}].", bad)
    for i, document in enumerate(spec.documents):
        _check_lengths(document, f"documents[{i}].", bad)
    return issues


@lru_cache(maxsize=1)
def _column_lengths() -> dict[type, dict[str, int]]:
    """Spec class → its text fields and the lengths of the columns they are stored in,
    or of the bound a result value is held to (identifier and title of an activity have
    rules of their own, above)."""
    from sqlalchemy import String

    from tocsin.taskforce.programmes import tables

    stored: tuple[tuple[type[BaseModel], Any, dict[str, str]], ...] = (
        (ActivitySpec, tables.Activity, {}), (ParticipantSpec, tables.Participant, {}),
              (ResultSpec, tables.Result, {}), (IndicatorSpec, tables.Indicator, {}),
              (PeriodSpec, tables.IndicatorPeriod,
               {"target": "target_value", "actual": "actual_value"}),
              (DocumentSpec, tables.Document, {}))
    out: dict[type, dict[str, int]] = {}
    for spec_class, table, renamed in stored:
        lengths = {c.name: c.type.length for c in table.__table__.columns
                   if isinstance(c.type, String) and c.type.length}
        out[spec_class] = {name: lengths[renamed.get(name, name)]
                           for name in spec_class.model_fields
                           if renamed.get(name, name) in lengths}
    for own_rule in ("identifier", "title"):
        del out[ActivitySpec][own_rule]
    for spec_class, names in _BOUNDED_TEXT.items():
        out[spec_class].update(dict.fromkeys(names, RESULT_VALUE_MAX))
    return out


def column_length(model: type[BaseModel], name: str) -> int | None:
    """The most characters ``model``'s text field ``name`` holds: its column's length or
    the bound of a result value, if any."""
    return _column_lengths()[model].get(name)


def _check_lengths(model: BaseModel, where: str, bad: _Bad) -> None:
    """Text longer than its column holds (PostgreSQL refuses it; SQLite would keep it)."""
    for name, limit in _column_lengths()[type(model)].items():
        value = getattr(model, name)
        if isinstance(value, str) and len(value) > limit:
            bad(f"{where}{name}", N_("%(field)s has %(count)s characters; at most %(limit)s are "
                                     "allowed", field=name, count=len(value), limit=limit))


def _check_shares(shares: Sequence[ShareSpec], field: str, known: dict[str, str],
                  label: str, bad: _Bad, *, percentages: bool = True) -> None:
    seen: set[str] = set()
    for i, share in enumerate(shares):
        if share.code not in known:
            bad(f"{field}[{i}].code", N_("unknown %(what)s %(code)s", what=label,
                                              code=repr(share.code)))
        if share.code in seen:
            bad(f"{field}[{i}].code", N_("%(what)s %(code)s is listed twice", what=label,
                                              code=repr(share.code)))
        seen.add(share.code)
    if percentages:
        _check_percentages(shares, field, bad)


def _check_percentages(shares: Sequence[ShareSpec], field: str, bad: _Bad) -> None:
    given = [s.percentage for s in shares if s.percentage is not None]
    total = sum(given, Decimal(0))
    for i, share in enumerate(shares):
        p = share.percentage
        if p is not None and not (0 <= p <= 100):
            bad(f"{field}[{i}].percentage", N_("percentage %(value)s is not within 0-100",
                                               value=format_decimal(p)))
        elif p is not None and p != p.quantize(Decimal("0.01")):
            bad(f"{field}[{i}].percentage", N_("percentages have at most two decimals"))
    if given and len(given) != len(shares):
        bad(field, N_("give a percentage for every share or for none"))
    elif given and abs(total - 100) > SHARE_TOLERANCE:
        bad(field, N_("percentages add up to %(total)s, not 100", total=format_decimal(total)))


def _check_regions(spec: ActivitySpec, bad: _Bad) -> None:
    seen: set[tuple[str, str]] = set()
    for i, region in enumerate(spec.regions):
        vocabularies = region_vocabularies()
        known = codelists.region_codes(region.vocabulary)
        if region.vocabulary not in vocabularies:
            bad(f"regions[{i}].vocabulary", N_(
                "region vocabulary %(code)s is not one of %(known)s", code=repr(region.vocabulary),
                known=", ".join(f"{code} ({name})" for code, name in vocabularies.items())))
        elif not region.code.strip():
            bad(f"regions[{i}].code", N_("the region code is empty"))
        elif len(region.code) > 40:  # the column's width
            bad(f"regions[{i}].code", N_("a region code has at most 40 characters"))
        elif known is not None and region.code not in known:
            bad(f"regions[{i}].code", N_("%(code)s is not an %(vocabulary)s region code",
                                         code=repr(region.code),
                                         vocabulary=vocabularies[region.vocabulary]))
        key = (region.vocabulary, region.code)
        if key in seen:
            bad(f"regions[{i}].code", N_("region %(code)s is listed twice",
                                         code=repr(region.code)))
        seen.add(key)
    _check_recipient_percentages(spec, bad)


def region_vocabularies() -> dict[str, str]:
    """The IATI RegionVocabulary codes a region may use, with the names the form shows."""
    return {codelists.REGION_DAC: "OECD-DAC", codelists.REGION_M49: "UN M49",
            codelists.REGION_OWN: N_("reporting organisation's own")}


def region_name(vocabulary: str, code: str) -> str | None:
    """The name of a region code (English as text, shown in the page's language where IATI
    names the region in it), or ``None`` for an own-vocabulary or unknown code."""
    name = {codelists.REGION_DAC: "Region", codelists.REGION_M49: "RegionM49"}.get(vocabulary)
    return codelists.named(name).get(code) if name else None


def _check_recipient_percentages(spec: ActivitySpec, bad: _Bad) -> None:
    """IATI's rule: countries and the regions of each vocabulary together add up to 100.

    The platform holds the participating and partner States of an activity; the
    other recipient countries of an imported activity are in the IATI register
    (the IATI reader checks the rule on all of them). Here the shares may
    therefore add up to less than 100, never to more.
    """
    shares: list[ShareSpec] = [*spec.countries, *spec.regions]
    for field, group in (("countries", spec.countries), ("regions", spec.regions)):
        for i, share in enumerate(group):
            p = share.percentage
            if p is not None and not (0 <= p <= 100):
                bad(f"{field}[{i}].percentage",
                    N_("percentage %(value)s is not within 0-100", value=format_decimal(p)))
    given = [s.percentage for s in shares if s.percentage is not None]
    if not given:
        return
    if len(given) != len(shares):
        bad("countries" if spec.countries else "regions",
            N_("give a percentage for every recipient country and region or for none"))
        return
    countries = sum((s.percentage or Decimal(0) for s in spec.countries), Decimal(0))
    vocabularies: list[str | None] = [*sorted({r.vocabulary for r in spec.regions})] or [None]
    for vocabulary in vocabularies:
        total = countries + sum((r.percentage or Decimal(0) for r in spec.regions
                                 if r.vocabulary == vocabulary), Decimal(0))
        if total - 100 > SHARE_TOLERANCE:
            where = "countries" if spec.countries else "regions"
            if vocabulary:
                bad(where, N_("recipient countries with the regions of vocabulary "
                              "%(vocabulary)s add up to %(total)s%%, more than 100%%",
                              vocabulary=vocabulary, total=format_decimal(total)))
            else:
                bad(where, N_("recipient countries add up to %(total)s%%, more than 100%%",
                              total=format_decimal(total)))


#: The years a finance line may be of.
FINANCE_YEARS = (1900, 2200)
#: Amounts stay below 10^16 and have at most two decimals.
_AMOUNT_LIMIT = Decimal("1e16")
_CENT = Decimal("0.01")


def _check_finance(spec: ActivitySpec, bad: _Bad) -> None:
    seen: set[tuple[str, int, str]] = set()
    for i, line in enumerate(spec.finance):
        where = f"finance[{i}]"
        if not FINANCE_YEARS[0] <= line.year <= FINANCE_YEARS[1]:
            bad(f"{where}.year", N_("year %(year)s is out of range", year=line.year))
        if not types.currency.known(line.currency):
            bad(f"{where}.currency", N_("%(code)s is not an ISO 4217 currency code",
                                        code=repr(line.currency)))
        if not line.amount.is_finite() or abs(line.amount) >= _AMOUNT_LIMIT:
            bad(f"{where}.amount", N_("the amount is not a finite number below 10^16"))
        elif line.amount != line.amount.quantize(_CENT):
            bad(f"{where}.amount", N_("amounts have at most two decimals"))
        elif line.kind == "budget" and line.amount < 0:
            bad(f"{where}.amount", N_("a budget cannot be negative"))
        key = (line.kind, line.year, line.currency)
        if key in seen:
            bad(where, N_("%(kind)s for %(year)s in %(currency)s is given twice",
                          kind=FINANCE_KINDS.get(line.kind, line.kind), year=line.year,
                          currency=line.currency))
        seen.add(key)


def _check_results(spec: ActivitySpec, bad: _Bad) -> None:
    for i, result in enumerate(spec.results):
        where = f"results[{i}]"
        if result.type not in RESULT_TYPES:
            bad(f"{where}.type", N_("result type %(type)s is not 1, 2, 3 or 9", type=result.type))
        if not result.title.strip():
            bad(f"{where}.title", N_("the result title is empty"))
        if not result.indicators:
            bad(where, N_("a result needs at least one indicator (IATI 2.03)"))
        for j, ind in enumerate(result.indicators):
            iwhere = f"{where}.indicators[{j}]"
            if ind.measure not in INDICATOR_MEASURES:
                bad(f"{iwhere}.measure", N_("indicator measure %(measure)s is not 1-5",
                                            measure=ind.measure))
            if not ind.title.strip():
                bad(f"{iwhere}.title", N_("the indicator title is empty"))
            if ind.baseline_value is not None and ind.baseline_year is None:
                bad(f"{iwhere}.baseline_year", N_("a baseline value needs a baseline year"))
            if ind.baseline_year is not None and not 1900 <= ind.baseline_year <= 2200:
                bad(f"{iwhere}.baseline_year", N_("year %(year)s is out of range",
                                                  year=ind.baseline_year))
            for k, period in enumerate(ind.periods):
                if period.end < period.start:
                    bad(f"{iwhere}.periods[{k}]", N_(
                        "period ends (%(end)s) before it starts (%(start)s)", end=period.end,
                        start=period.start))


HTTP_URL = re.compile(r"^https?://\S+$")


def is_http_url(url: str) -> bool:
    """Whether ``url`` is an http(s) URL the platform can link a document to."""
    return HTTP_URL.match(url) is not None


def _check_documents(spec: ActivitySpec, bad: _Bad) -> None:
    for i, doc in enumerate(spec.documents):
        where = f"documents[{i}]"
        if not doc.title.strip():
            bad(f"{where}.title", N_("the document title is empty"))
        if not doc.url and not doc.stored_path:
            bad(where, N_("a document needs a URL or a stored file"))
        if doc.url and not is_http_url(doc.url):
            bad(f"{where}.url", N_("%(url)s is not an http(s) URL", url=repr(doc.url)))
        if doc.category not in DOCUMENT_CATEGORIES:
            bad(f"{where}.category", N_("%(code)s is not an IATI document category",
                                        code=repr(doc.category)))
        if doc.language is not None and not types.language.known(doc.language):
            bad(f"{where}.language", N_("%(code)s is not an ISO 639-1 language code",
                                        code=repr(doc.language)))


def check_hierarchy(child_level: str, parent_level: str) -> Message | None:
    """Why a ``child_level`` record cannot sit under a ``parent_level`` one, or ``None``."""
    if LEVEL_DEPTH[child_level] <= LEVEL_DEPTH[parent_level]:
        return N_("a %(child)s cannot sit under a %(parent)s", child=LEVEL_LABELS[child_level],
                  parent=LEVEL_LABELS[parent_level])
    return None
