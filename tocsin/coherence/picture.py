"""The composite threat score per crime area x country (or region) and year.

Every score is traceable: a :class:`ThreatCell` carries the parts it was computed
from. The steps (docs/coherence.md has the worked example):

1. *Sources.* Several sources for the same crime area, country, year and kind
   are combined into their mean weighted by each source's grading factor
   (source reliability x information credibility, ``data/method.yaml``).
2. *Place.* In the region view a kind's values are summed over the countries of
   the region.
3. *Normalisation.* Within a crime area, year and kind, each place's value is
   divided by the largest value of any place (max scaling: the worst place is
   1, no record is 0, ratios between places are kept).
4. *Indicator score.* The mean of the normalised values of the kinds reported
   for the place, weighted by kind weight x grading factor, times 100. Kinds not
   reported for the place leave the mean; *confidence* says how much of the
   crime area's kind weight the place's data covers and how well it is graded.
5. *Groups.* The organized crime groups active in the crime area and place
   combine as ``100 x (1 - prod(1 - score_g / 100))``.
6. *Composite.* ``(1 - ocg_share) x indicator score + ocg_share x group score``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tocsin.coherence.method import method
from tocsin.i18n import N_, SEMICOLON, Joined, Message, N_plural, Number

#: Maps a country code to the place the picture is drawn for (itself, or its region).
GeoOf = Callable[[str], str]
Combined = tuple[float, float, list["IndicatorValue"]]  # value, grading factor, sources


@dataclass(frozen=True)
class IndicatorValue:
    """One stored indicator, as the picture needs it."""

    id: int
    crime_area: str
    country: str
    year: int
    kind: str
    value: float
    unit: str
    source: str
    reliability: str
    credibility: int


@dataclass(frozen=True)
class ActiveGroup:
    """An organized crime group, its score under the weights in use, where it is active."""

    id: int
    name: str
    score: float
    crime_areas: tuple[str, ...]
    countries: tuple[str, ...]


@dataclass(frozen=True)
class ThreatPart:
    kind: str
    label: str
    unit: str
    value: float  # combined value for the place
    max_value: float  # the normaliser: the largest value of any place
    normalised: float  # value / max_value
    weight: float  # kind weight
    grading: float  # grading factor of the combined value
    indicator_ids: tuple[int, ...]
    sources: tuple[str, ...]

    @property
    def effective_weight(self) -> float:
        return self.weight * self.grading


@dataclass
class ThreatCell:
    crime_area: str
    geo: str
    year: int
    indicator_score: float = 0.0
    group_score: float = 0.0
    score: float = 0.0
    confidence: float = 0.0
    parts: list[ThreatPart] = field(default_factory=list)
    groups: list[ActiveGroup] = field(default_factory=list)

    def explain(self) -> str:
        """One sentence on where the score comes from."""
        share = method().composite.ocg_share
        bits = [f"indicator score {self.indicator_score:.0f} from "
                + ", ".join(f"{p.label.lower()} {p.normalised:.0%} of the highest"
                            for p in self.parts)] if self.parts else ["no indicators"]
        if self.groups:
            bits.append(f"{len(self.groups)} organized crime group(s) scoring "
                        f"{self.group_score:.0f} together")
        return (f"Composite {self.score:.0f} = {1 - share:.0%} x indicators + {share:.0%} x "
                f"groups; " + "; ".join(bits) + ".")

    def explained(self) -> Message:
        """:meth:`explain` as a message: shown in the reader's language (figures written
        its way, the indicator kinds' labels from the catalogs)."""
        share = method().composite.ocg_share
        # each part made apart: Babel's extractor does not see a message inside another's call
        parts = [N_("%(label)s: %(share)s%% of the highest", label=Message(p.label),
                    share=Number(p.normalised * 100, 0)) for p in self.parts]
        bits: list[Message] = [N_("indicator score %(score)s from %(parts)s",
                                  score=Number(self.indicator_score, 0),
                                  parts=Joined(parts, ", "))] if parts \
            else [N_("no indicators")]
        if self.groups:
            bits.append(N_plural("%(count)s organized crime group scoring %(score)s together",
                                 "%(count)s organized crime groups scoring %(score)s together",
                                 len(self.groups), count=len(self.groups),
                                 score=Number(self.group_score, 0)))
        return N_("Composite %(score)s = %(indicators)s%% x indicators + %(groups)s%% x "
                  "groups; %(details)s.", score=Number(self.score, 0),
                  indicators=Number((1 - share) * 100, 0), groups=Number(share * 100, 0),
                  details=Joined(bits, SEMICOLON))


