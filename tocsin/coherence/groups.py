"""Organized crime group profiles scored SOCTA-style, with visible, adjustable weights.

A group's score is ``100 x sum(weight_i x score_i) / sum(weight_i x scale_max)``
over the indicators scored for it; indicators marked unknown leave both sums and
lower the group's *completeness* instead. The weights are the shipped defaults
of ``data/ocg_method.yaml`` overridden by the workspace's own (``coh_ocg_weights``);
:func:`rank` takes any weights, so a page can re-rank without saving.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.handling import Handling
from tocsin.access.policy import (
    list_readable,
    may_read,
    readable,
    require_write,
    unguarded_select,
)
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.coherence.method import ocg_method
from tocsin.coherence.tables import OcgProfile, OcgWeight
from tocsin.errors import InputError, PermissionDenied, Problem
from tocsin.i18n import N_
from tocsin.reference.tables import RefCountry, RefCrimeArea

MAX_WEIGHT = 10.0
#: Roles that may change the workspace's weights.
WEIGHT_EDITORS = (Role.ANALYST, Role.COORDINATOR, Role.ADMINISTRATOR)


@dataclass(frozen=True)
class GroupPart:
    """One indicator's share of a group's score."""

    indicator: str
    label: str
    score: int | None
    level: str
    weight: float
    points: float  # weight x score
    max_points: float  # weight x scale_max (0 when the score is unknown)


@dataclass(frozen=True)
class RankedGroup:
    id: int
    name: str
    handling: str
    crime_areas: tuple[str, ...]
    countries: tuple[str, ...]
    score: float  # 0-100
    completeness: float  # share of the weight whose indicator is known
    parts: tuple[GroupPart, ...] = field(default_factory=tuple)
    rank: int = 0
    illustrative: bool = False


class ProfileSpec(BaseModel):
    """A group profile as plain data (for the demo, the API and imports)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    summary: str = ""
    crime_areas: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    scores: dict[str, int | None] = Field(default_factory=dict)
    assessed_on: date | None = None
    handling: str = "AMBER"
    owner_unit_id: int | None = None
    illustrative: bool = False


# --- weights --------------------------------------------------------------------------


def weights(session: Session) -> dict[str, float]:
    """The weights in use: shipped defaults overridden by the workspace's own."""
    result = ocg_method().default_weights()
    for row in session.scalars(select(OcgWeight)):
        if row.indicator in result:
            result[row.indicator] = row.weight
    return result


def check_weights(values: Mapping[str, object]) -> dict[str, float]:
    """Weights parsed and checked; raises :class:`InputError` naming each bad one."""
    known = ocg_method().indicators
    problems: list[Problem] = []
    out: dict[str, float] = {}
    for code, raw in values.items():
        if code not in known:
            problems.append(Problem(f"weights.{code}", N_("not an indicator of the OCG method")))
            continue
        try:
            value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            problems.append(Problem(f"weights.{code}", N_("not a number: %(value)s",
                                                          value=repr(raw))))
            continue
        if not math.isfinite(value) or not 0 <= value <= MAX_WEIGHT:
            problems.append(Problem(f"weights.{code}", N_("must be between %(low)s and %(high)s",
                                                          low=0, high=f"{MAX_WEIGHT:g}")))
            continue
        out[code] = value
    if not problems and out and sum(out.values()) == 0:
        problems.append(Problem("weights", N_("at least one weight must be above zero")))
    if problems:
        raise InputError(problems)
    return out


def save_weights(session: Session, principal: Principal, values: Mapping[str, object]
                 ) -> dict[str, float]:
    """Store the workspace's weights (analysts, coordinators and administrators only)."""
    if principal.role not in WEIGHT_EDITORS:
        raise PermissionDenied(N_("only an analyst may change the weights of the OCG method"))
    checked = check_weights(values)
    merged = {**weights(session), **checked}
    if sum(merged.values()) == 0:
        raise InputError.single("weights", N_("at least one weight must be above zero"))
    for code, value in checked.items():
        row = session.get(OcgWeight, code)
        if row is None:
            session.add(OcgWeight(indicator=code, weight=value, updated_by=principal.username))
        else:
            row.weight, row.updated_by = value, principal.username
    session.flush()
    audit.record(session, principal, "update", "ocg_weights", "workspace", "GREEN",
                 detail=", ".join(f"{k}={v:g}" for k, v in sorted(checked.items())))
    return merged


def reset_weights(session: Session, principal: Principal) -> dict[str, float]:
    """Go back to the shipped default weights."""
    if principal.role not in WEIGHT_EDITORS:
        raise PermissionDenied(N_("only an analyst may change the weights of the OCG method"))
    for row in session.scalars(select(OcgWeight)):
        session.delete(row)
    session.flush()
    audit.record(session, principal, "update", "ocg_weights", "workspace", "GREEN",
                 detail="reset to defaults")
    return ocg_method().default_weights()


# --- scoring --------------------------------------------------------------------------


