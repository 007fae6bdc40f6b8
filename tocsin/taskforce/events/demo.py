"""Demo content for lessons, partners, events and experts — fictional outcomes, labelled.

The two events follow the facts in the platform's background notes (the 2020
conference on strategic partnerships and the Task Force's lessons-learned
meeting); their dates are illustrative, and every speaker, recommendation,
follow-up action, lesson, partner, agreement and expert below is invented and
says so in its text. :func:`load` does nothing when the content is present.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from tocsin.access.policy import unguarded_select
from tocsin.access.principal import Principal
from tocsin.errors import InputError, Problem
from tocsin.i18n import N_
from tocsin.settings import Settings
from tocsin.taskforce.events import records as events
from tocsin.taskforce.events.spec import (
    DocumentSpec,
    EventSpec,
    FollowUpSpec,
    PanelSpec,
    ParticipantSpec,
    SpeakerSpec,
)
from tocsin.taskforce.events.tables import Event
from tocsin.taskforce.experts import records as experts
from tocsin.taskforce.experts.spec import ExpertiseSpec, ExpertSpec, PeriodSpec
from tocsin.taskforce.lessons import records as lessons
from tocsin.taskforce.lessons.spec import ActionSpec, ReviewSpec
from tocsin.taskforce.partners import records as partners
from tocsin.taskforce.partners.spec import AgreementSpec, FocalPointSpec, PartnerSpec

CONFERENCE = "Addressing Organized Crime through Strategic Partnerships"
MEETING = "Lessons-learned exercise on the OSCE and the fight against organized crime"
FICTIONAL = "[Fictional example]"
OWNER = "tntd-spmu"

PANELS = [
    ("Panel 1 — Threat assessment",
     "How organized crime threatens the OSCE region, and the OSCE's responses."),
    ("Panel 2 — Countering organized crime and illicit finance",
     "Tools such as tracing illicit financial flows, asset seizure and confiscation."),
    ("Panel 3 — Partnerships",
     "Partnerships among national institutions, civil society and the private sector."),
    ("Panel 4 — Cyber-enabled organized crime",
     "Cyber-enabled crime by organized crime groups, the impact of COVID-19, criminal "
     "misuse of the dark web and cryptocurrencies, national and transnational counter-measures."),
]
MEETING_PANELS = [
    ("Session 1 — A cross-dimensional response",
     "The cross-dimensional nature of the fight against organized crime, with full respect "
     "for human rights."),
    ("Session 2 — Tools and methods that worked",
     "Tools and methods that worked in assistance to participating States, especially in "
     "field activities."),
    ("Session 3 — Further programmatic activities",
     "Further programmatic activities derived from the lessons learned."),
]


def _already_loaded(session: Session) -> bool:
    return session.scalar(unguarded_select(Event.id, why="the demo loader runs as the platform")
                          .where(Event.title == CONFERENCE)) is not None


def load(session: Session, settings: Settings) -> str:
    """Create the fictional-outcome demo content once; returns a one-line summary."""
    if _already_loaded(session):
        return N_("co-operation demo already loaded")
    system = Principal.system()
    today = date.today()
    made = _partners(session, system, today)
    conference, meeting = _events(session, system, today)
    count = _lessons(session, system, today)
    roster = _experts(session, system, today)
    return N_("%(partners)s partners, 2 agreements, 2 events (%(conference)s and %(meeting)s "
              "recommendations), %(lessons)s lessons, %(experts)s experts — fictional outcomes",
              partners=made, conference=conference, meeting=meeting, lessons=count,
              experts=roster)


def _partners(session: Session, system: Principal, today: date) -> int:
    partners.sync_reference_partners(session)
    created = [
        partners.create_partner(session, system, PartnerSpec(
            name="Fictional National Asset Recovery Office", kind="national_institution",
            country="AL", owner_unit=OWNER,
            description=f"{FICTIONAL} A national institution invented for the demo.")),
        partners.create_partner(session, system, PartnerSpec(
            name="Fictional Civil Society Network against Organized Crime",
            kind="civil_society", owner_unit=OWNER,
            description=f"{FICTIONAL} A civil-society network invented for the demo.")),
        partners.create_partner(session, system, PartnerSpec(
            name="Fictional Banking Compliance Forum", kind="private_sector", owner_unit=OWNER,
            description=f"{FICTIONAL} A private-sector forum invented for the demo.")),
    ]
    people = [("Demo Focal Point One (fictional)", "Head of unit"),
              ("Demo Focal Point Two (fictional)", "Programme officer"),
              ("Demo Focal Point Three (fictional)", "Compliance lead")]
    for partner, (name, role) in zip(created, people, strict=True):
        partners.add_focal_point(session, system, partner.id, FocalPointSpec(
            name=name, role=role, email=f"focal.point{partner.id}@example.org",
            phone="+00 000 000 000"))
    problems: list[Problem] = []
    unodc = partners.resolve_partner(session, Principal.system(), "unodc", "demo", problems)
    if unodc is None:
        raise InputError(problems, summary="load the reference data first")
    partners.add_focal_point(session, system, unodc, FocalPointSpec(
        name="Demo UNODC Liaison (fictional)", role="Liaison officer",
        email="liaison@example.org"))
    partners.create_agreement(session, system, AgreementSpec(
        title=f"{FICTIONAL} Memorandum of understanding on countering illicit financial flows",
        kind="memorandum_of_understanding", signed_on=today - timedelta(days=3 * 365),
        valid_from=today - timedelta(days=3 * 365), expires_on=today + timedelta(days=45),
        scope="Joint training on tracing illicit financial flows and asset recovery.",
        parties=["tntd", "unodc"], crime_areas=["money_laundering"],
        stages=["investigation", "asset_recovery"], owner_unit=OWNER))
    partners.create_agreement(session, system, AgreementSpec(
        title=f"{FICTIONAL} Joint action plan on cybercrime capacity building",
        kind="joint_action_plan", signed_on=today - timedelta(days=200),
        valid_from=today - timedelta(days=200), expires_on=today + timedelta(days=2 * 365),
        scope="Cyber-enabled organized crime and cryptocurrency investigations.",
        parties=["tntd", "coe", str(created[0].id)], crime_areas=["cybercrime"],
        stages=["investigation", "international_cooperation"], owner_unit=OWNER))
    return len(created)


def _events(session: Session, system: Principal, today: date) -> tuple[int, int]:
    conference = events.create_event(session, system, EventSpec(
        title=CONFERENCE, kind="conference", starts_on=date(2020, 11, 2),
        ends_on=date(2020, 11, 3), location="Online (date illustrative)",
        organizers=["tntd", "oceea"], owner_unit=OWNER,
        description="Organized by the OSCE with its Mediterranean Partners for Co-operation "
        "in the year of the twentieth anniversary of UNTOC, to show past and ongoing "
        "activities, outcomes and good practices with a focus on the Mediterranean, to hear "
        "how other international organizations, think tanks and the private sector approach "
        "organized crime, and to find common challenges and possible joint initiatives. "
        "The date shown is illustrative; speakers and outcomes here are fictional."))
    events.add_document(session, system, conference.id, DocumentSpec(
        title="Concept note (summary in the platform's background notes)", kind="concept_note"))
    events.add_participant(session, system, conference.id, ParticipantSpec(
        name="Demo participant (fictional)", organization="UNODC", partner="unodc"))
    outcomes = [
        ("Keep a shared picture of organized-crime threats across the region.",
         "Circulate a fictional threat-picture template to field operations", "tntd", -20,
         "done"),
        ("Offer joint training on tracing illicit financial flows with partner organizations.",
         "Draft a fictional joint training curriculum with UNODC", "oceea", -10, "open"),
        ("Involve civil society and the private sector in national partnerships.",
         "Map fictional private-sector contacts per participating State", OWNER, 30, "open"),
        ("Build skills to trace cryptocurrency on the dark web.",
         "Run a fictional pilot workshop on cryptocurrency tracing", "tntd-cyber", 60,
         "in_progress"),
    ]
    recs = 0
    for (title, theme), (text, action, owner, due, status) in zip(PANELS, outcomes, strict=True):
        panel = events.add_panel(session, system, conference.id, PanelSpec(title=title,
                                                                            theme=theme))
        events.add_speaker(session, system, panel.id, SpeakerSpec(
            name=f"Demo Speaker {panel.position} (fictional)", organization="OSCE",
            partner="tntd", topic=theme))
        rec = events.add_recommendation(session, system, panel.id, f"{FICTIONAL} {text}")
        item = events.add_action(session, system, rec.id, FollowUpSpec(
            description=f"{FICTIONAL} {action}", owner=owner,
            due_on=today + timedelta(days=due)))
        if status != "open":
            events.set_action_status(session, system, item.id, status, today=today)
        recs += 1
    meeting = events.create_event(session, system, EventSpec(
        title=MEETING, kind="meeting", starts_on=date(2007, 10, 1), location="Vienna "
        "(date and place illustrative)", organizers=["osg", "tntd"], owner_unit=OWNER,
        description="Organized as part of the work of the OSCE Task Force on organized crime, "
        "which the Secretary General created in January 2007 following MC.DEC/5/06, with "
        "specialist staff of the Secretariat, ODIHR and field operations. "
        "The date shown is illustrative; outcomes here are fictional."))
    meeting_recs = 0
    for title, theme in MEETING_PANELS:
        panel = events.add_panel(session, system, meeting.id, PanelSpec(title=title, theme=theme))
        rec = events.add_recommendation(
            session, system, panel.id,
            f"{FICTIONAL} Record what worked in field activities as lessons in Tocsin.")
        if meeting_recs == 0:
            events.close_recommendation(session, system, rec.id,
                                        f"{FICTIONAL} Covered by the lessons-learned cycle.")
        meeting_recs += 1
    return recs, meeting_recs


def _identify(session: Session, system: Principal, lesson_id: int, analysis: str,
              statement: str) -> None:
    lessons.advance(session, system, lesson_id, "accept")
    lessons.advance(session, system, lesson_id, "analyse", analysis=analysis)
    lessons.advance(session, system, lesson_id, "identify", statement=statement)


def _lessons(session: Session, system: Principal, today: date) -> int:
    learned = lessons.submit_review(session, system, ReviewSpec(
        title=f"{FICTIONAL} Joint training for investigators and prosecutors",
        planned="Train investigators on tracing illicit financial flows.",
        happened="Prosecutors joined late; cases stalled between police and prosecution.",
        why_different="Invitations went to the police academy only.",
        next_time="Invite investigators and prosecutors to the same course.",
        tool_method="Joint training of investigators and prosecutors", outcome="partly",
        crime_areas=["money_laundering"], stages=["investigation", "prosecution"],
        countries=["AL"], owner_unit=OWNER))[1][0]
    _identify(session, system, learned.id, "Fictional analysis: the justice chain was "
              "trained in pieces.", "Train the whole criminal-justice chain together when "
              "tracing illicit financial flows.")
    lessons.advance(session, system, learned.id, "assign", action=ActionSpec(
        action_body="oceea", description=f"{FICTIONAL} Update the training invitation guidance",
        due_on=today - timedelta(days=30)))
    lessons.complete_action(session, system, learned.actions[0].id, today=today)
    lessons.advance(session, system, learned.id, "validate", note="Fictional validation")
    pending = lessons.submit_review(session, system, ReviewSpec(
        title=f"{FICTIONAL} Regional workshop on cryptocurrency tracing",
        planned="Hands-on tracing exercises for cybercrime units.",
        happened="Most units had no tracing software licence.",
        why_different="Tool budgets were not planned.",
        next_time="Budget tracing tools before the training.",
        tool_method="Blockchain analytics training", outcome="did_not_work",
        crime_areas=["cybercrime", "money_laundering"], stages=["investigation"],
        owner_unit=OWNER))[1][0]
    _identify(session, system, pending.id, "Fictional analysis.",
              "Plan tools with the training.")
    lessons.advance(session, system, pending.id, "assign", action=ActionSpec(
        action_body="tntd-cyber", description=f"{FICTIONAL} Add tool budgets to project "
        "templates", due_on=today - timedelta(days=5)))
    lessons.submit_review(session, system, ReviewSpec(
        title=f"{FICTIONAL} Referral mechanism for trafficking victims",
        planned="Set up a national referral mechanism with civil society.",
        happened="Shelters and police worked well together.",
        why_different="A civil-society focal point was named early.",
        next_time="Name focal points at the start.",
        tool_method="National referral mechanism", outcome="worked",
        crime_areas=["trafficking_in_human_beings"], stages=["victim_witness_protection"],
        owner_unit=OWNER))
    return 3


def _experts(session: Session, system: Principal, today: date) -> int:
    year = PeriodSpec(starts_on=today, ends_on=today + timedelta(days=365))
    roster = [
        ExpertSpec(name="Demo Expert Alpha (fictional)", organization="Fictional FIU",
                   expertise=[ExpertiseSpec(crime_area="money_laundering",
                                            stage="investigation", level="expert")],
                   languages=["en", "fr"], availability=[year], owner_unit=OWNER,
                   notes=FICTIONAL),
        ExpertSpec(name="Demo Expert Beta (fictional)", organization="UNODC", partner="unodc",
                   expertise=[ExpertiseSpec(crime_area="cybercrime", level="advanced"),
                              ExpertiseSpec(stage="international_cooperation",
                                            level="working")],
                   languages=["en", "ru"], availability=[year], owner_unit=OWNER,
                   notes=FICTIONAL),
        ExpertSpec(name="Demo Expert Gamma (fictional)", organization="Fictional prosecution "
                   "service", expertise=[ExpertiseSpec(stage="prosecution", level="expert"),
                                         ExpertiseSpec(crime_area="corruption",
                                                       level="advanced")],
                   languages=["en", "sq"], owner_unit=OWNER, notes=FICTIONAL),
    ]
    for spec in roster:
        experts.create_expert(session, system, spec)
    return len(roster)