def _combine_sources(values: Iterable[IndicatorValue]
                     ) -> dict[tuple[str, str, int, str], Combined]:
    """(area, country, year, kind) → (grading-weighted mean value, mean grading, sources)."""
    grading = method().grading
    grouped: dict[tuple[str, str, int, str], list[IndicatorValue]] = defaultdict(list)
    for v in values:
        grouped[(v.crime_area, v.country, v.year, v.kind)].append(v)
    out = {}
    for key, items in grouped.items():
        factors = [grading.factor(i.reliability, i.credibility) for i in items]
        total = sum(factors)
        if total > 0:
            value = sum(f * i.value for f, i in zip(factors, items, strict=True)) / total
        else:
            value = sum(i.value for i in items) / len(items)
        out[key] = (value, total / len(items), items)
    return out


def compute(values: Sequence[IndicatorValue], groups: Sequence[ActiveGroup],
            geo_of: GeoOf | None = None, years: Iterable[int] | None = None,
            ) -> dict[tuple[str, str, int], ThreatCell]:
    """Threat cells keyed by (crime area, place, year) for the given years (default: all)."""
    kinds = method().indicator_kinds
    share = method().composite.ocg_share
    geo = geo_of or (lambda country: country)
    wanted = set(years) if years is not None else {v.year for v in values}
    combined = _combine_sources(v for v in values if v.year in wanted and v.kind in kinds)

    # place level: sum over the countries of a place, grading weighted by value
    placed: dict[tuple[str, str, int, str], list[Combined]] = defaultdict(list)
    for (area, country, year, kind), item in combined.items():
        placed[(area, geo(country), year, kind)].append(item)
    place_value: dict[tuple[str, str, int, str], Combined] = {}
    for key, items in placed.items():
        total = sum(v for v, _, _ in items)
        grading = (sum(v * g for v, g, _ in items) / total if total > 0
                   else sum(g for _, g, _ in items) / len(items))
        place_value[key] = (total, grading, [i for _, _, src in items for i in src])

    maxima: dict[tuple[str, int, str], float] = defaultdict(float)
    reported_weight: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for (area, _place, year, kind), (value, _, _) in place_value.items():
        maxima[(area, year, kind)] = max(maxima[(area, year, kind)], value)
        reported_weight[(area, year)][kind] = kinds[kind].weight

    cells: dict[tuple[str, str, int], ThreatCell] = {}
    for (area, place, year, kind) in sorted(place_value):
        value, grading, found = place_value[(area, place, year, kind)]
        cell = cells.setdefault((area, place, year), ThreatCell(area, place, year))
        top = maxima[(area, year, kind)]
        cell.parts.append(ThreatPart(
            kind=kind, label=kinds[kind].label, unit=kinds[kind].unit, value=value,
            max_value=top, normalised=value / top if top > 0 else 0.0,
            weight=kinds[kind].weight, grading=grading,
            indicator_ids=tuple(sorted(i.id for i in found)),
            sources=tuple(sorted({i.source for i in found})),
        ))

    # groups can make a cell appear where no indicator was reported
    for year in wanted:
        for g in groups:
            for area in g.crime_areas:
                for place in {geo(c) for c in g.countries}:
                    cell = cells.setdefault((area, place, year), ThreatCell(area, place, year))
                    cell.groups.append(g)

    for (area, _place, year), cell in cells.items():
        weight_sum = sum(p.effective_weight for p in cell.parts)
        cell.indicator_score = (100.0 * sum(p.effective_weight * p.normalised
                                            for p in cell.parts) / weight_sum
                                if weight_sum > 0 else 0.0)
        remaining = 1.0
        for g in cell.groups:
            remaining *= 1.0 - min(max(g.score, 0.0), 100.0) / 100.0
        cell.group_score = 100.0 * (1.0 - remaining) if cell.groups else 0.0
        cell.score = (1.0 - share) * cell.indicator_score + share * cell.group_score
        possible = sum(reported_weight[(area, year)].values())
        cell.confidence = (sum(p.effective_weight for p in cell.parts) / possible
                           if possible > 0 else 0.0)
        cell.groups.sort(key=lambda g: -g.score)
    return cells


def latest_year(values: Sequence[IndicatorValue]) -> int | None:
    return max((v.year for v in values), default=None)


def trends(values: Sequence[IndicatorValue], groups: Sequence[ActiveGroup],
           geo_of: GeoOf | None = None) -> dict[tuple[str, str], dict[int, float]]:
    """Composite score per (crime area, place) and year, for trend charts."""
    out: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for (area, place, year), cell in compute(values, groups, geo_of).items():
        out[(area, place)][year] = cell.score
    return dict(out)


def region_mapper(regions: Mapping[str, str]) -> GeoOf:
    """``geo_of`` for the region view from a country → region mapping."""
    return lambda country: regions.get(country, country)
