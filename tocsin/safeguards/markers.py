"""Human-rights and gender markers of programmes, and the capacity building for
law-enforcement bodies that has no human-rights component.

Markers (IATI policy markers with their significance, and the organization's own) are
held as data in ``tocsin/safeguards/data/markers.yaml``; an activity's markers are kept
in :class:`~tocsin.safeguards.tables.ActivityMarker`, read and written under the
activity's own rule. :func:`missing_human_rights` gives each flagged activity with the
rationale; the coherence analysis turns them into recommendations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.policy import get_readable, require_write
from tocsin.access.principal import Principal
from tocsin.datafiles import load_model
from tocsin.errors import ConfigurationError, InputError, Problem
from tocsin.i18n import N_, Joined, Message, N_plural
from tocsin.safeguards.tables import ActivityMarker
from tocsin.types.names import reference_name

DATA = Path(__file__).parent / "data" / "markers.yaml"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Significance(_Data):
    code: int = Field(ge=0, le=9)
    #: English; the catalogs hold it in other languages (``babel.cfg`` reads the labels).
    label: str

    @property
    def shown(self) -> Message:
        """The label as a message, shown in the reader's language."""
        return Message(self.label)


class Marker(_Data):
    vocabulary: str = Field(pattern=r"^[0-9]+$")
    code: str = Field(min_length=1, max_length=40)
    #: English; the catalogs hold it in other languages (``babel.cfg`` reads the labels).
    label: str

    @property
    def shown(self) -> Message:
        """The label as a message, shown in the reader's language."""
        return Message(self.label)


class Ref(_Data):
    vocabulary: str
    code: str


class HumanRights(_Data):
    markers: tuple[Ref, ...] = Field(min_length=1)
    min_significance: int = Field(ge=0, le=9)


class LawEnforcement(_Data):
    stages: tuple[str, ...]
    words: tuple[str, ...]


class Markers(_Data):
    significance: tuple[Significance, ...] = Field(min_length=2)
    markers: tuple[Marker, ...] = Field(min_length=1)
    human_rights: HumanRights
    law_enforcement: LawEnforcement

    def marker(self, vocabulary: str, code: str) -> Marker | None:
        return next((m for m in self.markers if (m.vocabulary, m.code) == (vocabulary, code)),
                    None)

    def significance_label(self, code: int) -> str:
        return next((s.shown for s in self.significance if s.code == code), str(code))


def load_markers(path: Path) -> Markers:
    data = load_model(path, Markers)
    for ref in data.human_rights.markers:
        if data.marker(ref.vocabulary, ref.code) is None:
            raise ConfigurationError(N_(
                "%(path)s: human_rights names the unknown marker %(vocabulary)s/%(code)s",
                path=str(path), vocabulary=ref.vocabulary, code=ref.code))
    return data


@cache
def markers() -> Markers:
    return load_markers(DATA)


@dataclass(frozen=True)
class MarkerSpec:
    vocabulary: str
    code: str
    significance: int


def _activity(session: Session, principal: Principal, activity_id: int) -> object:
    from tocsin.taskforce.programmes.tables import Activity

    return get_readable(session, Activity, activity_id, principal)


def set_markers(session: Session, principal: Principal, activity_id: int,
                given: Sequence[MarkerSpec]) -> list[ActivityMarker]:
    """Replace the activity's markers (each checked against the data)."""
    activity = _activity(session, principal, activity_id)
    require_write(principal, activity.owner_unit_id)  # type: ignore[attr-defined]
    data = markers()
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for i, m in enumerate(given):
        if data.marker(m.vocabulary, m.code) is None:
            problems.append(Problem(f"markers.{i}.code", N_(
                "%(vocabulary)s/%(code)s is not a marker of markers.yaml",
                vocabulary=m.vocabulary, code=m.code)))
        if m.significance not in {s.code for s in data.significance}:
            problems.append(Problem(f"markers.{i}.significance", N_(
                "%(value)s is not an IATI significance code", value=m.significance)))
        if (m.vocabulary, m.code) in seen:
            problems.append(Problem(f"markers.{i}.code", N_("given twice")))
        seen.add((m.vocabulary, m.code))
    if problems:
        raise InputError(problems)
    session.execute(delete(ActivityMarker).where(ActivityMarker.activity_id == activity_id))
    rows = [ActivityMarker(activity_id=activity_id, vocabulary=m.vocabulary, code=m.code,
                           significance=m.significance) for m in given]
    session.add_all(rows)
    session.flush()
    audit.record(session, principal, "update", "activity", activity_id,
                 activity.handling,  # type: ignore[attr-defined]
                 detail="policy markers: " + (", ".join(
                     f"{m.vocabulary}/{m.code}={m.significance}" for m in given) or "none"))
    return rows


def markers_of(session: Session, principal: Principal, activity_id: int
               ) -> list[ActivityMarker]:
    _activity(session, principal, activity_id)
    return list(session.scalars(select(ActivityMarker).where(
        ActivityMarker.activity_id == activity_id).order_by(ActivityMarker.vocabulary,
                                                              ActivityMarker.code)))


@dataclass(frozen=True)
class Flag:
    """Capacity building for law-enforcement bodies without a human-rights component."""

    activity_id: int
    identifier: str
    title: str
    rationale: str


