"""The coherence method as data: loaded once from ``data/*.yaml`` and validated."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tocsin.errors import Problem, ReferenceDataError, located, validation_reason
from tocsin.i18n import N_

DATA = Path(__file__).parent / "data"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IndicatorKind(_Model):
    label: str
    unit: str
    weight: float = Field(gt=0)
    description: str = ""


class Grade(_Model):
    label: str
    factor: float = Field(ge=0, le=1)


class Grading(_Model):
    source_reliability: dict[str, Grade]
    credibility: dict[str, Grade]

    def factor(self, reliability: str, credibility: int | str) -> float:
        """Weight factor of one graded item, e.g. ``B2`` → 0.85 x 0.85."""
        return (self.source_reliability[reliability].factor
                * self.credibility[str(credibility)].factor)


class Composite(_Model):
    ocg_share: float = Field(ge=0, le=1)


class GapRules(_Model):
    threat_high: float = Field(ge=0, le=100)
    coverage_low_ratio: float = Field(gt=0)


class DuplicateRules(_Model):
    weights: dict[str, float]
    propose: float = Field(gt=0, le=1)
    likely_duplicate: float = Field(gt=0, le=1)
    duplicate_text: float = Field(ge=0, le=1)
    block_all_pairs: int = Field(ge=2)
    neighbours: int = Field(ge=1)
    min_text_in_large_blocks: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _features(self) -> DuplicateRules:
        expected = {"text", "crime_areas", "geography", "stages", "dates", "partners"}
        if set(self.weights) != expected:
            raise ValueError(N_("weights must name exactly %(features)s",
                                features=str(sorted(expected))))
        return self


class Method(_Model):
    indicator_kinds: dict[str, IndicatorKind]
    grading: Grading
    composite: Composite
    gaps: GapRules
    duplicates: DuplicateRules


class OcgIndicator(_Model):
    label: str
    weight: float = Field(ge=0)
    levels: list[str]


class OcgMethod(_Model):
    scale_max: int = Field(ge=1)
    indicators: dict[str, OcgIndicator]

    @model_validator(mode="after")
    def _levels(self) -> OcgMethod:
        for code, item in self.indicators.items():
            if len(item.levels) != self.scale_max + 1:
                raise ValueError(N_("%(code)s: give one level per score 0..%(max)s", code=code,
                                    max=self.scale_max))
        return self

    def default_weights(self) -> dict[str, float]:
        return {code: item.weight for code, item in self.indicators.items()}


def _load(name: str, model: type[_Model]) -> _Model:
    path = DATA / name
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ReferenceDataError(
            [Problem(located(path.name, ".".join(str(p) for p in e["loc"])) if e["loc"]
                     else path.name, validation_reason(e)) for e in exc.errors()]
        ) from exc


@cache
def method() -> Method:
    loaded = _load("method.yaml", Method)
    assert isinstance(loaded, Method)
    return loaded


@cache
def ocg_method() -> OcgMethod:
    loaded = _load("ocg_method.yaml", OcgMethod)
    assert isinstance(loaded, OcgMethod)
    return loaded
