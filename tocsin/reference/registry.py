"""Load the reference YAML files once, validate them, and give typed access.

>>> registry = load_registry()
>>> registry.crime_area("drug_trafficking").name
'Drug trafficking'

A bad file raises :class:`tocsin.errors.ReferenceDataError` listing every
problem, each naming the file, the entry (its code, or its position) and the
field.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from tocsin.errors import Problem, ReferenceDataError, reason_of, validation_reason
from tocsin.i18n import COLON, N_, Joined, Message, N_plural
from tocsin.reference.schema import (
    CrimeArea,
    CrimeAreasFile,
    Instrument,
    InstrumentsFile,
    Located,
    Meta,
    Organization,
    OrganizationsFile,
    Provision,
    Region,
    Stage,
    StagesFile,
    State,
    StatesFile,
    Structure,
    StructuresFile,
    cross_check,
    entry_label,
    field_label,
)

DATA_DIR = Path(__file__).parent / "data"
INSTRUMENTS_DIR = "instruments"

#: The fixed files and the model each one follows.
FILES: dict[str, type[BaseModel]] = {
    "meta.yaml": Meta,
    "crime_areas.yaml": CrimeAreasFile,
    "justice_stages.yaml": StagesFile,
    "structures.yaml": StructuresFile,
    "states.yaml": StatesFile,
    "organizations.yaml": OrganizationsFile,
}

#: Kinds of entries as the command line names them: (Registry attribute, lookup name).
KINDS: dict[str, tuple[str, str]] = {
    "crime-areas": ("crime_areas", "crime area"),
    "stages": ("stages", "stage"),
    "structures": ("structures", "structure"),
    "states": ("states", "state"),
    "organizations": ("organizations", "organization"),
    "instruments": ("instruments", "instrument"),
    "provisions": ("provisions", "provision"),
}

M = TypeVar("M", bound=BaseModel)
E = TypeVar("E")


#: libyaml's parser where PyYAML was built with it: the reference files parse in about a
#: tenth of the time (the constructor, and so the check below, stays PyYAML's).
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SAFE_LOADER):
    """Safe loader that refuses a key given twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, N_("key %(key)s is given twice", key=repr(key)),
                    key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path, name: str) -> tuple[Any, list[Problem]]:
    """Parse one file; a syntax error becomes a problem naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [Problem(name, N_("cannot be read: %(why)s",
                                       why=str(exc.strerror or exc)))]
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = N_("%(where)s: line %(line)s, column %(column)s", where=name,
                   line=mark.line + 1, column=mark.column + 1) if mark else name
        said = [p for p in (exc.context, exc.problem) if p]  # the parser's own words, or ours
        reason = Joined(said, " ") if said else N_("invalid YAML")
        return None, [Problem(where, N_("YAML syntax error: %(why)s", why=reason))]
    except yaml.YAMLError as exc:
        return None, [Problem(name, N_("YAML error: %(why)s", why=str(exc)))]
    if data is None:
        return None, [Problem(name, N_("the file is empty"))]
    return data, []


def _entry_label(data: Any, list_name: str, index: int) -> Message:
    try:
        raw = data[list_name][index]
    except (KeyError, IndexError, TypeError):
        raw = None
    code = raw.get("code") or raw.get("key") if isinstance(raw, dict) else None
    return entry_label(code, index)


def _field_path(parts: Sequence[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _reason(err: Mapping[str, Any]) -> str:
    """Why one Pydantic error refused a value, kept a message of the catalogs where it is
    one: the reference checks' own words, a validator's message, Pydantic's usual types."""
    ctx = err.get("ctx") or {}
    if err["type"] == "entry_field":  # a whole-entry check (schema.field_error)
        reason = ctx["reason"]
        return reason if isinstance(reason, str) else str(reason)
    if err["type"] == "missing":
        return N_("required field is missing")
    if err["type"] == "extra_forbidden":
        return N_("unknown field (misspelt?)")
    if err["type"] == "value_error":  # the validator's message without Pydantic's prefix
        error = ctx.get("error")
        return reason_of(error) if isinstance(error, Exception) \
            else err["msg"].removeprefix("Value error, ")
    reason = validation_reason(err)
    if err["type"] in ("enum", "literal_error", "string_pattern_mismatch"):
        return N_("%(value)s is not allowed: %(reason)s", value=repr(err["input"]),
                  reason=reason)
    return reason


def validation_problems(name: str, data: Any, error: ValidationError) -> list[Problem]:
    """Turn pydantic errors into problems: ``file: entry 'code': field 'x'`` and why (each
    part a message, shown in the reader's language; French writes `` : ``)."""
    problems = []
    for err in error.errors():
        loc = list(err["loc"])
        ctx = err.get("ctx") or {}
        if err["type"] == "entry_field":
            loc.append(ctx["field"])
        where: list[str] = [name]
        if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
            where.append(_entry_label(data, loc[0], loc[1]))
            loc = loc[2:]
        if loc:
            where.append(field_label(_field_path(loc)))
        problems.append(Problem(Joined(where, COLON), _reason(err)))
    return problems


def _validate(name: str, path: Path, model: type[M], problems: list[Problem]) -> M | None:
    data, found = read_yaml(path, name)
    problems.extend(found)
    if found:
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(validation_problems(name, data, exc))
        return None


def _located(name: str, entries: Sequence[Any]) -> list[Located]:
    return [Located(name, i, e) for i, e in enumerate(entries)]


def _index(entries: Sequence[E], attr: str) -> dict[str, E]:
    return {getattr(e, attr): e for e in entries}


