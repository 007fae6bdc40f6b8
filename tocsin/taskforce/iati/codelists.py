"""IATI codelists and the DAC → crime area / stage mapping, held as data and loaded once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pycountry
import yaml

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
