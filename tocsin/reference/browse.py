"""Read-only queries over the loaded reference framework, for pages and the API."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.errors import NotFound
from tocsin.i18n import N_
from tocsin.reference.tables import (
    RefCountry,
    RefCrimeArea,
    RefCrimeAreaCrosswalk,
    RefInstrument,
    RefInstrumentCrimeArea,
    RefMeta,
    RefOrganization,
    RefProvision,
    RefProvisionCrimeArea,
    RefProvisionStage,
    RefStage,
    RefStructure,
)

_NAMED: dict[str, Any] = {"country": RefCountry, "crime_area": RefCrimeArea, "stage": RefStage,
          "structure": RefStructure}


def names(session: Session, *kinds: str) -> dict[str, str]:
    """Code → name of every entry of the given kinds (country, crime_area, stage, structure)."""
    out: dict[str, str] = {}
    for kind in kinds:
        model = _NAMED[kind]
        out.update({code: name for code, name in session.execute(select(model.code,
                                                                         model.name))})
    return out


#: Human names of the crosswalk schemes, in display order.
SCHEMES = {
    "sherloc": "UNODC SHERLOC crime type",
    "ftm_topic": "FollowTheMoney topic",
    "fatf_category": "FATF designated category of offences",
}


@dataclass
class Overview:
    version: str
    counts: dict[str, int]


def overview(session: Session) -> Overview:
    models = {
        N_("crime areas"): RefCrimeArea,
        N_("justice-chain stages"): RefStage,
        N_("structures"): RefStructure,
        N_("states"): RefCountry,
        N_("partner organizations"): RefOrganization,
        N_("instruments"): RefInstrument,
        N_("provisions"): RefProvision,
    }
    counts: dict[str, int] = {
        label: session.scalar(select(func.count()).select_from(model)) or 0
        for label, model in models.items()
    }
    version = session.scalar(select(RefMeta.value).where(RefMeta.key == "version")) or "not loaded"
    return Overview(version=version, counts=counts)


def crime_areas(session: Session) -> Sequence[RefCrimeArea]:
    return session.scalars(
        select(RefCrimeArea).order_by(RefCrimeArea.position, RefCrimeArea.name)
    ).all()


@dataclass
class CrimeAreaView:
    area: RefCrimeArea
    crosswalks: dict[str, list[RefCrimeAreaCrosswalk]] = field(default_factory=dict)
    instruments: list[RefInstrument] = field(default_factory=list)
    provisions: list[RefProvision] = field(default_factory=list)


def crime_area(session: Session, code: str) -> CrimeAreaView:
    area = session.get(RefCrimeArea, code)
    if area is None:
        raise NotFound.of('crime area', repr(code))
    view = CrimeAreaView(area=area)
    walks = session.scalars(
        select(RefCrimeAreaCrosswalk)
        .where(RefCrimeAreaCrosswalk.crime_area_code == code)
        .order_by(RefCrimeAreaCrosswalk.value)
    )
    grouped: dict[str, list[RefCrimeAreaCrosswalk]] = defaultdict(list)
    for walk in walks:
        grouped[walk.scheme].append(walk)
    view.crosswalks = {s: grouped[s] for s in [*SCHEMES, *sorted(grouped)] if s in grouped}
    view.instruments = list(
        session.scalars(
            select(RefInstrument)
            .join(RefInstrumentCrimeArea)
            .where(RefInstrumentCrimeArea.crime_area_code == code)
            .order_by(RefInstrument.kind, RefInstrument.identifier)
        )
    )
    view.provisions = list(
        session.scalars(
            select(RefProvision)
            .join(RefProvisionCrimeArea)
            .where(RefProvisionCrimeArea.crime_area_code == code)
            .order_by(RefProvision.instrument_code, RefProvision.position)
        )
    )
    return view


@dataclass
class CrosswalkView:
    scheme: str
    scheme_name: str
    value: str
    areas: list[RefCrimeArea]


def crosswalk(session: Session, scheme: str, value: str) -> CrosswalkView:
    """Every crime area that maps to one value of an external scheme."""
    areas = list(
        session.scalars(
            select(RefCrimeArea)
            .join(RefCrimeAreaCrosswalk)
            .where(RefCrimeAreaCrosswalk.scheme == scheme, RefCrimeAreaCrosswalk.value == value)
            .order_by(RefCrimeArea.position)
        )
    )
    if not areas:
        raise NotFound(f"no crime area maps to {scheme} {value!r}")
    return CrosswalkView(scheme, SCHEMES.get(scheme, scheme), value, areas)


def stages(session: Session) -> Sequence[RefStage]:
    return session.scalars(select(RefStage).order_by(RefStage.position)).all()


@dataclass
class StageView:
    stage: RefStage
    provisions: list[RefProvision]


def stage(session: Session, code: str) -> StageView:
    found = session.get(RefStage, code)
    if found is None:
        raise NotFound.of('stage', repr(code))
    provisions = list(
        session.scalars(
            select(RefProvision)
            .join(RefProvisionStage)
            .where(RefProvisionStage.stage_code == code)
            .order_by(RefProvision.instrument_code, RefProvision.position)
        )
    )
    return StageView(found, provisions)


@dataclass
class StructureNode:
    structure: RefStructure
    children: list[StructureNode] = field(default_factory=list)


def structure_tree(session: Session) -> list[StructureNode]:
    rows = session.scalars(
        select(RefStructure).order_by(RefStructure.kind, RefStructure.name)
    ).all()
    nodes = {s.code: StructureNode(s) for s in rows}
    roots: list[StructureNode] = []
    for node in nodes.values():
        parent = node.structure.parent_code
        (nodes[parent].children if parent in nodes else roots).append(node)
    return roots


def structure(session: Session, code: str) -> StructureNode:
    tree = {n.structure.code: n for n in _flatten(structure_tree(session))}
    if code not in tree:
        raise NotFound.of('structure', repr(code))
    return tree[code]


def _flatten(nodes: list[StructureNode]) -> list[StructureNode]:
    out: list[StructureNode] = []
    for node in nodes:
        out.append(node)
        out.extend(_flatten(node.children))
    return out


def instruments(session: Session) -> dict[str, list[RefInstrument]]:
    grouped: dict[str, list[RefInstrument]] = defaultdict(list)
    for item in session.scalars(
        select(RefInstrument).order_by(RefInstrument.date_text, RefInstrument.identifier)
    ):
        grouped[item.kind].append(item)
    return dict(grouped)


@dataclass
class InstrumentView:
    instrument: RefInstrument
    crime_areas: list[RefCrimeArea]
    provisions: list[tuple[RefProvision, list[str], list[str]]]  # provision, areas, stages


def instrument(session: Session, code: str) -> InstrumentView:
    found = session.get(RefInstrument, code)
    if found is None:
        raise NotFound.of('instrument', repr(code))
    areas = list(
        session.scalars(
            select(RefCrimeArea)
            .join(RefInstrumentCrimeArea)
            .where(RefInstrumentCrimeArea.instrument_code == code)
            .order_by(RefCrimeArea.position)
        )
    )
    provisions = session.scalars(
        select(RefProvision)
        .where(RefProvision.instrument_code == code)
        .order_by(RefProvision.position)
    ).all()
    keys = [p.key for p in provisions]
    area_links: dict[str, list[str]] = defaultdict(list)
    for key, area in session.execute(
        select(RefProvisionCrimeArea.provision_key, RefProvisionCrimeArea.crime_area_code).where(
            RefProvisionCrimeArea.provision_key.in_(keys)
        )
    ):
        area_links[key].append(area)
    stage_links: dict[str, list[str]] = defaultdict(list)
    for key, stage_code in session.execute(
        select(RefProvisionStage.provision_key, RefProvisionStage.stage_code).where(
            RefProvisionStage.provision_key.in_(keys)
        )
    ):
        stage_links[key].append(stage_code)
    return InstrumentView(
        found,
        areas,
        [(p, sorted(area_links[p.key]), sorted(stage_links[p.key])) for p in provisions],
    )


def states(session: Session) -> Sequence[RefCountry]:
    return session.scalars(select(RefCountry).order_by(RefCountry.status, RefCountry.name)).all()


def organizations(session: Session) -> Sequence[RefOrganization]:
    return session.scalars(select(RefOrganization).order_by(RefOrganization.name)).all()
