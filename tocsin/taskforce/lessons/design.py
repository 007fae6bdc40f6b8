"""Lessons to design: which lessons apply to a project being drafted, and why.

A lesson applies when it shares a crime area, stage or country with the draft
or its text is similar. Text similarity is the cosine of TF-IDF vectors over the
draft and the candidate lessons, so words common to every lesson weigh little.
Each match explains itself, e.g. "shares crime area Money laundering and stage
Investigation, country AL; text similarity 0.62".

The lessons' words are counted once per change of their texts (scikit-learn's
tokenizer and stop words) and kept; each draft then only weighs those counts,
with the draft counted among the documents exactly as a TF-IDF model fitted on
the draft and the lessons together would (smoothed IDF, sublinear term
frequency, unit-length vectors), so the scores do not depend on the cache.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.policy import get_readable, readable, require_write
from tocsin.access.principal import Principal
from tocsin.errors import InputError
from tocsin.i18n import N_, SEMICOLON, Joined, Message, Number
from tocsin.taskforce.lessons import codes
from tocsin.taskforce.lessons.spec import DesignDraft
from tocsin.taskforce.lessons.tables import Acknowledgement, Lesson
from tocsin.taskforce.programmes.tables import Activity
from tocsin.types.names import Name

if TYPE_CHECKING:
    from scipy import sparse  # type: ignore[import-untyped]

#: Statuses of lessons worth showing to a drafter (observations are not lessons yet).
APPLICABLE = ("identified", "action_assigned", "learned")
#: Weights of the parts of the score; they sum to one.
WEIGHTS = {"crime_areas": 0.35, "stages": 0.2, "countries": 0.15, "text": 0.3}
#: Text alone makes a lesson apply from this similarity on.
TEXT_ALONE = 0.35
PIPELINE = 1


@dataclass(frozen=True)
class Match:
    lesson: Lesson
    score: float
    shared_crime_areas: list[str]
    shared_stages: list[str]
    shared_countries: list[str]
    text_similarity: float
    explanation: str
    acknowledged: Acknowledgement | None = None


def draft_from_activity(session: Session, principal: Principal, activity_id: int) -> DesignDraft:
    """The draft of an activity in pipeline (status 1) as the design check sees it."""
    activity = get_readable(session, Activity, activity_id, principal)
    if activity.status != PIPELINE:
        raise InputError.single(
            f"activity {activity.identifier}",
            f"lessons to design apply to activities in pipeline (status 1); this one has "
            f"status {activity.status}")
    return DesignDraft(
        title=activity.title, description=activity.description,
        crime_areas=[c.crime_area_code for c in activity.crime_areas],
        stages=[s.stage_code for s in activity.stages],
        countries=[c.country_code for c in activity.countries])


def _text(lesson: Lesson) -> str:
    return " ".join((lesson.title, lesson.tool_method, lesson.observation, lesson.analysis,
                     lesson.statement))


@dataclass(frozen=True)
class _Collection:
    """The lessons' words, counted once per change of their texts."""

    analyse: Callable[[str], list[str]]
    vocabulary: dict[str, int]
    tf: sparse.csr_matrix  # a row per lesson, a column per word: 1 + ln(count)
    df: np.ndarray  # lessons holding each word


#: The last few collections counted, by their texts (lessons in the order read).
_COLLECTIONS: OrderedDict[tuple[str, ...], _Collection] = OrderedDict()
_COLLECTIONS_KEPT = 4
_COLLECTIONS_LOCK = threading.Lock()


