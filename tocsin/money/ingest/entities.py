"""FollowTheMoney entities for parties and bank accounts found in the sources.

Parties are stored in ``parties.parquet`` with their FtM schema name and their
properties as JSON, so an export rebuilds the same entities and the data moves
to Aleph or OpenSanctions unchanged. Ids are derived from the identifying
values, so the same person met twice in a file becomes one entity.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from followthemoney import model
from followthemoney.proxy import EntityProxy

PARTY_SCHEMAS = ("Person", "Company", "Organization", "LegalEntity")


def account_entity_id(account_id: str) -> str:
    """The FtM id of the BankAccount entity for an account of a set."""
    proxy = model.make_entity("BankAccount")
    proxy.make_id("tocsin-account", account_id)
    return str(proxy.id)


def holder_entity_id(account_id: str) -> str:
    """The FtM id of the stand-in holder of an account whose holder is not known."""
    proxy = model.make_entity("LegalEntity")
    proxy.make_id("tocsin-account-holder", account_id)
    return str(proxy.id)


@dataclass(frozen=True)
class EntitySpec:
    """What an entity will hold; hashable, so a party met again costs a dict lookup."""

    schema: str
    key: tuple[str, ...]
    properties: tuple[tuple[str, tuple[str, ...]], ...]

    def build(self) -> EntityProxy:
        proxy = model.make_entity(self.schema)
        proxy.make_id(self.schema, *self.key)
        for prop, values in self.properties:
            proxy.add(prop, list(values), quiet=True)
        return proxy

    def first(self, *props: str) -> str | None:
        for prop, values in self.properties:
            if prop in props and values:
                return values[0]
        return None


def describe(schema: str, key: Iterable[Any], properties: dict[str, Iterable[Any] | Any]
         ) -> EntitySpec:
    """Describe an entity with an id derived from ``key``; empty values are skipped."""
    props = []
    for prop, values in properties.items():
        items = values if isinstance(values, list | tuple | set) else [values]
        kept = tuple(str(v) for v in items if v not in (None, ""))
        if kept:
            props.append((prop, kept))
    return EntitySpec(schema, tuple(str(k) for k in key if k not in (None, "")), tuple(props))


def make(schema: str, key: Iterable[Any], properties: dict[str, Iterable[Any] | Any]
         ) -> EntityProxy:
    """An entity with an id derived from ``key``; empty values are skipped."""
    return describe(schema, key, properties).build()


class PartyBook:
    """Collects parties (and bank-account entities) by id, merging repeated sightings."""

    def __init__(self) -> None:
        self.entities: dict[str, EntityProxy] = {}
        self.refs: dict[str, str] = {}
        self._seen: dict[EntitySpec, str] = {}

    def known(self, entity_id: str) -> bool:
        return entity_id in self.entities

    def add_spec(self, item: EntitySpec, source_ref: str) -> str:
        """Add the entity ``item`` describes, unless exactly the same was added before."""
        found = self._seen.get(item)
        if found is None:
            found = self._seen[item] = self.add(item.build(), source_ref)
        return found

    def add(self, proxy: EntityProxy, source_ref: str) -> str:
        key = str(proxy.id)
        if key in self.entities:
            existing = self.entities[key]
            if existing.schema.name != proxy.schema.name:
                common = model.common_schema(existing.schema, proxy.schema)
                merged = model.make_entity(common)
                merged.id = key
                merged.merge(existing)
                merged.merge(proxy)
                self.entities[key] = merged
            else:
                existing.merge(proxy)
        else:
            self.entities[key] = proxy
            self.refs[key] = source_ref
        return key

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for key, proxy in self.entities.items():
            countries = proxy.countries
            out.append({
                "party_id": key,
                "schema": proxy.schema.name,
                "name": proxy.caption if proxy.caption != proxy.schema.label else None,
                "country": countries[0].upper() if countries else None,
                "properties": json.dumps(proxy.properties, ensure_ascii=False, sort_keys=True),
                "source_ref": self.refs.get(key),
            })
        return out
