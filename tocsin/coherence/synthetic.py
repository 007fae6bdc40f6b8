"""Generated portfolios for benchmarks and tests, with labelled duplicates.

Everything here is invented. :func:`generate` builds a programme → project →
activity hierarchy with shares, dates, partners and budgets; with
``duplicates`` it adds, for some activities, a *paraphrased duplicate* (the
same work described in other words, often by another unit or a partner),
and a *near miss* (same crime area, place and time, different work), and
returns the true duplicate pairs so precision and recall can be measured.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from tocsin.coherence.portfolio import Portfolio, normalise

AREAS = {
    "drug_trafficking": ["synthetic drug laboratories", "cocaine shipments in containers",
                         "precursor chemical diversion", "cannabis cultivation sites",
                         "heroin routes through the Balkans", "darknet drug markets"],
    "trafficking_in_human_beings": ["labour exploitation in agriculture",
                                    "sexual exploitation online", "child trafficking cases",
                                    "victim identification at borders",
                                    "forced criminality of minors", "recruitment via job ads"],
    "migrant_smuggling": ["smuggling networks on sea routes", "forged travel documents",
                          "smuggling by lorry across borders", "payments to smugglers",
                          "safe houses of smuggling rings", "online smuggling adverts"],
    "firearms_trafficking": ["illicit firearms from former conflicts", "converted gas pistols",
                             "postal shipments of weapon parts", "firearms marking records",
                             "ammunition stockpile security", "3D printed firearms"],
    "money_laundering": ["trade-based laundering schemes", "cash couriers at airports",
                         "virtual asset service providers", "real estate laundering",
                         "professional money laundering networks", "shell company registries"],
    "cybercrime": ["ransomware investigations", "electronic evidence requests",
                   "cryptocurrency tracing", "business email compromise fraud",
                   "botnet takedowns", "online child abuse material"],
    "corruption": ["asset declarations of officials", "public procurement fraud",
                   "whistleblower protection", "conflicts of interest in customs",
                   "bribery in border services", "integrity of judges"],
    "environmental_crime": ["illegal logging and timber trade", "waste trafficking by sea",
                            "wildlife trafficking at airports", "illegal fishing fleets",
                            "ozone depleting substances smuggling", "illegal mining proceeds"],
}
TARGETS = ["border police officers", "public prosecutors", "investigative judges",
           "financial intelligence unit analysts", "customs officers", "criminal police",
           "labour inspectors", "asset recovery office staff", "cybercrime unit investigators",
           "civil society organisations", "coast guard crews", "prison administrators"]
ACTIONS = ["Training of", "Mentoring of", "Equipment for", "Joint exercise with",
           "Needs assessment with", "Study visit for", "Regional conference of",
           "Handbook for"]
STAGE_OF_TARGET = {
    "border police officers": "prevention", "public prosecutors": "prosecution",
    "investigative judges": "adjudication", "financial intelligence unit analysts":
    "intelligence", "customs officers": "prevention", "criminal police": "investigation",
    "labour inspectors": "prevention", "asset recovery office staff": "asset_recovery",
    "cybercrime unit investigators": "investigation", "civil society organisations":
    "victim_witness_protection", "coast guard crews": "investigation",
    "prison administrators": "corrections",
}
PURPOSES = ["to detect and disrupt", "to investigate", "to build cases on",
            "to share intelligence on", "to prevent", "to seize the proceeds of"]
EXTRAS = ["The course uses realistic case studies.", "Participants receive a certificate.",
          "A follow-up visit checks what was applied.", "Materials are translated.",
          "National trainers are prepared to repeat it.", "It ends with a table-top exercise.",
          "Gender balance among participants is sought.", "Results feed a regional report.",
          "Experts from neighbouring States take part.", "A baseline survey comes first.",
          "The ministry of interior hosts the sessions.", "Forensic laboratories contribute.",
          "An online module complements the classroom.", "Prosecutors and police sit together.",
          "Interpretation is provided throughout.", "A helpline is set up afterwards.",
          "Standard operating procedures are drafted.", "Software licences are provided.",
          "The academy adds it to its curriculum.", "Data protection rules are reviewed."]
VENUES = ["capital", "northern border", "southern port", "eastern province", "training academy",
          "customs school", "police college", "judicial institute", "airport hub",
          "railway crossing", "free trade zone", "river port", "mountain pass", "coastal town"]
SYNONYMS = {
    "Training of": "Capacity building for", "Mentoring of": "Coaching for",
    "Equipment for": "Supplying equipment to", "Joint exercise with": "Simulation exercise for",
    "Needs assessment with": "Assessment of needs of", "Study visit for": "Exchange visit of",
    "Regional conference of": "Regional meeting of", "Handbook for": "Manual for",
    "to detect and disrupt": "to identify and dismantle", "to investigate": "to probe",
    "to build cases on": "to prepare prosecutions of", "to share intelligence on":
    "to exchange information on", "to prevent": "to stop", "to seize the proceeds of":
    "to confiscate assets from", "officers": "staff", "course": "training",
    "Participants": "Attendees", "realistic": "real", "certificate": "diploma",
}
COUNTRIES = ["AL", "BA", "ME", "MK", "RS", "MD", "UA", "GE", "AM", "AZ", "KZ", "KG", "TJ",
             "TM", "UZ", "MN", "TR", "RO", "BG", "GR", "HR", "SI", "HU", "SK", "CZ", "PL",
             "LT", "LV", "EE", "IT", "ES", "PT", "FR", "DE", "AT", "CH", "NL", "BE", "SE",
             "NO"]
STRUCTURES = ["tntd-spmu", "tntd-bsmu", "tntd-cyber", "oceea", "fo-serbia", "fo-bih",
              "fo-moldova", "fo-bishkek", "fo-dushanbe", "osr-cthb"]
PARTNERS = ["unodc", "interpol", "europol", "coe", "moneyval", "eurojust", "selec"]


@dataclass
class Generated:
    portfolio: Portfolio
    #: True duplicate pairs by record id (smaller id first).
    duplicates: set[tuple[int, int]] = field(default_factory=set)
    #: Near misses: same area, place and time, different work (must not be duplicates).
    near_misses: set[tuple[int, int]] = field(default_factory=set)


def _paraphrase(text: str, rng: random.Random) -> str:
    for old, new in SYNONYMS.items():
        if old in text and rng.random() < 0.75:
            text = text.replace(old, new)
    return text


def generate(n_activities: int, *, seed: int = 7, duplicate_rate: float = 0.0,
             near_miss_rate: float = 0.0, start_id: int = 1) -> Generated:
    """A portfolio of about ``n_activities`` activities under projects and programmes."""
    rng = random.Random(seed)
    p = Portfolio(currency="EUR")
    out = Generated(p)
    next_id = start_id
    areas = list(AREAS)

    def new_id() -> int:
        nonlocal next_id
        next_id += 1
        return next_id - 1

    def text_for(area: str, subject: str, target: str, action: str, purpose: str,
                 place: str) -> tuple[str, str]:
        title = f"{action} {target} on {subject} in {place}"
        extras = rng.sample(EXTRAS, 3)
        venue = rng.choice(VENUES)
        description = (f"{action} {target} {purpose} {subject}. "
                       f"The work focuses on {area.replace('_', ' ')} around the {venue} "
                       f"of {place}. " + " ".join(extras))
        return title, description

    made = 0
    programme_no = 0
    used: set[tuple[str, str, str]] = set()
    while made < n_activities:
        programme_no += 1
        area = rng.choice(areas)
        second = rng.choice(areas) if rng.random() < 0.3 else None
        structure = rng.choice(STRUCTURES)
        year0 = rng.randint(2019, 2025)
        prog_countries = rng.sample(COUNTRIES, rng.randint(1, 3))
        prog = p.add(
            id=new_id(), identifier=f"XM-SYN-{programme_no}", level="programme",
            title=f"Programme against {area.replace('_', ' ')} {programme_no}",
            structure=structure, start=date(year0, 1, 1), end=date(year0 + 3, 12, 31),
            crime_areas=normalise([(area, 70 if second else None)]
                                  + ([(second, 30)] if second else [])),
            countries=normalise([(c, None) for c in prog_countries]),
        )
        for project_no in range(rng.randint(3, 6)):
            proj = p.add(
                id=new_id(), identifier=f"XM-SYN-{programme_no}-{project_no}",
                level="project", parent=prog, structure=structure,
                title=f"Project {project_no} of programme {programme_no}",
                start=date(year0, 1, 1), end=date(year0 + 3, 12, 31),
                budget={y: float(rng.randint(2, 20) * 50_000)
                        for y in range(year0, year0 + rng.randint(2, 4))}
                if rng.random() < 0.3 else None,
            )
            for activity_no in range(rng.randint(5, 15)):
                if made >= n_activities:
                    break
                made += 1
                # distinct work: the same subject, audience and place only once (as
                # long as combinations last; large benchmark portfolios run out)
                for _attempt in range(30):
                    subject = rng.choice(AREAS[area])
                    target = rng.choice(TARGETS)
                    country = rng.choice(prog_countries + rng.sample(COUNTRIES, 1))
                    if (subject, target, country) not in used:
                        break
                used.add((subject, target, country))
                start = date(year0, 1, 1) + timedelta(days=rng.randint(0, 900))
                action = rng.choice(ACTIONS)
                purpose = rng.choice(PURPOSES)
                end = start + timedelta(days=rng.randint(60, 540))
                title, description = text_for(area, subject, target, action, purpose, country)
                partners = rng.sample(PARTNERS, rng.randint(0, 2))
                stages = [STAGE_OF_TARGET[target]]
                if rng.random() < 0.3:
                    stages.append("international_cooperation")
                budget = {start.year: float(rng.randint(1, 40) * 5_000)}
                row = p.add(
                    id=new_id(), identifier=f"XM-SYN-{programme_no}-{project_no}-{activity_no}",
                    parent=proj, title=title, description=description, structure=structure,
                    start=start, end=end, partners=partners,
                    countries=normalise([(country, None)]),
                    crime_areas=normalise([(area, None)]),
                    stages=normalise([(s, None) for s in stages]), budget=budget,
                    reporting_org="XM-DAC-ORG", status=rng.choice([2, 2, 2, 3, 4]),
                )
                if rng.random() < duplicate_rate:
                    # the same work again: other words, often another unit or a partner
                    external = rng.random() < 0.4
                    other = p.add(
                        id=new_id(), identifier=f"XM-DUP-{p.ids[row]}",
                        title=_paraphrase(title, rng),
                        description=_paraphrase(description, rng),
                        structure="" if external else rng.choice(STRUCTURES),
                        external=external, reporting_org="Partner agency" if external else "",
                        start=start + timedelta(days=rng.randint(-60, 60)),
                        end=end + timedelta(days=rng.randint(-60, 60)),
                        partners=partners if rng.random() < 0.7 else [],
                        countries=normalise([(country, None)]),
                        crime_areas=normalise([(area, None)]),
                        stages=normalise([(s, None) for s in stages]),
                        budget={start.year: float(rng.randint(1, 40) * 5_000)},
                        status=2,
                    )
                    pair = (min(p.ids[row], p.ids[other]), max(p.ids[row], p.ids[other]))
                    out.duplicates.add(pair)
                if rng.random() < near_miss_rate:
                    # same area, place and time, but other work for other people
                    for _attempt in range(30):
                        other_subject = rng.choice([s for s in AREAS[area] if s != subject])
                        other_target = rng.choice([t for t in TARGETS if t != target])
                        if (other_subject, other_target, country) not in used:
                            break
                    used.add((other_subject, other_target, country))
                    t2, d2 = text_for(area, other_subject, other_target,
                                      rng.choice([a for a in ACTIONS if a != action]),
                                      rng.choice([x for x in PURPOSES if x != purpose]),
                                      country)
                    miss = p.add(
                        id=new_id(), identifier=f"XM-NEAR-{p.ids[row]}", title=t2,
                        description=d2, structure=rng.choice(STRUCTURES),
                        start=start + timedelta(days=rng.randint(-30, 30)),
                        end=end + timedelta(days=rng.randint(-30, 30)),
                        partners=partners, countries=normalise([(country, None)]),
                        crime_areas=normalise([(area, None)]),
                        stages=normalise([(STAGE_OF_TARGET[other_target], None)]),
                        budget={start.year: float(rng.randint(1, 40) * 5_000)}, status=2,
                    )
                    pair = (min(p.ids[row], p.ids[miss]), max(p.ids[row], p.ids[miss]))
                    out.near_misses.add(pair)
    return out


def precision_recall(found: set[tuple[int, int]], truth: set[tuple[int, int]]
                     ) -> tuple[float, float]:
    hits = len(found & truth)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(truth) if truth else 1.0
    return precision, recall