def _collection(texts: tuple[str, ...]) -> _Collection:
    with _COLLECTIONS_LOCK:
        if texts in _COLLECTIONS:
            _COLLECTIONS.move_to_end(texts)
            return _COLLECTIONS[texts]
    # scikit-learn (and the scipy and pandas it brings) only when lessons are compared: the
    # best part of a second and ~100 MiB that every server process would pay at start
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer

    counter = CountVectorizer(stop_words="english")
    analyse = counter.build_analyzer()
    try:
        counts = counter.fit_transform(texts).astype(np.float64).tocsr()
        vocabulary = {str(k): int(v) for k, v in counter.vocabulary_.items()}
    except ValueError:  # nothing but stop words
        counts, vocabulary = sparse.csr_matrix((len(texts), 0)), {}
    counts.data = 1.0 + np.log(counts.data)
    df = np.bincount(counts.indices, minlength=len(vocabulary)).astype(np.float64)
    found = _Collection(analyse, vocabulary, counts, df)
    with _COLLECTIONS_LOCK:
        _COLLECTIONS[texts] = found
        while len(_COLLECTIONS) > _COLLECTIONS_KEPT:
            _COLLECTIONS.popitem(last=False)
    return found


def _similarities(draft_text: str, lessons: Sequence[Lesson]) -> list[float]:
    """Cosine of the draft's and each lesson's TF-IDF vectors, the draft among the documents."""
    if not draft_text.strip() or not lessons:
        return [0.0] * len(lessons)
    c = _collection(tuple(_text(x) for x in lessons))
    words = Counter(c.analyse(draft_text))
    if not words:
        return [0.0] * len(lessons)
    documents = len(lessons) + 1
    known = [(c.vocabulary[w], n) for w, n in words.items() if w in c.vocabulary]
    columns = np.array([col for col, _ in known], dtype=np.int64)
    df = c.df.copy()
    df[columns] += 1  # the draft is one of the documents
    idf = np.log((1 + documents) / (1 + df)) + 1
    draft = np.array([1 + np.log(n) for _, n in known]) * idf[columns]
    # Words only the draft uses weigh in its length, as in a model fitted with it.
    only_draft = np.array([1 + np.log(n) for w, n in words.items() if w not in c.vocabulary])
    only_draft *= np.log((1 + documents) / 2) + 1
    draft_norm = float(np.sqrt(draft @ draft + only_draft @ only_draft))
    weighted = c.tf.multiply(idf).tocsr()
    lesson_norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    dots = weighted[:, columns] @ draft if len(columns) else np.zeros(len(lessons))
    with np.errstate(divide="ignore", invalid="ignore"):
        sims = np.where(lesson_norms > 0, dots / (lesson_norms * draft_norm), 0.0)
    return [float(v) for v in sims]


def _share(draft: Sequence[str], lesson: Sequence[str]) -> tuple[list[str], float]:
    shared = sorted(set(draft) & set(lesson))
    return shared, (len(shared) / len(set(draft)) if draft else 0.0)


def explain(session: Session, crime_areas: list[str], stages: list[str], countries: list[str],
            similarity: float) -> Message:
    """What the draft and a lesson share, a message in the reader's language."""
    area_names = codes.names(session, "crime area", crime_areas)
    stage_names = codes.names(session, "stage", stages)
    shared: list[Message] = []
    if crime_areas:
        listed = Joined([Name(c, area_names[c]) for c in crime_areas], ", ")
        shared.append(N_("crime area %(names)s", names=listed) if len(crime_areas) == 1
                      else N_("crime areas %(names)s", names=listed))
    if stages:
        listed = Joined([Name(s, stage_names[s]) for s in stages], ", ")
        shared.append(N_("stage %(names)s", names=listed) if len(stages) == 1
                      else N_("stages %(names)s", names=listed))
    what = (N_("%(first)s and %(second)s", first=shared[0], second=shared[1])
            if len(shared) == 2 else shared[0] if shared else None)
    if countries:
        listed = Joined([Name(c, c) for c in countries], ", ")
        text = (N_("country %(codes)s", codes=listed) if len(countries) == 1
                else N_("countries %(codes)s", codes=listed))
        what = N_("%(shared)s, %(countries)s", shared=what, countries=text) if what else text
    similar = N_("text similarity %(similarity)s", similarity=Number(similarity, 2))
    if what is None:
        return similar
    return Joined([N_("shares %(what)s", what=what), similar], SEMICOLON)


