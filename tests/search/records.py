"""One record of every newer record type, written through the topic libraries.

Each maker writes a record whose text contains the word "marlin", owned by
``unit`` with ``handling``, and returns ``(record, change)``: ``change`` alters
the record (a field or a child row) so that the word "pelican" appears.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from tests.search.conftest import add_activity, principal, unit_id
from tocsin.cases import assets, records, requests
from tocsin.cases.spec import AssetSpec, CaseSpec, Identifier, RequestSpec
from tocsin.cases.tables import Asset, Case, CoopRequest
from tocsin.coherence.tables import OcgProfile
from tocsin.money.tables import TransactionSet
from tocsin.taskforce.events import records as events
from tocsin.taskforce.events.spec import EventSpec, PanelSpec, SpeakerSpec
from tocsin.taskforce.experts import records as experts
from tocsin.taskforce.experts.spec import ExpertiseSpec, ExpertSpec
from tocsin.taskforce.lessons import records as lessons
from tocsin.taskforce.lessons.spec import ObservationSpec, ReviewSpec
from tocsin.taskforce.partners import records as partners
from tocsin.taskforce.partners.spec import AgreementSpec, FocalPointSpec, PartnerSpec

Change = Callable[[Session], None]
Maker = Callable[[Session, str, str], tuple[Any, Change]]


def _writer(session: Session, unit: str) -> Any:
    return principal(session, "coordinator", unit)


def lesson(session: Session, handling: str, unit: str) -> tuple[Any, Change]:
    activity = add_activity(session, "Courier route study", structure="tntd-spmu",
                            handling=handling, unit=unit)
    made = lessons.submit_observation(session, _writer(session, unit), ObservationSpec(
        title="Marlin cash couriers at the border", observation="Couriers split the cash.",
        outcome="partly", activity_id=activity.id, crime_areas=["money_laundering"],
        countries=["AL"], handling=handling, owner_unit=unit))

    def change(s: Session) -> None:
        s.get(type(made), made.id).statement = "Pelican checks at every crossing"
    return made, change


def review(session: Session, handling: str, unit: str) -> tuple[Any, Change]:
    """An after-action review: found through the observation it produced."""
    _, made = lessons.submit_review(session, _writer(session, unit), ReviewSpec(
        title="Marlin exercise review", planned="A joint check.", happened="Two teams came.",
        why_different="Late notice.", next_time="Plan earlier.", outcome="did_not_work",
        stages=["investigation"], handling=handling, owner_unit=unit))

    def change(s: Session) -> None:
        s.get(type(made[0]), made[0].id).analysis = "The pelican plan worked later."
    return made[0], change


def partner(session: Session, handling: str, unit: str) -> tuple[Any, Change]:
    made = partners.create_partner(session, _writer(session, unit), PartnerSpec(
        name="Marlin Financial Intelligence Unit", acronym="MFIU",
        kind="national_institution", country="MD", handling=handling, owner_unit=unit))

    def change(s: Session) -> None:
        partners.add_focal_point(s, _writer(s, unit), made.id,
                                 FocalPointSpec(name="Ana Pelican", role="liaison officer"))
    return made, change


def agreement(session: Session, handling: str, unit: str) -> tuple[Any, Change]:
    parties = [partners.create_partner(session, _writer(session, unit), PartnerSpec(
        name=name, kind="national_institution", country=country, handling=handling,
        owner_unit=unit)) for name, country in [("Prosecution Office", "RS"),
                                                ("Asset Recovery Office", "ME")]]
    made = partners.create_agreement(session, _writer(session, unit), AgreementSpec(
        title="Marlin memorandum on asset recovery", kind="memorandum_of_understanding",
        signed_on=date(2023, 3, 1), parties=[str(p.id) for p in parties],
        crime_areas=["corruption"],
        stages=["prosecution"], handling=handling, owner_unit=unit))

    def change(s: Session) -> None:
        s.get(type(made), made.id).scope = "Pelican joint investigations"
    return made, change


def event(session: Session, handling: str, unit: str) -> tuple[Any, Change]:
    writer = _writer(session, unit)
    made = events.create_event(session, writer, EventSpec(
        title="Marlin regional conference", kind="conference", starts_on=date(2024, 5, 14),
        location="Chisinau", handling=handling, owner_unit=unit))
    panel = events.add_panel(session, writer, made.id, PanelSpec(title="Cash couriers"))
    events.add_speaker(session, writer, panel.id, SpeakerSpec(name="Dana Novak",
                                                              topic="Courier routes"))

    def change(s: Session) -> None:
        events.add_recommendation(s, _writer(s, unit), panel.id,
                                  "Share pelican alerts within a week")
    return made, change


def expert(session: Session, handling: str, unit: str) -> tuple[Any, Change]:
    made = experts.create_expert(session, _writer(session, unit), ExpertSpec(
        name="Marlin Petrova", organization="Asset Recovery Office",
        email="m.petrova@example.org",
        expertise=[ExpertiseSpec(crime_area="money_laundering", stage="investigation")],
        languages=["en", "ru"], handling=handling, owner_unit=unit))

    def change(s: Session) -> None:
        s.get(type(made), made.id).notes = "Pelican case mentor"
    return made, change


def transaction_set(session: Session, handling: str, unit: str) -> tuple[Any, Change]:
    made = TransactionSet(name="Marlin bank statements", description="Seized accounts.",
                          format="csv", base_currency="EUR", storage_key=uuid.uuid4().hex,
                          transaction_count=1200, handling=handling,
                          owner_unit_id=unit_id(session, unit))
    session.add(made)
    session.flush()

    def change(s: Session) -> None:
        s.get(TransactionSet, made.id).description = "Pelican accounts"
    return made, change


def ocg_profile(session: Session, handling: str, unit: str) -> tuple[Any, Change]:
    made = OcgProfile(name="Marlin clan", summary="Moves cocaine through ports.",
                      crime_areas=["drug_trafficking"], countries=["ME"],
                      assessed_on=date(2025, 1, 20), handling=handling,
                      owner_unit_id=unit_id(session, unit))
    session.add(made)
    session.flush()

    def change(s: Session) -> None:
        s.get(OcgProfile, made.id).summary = "Pelican route through ports"
    return made, change


def _case(session: Session, handling: str, unit: str, title: str = "Fictional case") -> Case:
    return records.create_case(session, _writer(session, unit), CaseSpec(
        reference=f"SRCH-{uuid.uuid4().hex[:10]}", title=title, crime_area="money_laundering",
        country="MD", opened_on=date(2024, 3, 1), handling=handling, owner_unit=unit))


def case(session: Session, handling: str, unit: str) -> tuple[Any, Change]:
    made = _case(session, handling, unit, "Marlin shell companies")

    def change(s: Session) -> None:
        s.get(Case, made.id).summary = "Pelican nominee directors"
    return made, change


def case_asset(session: Session, handling: str, unit: str) -> tuple[Any, Change]:
    owner = _case(session, handling, unit)
    made = assets.create_asset(session, _writer(session, unit), owner.id, AssetSpec(
        kind="vessel", description="Motor yacht Marlin", country="ME",
        identifiers=[Identifier(scheme="imo", value="9999999")],
        estimated_value=1_000_000, identified_on=date(2024, 3, 5)))

    def change(s: Session) -> None:
        s.get(Asset, made.id).encumbrances = "Pelican bank mortgage"
    return made, change


def coop_request(session: Session, handling: str, unit: str) -> tuple[Any, Change]:
    owner = _case(session, handling, unit)
    made = requests.create_request(session, _writer(session, unit), owner.id, RequestSpec(
        kind="mla", counterpart_country="RS", reference="Marlin-MLA",
        facts="Marlin payments through two banks.", created_on=date(2024, 3, 6)))

    def change(s: Session) -> None:
        s.get(CoopRequest, made.id).purpose = "Pelican evidence for trial"
    return made, change


#: record type → maker
MAKERS: dict[str, Maker] = {
    "lesson": lesson, "partner": partner, "agreement": agreement, "event": event,
    "expert": expert, "transaction_set": transaction_set, "ocg_profile": ocg_profile,
    "case": case, "case_asset": case_asset, "coop_request": coop_request,
}
