"""Programmes, projects and activities, and the files attached to them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.access.policy import unguarded_get
from tocsin.search.files import attached_text
from tocsin.search.registry import INDEXER, Provider, SearchDoc, join_text, register, year_of
from tocsin.taskforce.programmes.tables import (
    Activity,
    ActivityCountry,
    ActivityCrimeArea,
    ActivityStage,
    Document,
    Participant,
    Result,
)


def _activity_key(_session: Session, row: Any) -> Iterable[object]:
    return [row.activity_id]


def _activity_facets(activity: Activity) -> dict[str, Any]:
    return {
        "year": year_of(activity.actual_start, activity.planned_start),
        "crime_areas": tuple(a.crime_area_code for a in activity.crime_areas),
        "stages": tuple(s.stage_code for s in activity.stages),
        "countries": tuple(c.country_code for c in activity.countries),
        "structures": tuple(s for s in [activity.implementing_structure] if s),
    }


class ActivityProvider(Provider):
    record_type = "activity"
    model = Activity

    def document(self, record: Activity) -> SearchDoc:
        partners = ", ".join(p.name or p.organization_code or "" for p in record.participants)
        results = [join_text(r.title, r.description) for r in record.results]
        return SearchDoc(
            record_type=self.record_type,
            record_id=str(record.id),
            title=record.title,
            body=join_text(record.identifier, record.description, partners, *results),
            handling=record.handling,
            owner_unit_id=record.owner_unit_id,
            url=f"/programmes/{record.id}",
            **_activity_facets(record),
        )


class ActivityFileProvider(Provider):
    """An attached file of an activity: its extracted text, under the activity's handling."""

    record_type = "document"
    model = Document

    def document(self, record: Document) -> SearchDoc | None:
        session = Session.object_session(record)
        # A file is part of its activity: its document carries the activity's handling code.
        activity = (unguarded_get(session, Activity, record.activity_id, why=INDEXER)
                    if session else None)
        if session is None or activity is None:
            return None
        text = attached_text(session, record.stored_path, record.mime_type)
        name = record.original_name or (Path(record.stored_path).name
                                        if record.stored_path else "")
        return SearchDoc(
            record_type=self.record_type,
            record_id=str(record.id),
            title=record.title,
            body=join_text(name, record.url, text),
            handling=activity.handling,
            owner_unit_id=activity.owner_unit_id,
            # The activity page lists its documents (with the handling code) in one section.
            url=f"/programmes/{activity.id}#documents",
            parent=f"activity:{activity.id}",
            **{**_activity_facets(activity),
               "year": year_of(record.document_date) or _activity_facets(activity)["year"]},
        )


def _documents_of(session: Session, activity: Any) -> Iterable[object]:
    return session.scalars(select(Document.id).where(Document.activity_id == activity.id))


def _documents_via_link(session: Session, row: Any) -> Iterable[object]:
    return session.scalars(select(Document.id).where(Document.activity_id == row.activity_id))


_FACET_LINKS = (ActivityCrimeArea, ActivityStage, ActivityCountry)

register(ActivityProvider(affected_by={
    **dict.fromkeys((*_FACET_LINKS, Participant, Result), _activity_key),
}))
# A file inherits its activity's handling code and facets, so both reindex it.
register(ActivityFileProvider(affected_by={
    Activity: _documents_of, **dict.fromkeys(_FACET_LINKS, _documents_via_link),
}))
