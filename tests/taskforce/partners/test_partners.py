"""Partners, focal points, agreements, expiry warnings and the co-operation network."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.taskforce.lessons.helpers import activity, principal
from tocsin.errors import InputError, NotFound
from tocsin.store.database import Database
from tocsin.taskforce.partners import network, records
from tocsin.taskforce.partners.spec import AgreementSpec, FocalPointSpec, PartnerSpec


def test_reference_partners_appear_and_user_partners_are_checked(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        analyst = principal(s, "analyst")
        listed = records.list_partners(s, analyst)
        codes = {p.reference_code for p in listed}
        assert {"unodc", "interpol", "tntd", "oceea"} <= codes
        assert records.sync_reference_partners(s) == 0  # idempotent
        ngo = records.create_partner(s, analyst, PartnerSpec(
            name="Fictional Anti-Corruption Watch", kind="civil_society", country="AL"))
        point = records.add_focal_point(s, analyst, ngo.id, FocalPointSpec(
            name="A. Example", role="Director", email="a@example.org", phone="+355 1"))
        assert ngo.focal_points == [point]
        assert [p.name for p in records.list_partners(s, analyst, kind="civil_society")] \
            == ["Fictional Anti-Corruption Watch"]
        with pytest.raises(InputError) as bad:
            records.create_partner(s, analyst, PartnerSpec(
                name="fictional anti-corruption watch", kind="cartel", country="XX"))
        text = str(bad.value)
        assert "'cartel'" in text and "'XX'" in text and "exists already" in text
        with pytest.raises(InputError, match="not an e-mail"):
            records.add_focal_point(s, analyst, ngo.id, FocalPointSpec(name="B", email="b"))


def test_agreements_and_expiry_warnings(platform_db: Database) -> None:
    today = date(2030, 6, 1)
    with platform_db.transaction() as s:
        coordinator = principal(s, "coordinator")
        soon = records.create_agreement(s, coordinator, AgreementSpec(
            title="MoU on financial investigations", kind="memorandum_of_understanding",
            signed_on=date(2027, 1, 1), expires_on=today + timedelta(days=30),
            parties=["tntd", "unodc"], crime_areas=["money_laundering"],
            stages=["investigation"]))
        records.create_agreement(s, coordinator, AgreementSpec(
            title="Joint action plan", kind="joint_action_plan",
            expires_on=today + timedelta(days=400), parties=["tntd", "interpol"]))
        lapsed = records.create_agreement(s, coordinator, AgreementSpec(
            title="Old letter", kind="letter_of_intent", expires_on=today - timedelta(days=3),
            parties=["oceea", "coe"]))
        found = records.expiring_agreements(s, coordinator, within_days=60, today=today)
        assert [(e.agreement.id, e.days_left) for e in found] == [(lapsed.id, -3), (soon.id, 30)]
        assert soon.crime_areas == ["money_laundering"]
        assert {p.partner.reference_code for p in soon.parties} == {"tntd", "unodc"}
        with pytest.raises(InputError) as bad:
            records.create_agreement(s, coordinator, AgreementSpec(
                title="", kind="treaty", parties=["tntd"], expires_on=date(2020, 1, 1),
                signed_on=date(2021, 1, 1), event_ids=[12345], stages=["torture"]))
        text = str(bad.value)
        for part in ("agreement.title", "'treaty'", "two parties", "expires before",
                     "no event with id 12345", "'torture'"):
            assert part in text


def test_partner_viewer_does_not_see_amber_agreement_of_another_unit(
        platform_db: Database) -> None:
    with platform_db.transaction() as s:
        coordinator = principal(s, "coordinator")
        amber = records.create_agreement(s, coordinator, AgreementSpec(
            title="Sensitive MoU", kind="memorandum_of_understanding", handling="AMBER",
            expires_on=date.today() + timedelta(days=10), parties=["tntd", "europol"]))
        viewer = principal(s, "partner_viewer", unit="unodc")
        assert records.list_agreements(s, viewer) == []
        assert records.expiring_agreements(s, viewer, 30) == []
        with pytest.raises(NotFound):
            records.get_agreement(s, viewer, amber.id)
        graph = network.cooperation_network(s, viewer)
        assert all(link.agreements == [] for link in graph.links)


def test_network_weights_joint_activities_agreements_and_events(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        coordinator = principal(s, "coordinator")
        activity(s, "J1", title="Joint training", structure="tntd", partners=("unodc",))
        activity(s, "J2", title="Joint assessment", partners=("unodc", "interpol"),
                 structure="tntd")
        records.create_agreement(s, coordinator, AgreementSpec(
            title="MoU", kind="memorandum_of_understanding", parties=["tntd", "unodc"]))
        graph = network.cooperation_network(s, coordinator)
        ids = {p.reference_code: i for i, p in graph.partners.items()}
        weights = {(graph.partners[x.source].reference_code,
                    graph.partners[x.target].reference_code): x.weight for x in graph.links}
        key = tuple(sorted(("tntd", "unodc"), key=lambda c: ids[c]))
        assert weights[key] == 3  # two joint activities and one agreement
        assert sorted(weights.values()) == [1, 1, 3]
        [(first, behind), *_] = graph.neighbours(ids["unodc"])
        assert first.reference_code == "tntd"
        assert sorted(t for _, t in behind.activities) == ["Joint assessment", "Joint training"]
        data = graph.as_json()
        assert len(data["nodes"]) == 3 and len(data["edges"]) == 3
        assert max(e["data"]["weight"] for e in data["edges"]) == 3
