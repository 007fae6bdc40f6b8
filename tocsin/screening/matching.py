"""Matching subjects against list entries: a blocking index and an explained scorer.

The scorer follows the design of OpenSanctions' logic-v2 matcher and is built on
the same libraries: names are analysed by ``followthemoney.names.entity_names``
(``rigour``: prefixes and organisation types normalised, scripts transliterated,
parts tagged as given or family names), aligned by shared symbols (a name known
in several scripts, an initial, an organisation type) with
``rigour.names.pair_symbols``, and what remains is compared by
``rigour.names.compare_parts`` after ``align_person_name_order`` — no edit
distance written here. The name score is then adjusted by the other features,
each reported with its value and why:

==============  =====================================================================
``name``        best alignment of any name of the subject with any name of the entry
``identifier``  a passport, identity, registration, IMO, tax or wallet number in common
                (or numbers on both sides, none shared)
``birth_date``  the same day of birth, or dates that contradict each other (year, or day
                within the year)
``country``     countries (nationality, jurisdiction, address) that are all different
``gender``      genders that differ
==============  =====================================================================

Candidates come from :class:`Index`: every entry is filed under its name tokens
(ASCII forms), their metaphone keys, the name symbols ``rigour`` gives them and its
identifiers; a query adds up inverse document frequencies of the keys it shares
with each entry and scores only the best ``candidates`` entries, never all pairs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from followthemoney import model
from followthemoney.exc import InvalidData
from followthemoney.names import entity_names
from followthemoney.proxy import EntityProxy
from followthemoney.schema import Schema
from rigour.names import (
    Name,
    NamePart,
    NamePartTag,
    SymbolCategory,
    align_person_name_order,
    compare_parts,
    pair_symbols,
)
from rigour.text.scripts import is_latin
from rigour.text.translit import ascii_text

from tocsin.i18n import N_, Joined, Number, to_data

#: The default match threshold and the lower end of the review band.
THRESHOLD = 0.70
REVIEW = 0.50

#: Score of two parts paired by a shared symbol whose texts differ.
SYMBOL_SCORES: dict[str, float] = {
    "NAME": 0.9, "NICK": 0.7, "INITIAL": 0.8, "ORG_CLASS": 0.9, "SYMBOL": 0.9,
    "DOMAIN": 0.9, "NUMERIC": 1.0, "LOCATION": 0.9, "PHONETIC": 0.8,
}
#: Weight of a part of the subject's name that the entry's name lacks, and the reverse.
EXTRA_QUERY = 0.8
EXTRA_RESULT = 0.25
#: Weight of parts tagged as legal forms or stop words, and of family names.
WEAK_PART = 0.3
FAMILY_PART = 1.3

#: Feature adjustments.
IDENTIFIER_BONUS = 0.3
IDENTIFIER_PENALTY = 0.1
DOB_DAY_BONUS = 0.05
DOB_YEAR_PENALTY = 0.25
DOB_DAY_PENALTY = 0.12
COUNTRY_PENALTY = 0.08
GENDER_PENALTY = 0.2

IDENTIFIER_PROPS = ("idNumber", "passportNumber", "registrationNumber", "taxNumber",
                    "imoNumber", "innCode", "ogrnCode", "leiCode", "swiftBic", "vatCode",
                    "publicKey", "accountNumber", "iban", "number", "socialSecurityNumber")
COUNTRY_PROPS = ("nationality", "citizenship", "country", "jurisdiction", "birthCountry",
                 "flag", "mainCountry")

_WEAK_TAGS = {NamePartTag.LEGAL, NamePartTag.STOP, NamePartTag.HONORIFIC, NamePartTag.TITLE}


def _norm_id(value: str) -> str:
    return "".join(ch for ch in value.upper() if ch.isalnum()).removeprefix("IMO")


@dataclass
class Prepared:
    """An entity analysed once for matching (both sides use it)."""

    proxy: EntityProxy
    names: list[Name]
    identifiers: set[str]
    birth_dates: set[str]
    countries: set[str]
    genders: set[str]

    @property
    def schema(self) -> Schema:
        return self.proxy.schema


def _name_type() -> Any:
    from followthemoney.types import registry

    return registry.name


def prepare(proxy: EntityProxy, *, query: bool = False) -> Prepared:
    """Analyse an entity: names (with ASCII forms of other scripts), identifiers, dates…"""
    extra = []
    for value in proxy.get_type_values(_name_type(), matchable=True):
        if not is_latin(value):
            latin = ascii_text(value)
            if latin and latin != value:
                extra.append(latin)
    if extra:
        proxy = proxy.clone()
        proxy.add("alias" if proxy.schema.get("alias") else "name", extra, quiet=True)
    names = entity_names(proxy, infer_initials=query, consolidate=False)
    identifiers = {_norm_id(v) for p in IDENTIFIER_PROPS for v in proxy.get(p, quiet=True)}
    identifiers.discard("")
    birth_dates = set(proxy.get("birthDate", quiet=True))
    countries = {v for p in COUNTRY_PROPS for v in proxy.get(p, quiet=True)}
    genders = {g for g in proxy.get("gender", quiet=True) if g in ("male", "female")}
    return Prepared(proxy, sorted(names, key=lambda n: n.form), identifiers, birth_dates,
                    countries, genders)


# --------------------------------------------------------------------------- names


def _part_weight(part: NamePart) -> float:
    if part.tag in _WEAK_TAGS:
        return WEAK_PART
    if part.tag == NamePartTag.FAMILY:
        return FAMILY_PART
    return 1.0


def _length(parts: Iterable[NamePart]) -> int:
    return sum(len(p.comparable) for p in parts) or 1


def _residue(rest_q: list[NamePart], rest_r: list[NamePart]
             ) -> tuple[float, float, list[str]]:
    """Weighted score of the parts no symbol paired, compared by ``rigour``'s costs."""
    total = weight_sum = 0.0
    shown = []
    for a in compare_parts(rest_q, rest_r) if (rest_q or rest_r) else []:
        factor = EXTRA_QUERY if not a.rps else EXTRA_RESULT if not a.qps else 1.0
        parts = (*a.qps, *a.rps)
        both = bool(a.qps and a.rps)
        weight = factor * max(_part_weight(p) for p in parts) * (
            (_length(a.qps) if a.qps else 0) + (_length(a.rps) if a.rps else 0)) / (
            2 if both else 1)
        score = a.score if both else 0.0
        total += score * weight
        weight_sum += weight
        shown.append(f"{a.qstr or '∅'}~{a.rstr or '∅'}:{score:.2f}")
    return total, weight_sum, shown


