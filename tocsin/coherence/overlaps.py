"""Candidate duplicate and overlapping activities, each with a plain explanation.

*Which records.* Records without children (the units of work), the
organization's own and partners' (``is_external``) alike, cancelled ones left out.

*Blocking.* Two activities can only duplicate each other if they work on the
same crime area in the same place, so they are compared only within a block
sharing a (crime area, country or region) key. A block of up to
``block_all_pairs`` members compares all its pairs; a larger block compares
each member with its ``neighbours`` most similar texts (TF-IDF cosine) only.
Against comparing every pair (:func:`all_pairs`) this keeps the work close to
linear in the number of activities.

*Score.* A weighted mean of six features in 0..1 (weights in
``data/method.yaml``): text similarity (TF-IDF cosine of title and
description), Jaccard overlap of crime areas, of places and of stages, how much
the dates overlap (overlap / the shorter duration) and shared partners. A
feature unknown for either side (no stages, no dates, no partners) leaves the
mean instead of counting as a mismatch. Work elsewhere or at another time cannot
be the same work: places that do not overlap halve the score, dates that do not
overlap take a quarter off. So a pair outside every block never reaches the
proposal threshold, and blocking loses only what the neighbour cut-off drops.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from tocsin.coherence.method import DuplicateRules, method
from tocsin.coherence.portfolio import CANCELLED, REGION_PREFIX, Portfolio
from tocsin.i18n import N_, Joined, Message, N_plural
from tocsin.types.names import Name

if TYPE_CHECKING:
    from scipy import sparse  # type: ignore[import-untyped]

FEATURES = ("text", "crime_areas", "geography", "stages", "dates", "partners")
_WORD = re.compile(r"[a-z][a-z0-9]{2,}")
_DOMAIN_STOP = frozenset({"activity", "activities", "project", "projects", "programme",
                          "programmes", "support", "supporting", "phase", "the", "and"})
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ers", "er", "es", "ed", "s")


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@cache
def _stop_words() -> frozenset[str]:
    # scikit-learn (with the scipy and pandas it brings) is imported when texts are first
    # compared, not by every process that imports this module: the best part of a second
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | _DOMAIN_STOP


@lru_cache(maxsize=1 << 17)
def _term(word: str) -> str | None:
    """The stem of a word, None for a stop word; remembered, since a portfolio's texts
    repeat a few thousand words millions of times (stemming each occurrence took
    most of the text model's time on a 50,000-activity portfolio)."""
    return None if word in _stop_words() else _stem(word)


def analyse(text: str) -> list[str]:
    """Lower-cased word stems without stop words (a light stemmer, no language model)."""
    return [term for w in _WORD.findall(text.lower()) if (term := _term(w)) is not None]


@dataclass
class Features:
    """Everything the pair scorer needs, as arrays over the compared records."""

    rows: np.ndarray  # portfolio row index of each compared record
    text: sparse.csr_matrix
    terms: np.ndarray
    areas: np.ndarray  # bitsets (n x words)
    places: np.ndarray
    stages: np.ndarray
    partners: np.ndarray
    starts: np.ndarray  # days since epoch, -1 unknown
    ends: np.ndarray
    area_codes: list[list[str]] = field(default_factory=list)
    place_codes: list[list[str]] = field(default_factory=list)


def _bitsets(values: Sequence[Iterable[str]]) -> np.ndarray:
    index: dict[str, int] = {}
    rows: list[int] = []
    bits: list[int] = []
    for i, v in enumerate(values):
        for code in v:
            rows.append(i)
            bits.append(index.setdefault(code, len(index)))
    words = max(1, (len(index) + 63) // 64)
    out = np.zeros((len(values), words), dtype=np.uint64)
    if bits:
        bit = np.asarray(bits, dtype=np.uint64)
        np.bitwise_or.at(out, (np.asarray(rows, dtype=np.int64),
                               (bit // np.uint64(64)).astype(np.int64)),
                         np.left_shift(np.uint64(1), bit % np.uint64(64)))
    return out


def _days(values: Iterable[date | None]) -> np.ndarray:
    epoch = date(1970, 1, 1)
    return np.array([(d - epoch).days if d is not None else -1 for d in values], dtype=np.int64)


def compared_rows(portfolio: Portfolio) -> np.ndarray:
    live = np.array([s != CANCELLED for s in portfolio.statuses], dtype=bool)
    return np.flatnonzero(portfolio.leaves() & live)


def features(portfolio: Portfolio, rows: np.ndarray | None = None) -> Features:
    """Build the feature arrays of the compared records (cached on the portfolio)."""
    if rows is None:
        cached = portfolio._cache.get("overlap_features")
        if isinstance(cached, Features):
            return cached
    chosen = compared_rows(portfolio) if rows is None else rows
    picked: list[int] = np.asarray(chosen).tolist()  # plain ints index lists faster
    areas = portfolio.effective("crime_areas")
    places = portfolio.effective("places")
    stages = portfolio.effective("stages")
    docs = [f"{portfolio.titles[i]} {portfolio.titles[i]} {portfolio.descriptions[i]}"
            for i in picked]
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=analyse, sublinear_tf=True, dtype=np.float32)
    try:
        text = vectorizer.fit_transform(docs).tocsr()
        terms = vectorizer.get_feature_names_out()
    except ValueError:  # no words at all
        text = sparse.csr_matrix((len(chosen), 1), dtype=np.float32)
        terms = np.array([""])
    area_codes = [[c for c, _ in areas[i]] for i in picked]
    place_codes = [[c for c, _ in places[i]] for i in picked]
    result = Features(
        rows=chosen, text=text, terms=terms,
        areas=_bitsets(area_codes), places=_bitsets(place_codes),
        stages=_bitsets([[c for c, _ in stages[i]] for i in picked]),
        partners=_bitsets([portfolio.partners[i] for i in picked]),
        starts=_days(portfolio.starts[i] for i in picked),
        ends=_days(portfolio.ends[i] for i in picked),
        area_codes=area_codes, place_codes=place_codes,
    )
    if rows is None:
        portfolio._cache["overlap_features"] = result
    return result


def _jaccard(bits: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Jaccard value, known) for pairs of rows of a bitset matrix."""
    inter = np.bitwise_count(bits[a] & bits[b]).sum(axis=1)
    union = np.bitwise_count(bits[a] | bits[b]).sum(axis=1)
    size_a = np.bitwise_count(bits[a]).sum(axis=1)
    size_b = np.bitwise_count(bits[b]).sum(axis=1)
    known = (size_a > 0) & (size_b > 0)
    return np.where(union > 0, inter / np.maximum(union, 1), 0.0), known


def score_pairs(f: Features, a: np.ndarray, b: np.ndarray, text: np.ndarray,
                rules: DuplicateRules | None = None) -> dict[str, np.ndarray]:
    """Feature values, their known flags and the score for pairs (``a``, ``b``) of rows of ``f``."""
    rules = rules or method().duplicates
    w = rules.weights
    values: dict[str, np.ndarray] = {"text": np.clip(text.astype(np.float64), 0.0, 1.0)}
    known: dict[str, np.ndarray] = {"text": np.ones(len(a), dtype=bool)}
    values["crime_areas"], known["crime_areas"] = _jaccard(f.areas, a, b)
    values["geography"], known["geography"] = _jaccard(f.places, a, b)
    values["stages"], known["stages"] = _jaccard(f.stages, a, b)
    values["partners"], known["partners"] = _jaccard(f.partners, a, b)
    s1, e1, s2, e2 = f.starts[a], f.ends[a], f.starts[b], f.ends[b]
    dated = (s1 >= 0) & (e1 >= 0) & (s2 >= 0) & (e2 >= 0)
    overlap = np.minimum(e1, e2) - np.maximum(s1, s2) + 1
    shorter = np.maximum(np.minimum(e1 - s1, e2 - s2) + 1, 1)
    values["dates"] = np.where(dated, np.clip(overlap / shorter, 0.0, 1.0), 0.0)
    known["dates"] = dated
    numerator = np.zeros(len(a))
    denominator = np.zeros(len(a))
    for name in FEATURES:
        numerator += w[name] * values[name] * known[name]
        denominator += w[name] * known[name]
    out = {name: values[name] for name in FEATURES}
    out.update({f"known_{name}": known[name] for name in FEATURES})
    score = numerator / np.maximum(denominator, 1e-12)
    # work elsewhere or at another time cannot be the same work
    score = np.where(known["geography"] & (values["geography"] == 0), score * 0.5, score)
    score = np.where(dated & (values["dates"] == 0), score * 0.75, score)
    out["score"] = score
    return out


def block_keys(f: Features) -> dict[tuple[str, str], list[int]]:
    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    for k, (areas, places) in enumerate(zip(f.area_codes, f.place_codes, strict=True)):
        for area in areas or [""]:
            for place in places or [""]:
                blocks[(area, place)].append(k)
    return blocks


def candidate_pairs(f: Features, rules: DuplicateRules | None = None,
                    within: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, text similarity) of the pairs the blocks propose, each pair once (a < b).

    With ``within`` (a mask over the compared records) only the blocks holding one of
    them are searched, each as a whole, so every pair with one of them is found.
    """
    rules = rules or method().duplicates
    found: dict[int, float] = {}
    n = max(len(f.rows), 1)
    for members in block_keys(f).values():
        if len(members) < 2:
            continue
        idx = np.asarray(members, dtype=np.int64)
        if within is not None and not within[idx].any():
            continue
        block = f.text[idx]
        if len(idx) <= rules.block_all_pairs:
            sims = (block @ block.T).toarray()
            ii, jj = np.triu_indices(len(idx), k=1)
            _collect(found, idx[ii], idx[jj], sims[ii, jj], n)
            continue
        k = min(rules.neighbours, len(idx) - 1)
        for start in range(0, len(idx), 1000):
            chunk = (block[start:start + 1000] @ block.T).toarray()
            local = np.arange(start, min(start + 1000, len(idx)))
            chunk[np.arange(len(local)), local] = -1.0  # not itself
            top = np.argpartition(-chunk, k - 1, axis=1)[:, :k]
            sims = np.take_along_axis(chunk, top, axis=1)
            keep = sims >= rules.min_text_in_large_blocks
            rows = np.repeat(local, k).reshape(len(local), k)
            _collect(found, idx[rows[keep]], idx[top[keep]], sims[keep], n)
    if not found:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=np.float64)
    keys = np.fromiter(found.keys(), dtype=np.int64, count=len(found))
    sims = np.fromiter(found.values(), dtype=np.float64, count=len(found))
    return keys // n, keys % n, sims


def _collect(found: dict[int, float], a: np.ndarray, b: np.ndarray, sims: np.ndarray,
             n: int) -> None:
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keys = (lo * n + hi).tolist()
    found.update(zip(keys, sims.tolist(), strict=True))


def text_similarity(f: Features, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine of the TF-IDF rows of the pairs (the rows are unit length)."""
    if len(a) == 0:
        return np.array([], dtype=np.float64)
    out = np.empty(len(a))
    for start in range(0, len(a), 100_000):
        sl = slice(start, start + 100_000)
        out[sl] = np.asarray(f.text[a[sl]].multiply(f.text[b[sl]]).sum(axis=1)).ravel()
    return out


def all_pairs(f: Features, rules: DuplicateRules | None = None, chunk: int = 500
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The naive baseline: score every pair; returns the pairs at or above ``propose``."""
    rules = rules or method().duplicates
    keep_a: list[np.ndarray] = []
    keep_b: list[np.ndarray] = []
    keep_s: list[np.ndarray] = []
    n = len(f.rows)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        sims = (f.text[start:stop] @ f.text.T).toarray()
        a, b = np.nonzero(np.ones_like(sims, dtype=bool))
        a = a + start
        upper = a < b
        a, b = a[upper], b[upper]
        scored = score_pairs(f, a, b, sims[a - start, b], rules)
        hit = scored["score"] >= rules.propose
        keep_a.append(a[hit])
        keep_b.append(b[hit])
        keep_s.append(scored["score"][hit])
    if not keep_a:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=np.float64)
    return np.concatenate(keep_a), np.concatenate(keep_b), np.concatenate(keep_s)


# --- the candidates a page shows -------------------------------------------------------


@dataclass(frozen=True)
class Judged:
    """The latest judgement of a pair, as the analysis needs it."""

    verdict: str
    username: str
    judged_at: str
    note: str
    fingerprint_a: str
    fingerprint_b: str


#: The kinds of candidate pair as pages show them (``|term``), marked for the catalogs.
KIND_TERMS = (N_("likely duplicate"), N_("possible overlap"))


@dataclass
class Candidate:
    a: int  # portfolio row indexes, ids[a] < ids[b]
    b: int
    score: float
    values: dict[str, float]
    known: dict[str, bool]
    kind: str  # "likely duplicate" | "possible overlap" (KIND_TERMS)
    reasons: list[str] = field(default_factory=list)
    judgement: Judged | None = None
    changed_since_judged: bool = False

    def key(self, portfolio: Portfolio) -> str:
        return f"{portfolio.ids[self.a]}-{portfolio.ids[self.b]}"


_NOT_JUDGED: Mapping[tuple[int, int], Judged] = MappingProxyType({})


@dataclass
class _Ranked:
    """Every proposed or judged pair of a portfolio, scored, best first (before a limit)."""

    rows: np.ndarray  # portfolio rows of the compared records
    a: np.ndarray  # positions in ``rows`` of each pair's sides
    b: np.ndarray
    scored: dict[str, np.ndarray]
    order: np.ndarray


def _rank(portfolio: Portfolio, judgements: Mapping[tuple[int, int], Judged],
          rules: DuplicateRules, involving: Collection[int] | None = None) -> _Ranked:
    f = features(portfolio)
    within = None if involving is None else np.isin(f.rows, np.fromiter(
        involving, dtype=np.int64, count=len(involving)))
    a, b, text = candidate_pairs(f, rules, within)
    if within is not None:
        keep = within[a] | within[b]
        a, b, text = a[keep], b[keep], text[keep]
    scored = score_pairs(f, a, b, text, rules)
    hit = scored["score"] >= rules.propose
    pairs = {(int(x), int(y)): k for k, (x, y) in enumerate(zip(a, b, strict=True)) if hit[k]}

    # judged pairs the blocks did not propose are scored directly
    position = {int(r): k for k, r in enumerate(f.rows)}
    extra = []
    for (id_a, id_b) in judgements:
        try:
            ka, kb = position[portfolio.row_of(id_a)], position[portfolio.row_of(id_b)]
        except KeyError:
            continue
        pair = (min(ka, kb), max(ka, kb))
        if pair not in pairs and (within is None or within[ka] or within[kb]):
            extra.append(pair)
    if extra:
        ea = np.array([p[0] for p in extra], dtype=np.int64)
        eb = np.array([p[1] for p in extra], dtype=np.int64)
        more = score_pairs(f, ea, eb, text_similarity(f, ea, eb), rules)
        scored = {k: np.concatenate([scored[k][hit], more[k]]) for k in scored}
        a = np.concatenate([a[hit], ea])
        b = np.concatenate([b[hit], eb])
    else:
        scored = {k: v[hit] for k, v in scored.items()}
        a, b = a[hit], b[hit]
    return _Ranked(f.rows, a, b, scored, np.argsort(-scored["score"], kind="stable"))


def ranked_pairs(portfolio: Portfolio,
                 judgements: Mapping[tuple[int, int], Judged] | None = None,
                 rules: DuplicateRules | None = None) -> _Ranked:
    """The scored pairs of the portfolio, computed once per portfolio, judgements and rules
    (kept on the portfolio: analyses that differ only in how many pairs they list, or in
    their year and place dimension, share the search)."""
    rules = rules or method().duplicates
    judgements = judgements if judgements is not None else _NOT_JUDGED
    kept = portfolio._cache.get("ranked_pairs")
    if isinstance(kept, tuple) and kept[0] is judgements and kept[1] is rules:
        found: _Ranked = kept[2]
        return found
    found = _rank(portfolio, judgements, rules)
    portfolio._cache["ranked_pairs"] = (judgements, rules, found)
    return found


def find_candidates(portfolio: Portfolio,
                    judgements: Mapping[tuple[int, int], Judged] | None = None,
                    rules: DuplicateRules | None = None,
                    limit: int | None = None,
                    involving: Collection[int] | None = None) -> list[Candidate]:
    """Candidate pairs ranked by score, judgements applied, each with its reasons; at most
    ``limit`` of them (every one without a limit, none with ``limit=0``); with
    ``involving`` (portfolio rows) only the pairs with one of those rows (a what-if's
    planned activities), searched in their blocks only.

    A pair judged *distinct* is dropped unless either activity changed materially
    since (its fingerprint differs); pairs judged anything else stay and carry
    their judgement, including pairs judged duplicate that the blocks no longer
    propose.
    """
    rules = rules or method().duplicates
    judgements = judgements if judgements is not None else _NOT_JUDGED
    out: list[Candidate] = []
    if limit is not None and limit <= 0:
        return out
    ranked = (ranked_pairs(portfolio, judgements, rules) if involving is None
              else _rank(portfolio, judgements, rules, involving))
    scored, a, b = ranked.scored, ranked.a, ranked.b
    for k in ranked.order:
        ra, rb = int(ranked.rows[a[k]]), int(ranked.rows[b[k]])
        if portfolio.ids[ra] > portfolio.ids[rb]:
            ra, rb = rb, ra
        judged = judgements.get((portfolio.ids[ra], portfolio.ids[rb]))
        changed = judged is not None and (judged.fingerprint_a != portfolio.fingerprint(ra)
                                          or judged.fingerprint_b != portfolio.fingerprint(rb))
        if judged and judged.verdict == "distinct" and not changed:
            continue
        score = float(scored["score"][k])
        if score < rules.propose and not judged:
            continue
        duplicate = (score >= rules.likely_duplicate
                     and float(scored["text"][k]) >= rules.duplicate_text)
        kind = "likely duplicate" if duplicate else "possible overlap"
        out.append(Candidate(
            ra, rb, score,
            values={n: float(scored[n][k]) for n in FEATURES},
            known={n: bool(scored[f"known_{n}"][k]) for n in FEATURES},
            kind=kind, judgement=judged, changed_since_judged=changed))
        if limit is not None and len(out) >= limit:
            break
    return out


def explain_all(portfolio: Portfolio, candidates: Iterable[Candidate],
                names: Mapping[str, str] | None = None) -> None:
    """Fill in the reasons of the candidates (only those a page or report shows), codes
    named by ``names`` (code → English name from the reference data)."""
    wanted = [c for c in candidates if not c.reasons]
    if not wanted:  # e.g. an analysis for a tab that lists no pairs
        return
    f = features(portfolio)
    position = {int(r): k for k, r in enumerate(f.rows)}
    for c in wanted:
        c.reasons = explain(portfolio, f, c, position, names or {})


def _shared_terms(f: Features, c: Candidate, position: Mapping[int, int],
                  top: int = 4) -> list[str]:
    ka, kb = position.get(c.a), position.get(c.b)
    if ka is None or kb is None:
        return []
    both = f.text[ka].multiply(f.text[kb]).tocoo()
    order = np.argsort(-both.data)[:top]
    return [str(f.terms[both.col[i]]) for i in order]


def _names(codes: Iterable[str], names: Mapping[str, str]) -> Joined | str:
    """Crime areas, stages, countries or regions by code, each named in the reader's
    language when shown (in English by ``names``; a code it lacks as the code reads,
    ``drug_trafficking`` as "drug trafficking")."""
    listed = [Name(code, names.get(code, code.replace("_", " "))) for code in codes]
    return Joined(listed) if listed else ""


def explain(portfolio: Portfolio, f: Features, c: Candidate,
            position: Mapping[int, int], names: Mapping[str, str]) -> list[str]:
    """Plain sentences on why a pair is proposed, each a message shown in the reader's
    language, codes named in it."""
    p = portfolio
    reasons: list[str] = []
    terms = _shared_terms(f, c, position)
    similar = f"{c.values['text']:.0%}"
    reasons.append(N_("Titles and descriptions are %(share)s similar (shared words: "
                      "%(words)s).", share=similar, words=", ".join(terms)) if terms
                   else N_("Titles and descriptions are %(share)s similar.", share=similar))
    areas = sorted({x for x, _ in p.effective("crime_areas")[c.a]}
                   & {x for x, _ in p.effective("crime_areas")[c.b]})
    places = sorted({x for x, _ in p.effective("places")[c.a]}
                    & {x for x, _ in p.effective("places")[c.b]})
    shown = [x[len(REGION_PREFIX):] if x.startswith(REGION_PREFIX) else x for x in places]
    if areas or places:
        reasons.append(N_("Both work on %(areas)s in %(places)s.",
                          areas=_names(areas, names) or "-",
                          places=_names(shown, names) or "-"))
    if c.known["stages"]:
        stages = sorted({x for x, _ in p.effective("stages")[c.a]}
                        & {x for x, _ in p.effective("stages")[c.b]})
        if stages:
            reasons.append(N_plural("Same justice-chain stage: %(stages)s.",
                                    "Same justice-chain stages: %(stages)s.", len(stages),
                                    stages=_names(stages, names)))
        else:
            reasons.append(N_("They work at different justice-chain stages."))
    if c.known["dates"]:
        start = max(p.starts[c.a], p.starts[c.b])  # type: ignore[type-var]
        end = min(p.ends[c.a], p.ends[c.b])  # type: ignore[type-var]
        if c.values["dates"] > 0:
            reasons.append(N_("Their dates overlap from %(start)s to %(end)s (%(share)s of "
                              "the shorter one).", start=f"{start:%Y-%m}", end=f"{end:%Y-%m}",
                              share=f"{c.values['dates']:.0%}"))
        else:
            reasons.append(N_("Their dates do not overlap."))
    shared = sorted(set(p.partners[c.a]) & set(p.partners[c.b]))
    if shared:
        reasons.append(N_plural("Shared partner: %(partners)s.", "Shared partners: %(partners)s.",
                                len(shared), partners=", ".join(shared)))
    if p.external[c.a] or p.external[c.b]:
        ext = c.a if p.external[c.a] else c.b
        reasons.append(N_("%(identifier)s is a partner's activity (%(who)s, from IATI).",
                          identifier=p.identifiers[ext],
                          who=p.reporting_orgs[ext] or N_("a partner")))
    elif p.structures[c.a] and p.structures[c.b]:
        if p.structures[c.a] == p.structures[c.b]:
            reasons.append(N_("Both are implemented by %(structure)s.",
                              structure=p.structures[c.a]))
        else:
            reasons.append(N_("Implemented by different units: %(first)s and %(second)s.",
                              first=p.structures[c.a], second=p.structures[c.b]))
    if c.judgement:
        j = c.judgement
        verdict = Message(j.verdict)  # a verdict is a word of the catalogs (VERDICT_TERMS)
        reasons.append(N_("Judged %(verdict)s by %(username)s on %(date)s; an activity has "
                          "changed materially since, so it is shown again.", verdict=verdict,
                          username=j.username, date=j.judged_at) if c.changed_since_judged
                       else N_("Judged %(verdict)s by %(username)s on %(date)s.",
                               verdict=verdict, username=j.username, date=j.judged_at))
    return reasons
