"""FollowTheMoney entity files (JSON lines), OpenSanctions exports included.

Each line is one entity: ``{"id", "schema", "properties": {prop: [values]}}``
(OpenSanctions adds ``caption``, ``datasets``, ``referents``, ``target``,
``first_seen``…). Entities of the screened schemata become list entries; the
others (Sanction, Address, Identification, Passport…) are attached to the
entry they point at. An OpenSanctions file marks its listed entities with
``"target": true``; when the file says nothing about targets, every entity of
a screened schema is an entry.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from followthemoney import model
from followthemoney.exc import InvalidData
from followthemoney.proxy import EntityProxy

from tocsin.errors import InputError, Problem
from tocsin.i18n import N_
from tocsin.screening.readers.base import (
    TARGET_SCHEMATA,
    ListEntity,
    ListRead,
    check_size,
    require,
)

#: A single JSON line longer than this is refused.
MAX_LINE = 8 << 20


def entity_problem(data: Any, where: str) -> Problem | None:
    """Why a JSON line read at ``where`` is not a FollowTheMoney entity (an id and a schema,
    each as text), or None: the one check of every reader of entity lines (screening lists,
    transaction sets, a case's subjects)."""
    if not isinstance(data, dict) or not isinstance(data.get("schema"), str) \
            or not isinstance(data.get("id"), str) or not data["id"]:
        return Problem(where, N_("not a FollowTheMoney entity (needs an id and a schema, "
                                 "each as text)"))
    return None


def load_entities(path: Path) -> list[tuple[int, EntityProxy, dict[str, Any]]]:
    """Every entity of the file with its line number and the raw object."""
    check_size(path)
    out = []
    problems: list[Problem] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if len(raw) > MAX_LINE:
                problems.append(Problem(f"{path.name}:{number}", N_(
                    "line longer than %(most)s bytes", most=MAX_LINE)))
                continue
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except ValueError as exc:
                problems.append(Problem(f"{path.name}:{number}", N_("not JSON (%(error)s)",
                                                                    error=str(exc))))
                continue
            problem = entity_problem(data, f"{path.name}:{number}")
            if problem is not None:
                problems.append(problem)
                continue
            try:
                proxy = model.get_proxy({"id": data["id"], "schema": data["schema"],
                                         "properties": data.get("properties") or {}},
                                        cleaned=False)
            except (InvalidData, TypeError, AttributeError) as exc:
                problems.append(Problem(f"{path.name}:{number}", N_("bad entity (%(error)s)",
                                                                    error=str(exc))))
                continue
            out.append((number, proxy, data))
            if len(problems) > 200:
                break
    if problems:
        raise InputError(problems, summary=N_("%(file)s: %(count)s bad line(s); nothing was "
                                              "imported", file=path.name,
                                              count=len(problems)))
    return out


def read(path: Path) -> ListRead:
    loaded = load_entities(path)
    targets_marked = any("target" in data for _, _, data in loaded)
    entries: dict[str, ListEntity] = {}
    others: list[EntityProxy] = []
    for _number, proxy, data in loaded:
        is_target = data.get("target") if targets_marked else \
            proxy.schema.name in TARGET_SCHEMATA or any(
                proxy.schema.is_a(s) for s in ("LegalEntity", "Vessel", "Airplane"))
        if is_target and proxy.schema.is_a("Thing"):
            entries[str(proxy.id)] = ListEntity(proxy, [], "", None, str(proxy.id))
        else:
            others.append(proxy)
    by_target: dict[str, list[EntityProxy]] = defaultdict(list)
    for proxy in others:
        for prop in proxy.iterprops():
            if prop.type.name == "entity":
                for value in proxy.get(prop):
                    if value in entries:
                        by_target[value].append(proxy)
    for key, item in entries.items():
        for proxy in by_target.get(key, []):
            item.related.append(proxy)
            if proxy.schema.is_a("Sanction"):
                item.programme = "; ".join(sorted({*filter(None, item.programme.split("; ")),
                                                   *proxy.get("program")}))[:300]
                dates = sorted(proxy.get("listingDate") or proxy.get("startDate"))
                if dates and (item.listed_on is None or dates[0] < item.listed_on):
                    item.listed_on = dates[0][:20]
                refs = proxy.get("unscId") or proxy.get("programId")
                if refs and item.reference == key:
                    item.reference = refs[0][:200]
    result = list(entries.values())
    require([], result, path, "FollowTheMoney entity")
    return ListRead(result)
