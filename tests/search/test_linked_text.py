"""A search document holds text of another record only when everyone who may read the
document may read that record too; otherwise the text is left out.

Each linked record's title carries a word found nowhere else; searching for it must
never return the record that links to it for someone who may not read the linked one.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from tests.search.conftest import add_activity, principal
from tocsin.access.principal import Principal
from tocsin.search.service import search
from tocsin.store.database import Database
from tocsin.taskforce.events import records as events
from tocsin.taskforce.events.spec import EventSpec
from tocsin.taskforce.experts import records as experts
from tocsin.taskforce.experts.spec import ExpertSpec
from tocsin.taskforce.lessons import records as lessons
from tocsin.taskforce.lessons.spec import ObservationSpec, ReviewSpec
from tocsin.taskforce.partners import records as partners
from tocsin.taskforce.partners.spec import AgreementSpec, PartnerSpec

A, B = "tntd-spmu", "oceea"


def _types(session: Session, reader: Principal, word: str) -> set[str]:
    results = search(session, reader, word, audit_reads=False)
    return {hit.record_type for hit in results.hits}


def _world(session: Session, linked_handling: str, linked_unit: str) -> None:
    """GREEN records of unit A that link to records of ``linked_handling``/``linked_unit``."""
    system = Principal.system()
    linked = {"handling": linked_handling, "owner_unit": linked_unit}
    activity = add_activity(session, "Walrusfinch courier study", handling=linked_handling,
                            unit=linked_unit, identifier="XM-LINKED-1")
    partner = partners.create_partner(session, system, PartnerSpec(
        name="Ptarmiganhold institute", kind="civil_society", **linked))
    green = {"handling": "GREEN", "owner_unit": A}
    lessons.submit_observation(session, system, ObservationSpec(
        title="Night crossings", observation="Cash moves after dark.", outcome="partly",
        activity_id=activity.id, **green))
    review_linked = {"handling": linked_handling, "owner_unit": linked_unit}
    _, made = lessons.submit_review(session, system, ReviewSpec(
        title="Quokkamere debrief", planned="p", happened="h", why_different="w",
        next_time="n", outcome="worked", **review_linked))
    # a GREEN lesson of unit A that names the review (only the system can link it so)
    made[0].handling, made[0].owner_unit_id = "GREEN", principal(session, "analyst", A).unit_id
    made[0].title = "Debrief lesson"  # the review's title is now only the review's
    partners.create_agreement(session, system, AgreementSpec(
        title="Open memorandum", kind="letter_of_intent",
        parties=[str(partner.id), "unodc"], **green))
    events.create_event(session, system, EventSpec(
        title="Open conference", starts_on=date(2026, 4, 1), organizers=[str(partner.id)],
        **green))
    experts.create_expert(session, system, ExpertSpec(name="Open expert",
                                                      partner=str(partner.id), **green))
    session.flush()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_text_of_a_record_some_readers_may_not_read_is_left_out(
        platform_db: Database) -> None:
    with platform_db.transaction() as session:
        _world(session, "AMBER+STRICT", B)
        reader = principal(session, "analyst", A)  # reads the GREEN records, not unit B's
        owner = principal(session, "analyst", B)  # reads both
        for word in ("walrusfinch", "ptarmiganhold", "quokkamere"):
            assert _types(session, reader, word) == set(), word
        # the linked records themselves are found by those who may read them, but the
        # GREEN documents do not carry their words for anyone
        assert _types(session, owner, "walrusfinch") == {"activity"}
        assert _types(session, owner, "ptarmiganhold") == {"partner"}
        assert _types(session, owner, "quokkamere") == set()  # reviews have no document


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_text_of_a_record_every_reader_may_read_is_kept(platform_db: Database) -> None:
    with platform_db.transaction() as session:
        _world(session, "GREEN", B)
        reader = principal(session, "partner_viewer", A)
        assert _types(session, reader, "walrusfinch") == {"activity", "lesson"}
        assert _types(session, reader, "ptarmiganhold") == {"partner", "agreement", "event",
                                                            "expert"}
        assert "lesson" in _types(session, reader, "quokkamere")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_change_of_handling_takes_the_text_out(platform_db: Database) -> None:
    with platform_db.transaction() as session:
        _world(session, "GREEN", B)
        reader = principal(session, "analyst", A)
        assert "agreement" in _types(session, reader, "ptarmiganhold")
        partner = partners.list_partners(session, Principal.system(), query="Ptarmiganhold")[0]
        partner.handling = "RED"
        session.flush()
        assert _types(session, reader, "ptarmiganhold") == set()
