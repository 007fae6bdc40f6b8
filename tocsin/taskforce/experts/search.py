"""Search the roster by need, ranked, each candidate saying which requirements it meets.

Weights: crime area 3 and stage 2 (scaled by the expert's level: working 1/3,
advanced 2/3, expert 3/3), each language 1, availability over the whole period 2.
The score is the share of the weights of the requirements given, from 0 to 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.links import linked_id
from tocsin.access.policy import readable
from tocsin.access.principal import Principal
from tocsin.errors import InputError, Problem
from tocsin.i18n import N_
from tocsin.taskforce.experts.records import check_languages
from tocsin.taskforce.experts.spec import Need
from tocsin.taskforce.experts.tables import LEVELS, Expert
from tocsin.taskforce.lessons import codes
from tocsin.taskforce.programmes.tables import Activity

WEIGHTS = {"crime_area": 3.0, "stage": 2.0, "language": 1.0, "availability": 2.0}


@dataclass
class Candidate:
    expert: Expert
    score: float = 0.0
    matched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def explanation(self) -> str:
        parts = [f"matches {', '.join(self.matched)}"] if self.matched else []
        if self.missing:
            parts.append(f"lacks {', '.join(self.missing)}")
        return "; ".join(parts)


def _check(session: Session, need: Need) -> Need:
    problems: list[Problem] = []
    if need.crime_area:
        problems += codes.unknown_codes(session, "crime area", [need.crime_area],
                                        "need.crime_area")
    if need.stage:
        problems += codes.unknown_codes(session, "stage", [need.stage], "need.stage")
    languages, bad = check_languages(need.languages, "need.languages")
    problems += bad
    if (need.available_from is None) != (need.available_to is None):
        problems.append(Problem("need.available_to", N_("give both dates of the period")))
    elif need.available_from and need.available_to and need.available_to < need.available_from:
        problems.append(Problem("need.available_to", N_("ends before it starts")))
    if problems:
        raise InputError(problems)
    return need.model_copy(update={"languages": languages})


def _best_level(expert: Expert, attribute: str, code: str) -> int:
    return max((e.level for e in expert.expertise if getattr(e, attribute) == code), default=0)


def find_experts(session: Session, principal: Principal, need: Need,
                 limit: int = 50) -> list[Candidate]:
    """Readable experts meeting at least one requirement, best first."""
    need = _check(session, need)
    total = ((WEIGHTS["crime_area"] if need.crime_area else 0)
             + (WEIGHTS["stage"] if need.stage else 0)
             + WEIGHTS["language"] * len(need.languages)
             + (WEIGHTS["availability"] if need.available_from else 0))
    if total == 0:
        raise InputError.single("need", N_("give at least one requirement"))
    area_names = codes.names(session, "crime area", [need.crime_area] if need.crime_area else [])
    stage_names = codes.names(session, "stage", [need.stage] if need.stage else [])
    found = []
    for expert in session.scalars(readable(Expert, principal)):
        c = Candidate(expert)
        points = 0.0
        for attribute, code, names, weight, what in (
                ("crime_area_code", need.crime_area, area_names, WEIGHTS["crime_area"],
                 "crime area"),
                ("stage_code", need.stage, stage_names, WEIGHTS["stage"], "stage")):
            if not code:
                continue
            level = _best_level(expert, attribute, code)
            if level:
                points += weight * level / len(LEVELS)
                c.matched.append(f"{what} {names[code]} ({LEVELS[level - 1]})")
            else:
                c.missing.append(f"{what} {names[code]}")
        for language in need.languages:
            if language in expert.language_codes:
                points += WEIGHTS["language"]
                c.matched.append(f"language {language}")
            else:
                c.missing.append(f"language {language}")
        if need.available_from and need.available_to:
            start, end = need.available_from, need.available_to
            covered = any(p.starts_on <= start and p.ends_on >= end for p in expert.availability)
            clash = [a for a in expert.assignments if a.starts_on <= end and start <= a.ends_on]
            period = f"{start.isoformat()} to {end.isoformat()}"
            if covered and not clash:
                points += WEIGHTS["availability"]
                c.matched.append(f"available {period}")
            elif clash:  # an activity the reader may not see is not named
                seen = linked_id(session, Activity, clash[0].activity_id, principal)
                where = f"to activity {seen}" if seen is not None else "elsewhere"
                c.missing.append(f"availability {period} (assigned {where} "
                                 f"{clash[0].starts_on.isoformat()} to "
                                 f"{clash[0].ends_on.isoformat()})")
            else:
                c.missing.append(f"availability {period} (no availability period covers it)")
        if c.matched:
            c.score = round(points / total, 3)
            found.append(c)
    found.sort(key=lambda x: (-x.score, x.expert.name))
    shown = found[:limit]
    audit.record_reads(session, principal, [c.expert for c in shown])
    return shown