@dataclass(frozen=True)
class Registry:
    """The validated reference framework, with lookups by code."""

    path: Path
    meta: Meta
    crime_areas: tuple[CrimeArea, ...]
    stages: tuple[Stage, ...]
    structures: tuple[Structure, ...]
    states: tuple[State, ...]
    organizations: tuple[Organization, ...]
    instruments: tuple[Instrument, ...]
    provisions: tuple[Provision, ...]
    _by: dict[str, dict[str, Any]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by = {
            "crime area": _index(self.crime_areas, "code"),
            "stage": _index(self.stages, "code"),
            "structure": _index(self.structures, "code"),
            "state": {**_index(self.states, "alpha3"), **_index(self.states, "code")},
            "organization": _index(self.organizations, "code"),
            "instrument": _index(self.instruments, "code"),
            "provision": _index(self.provisions, "key"),
        }
        object.__setattr__(self, "_by", by)

    @property
    def version(self) -> str:
        return self.meta.version

    def _get(self, kind: str, code: str) -> Any:
        try:
            return self._by[kind][code]
        except KeyError:
            raise KeyError(f"unknown {kind} {code!r}") from None

    def crime_area(self, code: str) -> CrimeArea:
        return self._get("crime area", code)

    def stage(self, code: str) -> Stage:
        return self._get("stage", code)

    def structure(self, code: str) -> Structure:
        return self._get("structure", code)

    def state(self, code: str) -> State:
        """A State by ISO alpha-2 or alpha-3 code (upper case)."""
        return self._get("state", code)

    def organization(self, code: str) -> Organization:
        return self._get("organization", code)

    def instrument(self, code: str) -> Instrument:
        return self._get("instrument", code)

    def provision(self, key: str) -> Provision:
        return self._get("provision", key)

    def provisions_of(self, instrument_code: str) -> list[Provision]:
        return [p for p in self.provisions if p.instrument_code == instrument_code]

    def children(self, structure_code: str) -> list[Structure]:
        return [s for s in self.structures if s.parent == structure_code]

    def states_in(self, region: Region | str) -> list[State]:
        return [s for s in self.states if s.region == Region(region)]

    def entries(self, kind: str) -> tuple[Any, ...]:
        """Entries of one kind, named as in :data:`KINDS` (``"crime-areas"``, ``"states"``…)."""
        if kind not in KINDS:
            raise KeyError(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}")
        return getattr(self, KINDS[kind][0])

    def entry(self, kind: str, code: str) -> Any:
        """One entry of a kind by its code (or key, for provisions)."""
        self.entries(kind)
        return self._get(KINDS[kind][1], code)

    def counts(self) -> dict[str, int]:
        """Number of entries per kind, for ``tocsin reference check``."""
        return {
            "crime_areas": len(self.crime_areas),
            "stages": len(self.stages),
            "structures": len(self.structures),
            "states": len(self.states),
            "organizations": len(self.organizations),
            "instruments": len(self.instruments),
            "provisions": len(self.provisions),
        }


def load_registry(path: Path | None = None) -> Registry:
    """Load and validate every reference file under ``path`` (default: the shipped data).

    The shipped data are loaded once per process; a ``path`` is read every time.
    """
    if path is None:
        return _default_registry()
    return _load(path)


@cache
def _default_registry() -> Registry:
    return _load(DATA_DIR)


def _load(root: Path) -> Registry:
    problems: list[Problem] = []
    if not root.is_dir():
        raise ReferenceDataError([Problem(str(root), N_("is not a directory"))])
    parsed: dict[str, Any] = {
        name: _validate(name, root / name, model, problems) for name, model in FILES.items()
    }
    instrument_files = sorted((root / INSTRUMENTS_DIR).glob("*.yaml"))
    if not instrument_files:
        problems.append(Problem(f"{INSTRUMENTS_DIR}/", N_("no instrument files (*.yaml) found")))
    instruments: list[Located] | None = []
    provisions: list[Located] | None = []
    for file in instrument_files:
        name = f"{INSTRUMENTS_DIR}/{file.name}"
        content = _validate(name, file, InstrumentsFile, problems)
        if content is None or instruments is None or provisions is None:
            instruments = provisions = None
            continue
        instruments += _located(name, content.instruments)
        provisions += _located(name, content.provisions)

    def entries(name: str, attr: str) -> list[Located] | None:
        content = parsed[name]
        return None if content is None else _located(name, getattr(content, attr))

    located = {
        "crime_areas": entries("crime_areas.yaml", "crime_areas"),
        "stages": entries("justice_stages.yaml", "stages"),
        "structures": entries("structures.yaml", "structures"),
        "states": entries("states.yaml", "states"),
        "organizations": entries("organizations.yaml", "organizations"),
        "instruments": instruments,
        "provisions": provisions,
    }
    problems += cross_check(meta=parsed["meta.yaml"], **located)
    if problems:
        raise ReferenceDataError(problems, summary=N_plural(
            "reference data in %(path)s is invalid (%(count)s problem)",
            "reference data in %(path)s is invalid (%(count)s problems)", len(problems),
            path=str(root), count=len(problems)))

    def models(kind: str) -> tuple[Any, ...]:
        found = located[kind]
        assert found is not None
        return tuple(item.entry for item in found)

    return Registry(
        path=root,
        meta=parsed["meta.yaml"],
        crime_areas=models("crime_areas"),
        stages=tuple(sorted(models("stages"), key=lambda s: s.order)),
        structures=models("structures"),
        states=models("states"),
        organizations=models("organizations"),
        instruments=models("instruments"),
        provisions=models("provisions"),
    )


def registry_mapping(registry: Registry) -> Mapping[str, Sequence[Any]]:
    """Entries per kind, keyed as in :meth:`Registry.counts`."""
    return {kind: getattr(registry, kind) for kind in registry.counts()}
