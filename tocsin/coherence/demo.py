"""Fictional demo content for the coherence pages.

Every figure, group and activity here is invented and labelled so: threat
indicators (``illustrative``, source "Fictional demo source"), organized crime
group profiles, a handful of activities created through the programmes
library, an expiring agreement and a lesson identified through their
libraries. Together they give a threat picture with hot spots, gaps, duplicate
pairs and recommendations. Loading twice changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from tocsin.access.policy import unguarded_select
from tocsin.access.principal import Principal
from tocsin.coherence.groups import ProfileSpec, save_profile
from tocsin.coherence.tables import OcgProfile, ThreatIndicator
from tocsin.coherence.threats import import_indicators
from tocsin.i18n import N_
from tocsin.settings import Settings
from tocsin.taskforce.programmes.records import create_activity
from tocsin.taskforce.programmes.spec import (
    ActivitySpec,
    FinanceSpec,
    Level,
    ParticipantSpec,
    ShareSpec,
)
from tocsin.taskforce.programmes.tables import Activity
from tocsin.types.units import unit_ids

#: Why the demo loaders look past the read rule.
PLATFORM = "the demo loader runs as the platform"

SOURCE = "Fictional demo source"
PREFIX = "XM-DAC-41304-DEMO-COH"
ORG_REF = "XM-DAC-41304"

#: (crime area, country) → (seizures, identified victims, cases, proceeds EUR m) in the
#: latest year; earlier years differ per place so the trend charts move.
THREATS: dict[tuple[str, str], tuple[float, float, float, float]] = {
    ("drug_trafficking", "TJ"): (420, 0, 310, 48),
    ("drug_trafficking", "KG"): (380, 0, 260, 41),
    ("drug_trafficking", "UZ"): (150, 0, 140, 20),
    ("drug_trafficking", "RS"): (210, 0, 190, 30),
    ("trafficking_in_human_beings", "MD"): (0, 240, 95, 12),
    ("trafficking_in_human_beings", "UA"): (0, 160, 70, 9),
    ("trafficking_in_human_beings", "AL"): (0, 90, 40, 5),
    ("cybercrime", "UA"): (0, 0, 520, 36),
    ("cybercrime", "MD"): (0, 0, 140, 7),
    ("cybercrime", "RS"): (0, 0, 210, 11),
    ("money_laundering", "ME"): (0, 0, 60, 55),
    ("money_laundering", "RS"): (0, 0, 90, 70),
    ("money_laundering", "AL"): (0, 0, 45, 25),
    ("firearms_trafficking", "BA"): (160, 0, 70, 4),
    ("firearms_trafficking", "RS"): (120, 0, 60, 3),
    ("firearms_trafficking", "MK"): (40, 0, 25, 1),
}
GRADES = ["B2", "A2", "C3", "B3", "B1"]


def _csv(latest: int) -> str:
    lines = ["crime_area,country,year,kind,value,unit,source,reliability,credibility,handling,note"]
    kinds = [("seizures", "seizures"), ("identified_victims", "persons"), ("cases", "cases"),
             ("estimated_proceeds", "EUR")]
    for n, ((area, country), values) in enumerate(sorted(THREATS.items())):
        # each place on its own course, so the trends differ: some rise, some fall
        trend = ((n * 7) % 5 - 2) * 0.18
        for back, scale in ((2, 1.0 - 2 * trend), (1, 1.0 - trend), (0, 1.0)):
            for k, ((kind, unit), figure) in enumerate(zip(kinds, values, strict=True)):
                if not figure:
                    continue
                amount = figure * scale * (1_000_000 if kind == "estimated_proceeds" else 1)
                grade = GRADES[(n + k) % len(GRADES)]
                lines.append(f"{area},{country},{latest - back},{kind},{amount:.0f},{unit},"
                             f"{SOURCE},{grade[0]},{grade[1]},GREEN,"
                             "fictional figure for the demo")
    return "\n".join(lines) + "\n"


GROUPS = [
    ProfileSpec(name="Fictional group 'Northern Route'", summary="Invented for the demo: moves "
                "heroin and synthetic drugs from the south through Central Asia.",
                crime_areas=["drug_trafficking", "money_laundering"],
                countries=["TJ", "KG", "UZ", "RS"],
                scores={"size": 3, "international_dimension": 3, "violence": 2,
                        "corruption": 3, "legal_business_structures": 2, "countermeasures": 2,
                        "expansion": 2}, illustrative=True),
    ProfileSpec(name="Fictional group 'Harbour Clan'", summary="Invented for the demo: "
                "launders proceeds through coastal real estate and shell companies.",
                crime_areas=["money_laundering", "drug_trafficking"], countries=["ME", "AL", "RS"],
                scores={"size": 2, "international_dimension": 2, "violence": 1, "corruption": 3,
                        "legal_business_structures": 3, "countermeasures": 2, "expansion": 1},
                illustrative=True),
    ProfileSpec(name="Fictional network 'Blue Recruiters'", summary="Invented for the demo: "
                "recruits victims for labour and sexual exploitation through fake job offers.",
                crime_areas=["trafficking_in_human_beings"], countries=["MD", "UA", "AL"],
                scores={"size": 1, "international_dimension": 2, "violence": 2, "corruption": 1,
                        "legal_business_structures": 2, "countermeasures": 1, "expansion": 3},
                illustrative=True),
    ProfileSpec(name="Fictional crew 'Zero Day'", summary="Invented for the demo: ransomware "
                "affiliates; scores partly unknown.", crime_areas=["cybercrime"],
                countries=["UA", "MD"],
                scores={"size": 1, "international_dimension": 3, "violence": 0,
                        "corruption": None, "legal_business_structures": 1,
                        "countermeasures": 3, "expansion": 3}, illustrative=True),
    ProfileSpec(name="Fictional ring 'Old Stock'", summary="Invented for the demo: sells "
                "firearms left over from past conflicts.", crime_areas=["firearms_trafficking"],
                countries=["BA", "RS", "MK"],
                scores={"size": 1, "international_dimension": 2, "violence": 2, "corruption": 1,
                        "legal_business_structures": 0, "countermeasures": 1, "expansion": 0},
                illustrative=True),
]


def _spec(code: str, title: str, description: str, *, level: Level = "activity",
          parent: str | None = None, structure: str | None = None, areas: list[str],
          countries: list[str], stages: list[str], year: int, budget: int | None,
          start: date, end: date, partners: tuple[str, ...] = (),
          external: bool = False, reporting: str = ORG_REF, handling: str = "GREEN",
          ) -> ActivitySpec:
    return ActivitySpec(
        identifier=f"{PREFIX}-{code}" if not external else code, level=level,
        title=f"{title} (fictional)", description=f"{description} Invented for the demo.",
        parent_identifier=f"{PREFIX}-{parent}" if parent else None,
        implementing_structure=structure, status=2, planned_start=start, planned_end=end,
        reporting_org_ref=reporting, reporting_org_name="UNODC" if external else "",
        is_external=external,
        crime_areas=[ShareSpec(code=a) for a in areas],
        countries=[ShareSpec(code=c) for c in countries],
        stages=[ShareSpec(code=s) for s in stages],
        participants=[ParticipantSpec(role=4, organization_code=p) for p in partners],
        finance=[FinanceSpec(year=year, kind="budget", amount=Decimal(budget), currency="EUR")]
        if budget else [],
        handling=handling, default_currency="EUR")


def _activities(latest: int) -> list[ActivitySpec]:
    y = latest
    s, e = date(y, 1, 1), date(y, 12, 31)
    return [
        _spec("CA", "Programme against drug trafficking in Central Asia",
              "Regional programme of the border security unit.", level="programme",
              structure="tntd-bsmu", areas=["drug_trafficking"], countries=["KG", "TJ"],
              stages=["prevention"], year=y, budget=None, start=s, end=e),
        _spec("CA-1", "Border liaison offices on the Kyrgyz border",
              "Equips and trains border liaison offices to detect drug consignments.",
              level="project", parent="CA", structure="fo-bishkek", areas=["drug_trafficking"],
              countries=["KG"], stages=["prevention", "intelligence"], year=y, budget=900_000,
              start=s, end=e, partners=("unodc",)),
        _spec("CA-2", "Canine units for drug detection at Kyrgyz crossings",
              "Trains dog handlers of the border service to detect heroin and synthetic drugs.",
              parent="CA-1", structure="fo-bishkek", areas=["drug_trafficking"],
              countries=["KG"], stages=["prevention"], year=y, budget=None, start=s, end=e),
        _spec("THB-1", "Victim identification training for Moldovan labour inspectors",
              "Trains labour inspectors to identify victims of trafficking for labour "
              "exploitation and refer them to assistance.", structure="osr-cthb",
              areas=["trafficking_in_human_beings"], countries=["MD"],
              stages=["victim_witness_protection", "prevention"], year=y, budget=120_000,
              start=date(y, 2, 1), end=date(y, 11, 30), partners=("unodc",)),
        _spec("THB-2", "Training Moldovan labour inspectors to identify trafficking victims",
              "Trains labour inspectors to identify victims of trafficking for labour "
              "exploitation and refer them to assistance services.", structure="fo-moldova",
              areas=["trafficking_in_human_beings"], countries=["MD"],
              stages=["victim_witness_protection", "prevention"], year=y, budget=95_000,
              start=date(y, 3, 1), end=date(y, 12, 15), partners=("unodc",)),
        _spec("XM-DEMO-UNODC-THB-MD", "Identifying victims of labour trafficking: training "
              "for labour inspectors, Moldova",
              "A partner's course training labour inspectors to identify trafficking victims "
              "and refer them to assistance.", external=True, reporting="XM-DEMO-UNODC",
              areas=["trafficking_in_human_beings"], countries=["MD"],
              stages=["victim_witness_protection"], year=y, budget=80_000,
              start=date(y, 4, 1), end=date(y, 10, 31), partners=("unodc",)),
        _spec("ML-1", "Financial investigations of laundering through real estate in Serbia",
              "Mentors financial investigators and prosecutors on real-estate laundering.",
              structure="oceea", areas=["money_laundering"], countries=["RS"],
              stages=["investigation", "prosecution"], year=y, budget=300_000, start=s, end=e,
              partners=("moneyval",)),
        _spec("ML-2", "Asset recovery office support in Montenegro",
              "Supports the asset recovery office with case management and training.",
              structure="oceea", areas=["money_laundering"], countries=["ME"],
              stages=["asset_recovery"], year=y, budget=40_000, start=s, end=e,
              handling="AMBER"),
        _spec("FA-1", "Firearms marking and record-keeping in Bosnia and Herzegovina",
              "Helps the police register and mark seized and legally held firearms.",
              structure="fo-bih", areas=["firearms_trafficking"], countries=["BA"],
              stages=["prevention", "investigation"], year=y, budget=260_000, start=s, end=e),
        _spec("CY-1", "Electronic evidence workshop for Serbian prosecutors",
              "Two workshops on requesting and using electronic evidence.",
              structure="tntd-cyber", areas=["cybercrime"], countries=["RS"],
              stages=["prosecution"], year=y, budget=60_000, start=s, end=e),
    ]


def load(session: Session, settings: Settings, today: date | None = None) -> str:
    """Create the fictional coherence demo once; returns a one-line summary.

    ``today`` fixes the dates (tests); by default the latest threat year is last year.
    """
    del settings
    today = today or date.today()
    system = Principal.system()
    have = session.scalar(unguarded_select(ThreatIndicator.id, why=PLATFORM)
                          .where(ThreatIndicator.source == SOURCE).limit(1))
    if have is not None:
        return N_("coherence demo already loaded")
    latest = today.year - 1
    unit = "tntd-spmu"
    result = import_indicators(session, system, _csv(latest), unit=unit, illustrative=True)
    unit_id = session.scalar(unguarded_select(Activity.owner_unit_id, why=PLATFORM).limit(1))
    for group in GROUPS:
        if session.scalar(unguarded_select(OcgProfile.id, why=PLATFORM)
                          .where(OcgProfile.name == group.name)) is None:
            save_profile(session, system, group.model_copy(update={
                "owner_unit_id": _unit_id(session, unit) or unit_id}))
    made = 0
    for spec in _activities(latest):
        exists = session.scalar(unguarded_select(Activity.id, why=PLATFORM)
                                .where(Activity.identifier == spec.identifier))
        if exists is None:
            create_activity(session, system, spec.model_copy(update={"owner_unit": _owner(spec)}))
            made += 1
    _agreement_and_lesson(session, system, today)
    return N_("%(indicators)s fictional threat indicators, %(groups)s fictional groups, "
              "%(activities)s fictional activities, 1 fictional agreement expiring soon and 1 "
              "fictional lesson identified", indicators=result.created, groups=len(GROUPS),
              activities=made)


def _unit_id(session: Session, code: str) -> int | None:
    return unit_ids(session).get(code)


def _owner(spec: ActivitySpec) -> str:
    if spec.is_external:
        return "unodc"
    return spec.implementing_structure or "tntd-spmu"


def _agreement_and_lesson(session: Session, system: Principal, today: date) -> None:
    """An agreement expiring soon behind the Kyrgyz work and a lesson for Central Asia."""
    from tocsin.taskforce.lessons.records import advance, submit_observation
    from tocsin.taskforce.lessons.spec import ObservationSpec
    from tocsin.taskforce.partners.records import create_agreement, sync_reference_partners
    from tocsin.taskforce.partners.spec import AgreementSpec

    sync_reference_partners(session)
    project = session.scalar(unguarded_select(Activity.id, why=PLATFORM)
                             .where(Activity.identifier == f"{PREFIX}-CA-1"))
    create_agreement(session, system, AgreementSpec(
        title="Fictional memorandum on border liaison offices in Central Asia",
        kind="memorandum_of_understanding", signed_on=today - timedelta(days=3 * 365),
        valid_from=today - timedelta(days=3 * 365), expires_on=today + timedelta(days=120),
        scope="Invented for the demo.", parties=["tntd-bsmu", "unodc"],
        crime_areas=["drug_trafficking"], activity_ids=[project] if project else [],
        owner_unit="tntd-bsmu"))
    lesson = submit_observation(session, system, ObservationSpec(
        title="Fictional lesson: involve customs and border police together",
        observation="Invented for the demo: separate trainings for customs and border police "
        "at the same crossing duplicated effort and left gaps at hand-over points.",
        outcome="partly", tool_method="joint training", crime_areas=["drug_trafficking"],
        stages=["prevention"], countries=["TJ", "KG"], owner_unit="tntd-bsmu"))
    advance(session, system, lesson.id, "accept")
    advance(session, system, lesson.id, "analyse",
            analysis="Invented for the demo: hand-over points fell between two agencies.")
    advance(session, system, lesson.id, "identify",
            statement="Train customs and border police of a crossing together, on the same "
            "procedures.")