def name_similarity(query: Name, result: Name, person: bool) -> tuple[float, str]:
    """Score two analysed names in [0, 1] and describe the alignment."""
    if query.comparable == result.comparable:
        return 1.0, N_("%(subject)s equals %(entry)s", subject=repr(query.comparable),
                       entry=repr(result.comparable))
    options = pair_symbols(query, result) or [()]
    best = (-1.0, "")
    for option in options[:4]:
        used_q = {p for a in option for p in a.qps}
        used_r = {p for a in option for p in a.rps}
        total = weight_sum = 0.0
        shown = []
        for a in option:
            score = 1.0 if a.qstr == a.rstr else SYMBOL_SCORES.get(
                a.symbol.category.value if a.symbol is not None else "", 0.8)
            weight = max(_part_weight(p) for p in (*a.qps, *a.rps)) * (
                _length(a.qps) + _length(a.rps)) / 2
            total += score * weight
            weight_sum += weight
            shown.append(f"{a.qstr}={a.rstr}")
        rest_q = [p for p in query.parts if p not in used_q]
        rest_r = [p for p in result.parts if p not in used_r]
        orders = [(rest_q, rest_r)]
        if person and len(rest_q) > 1 and len(rest_r) > 1:
            orders.append(align_person_name_order(rest_q, rest_r))
        for q_parts, r_parts in orders:
            r_total, r_weight, r_shown = _residue(q_parts, r_parts)
            value = (total + r_total) / (weight_sum + r_weight) if weight_sum + r_weight \
                else 0.0
            if value > best[0]:
                best = (value, ", ".join(shown + r_shown))
    return max(0.0, min(1.0, best[0])), best[1]


# --------------------------------------------------------------------------- scoring


