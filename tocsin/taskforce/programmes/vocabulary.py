"""The codes an activity may use, read once from the reference tables.

Importers check every code of a file against one :class:`Vocabulary` before
writing anything, instead of one query per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.reference.registry import Registry
from tocsin.reference.tables import (
    RefCountry,
    RefCrimeArea,
    RefOrganization,
    RefStage,
    RefStructure,
)
from tocsin.types.units import unit_ids

DAC_MAPPING_FILE = Path(__file__).parents[1] / "iati" / "dac_sectors.yaml"


@cache
def fallback_dac_sectors() -> dict[str, str]:
    """Crime area → OECD-DAC purpose code, used where the reference data gives none."""
    data = yaml.safe_load(DAC_MAPPING_FILE.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in (data.get("crime_areas") or {}).items()}


@dataclass(frozen=True)
class Vocabulary:
    crime_areas: dict[str, str] = field(default_factory=dict)  # code → name
    stages: dict[str, str] = field(default_factory=dict)
    structures: dict[str, str] = field(default_factory=dict)
    countries: dict[str, str] = field(default_factory=dict)
    organizations: dict[str, str] = field(default_factory=dict)
    #: lower-cased name or acronym → organization code, to recognise IATI partners.
    organization_names: dict[str, str] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)  # unit code → id
    dac_sectors: dict[str, str] = field(default_factory=dict)  # crime area → DAC code

    @classmethod
    def load(cls, session: Session) -> Vocabulary:
        def names(model: type, key: str = "code") -> dict[str, str]:
            column = getattr(model, key)
            rows = session.execute(
                select(column, model.name).where(model.retired.is_(False))  # type: ignore[attr-defined]
            )
            return {code: name for code, name in rows}

        dac = dict(fallback_dac_sectors())
        for code, sector in session.execute(
            select(RefCrimeArea.code, RefCrimeArea.dac_sector)
        ):
            if sector:
                dac[code] = sector
        org_names: dict[str, str] = {}
        for code, name, acronym in session.execute(
            select(RefOrganization.code, RefOrganization.name, RefOrganization.acronym)
        ):
            for label in (code, name, acronym):
                if label:
                    org_names.setdefault(label.strip().lower(), code)
        crime_areas = names(RefCrimeArea)
        return cls(
            crime_areas=crime_areas,
            stages=names(RefStage),
            structures=names(RefStructure),
            countries=names(RefCountry),
            organizations=names(RefOrganization),
            organization_names=org_names,
            units=unit_ids(session),
            dac_sectors={k: v for k, v in dac.items() if k in crime_areas},
        )

    @classmethod
    def from_registry(cls, registry: Registry) -> Vocabulary:
        """The same codes straight from the YAML registry (no database; no units)."""
        dac = dict(fallback_dac_sectors())
        dac.update({c.code: c.dac_sector for c in registry.crime_areas if c.dac_sector})
        org_names: dict[str, str] = {}
        for org in registry.organizations:
            for label in (org.code, org.name, org.acronym):
                if label:
                    org_names.setdefault(label.strip().lower(), org.code)
        crime_areas = {c.code: c.name for c in registry.crime_areas}
        return cls(
            crime_areas=crime_areas,
            stages={s.code: s.name for s in registry.stages},
            structures={s.code: s.name for s in registry.structures},
            countries={s.code: s.name for s in registry.states},
            organizations={o.code: o.name for o in registry.organizations},
            organization_names=org_names,
            dac_sectors={k: v for k, v in dac.items() if k in crime_areas},
        )

    def unit_code(self, unit_id: int) -> str | None:
        for code, ident in self.units.items():
            if ident == unit_id:
                return code
        return None