def score_group(scores: Mapping[str, object], weights: Mapping[str, float]
                ) -> tuple[float, float, tuple[GroupPart, ...]]:
    """(score 0-100, completeness 0-1, parts) of one group under ``weights``."""
    m = ocg_method()
    parts: list[GroupPart] = []
    points = possible = known_weight = total_weight = 0.0
    for code, item in m.indicators.items():
        weight = float(weights.get(code, item.weight))
        raw = scores.get(code)
        value = int(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
        total_weight += weight
        if value is None:
            parts.append(GroupPart(code, item.label, None, "unknown", weight, 0.0, 0.0))
            continue
        known_weight += weight
        points += weight * value
        possible += weight * m.scale_max
        parts.append(GroupPart(code, item.label, value, item.levels[value], weight,
                               weight * value, weight * m.scale_max))
    score = 100.0 * points / possible if possible else 0.0
    completeness = known_weight / total_weight if total_weight else 0.0
    return score, completeness, tuple(parts)


def rank(profiles: Iterable[OcgProfile], weights: Mapping[str, float]) -> list[RankedGroup]:
    """Groups ordered by score under ``weights`` (highest first, ties by name)."""
    ranked = []
    for p in profiles:
        score, completeness, parts = score_group(p.scores or {}, weights)
        ranked.append(RankedGroup(p.id, p.name, p.handling, tuple(p.crime_areas or ()),
                                  tuple(p.countries or ()), score, completeness, parts,
                                  illustrative=p.illustrative))
    ranked.sort(key=lambda g: (-round(g.score, 6), g.name))
    return [RankedGroup(**{**g.__dict__, "rank": i + 1}) for i, g in enumerate(ranked)]


def list_profiles(session: Session, principal: Principal) -> Sequence[OcgProfile]:
    """Profiles the principal may read (reads above GREEN are audited)."""
    return list_readable(session, readable(OcgProfile, principal).order_by(OcgProfile.name),
                         principal)


def ranking(session: Session, principal: Principal,
            override: Mapping[str, object] | None = None) -> tuple[list[RankedGroup],
                                                                   dict[str, float]]:
    """The readable groups ranked under the workspace's weights, or ``override`` unsaved."""
    used = weights(session)
    if override:
        used.update(check_weights(override))
    return rank(list_profiles(session, principal), used), used


# --- profiles -------------------------------------------------------------------------


def check_profile(spec: ProfileSpec, crime_areas: set[str], countries: set[str]) -> list[Problem]:
    m = ocg_method()
    where = f"group {spec.name!r}"
    problems = [Problem(f"{where}: crime_areas", N_("unknown crime area %(code)s", code=repr(c)))
                for c in spec.crime_areas if c not in crime_areas]
    problems += [Problem(f"{where}: countries", N_("unknown country code %(code)s",
                                                   code=repr(c)))
                 for c in spec.countries if c.upper() not in countries]
    for code, value in spec.scores.items():
        if code not in m.indicators:
            problems.append(Problem(f"{where}: scores.{code}",
                                    N_("not an indicator of the method")))
        elif value is not None and not 0 <= value <= m.scale_max:
            problems.append(Problem(f"{where}: scores.{code}",
                                    N_("score must be 0-%(most)s or empty (unknown)",
                                       most=m.scale_max)))
    try:
        Handling.parse(spec.handling)
    except ValueError as exc:
        problems.append(Problem(f"{where}: handling", str(exc)))
    return problems


def save_profile(session: Session, principal: Principal, spec: ProfileSpec) -> OcgProfile:
    """Create or replace (by name) one group profile."""
    areas = set(session.scalars(select(RefCrimeArea.code)))
    countries = set(session.scalars(select(RefCountry.code)))
    problems = check_profile(spec, areas, countries)
    if problems:
        raise InputError(problems)
    unit_id = spec.owner_unit_id if spec.owner_unit_id is not None else principal.unit_id
    require_write(principal, unit_id)
    profile = session.scalar(
        unguarded_select(OcgProfile, why="group names are unique across units")
        .where(OcgProfile.name == spec.name))
    action = "update"
    if profile is None:
        profile = OcgProfile(name=spec.name, owner_unit_id=unit_id)
        session.add(profile)
        action = "create"
    elif not may_read(profile, principal):  # the name is taken by a group the user cannot see
        raise InputError.single(f"group {spec.name!r}: name",
                                N_("another group has this name; choose another one"))
    else:
        require_write(principal, profile.owner_unit_id)
    profile.summary = spec.summary
    profile.crime_areas = list(spec.crime_areas)
    profile.countries = [c.upper() for c in spec.countries]
    profile.scores = dict(spec.scores)
    profile.assessed_on = spec.assessed_on
    profile.handling = Handling.parse(spec.handling).value
    profile.illustrative = spec.illustrative
    session.flush()
    audit.record(session, principal, action, OcgProfile.record_type, profile.id, profile.handling)
    return profile
