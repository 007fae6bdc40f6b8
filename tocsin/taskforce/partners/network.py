"""The co-operation network: who works with whom, on what, and how often.

Two partners are linked by every joint activity (both participate, or one
implements it as the organization's structure and the other participates),
every agreement they are both party to and every event they co-organized.
The weight of a link is the number of these; each link lists what is behind it.
Only records the principal may read count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from sqlalchemy.orm import Session, selectinload

from tocsin.access.policy import list_readable, readable
from tocsin.access.principal import Principal
from tocsin.taskforce.events.tables import Event
from tocsin.taskforce.partners.records import sync_reference_partners
from tocsin.taskforce.partners.tables import Agreement, Partner
from tocsin.taskforce.programmes.tables import Activity


@dataclass
class Link:
    source: int
    target: int
    activities: list[tuple[int, str]] = field(default_factory=list)
    agreements: list[tuple[int, str]] = field(default_factory=list)
    events: list[tuple[int, str]] = field(default_factory=list)

    @property
    def weight(self) -> int:
        return len(self.activities) + len(self.agreements) + len(self.events)


@dataclass
class Network:
    partners: dict[int, Partner]
    links: list[Link]

    def neighbours(self, partner_id: int) -> list[tuple[Partner, Link]]:
        """The partners linked to one partner, heaviest link first."""
        found = [(self.partners[link.target if link.source == partner_id else link.source], link)
                 for link in self.links if partner_id in (link.source, link.target)]
        return sorted(found, key=lambda pair: (-pair[1].weight, pair[0].name))

    def as_json(self) -> dict[str, Any]:
        """Cytoscape elements: nodes with degree, edges with weight and what is behind them."""
        degree: dict[int, int] = defaultdict(int)
        for link in self.links:
            degree[link.source] += link.weight
            degree[link.target] += link.weight

        def items(pairs: list[tuple[int, str]]) -> list[dict[str, Any]]:
            return [{"id": i, "title": t} for i, t in pairs]

        return {
            "nodes": [{"data": {"id": f"p{p.id}", "partner_id": p.id, "label": p.label,
                                "name": p.name, "kind": p.kind, "code": p.reference_code or "",
                                "weight": degree[p.id]}}
                      for p in sorted(self.partners.values(), key=lambda p: p.name)],
            "edges": [{"data": {"id": f"e{link.source}-{link.target}",
                                "source": f"p{link.source}", "target": f"p{link.target}",
                                "weight": link.weight,
                                "activities": items(link.activities),
                                "agreements": items(link.agreements),
                                "events": items(link.events)}}
                      for link in self.links],
        }


def cooperation_network(session: Session, principal: Principal) -> Network:
    """The network from activities, agreements and events the principal may read.

    Built once per change of the portfolio (every table it reads is one of its inputs)
    and readable view, then served from the coherence cache: each partner page shows it,
    and building it reads every readable activity, agreement and event.
    """
    from tocsin.coherence import cache

    sync_reference_partners(session)
    key = cache.key_for(session, principal, "partner-network", inputs=("portfolio", "settings"))
    return cache.cached(session, principal, key, lambda: _build(session, principal))


def _build(session: Session, principal: Principal) -> Network:
    partners = {p.id: p for p in session.scalars(readable(Partner, principal))}
    by_org = {p.ref_organization_code: p.id for p in partners.values() if p.ref_organization_code}
    by_structure = {p.ref_structure_code: p.id for p in partners.values()
                    if p.ref_structure_code}
    by_name = {p.name.lower(): p.id for p in partners.values()}
    links: dict[tuple[int, int], Link] = {}

    def link(ids: Iterable[int], kind: str, item: tuple[int, str]) -> None:
        for a, b in combinations(sorted(set(ids)), 2):
            entry = links.setdefault((a, b), Link(a, b))
            getattr(entry, kind).append(item)

    activities = list_readable(session, readable(Activity, principal)
                               .options(selectinload(Activity.participants)), principal)
    for activity in activities:
        ids = [by_structure[activity.implementing_structure]] \
            if activity.implementing_structure in by_structure else []
        for p in activity.participants:
            found = (by_org.get(p.organization_code) if p.organization_code
                     else by_name.get(p.name.lower()))
            if found is not None:
                ids.append(found)
        link(ids, "activities", (activity.id, activity.title))
    for agreement in list_readable(session, readable(Agreement, principal), principal):
        link([p.partner_id for p in agreement.parties if p.partner_id in partners],
             "agreements", (agreement.id, agreement.title))
    for event in list_readable(session, readable(Event, principal), principal):
        link([o.partner_id for o in event.organizers if o.partner_id in partners],
             "events", (event.id, event.title))
    used = {i for pair in links for i in pair}
    return Network({i: p for i, p in partners.items() if i in used},
                   sorted(links.values(), key=lambda x: (-x.weight, x.source, x.target)))

