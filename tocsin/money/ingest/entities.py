"""FollowTheMoney entities for parties and bank accounts found in the sources.

Parties are stored in ``parties.parquet`` with their FtM schema name and their
properties as JSON, so an export rebuilds the same entities and the data moves
to Aleph or OpenSanctions unchanged. Ids are derived from the identifying
values, so the same person met twice in a file becomes one entity.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
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


def make(schema: str, key: Iterable[Any], properties: dict[str, Iterable[Any] | Any]
         ) -> EntityProxy:
    """An entity with an id derived from ``key``; empty values are skipped."""
    proxy = model.make_entity(schema)
    proxy.make_id(schema, *[str(k) for k in key if k not in (None, "")])
    for prop, values in properties.items():
        if values is None:
            continue
        items = values if isinstance(values, list | tuple | set) else [values]
        for value in items:
            if value not in (None, ""):
                proxy.add(prop, value, quiet=True)
    return proxy


class PartyBook:
    """Collects parties (and bank-account entities) by id, merging repeated sightings."""

    def __init__(self) -> None:
        self.entities: dict[str, EntityProxy] = {}
        self.refs: dict[str, str] = {}

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