def lessons_for_design(session: Session, principal: Principal, draft: DesignDraft, *,
                       activity_id: int | None = None, min_score: float = 0.1,
                       limit: int = 50) -> list[Match]:
    """Lessons that apply to ``draft``, best first, each with its explanation.

    With ``activity_id`` each match carries the acknowledgement already recorded
    for that activity, if any.
    """
    stmt = readable(Lesson, principal).where(Lesson.status.in_(APPLICABLE))
    if activity_id is not None:
        stmt = stmt.where((Lesson.activity_id != activity_id) | Lesson.activity_id.is_(None))
    candidates = session.scalars(stmt).all()
    sims = _similarities(f"{draft.title} {draft.description}", candidates)
    acks: dict[int, Acknowledgement] = {}
    if activity_id is not None:
        for ack in session.scalars(select(Acknowledgement)
                                   .where(Acknowledgement.activity_id == activity_id)):
            acks.setdefault(ack.lesson_id, ack)
    matches = []
    for lesson, sim in zip(candidates, sims, strict=True):
        areas, area_share = _share(draft.crime_areas, lesson.crime_areas)
        stages, stage_share = _share(draft.stages, lesson.stages)
        countries, country_share = _share(draft.countries, lesson.countries)
        if not (areas or stages or countries or sim >= TEXT_ALONE):
            continue
        score = (WEIGHTS["crime_areas"] * area_share + WEIGHTS["stages"] * stage_share
                 + WEIGHTS["countries"] * country_share + WEIGHTS["text"] * sim)
        if score < min_score:
            continue
        matches.append(Match(lesson, round(score, 3), areas, stages, countries, round(sim, 2),
                             explain(session, areas, stages, countries, sim),
                             acks.get(lesson.id)))
    matches.sort(key=lambda m: (-m.score, m.lesson.id))
    shown = matches[:limit]
    audit.record_reads(session, principal, [m.lesson for m in shown])
    return shown


def acknowledge(session: Session, principal: Principal, lesson_id: int, *,
                activity_id: int | None = None, draft_title: str = "",
                note: str = "") -> Acknowledgement:
    """Record that the drafter read a lesson while designing an activity or a draft."""
    lesson = get_readable(session, Lesson, lesson_id, principal)
    if activity_id is None and not draft_title.strip():
        raise InputError.single("activity_id or draft_title",
                                N_("name the activity or the draft's title"))
    if activity_id is not None:
        activity = get_readable(session, Activity, activity_id, principal)
        require_write(principal, activity.owner_unit_id)
        draft_title = draft_title or activity.title
    elif principal.unit_id is not None:
        require_write(principal, principal.unit_id)
    ack = Acknowledgement(lesson_id=lesson.id, activity_id=activity_id,
                          draft_title=draft_title.strip(), user_id=principal.user_id,
                          username=principal.username, note=note.strip(),
                          at=datetime.now(UTC))
    session.add(ack)
    session.flush()
    audit.record(session, principal, "create", "lesson_acknowledgement", ack.id, lesson.handling,
                 detail=f"lesson {lesson.id}")
    return ack


def acknowledgements(session: Session, principal: Principal, *, lesson_id: int | None = None,
                     activity_id: int | None = None) -> Sequence[Acknowledgement]:
    """Acknowledgements of lessons the principal may read.

    One made for an activity carries that activity's title; it is left out when
    the reader may not read the activity, as if it had never been made.
    """
    activities = readable(Activity, principal).with_only_columns(Activity.id)
    stmt = (select(Acknowledgement).join(Lesson, Lesson.id == Acknowledgement.lesson_id)
            .where(Lesson.id.in_(readable(Lesson, principal).with_only_columns(Lesson.id)),
                   Acknowledgement.activity_id.is_(None)
                   | Acknowledgement.activity_id.in_(activities))
            .order_by(Acknowledgement.at.desc()))
    if lesson_id is not None:
        stmt = stmt.where(Acknowledgement.lesson_id == lesson_id)
    if activity_id is not None:
        stmt = stmt.where(Acknowledgement.activity_id == activity_id)
    return session.scalars(stmt).all()

