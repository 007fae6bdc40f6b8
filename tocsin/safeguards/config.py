"""The data-protection rules as data: ``tocsin/safeguards/data/safeguards.yaml``.

Categories of data subjects (audience, review period, whether opening asks for a
justification), purposes, legal bases, review periods of cases and transaction sets,
and the thresholds of the oversight page. Validated on load; a mistake names the entry.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tocsin.access.handling import HANDLING_CODES
from tocsin.datafiles import load_model

DATA = Path(__file__).parent / "data"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Category(_Data):
    key: str = Field(pattern=r"^[a-z_]+$")
    label: str
    review_months: int = Field(ge=1, le=240)
    #: The least restrictive TLP code the person's details are shown under ("" = the case's).
    audience: str = ""
    sensitive: bool = False

    @field_validator("audience")
    @classmethod
    def _code(cls, value: str) -> str:
        if value and value not in HANDLING_CODES:
            raise ValueError(f"{value!r} is not one of {', '.join(HANDLING_CODES)}")
        return value


class Choice(_Data):
    key: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str


class Review(_Data):
    case: int = Field(ge=1, le=240)
    transaction_set: int = Field(ge=1, le=240)
    max_extension_months: int = Field(ge=1, le=120)


class Oversight(_Data):
    window_days: int = Field(ge=1, le=3650)
    factor: float = Field(gt=1)
    minimum: int = Field(ge=1)


class Rules(_Data):
    categories: tuple[Category, ...] = Field(min_length=1)
    purposes: tuple[Choice, ...] = Field(min_length=1)
    legal_bases: tuple[Choice, ...] = Field(min_length=1)
    review: Review
    oversight: Oversight

    @model_validator(mode="after")
    def _unique(self) -> Rules:
        for name in ("categories", "purposes", "legal_bases"):
            keys = [item.key for item in getattr(self, name)]
            doubled = sorted({k for k in keys if keys.count(k) > 1})
            if doubled:
                raise ValueError(f"{name}: {', '.join(doubled)} listed twice")
        return self

    def category(self, key: str) -> Category | None:
        return next((c for c in self.categories if c.key == key), None)

    def purpose(self, key: str) -> Choice | None:
        return next((c for c in self.purposes if c.key == key), None)

    def legal_basis(self, key: str) -> Choice | None:
        return next((c for c in self.legal_bases if c.key == key), None)


def load_rules(path: Path) -> Rules:
    """Rules from a YAML file, validated."""
    return load_model(path, Rules)


@cache
def rules() -> Rules:
    """The packaged rules."""
    return load_rules(DATA / "safeguards.yaml")
