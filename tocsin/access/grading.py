"""Grading of information and the provider's handling codes, held as data.

Two files in ``tocsin/access/data``: ``grading.yaml`` (the schemes an organization
evaluates sources and information with: 4x4, 3x5x2, 6x6) and ``handling_codes.yaml``
(H0-H3, what each forbids without the provider's consent). Both are validated when
loaded; a mistake names the file and the entry.

:func:`check_grades` checks a grade given on a form; :func:`transfer_refusals` is the one
place that decides whether information may go on to another recipient or be used as
evidence, and says why not.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tocsin.datafiles import load_model
from tocsin.errors import Problem
from tocsin.i18n import N_

DATA = Path(__file__).parent / "data"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Grade(_Data):
    code: str = Field(min_length=1, max_length=2)
    label: str = Field(min_length=1)


class Dimension(_Data):
    key: str = Field(pattern=r"^[a-z_]+$")
    label: str
    grades: tuple[Grade, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _unique(self) -> Dimension:
        codes = [g.code for g in self.grades]
        if len(set(codes)) != len(codes):
            raise ValueError(f"dimension {self.key}: a grade code is listed twice")
        return self

    def grade(self, code: str) -> Grade | None:
        return next((g for g in self.grades if g.code == code), None)


class Scheme(_Data):
    key: str = Field(min_length=1, max_length=20)
    label: str
    dimensions: tuple[Dimension, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _unique(self) -> Scheme:
        keys = [d.key for d in self.dimensions]
        if len(set(keys)) != len(keys):
            raise ValueError(f"scheme {self.key}: a dimension is listed twice")
        return self

    def written(self, grades: dict[str, str]) -> str:
        """The grade as analysts write it, e.g. ``B2`` or ``2BC``."""
        return "".join(grades.get(d.key, "?") for d in self.dimensions)

    def explained(self, grades: dict[str, str]) -> list[tuple[str, str]]:
        """(dimension label, grade label) for each dimension."""
        out = []
        for d in self.dimensions:
            grade = d.grade(grades.get(d.key, ""))
            out.append((d.label, grade.label if grade else "not graded"))
        return out


class Grading(_Data):
    default: str
    schemes: tuple[Scheme, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_known(self) -> Grading:
        keys = [s.key for s in self.schemes]
        if len(set(keys)) != len(keys):
            raise ValueError("a scheme key is listed twice")
        if self.default not in keys:
            raise ValueError(f"default scheme {self.default!r} is not one of {', '.join(keys)}")
        return self

    def scheme(self, key: str) -> Scheme | None:
        return next((s for s in self.schemes if s.key == key), None)


class HandlingCode(_Data):
    code: str = Field(pattern=r"^H[0-9]$")
    label: str
    description: str
    evidence_needs_consent: bool
    transfer_needs_consent: bool
    restrictions_required: bool


class HandlingCodes(_Data):
    codes: tuple[HandlingCode, ...] = Field(min_length=1)

    def get(self, code: str) -> HandlingCode | None:
        return next((c for c in self.codes if c.code == code), None)


def _load(name: str, model: type[Any], path: Path | None = None) -> Any:
    return load_model(path or DATA / name, model)


@cache
def grading() -> Grading:
    """The grading schemes of ``grading.yaml``."""
    result: Grading = _load("grading.yaml", Grading)
    return result


@cache
def handling_codes() -> HandlingCodes:
    """The provider handling codes of ``handling_codes.yaml``."""
    result: HandlingCodes = _load("handling_codes.yaml", HandlingCodes)
    return result


def load_grading(path: Path) -> Grading:
    """A grading file other than the packaged one, validated (for checks and tests)."""
    result: Grading = _load(path.name, Grading, path)
    return result


def load_handling_codes(path: Path) -> HandlingCodes:
    result: HandlingCodes = _load(path.name, HandlingCodes, path)
    return result


def check_grades(scheme_key: str, grades: dict[str, str], location: str,
                 problems: list[Problem]) -> dict[str, str]:
    """The grades cleaned (upper-case codes), or problems naming the dimension."""
    scheme = grading().scheme(scheme_key)
    if scheme is None:
        keys = ", ".join(s.key for s in grading().schemes)
        problems.append(Problem(f"{location}.scheme", N_("%(value)s is not one of %(allowed)s",
                                                         value=repr(scheme_key), allowed=keys)))
        return {}
    clean: dict[str, str] = {}
    unknown = set(grades) - {d.key for d in scheme.dimensions}
    for key in sorted(unknown):
        problems.append(Problem(f"{location}.{key}", N_(
            "the %(scheme)s scheme has no dimension %(key)s", scheme=scheme.key, key=repr(key))))
    for dimension in scheme.dimensions:
        code = grades.get(dimension.key, "").strip().upper()
        if not code:
            problems.append(Problem(f"{location}.{dimension.key}",
                                    N_("give the %(what)s", what=dimension.label.lower())))
        elif dimension.grade(code) is None:
            allowed = ", ".join(g.code for g in dimension.grades)
            problems.append(Problem(f"{location}.{dimension.key}", N_(
                "%(value)s is not a %(what)s of the %(scheme)s scheme (use %(allowed)s)",
                value=repr(code), what=dimension.label.lower(), scheme=scheme.key,
                allowed=allowed)))
        else:
            clean[dimension.key] = code
    return clean


def check_handling_code(code: str, restrictions: str, location: str,
                        problems: list[Problem]) -> str:
    """The provider's handling code, checked with its restrictions."""
    value = code.strip().upper()
    found = handling_codes().get(value)
    if found is None:
        allowed = ", ".join(c.code for c in handling_codes().codes)
        problems.append(Problem(f"{location}.handling_code",
                                N_("%(value)s is not one of %(allowed)s", value=repr(code),
                                   allowed=allowed)))
        return value
    if found.restrictions_required and not restrictions.strip():
        problems.append(Problem(f"{location}.provider_restrictions", N_(
            "%(code)s needs the provider's restrictions written down", code=found.code)))
    return value