@dataclass
class Feature:
    """One feature's contribution to a score, with its reason (a message, kept with the
    stored features as ``reason_message`` so a page shows it in its reader's language)."""

    name: str
    value: float
    #: What was added to (or taken from) the score.
    effect: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"value": round(self.value, 4), "effect": round(self.effect, 4),
                "reason": self.reason, "reason_message": to_data(self.reason)}


@dataclass
class Explained:
    """A score and the features that made it."""

    score: float
    features: list[Feature] = field(default_factory=list)

    def features_dict(self) -> dict[str, dict[str, Any]]:
        return {f.name: f.to_dict() for f in self.features}

    def values(self) -> dict[str, float]:
        """``{feature: value}`` as yente reports features."""
        return {f.name: round(f.value, 4) for f in self.features}

    def reason(self) -> str:
        """Each feature, its value and its reason (``name 0.93: …; country 1.00: both RU``),
        each reason translated where the whole is shown."""
        return Joined((N_("%(feature)s %(value)s: %(reason)s", feature=f.name,
                          value=Number(f.value, 2, group=False), reason=f.reason)
                       for f in self.features), "; ")


def comparable(query: Schema, result: Schema) -> bool:
    """Whether entities of these schemata can be the same thing."""
    try:
        model.common_schema(query, result)
        return True
    except InvalidData:
        return query.is_a(result.name) or result.is_a(query.name)


def score(query: Prepared, result: Prepared) -> Explained:
    """Score ``result`` (a list entry) for ``query`` (the subject), feature by feature."""
    if not comparable(query.schema, result.schema):
        return Explained(0.0, [Feature("name", 0.0, 0.0,
                                       N_("a %(subject)s cannot be a %(entry)s",
                                          subject=query.schema.name,
                                          entry=result.schema.name))])
    person = query.schema.is_a("Person") or result.schema.is_a("Person")
    detail: str = N_("no names to compare")
    best, pair = 0.0, ("", "")
    for qn in query.names:
        for rn in result.names:
            value, why = name_similarity(qn, rn, person)
            if value > best:
                best, detail, pair = value, why, (qn.original, rn.original)
            if best >= 1.0:
                break
        if best >= 1.0:
            break
    name_reason = N_("%(subject)s ~ %(entry)s (%(detail)s)", subject=repr(pair[0]),
                     entry=repr(pair[1]), detail=detail) if pair[0] else detail
    features = [Feature("name", best, best, name_reason)]
    total = best
    shared = query.identifiers & result.identifiers
    if shared:
        effect = min(IDENTIFIER_BONUS, 1.0 - total)
        features.append(Feature("identifier", 1.0, effect,
                                N_("same number %(number)s", number=sorted(shared)[0])))
        total += effect
    elif query.identifiers and result.identifiers:
        features.append(Feature("identifier", 0.0, -IDENTIFIER_PENALTY,
                                N_("numbers given on both sides differ")))
        total -= IDENTIFIER_PENALTY
    if query.birth_dates and result.birth_dates:
        feature = _dates(query.birth_dates, result.birth_dates)
        features.append(feature)
        total += feature.effect
    if query.countries and result.countries:
        if query.countries & result.countries:
            common = sorted(query.countries & result.countries)[0]
            features.append(Feature("country", 1.0, 0.0, N_("both %(value)s", value=common)))
        else:
            features.append(Feature("country", 0.0, -COUNTRY_PENALTY,
                                    _versus(", ", query.countries, result.countries)))
            total -= COUNTRY_PENALTY
    if query.genders and result.genders:
        if query.genders & result.genders:
            features.append(Feature("gender", 1.0, 0.0,
                                    N_("both %(value)s", value=sorted(query.genders)[0])))
        else:
            features.append(Feature("gender", 0.0, -GENDER_PENALTY,
                                    _versus("/", query.genders, result.genders)))
            total -= GENDER_PENALTY
    return Explained(round(max(0.0, min(1.0, total)), 4), features)


