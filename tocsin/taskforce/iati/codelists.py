"""IATI codelists and the DAC → crime area / stage mapping, held as data and loaded once.

The lists' English names are the reader's and the API's; pages show a code's name in
their language where IATI publishes one (:class:`CodeName`, ``data/codelists_fr.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pycountry
import yaml

from tocsin import i18n
from tocsin.types.names import Name

DATA = Path(__file__).parent / "data"

#: RegionVocabulary codes whose code lists the reader knows.
REGION_DAC, REGION_M49, REGION_OWN = "1", "2", "99"
#: SectorVocabulary codes: 1 DAC 5-digit, 2 DAC 3-digit, 98/99 reporting organisation.
SECTOR_DAC5, SECTOR_DAC3 = "1", "2"


#: libyaml's loader where PyYAML was built with it: the same data, read ten times faster
#: (the code lists are read once per process, before the first activity).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> Any:
    """A YAML data file of the platform (safe loading only)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 - safe loader


@cache
def codelists() -> dict[str, dict[str, str]]:
    """Codelist name → code → English name (see ``data/codelists.yaml``)."""
    data = load_yaml(DATA / "codelists.yaml")
    lists = {name: {str(k): str(v) for k, v in items.items()} for name, items in data.items()}
    countries = lists["Country"]
    for country in pycountry.countries:
        countries.setdefault(country.alpha_2, country.name)
    # IATI's Currency and Language lists are ISO 4217 and ISO 639-1: the platform's own
    lists["Currency"] = {c.alpha_3: c.name for c in pycountry.currencies}
    lists["Language"] = {lang.alpha_2: lang.name for lang in pycountry.languages
                         if hasattr(lang, "alpha_2")}
    return lists


#: The languages IATI publishes code-list names in besides English, each held in
#: ``data/codelists_<language>.yaml`` (IATI has no Russian or Arabic edition).
NAME_LANGUAGES = ("fr",)


@cache
def translated_names(language: str) -> dict[str, dict[str, str]]:
    """Codelist name → code → name in ``language``, for the codes IATI names in it; empty
    for English and for a language IATI publishes no names in. Read once per language."""
    if language not in NAME_LANGUAGES:
        return {}
    data = load_yaml(DATA / f"codelists_{language}.yaml")
    return {name: {str(k): str(v) for k, v in items.items()} for name, items in data.items()}


class CodeName(Name):
    """A code's name in a bundled list (a :class:`~tocsin.types.names.Name`): its text is
    the English name (what the API, the reader, logs and comparisons see); shown, it is the
    name IATI gives the code in the language being rendered, else the English one."""

    codelist: str

    def __new__(cls, codelist: str, code: str, english: str) -> CodeName:
        self = super().__new__(cls, code, english)
        self.codelist = codelist
        return self

    def translated(self, language: str | None = None) -> str:
        names = translated_names(language or i18n.current()).get(self.codelist)
        return names.get(self.code, str.__str__(self)) if names else str.__str__(self)

    def __reduce__(self) -> tuple[type[CodeName], tuple[str, str, str]]:  # type: ignore[override]
        return CodeName, (self.codelist, self.code, str.__str__(self))


@cache  # the pickers' lists, made once: each name is translated where it is shown
def named(codelist: str) -> dict[str, CodeName]:
    """The codes of a bundled list with their names (:class:`CodeName`)."""
    return {code: CodeName(codelist, code, english)
            for code, english in codelists()[codelist].items()}


def code_name(codelist: str, code: object) -> str:
    """The name a bundled list gives ``code`` (a :class:`CodeName`), or ``""`` for a code
    or list it does not hold."""
    if code is None or code == "":
        return ""
    english = codelists().get(codelist, {}).get(str(code))
    return CodeName(codelist, str(code), english) if english is not None else ""


@cache  # one call per lookup: the reader asks for a code list per transaction and country
def codes(name: str) -> frozenset[str]:
    return frozenset(codelists()[name])


def region_codes(vocabulary: str) -> frozenset[str] | None:
    """The known codes of a region vocabulary, or ``None`` when any code is accepted."""
    if vocabulary == REGION_DAC:
        return codes("Region")
    if vocabulary == REGION_M49:
        return codes("RegionM49")
    return None


def sector_codes(vocabulary: str) -> frozenset[str] | None:
    if vocabulary == SECTOR_DAC5:
        return codes("Sector")
    if vocabulary == SECTOR_DAC3:
        return codes("SectorCategory")
    return None


@dataclass(frozen=True)
class DacMapping:
    vocabulary: str
    code: str
    crime_area: str | None
    stage: str | None
    note: str


@cache
def dac_mapping() -> dict[tuple[str, str], DacMapping]:
    """(sector vocabulary, code) → the crime area and stage it stands for."""
    data = load_yaml(DATA / "dac_mapping.yaml")
    out = {}
    for row in data["mappings"]:
        item = DacMapping(vocabulary=str(row["vocabulary"]), code=str(row["code"]),
                          crime_area=row.get("crime_area"), stage=row.get("stage"),
                          note=str(row.get("note", "")))
        out[(item.vocabulary, item.code)] = item
    return out