def transfer_refusals(code: str, *, consent: bool, as_evidence: bool,
                      restrictions: str = "", restrictions_met: bool = False) -> list[str]:
    """Why information under ``code`` may not go on to another recipient (empty: it may).

    ``consent`` is the provider's recorded consent; ``restrictions_met`` the sender's
    confirmation that the provider's own restrictions (H3) are respected.
    """
    rule = handling_codes().get(code)
    if rule is None:
        return [N_("the handling code %(code)s is unknown, so nothing may be passed on",
                   code=repr(code))]
    reasons: list[str] = []
    if rule.transfer_needs_consent and not consent:
        reasons.append(N_("%(code)s: the provider has not consented to passing it on",
                          code=rule.label))
    if as_evidence and rule.evidence_needs_consent and not consent:
        reasons.append(N_("%(code)s: the provider has not consented to its use as evidence",
                          code=rule.label))
    if rule.restrictions_required and not restrictions_met:
        reasons.append(N_("%(code)s: confirm that the provider's restrictions are respected "
                          "(%(restrictions)s)", code=rule.label,
                          restrictions=restrictions or N_("none recorded")))
    return reasons


def parse_written(scheme_key: str, written: str) -> dict[str, str]:
    """A grade as analysts write it (``B2``, ``1AP``) split into its dimensions; a part
    that does not match is left out, so :func:`check_grades` names it."""
    scheme = grading().scheme(scheme_key)
    if scheme is None:
        return {}
    rest = written.strip().upper().replace(" ", "").replace("/", "")
    out: dict[str, str] = {}
    for dimension in scheme.dimensions:
        for grade in sorted(dimension.grades, key=lambda g: -len(g.code)):
            if rest.startswith(grade.code.upper()):
                out[dimension.key] = grade.code
                rest = rest[len(grade.code):]
                break
        else:
            if rest:
                out[dimension.key] = rest[:1]
                rest = rest[1:]
    return out