def _dates(query: set[str], result: set[str]) -> Feature:
    for q in query:
        for r in result:
            if q == r and len(q) == 10:
                return Feature("birth_date", 1.0, DOB_DAY_BONUS,
                               N_("same day %(date)s", date=q))
    for q in query:
        for r in result:
            if q.startswith(r) or r.startswith(q):
                return Feature("birth_date", 1.0, 0.0,
                               N_("%(subject)s agrees with %(entry)s", subject=q, entry=r))
    q_years, r_years = {d[:4] for d in query}, {d[:4] for d in result}
    if q_years & r_years:
        return Feature("birth_date", 0.5, -DOB_DAY_PENALTY,
                       N_("same year, other day: %(subject)s vs %(entry)s",
                          subject=", ".join(sorted(query)), entry=", ".join(sorted(result))))
    return Feature("birth_date", 0.0, -DOB_YEAR_PENALTY, _versus(", ", query, result))


def _versus(separator: str, query: Iterable[str], result: Iterable[str]) -> str:
    """``RU, UA vs GB``: what each side gives, when they differ."""
    return N_("%(subject)s vs %(entry)s", subject=separator.join(sorted(query)),
              entry=separator.join(sorted(result)))


# --------------------------------------------------------------------------- blocking


def blocking_keys(prepared: Prepared) -> set[str]:
    """The keys an entity is filed under: name tokens, metaphones, symbols, identifiers."""
    keys: set[str] = set()
    for name in prepared.names:
        for part in name.parts:
            if part.tag in (NamePartTag.LEGAL, NamePartTag.STOP):
                continue
            form = part.comparable
            if len(form) > 1:
                keys.add(f"t:{form}")
            if part.metaphone and len(part.metaphone) > 1:
                keys.add(f"m:{part.metaphone}")
        for symbol in name.symbols:
            if symbol.category in (SymbolCategory.NAME, SymbolCategory.NICK):
                keys.add(f"s:{symbol.id}")
    keys.update(f"i:{i}" for i in prepared.identifiers if len(i) > 3)
    return keys


@dataclass
class IndexEntry:
    """What the index keeps of one list entry."""

    entity_id: str
    caption: str
    prepared: Prepared
    data: Mapping[str, Any] = field(default_factory=dict)


class Index:
    """An inverted index from blocking keys to entries, with inverse document frequencies."""

    def __init__(self, entries: Sequence[IndexEntry]) -> None:
        self.entries = list(entries)
        postings: dict[str, list[int]] = defaultdict(list)
        for number, entry in enumerate(self.entries):
            for key in blocking_keys(entry.prepared):
                postings[key].append(number)
        size = max(1, len(self.entries))
        self.postings = {k: np.asarray(v, dtype=np.int32) for k, v in postings.items()}
        self.idf = {k: math.log(1 + size / len(v)) for k, v in postings.items()}

    def __len__(self) -> int:
        return len(self.entries)

    def candidates(self, query: Prepared, limit: int = 20) -> list[int]:
        """Entries sharing the most (and rarest) keys with ``query``, best first."""
        keys = [k for k in blocking_keys(query) if k in self.postings]
        if not keys or not self.entries:
            return []
        weights = np.zeros(len(self.entries), dtype=np.float32)
        for key in keys:
            weights[self.postings[key]] += self.idf[key]
        hit = np.flatnonzero(weights)
        top = hit[np.argpartition(-weights[hit], limit - 1)[:limit]] if len(hit) > limit \
            else hit
        return [int(i) for i in top[np.argsort(-weights[top], kind="stable")]]

    def match(self, query: Prepared, *, limit: int = 20, candidates: int = 30,
              cutoff: float = 0.0) -> list[tuple[IndexEntry, Explained]]:
        """Score the best candidates; those at or over ``cutoff``, highest first."""
        out = []
        for number in self.candidates(query, candidates):
            entry = self.entries[number]
            explained = score(query, entry.prepared)
            if explained.score >= cutoff and explained.score > 0:
                out.append((entry, explained))
        out.sort(key=lambda pair: (-pair[1].score, pair[0].entity_id))
        return out[:limit]


def entity_from_dict(data: Mapping[str, Any]) -> EntityProxy:
    """An entity from ``{"id", "schema", "properties"}`` (values cleaned by FtM)."""
    return model.get_proxy({"id": data.get("id") or None, "schema": data["schema"],
                            "properties": data.get("properties") or {}}, cleaned=False)