def has_human_rights(found: Sequence[tuple[str, str, int]]) -> bool:
    rule = markers().human_rights
    wanted = {(r.vocabulary, r.code) for r in rule.markers}
    return any((v, c) in wanted and s >= rule.min_significance for v, c, s in found)


def law_enforcement_reason(title: str, description: str, stages: Sequence[str]
                           ) -> str | None:
    """Why the activity counts as law-enforcement capacity building, or None."""
    rule = markers().law_enforcement
    on = sorted(set(stages) & set(rule.stages))
    if not on:
        return None
    text = f"{title} {description}".casefold()
    words = [w for w in rule.words if w.casefold() in text]
    if on and words:
        return N_("it works on %(stages)s and names %(words)s",
                  stages=Joined([reference_name("stage", s) for s in on], ", "),
                  words=", ".join(repr(w) for w in words[:3]))
    return None


def missing_human_rights(session: Session, principal: Principal) -> list[Flag]:
    """Activities the principal may read that build law-enforcement capacity and carry no
    human-rights marker of sufficient significance.

    The readable activities are read as columns and their stages and markers through
    one sub-query each, so the statements stay the same size whatever the portfolio (a
    list of every id bound 61,030 values on a 50,000-activity workspace, more than the
    32,766 SQLite allows by default), and the flagged records below each one are counted
    in one pass over their ancestors (counting them for each record took time growing
    with the square of the portfolio: about 15 minutes at 50,000 activities).
    """
    from tocsin.access.policy import readable_rows
    from tocsin.coherence.portfolio import CANCELLED
    from tocsin.taskforce.programmes.tables import Activity, ActivityStage

    live = Activity.status != CANCELLED
    rows = session.execute(readable_rows(
        Activity, principal, Activity.id, Activity.identifier, Activity.title,
        Activity.description, Activity.parent_id).where(live).order_by(Activity.id)).all()
    visible = readable_rows(Activity, principal, Activity.id).where(live).scalar_subquery()
    stages: dict[int, list[str]] = {}
    found: dict[int, list[tuple[str, str, int]]] = {}
    if rows:
        for activity_id, code in session.execute(select(
                ActivityStage.activity_id, ActivityStage.stage_code).where(
                ActivityStage.activity_id.in_(visible))):
            stages.setdefault(activity_id, []).append(code)
        for activity_id, vocabulary, code, significance in session.execute(select(
                ActivityMarker.activity_id, ActivityMarker.vocabulary, ActivityMarker.code,
                ActivityMarker.significance).where(ActivityMarker.activity_id.in_(visible))):
            found.setdefault(activity_id, []).append((vocabulary, code, significance))
    rule = markers().human_rights
    # each name a message, so the rationale names the markers in the reader's language
    names = Joined([markers().marker(r.vocabulary, r.code).shown  # type: ignore[union-attr]
                    for r in rule.markers], ", ")
    parent = {a.id: a.parent_id for a in rows}

    def ancestors(activity_id: int) -> list[int]:
        out, seen = [], {activity_id}
        up = parent.get(activity_id)
        while up is not None and up not in seen:  # a marker above covers the work below
            out.append(up)
            seen.add(up)
            up = parent.get(up)
        return out

    covered_here = {i for i, given in found.items() if has_human_rights(given)}
    candidates: dict[int, str] = {}
    above: dict[int, list[int]] = {}
    for a in rows:
        why = law_enforcement_reason(a.title, a.description or "", stages.get(a.id, []))
        if why is None:
            continue
        line = [a.id, *ancestors(a.id)]
        if not any(i in covered_here for i in line):
            candidates[a.id] = why
            above[a.id] = line[1:]
    below: dict[int, int] = {}  # flagged records under each record
    for ups in above.values():
        for i in ups:
            below[i] = below.get(i, 0) + 1
    flags = []
    for a in rows:
        if a.id not in candidates or any(i in candidates for i in above[a.id]):
            continue  # recommended once, at the highest level that lacks the component
        count = below.get(a.id, 0)
        reason, least = candidates[a.id], rule.min_significance
        flags.append(Flag(a.id, a.identifier, a.title, N_plural(
            "%(activity)s builds the capacity of law-enforcement bodies (%(reason)s) but has "
            "no human-rights component: none of the markers %(markers)s is set at "
            "significance %(significance)s or more, on it or above it. So does %(count)s "
            "project or activity below it. Capacity building without human-rights "
            "safeguards risks strengthening abusive practices; add a component (human-rights "
            "standards in the training, oversight, accountability) and mark it.",
            "%(activity)s builds the capacity of law-enforcement bodies (%(reason)s) but has "
            "no human-rights component: none of the markers %(markers)s is set at "
            "significance %(significance)s or more, on it or above it. So do %(count)s "
            "projects or activities below it. Capacity building without human-rights "
            "safeguards risks strengthening abusive practices; add a component (human-rights "
            "standards in the training, oversight, accountability) and mark it.", count,
            activity=a.identifier, reason=reason, markers=names, significance=least,
            count=count) if count else N_(
            "%(activity)s builds the capacity of law-enforcement bodies (%(reason)s) but has "
            "no human-rights component: none of the markers %(markers)s is set at "
            "significance %(significance)s or more, on it or above it. Capacity building "
            "without human-rights safeguards risks strengthening abusive practices; add a "
            "component (human-rights standards in the training, oversight, accountability) "
            "and mark it.", activity=a.identifier, reason=reason, markers=names,
            significance=least)))
    return flags
