"""Column mappings saved by name, for the next file of the same shape.

A saved mapping is a YAML file in the data folder, one folder per unit::

    <data_dir>/money/mappings/unit-<unit id>/<slug>.yaml

The file is an ordinary column mapping (:mod:`tocsin.money.ingest.mapping`)
that automation can pass to the importer as it is; its first line, a comment,
keeps the name people gave it. A mapping belongs to the unit of the user who
saved it: the members of that unit see and use it, nobody else does (a mapping
says how a bank's export is laid out, not what is in it, so it has no handling
code of its own). Saving needs the right to change the unit's records and is
audited (``create``, or ``update`` when a mapping of that name is replaced).
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.policy import require_write
from tocsin.access.principal import Principal
from tocsin.errors import InputError, NotFound
from tocsin.i18n import N_
from tocsin.money.ingest.mapping import Mapping, load_mapping, parse_mapping
from tocsin.settings import Settings

RECORD_TYPE = "money_mapping"
_HEAD = "# Tocsin column mapping: "
MAX_NAME = 120


@dataclass(frozen=True)
class SavedMapping:
    slug: str
    name: str
    path: Path


def folder(settings: Settings, unit_id: int) -> Path:
    return settings.data_dir / "money" / "mappings" / f"unit-{int(unit_id)}"


def slug(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:80]


def _unit(principal: Principal) -> int:
    if principal.unit_id is None:
        raise InputError.single("unit", N_("your account belongs to no unit, so it has no "
                                           "saved mappings"))
    return principal.unit_id


def list_saved(settings: Settings, principal: Principal) -> list[SavedMapping]:
    """The mappings of the caller's unit, by name."""
    if principal.unit_id is None:
        return []
    place = folder(settings, principal.unit_id)
    if not place.is_dir():
        return []
    found = []
    for path in sorted(place.glob("*.yaml")):
        name = path.stem
        try:
            with path.open(encoding="utf-8") as handle:
                first = handle.readline()
        except OSError:
            continue
        if first.startswith(_HEAD):
            name = first[len(_HEAD):].strip() or name
        found.append(SavedMapping(path.stem, name, path))
    return sorted(found, key=lambda m: m.name.lower())


def get_saved(settings: Settings, principal: Principal, key: str) -> tuple[SavedMapping, Mapping]:
    """One mapping of the caller's unit, by its slug; "not found" for any other."""
    wanted = slug(key)
    for item in list_saved(settings, principal):
        if item.slug == wanted:
            return item, load_mapping(item.path)
    raise NotFound(f"saved mapping {key!r} not found")


def save(session: Session, settings: Settings, principal: Principal, name: str,
         raw: dict[str, object]) -> SavedMapping:
    """Validate and save ``raw`` (a mapping as YAML writes it) as ``name`` for the caller's unit."""
    unit_id = _unit(principal)
    require_write(principal, unit_id)
    name = " ".join(name.split())
    key = slug(name)
    if not key or len(name) > MAX_NAME:
        raise InputError.single("Mapping name", N_("give a name of 1 to %(most)s characters "
                                                   "with letters or digits", most=MAX_NAME))
    parse_mapping(raw, "column mapping")
    place = folder(settings, unit_id)
    place.mkdir(parents=True, exist_ok=True)
    target = place / f"{key}.yaml"
    replaced = target.exists()
    text = _HEAD + name + "\n" + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    handle, temp = tempfile.mkstemp(prefix=".mapping-", dir=place)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    audit.record(session, principal, "update" if replaced else "create", RECORD_TYPE, key,
                 detail=name)
    return SavedMapping(key, name, target)
