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
from tocsin.i18n import N_, N_plural
from tocsin.screening.readers.base import (
    TARGET_SCHEMATA,
    ListEntity,
    ListRead,
    check_size,
    require,
)

#: A single JSON line longer than this is refused.
MAX_LINE = 8 << 20
#: Entities nested deeper than this in one line are refused (a bound on the recursion).
MAX_NESTING = 8
#: Values left out that are named one by one in a read's notes; the rest are counted.
MAX_NOTES = 500


def entity_problem(data: Any, where: str) -> Problem | None:
    """Why a JSON line read at ``where`` is not a FollowTheMoney entity (an id and a schema,
    each as text), or None: the one check of every reader of entity lines (screening lists,
    transaction sets, a case's subjects)."""
    if not isinstance(data, dict) or not isinstance(data.get("schema"), str) \
            or not isinstance(data.get("id"), str) or not data["id"]:
        return Problem(where, N_("not a FollowTheMoney entity (needs an id and a schema, "
                                 "each as text)"))
    return None


def load_entities(path: Path, notes: list[Problem] | None = None
                  ) -> list[tuple[int, EntityProxy, dict[str, Any]]]:
    """Every entity of the file with its line number and the raw object.

    With ``notes`` (a list reader), entities nested in a property (OpenSanctions'
    ``targets.nested.json``: a person's ``sanctions`` and ``addressEntity`` written as
    whole entities) become entities of their own, linked by id, and each value the
    platform cannot hold (an unknown property, a country or date its type refuses) is
    named in ``notes`` instead of being dropped unseen."""
    check_size(path)
    left_out = [0]
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
                if notes is None:
                    proxy = model.get_proxy({"id": data["id"], "schema": data["schema"],
                                             "properties": data.get("properties") or {}},
                                            cleaned=False)
                    out.append((number, proxy, data))
                else:
                    found: list[tuple[EntityProxy, dict[str, Any]]] = []
                    _careful(data, f"{path.name}:{number}", notes, left_out, found, 0)
                    out.extend((number, proxy, raw_) for proxy, raw_ in found)
            except (InvalidData, TypeError, AttributeError, ValueError) as exc:
                problems.append(Problem(f"{path.name}:{number}", N_("bad entity (%(error)s)",
                                                                    error=str(exc))))
                continue
            if len(problems) > 200:
                break
    if problems:
        raise InputError(problems, summary=N_plural(
            "%(file)s: %(count)s bad line; nothing was imported",
            "%(file)s: %(count)s bad lines; nothing was imported", len(problems),
            file=path.name, count=len(problems)))
    if notes is not None and left_out[0]:
        notes.append(Problem(path.name, N_plural(
            "%(count)s further value left out, not named one by one",
            "%(count)s further values left out, not named one by one", left_out[0],
            count=left_out[0])))
    return out


def _note(notes: list[Problem], left_out: list[int], place: str, reason: str) -> None:
    if len(notes) < MAX_NOTES:
        notes.append(Problem(place, reason))
    else:
        left_out[0] += 1


def _careful(data: dict[str, Any], place: str, notes: list[Problem], left_out: list[int],
             found: list[tuple[EntityProxy, dict[str, Any]]], depth: int) -> EntityProxy:
    """The entity of ``data``, value by value; it and every entity nested in it are
    appended to ``found`` (the outer one first)."""
    schema = model.get(data["schema"])
    if schema is None:
        raise InvalidData(f"unknown schema {data['schema']!r}")
    proxy = model.make_entity(schema)
    proxy.id = data["id"]
    found.append((proxy, data))
    properties = data.get("properties") or {}
    if not isinstance(properties, dict):
        raise TypeError("properties is not an object")
    for key, values in properties.items():
        prop = schema.get(key)
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, dict):
                if entity_problem(value, place) is not None or depth >= MAX_NESTING:
                    raise TypeError(f"property {key!r} holds an object that is not an entity")
                child = _careful(value, place, notes, left_out, found, depth + 1)
                if prop is not None and prop.stub and prop.reverse is not None:
                    # "sanctions" of a person: the nested Sanction's "entity" is the person.
                    child.add(prop.reverse, proxy.id, cleaned=True, quiet=True)
                value = child.id
            if prop is None:
                _note(notes, left_out, place, N_(
                    "%(schema)s has no property %(field)s; its value %(value)s left out",
                    schema=schema.name, field=repr(key), value=repr(value)))
                continue
            if prop.stub:
                continue  # the other side of a link, written on the entity it comes from
            cleaned = prop.type.clean(value, proxy=proxy) \
                if isinstance(value, str | int | float) and not isinstance(value, bool) else None
            if cleaned is None:
                if value not in (None, ""):
                    _note(notes, left_out, place, N_(
                        "%(field)s %(value)s is not a value the platform can hold; left out",
                        field=key, value=repr(value)))
                continue
            proxy.add(prop, cleaned, cleaned=True, quiet=True)
    return proxy


def read(path: Path) -> ListRead:
    notes: list[Problem] = []
    loaded = load_entities(path, notes)
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
    by_id = {str(proxy.id): proxy for proxy in others}
    for key, item in entries.items():
        # An address the entry names in addressEntity points the other way.
        pointed = [by_id[value] for prop in item.entity.iterprops()
                   if prop.type.name == "entity" for value in item.entity.get(prop)
                   if value in by_id]
        for proxy in [*by_target.get(key, []), *pointed]:
            if any(r is proxy for r in item.related):
                continue
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
    return ListRead(result, notes=notes)
