"""Cases, their assets and their co-operation requests.

Assets and requests have no handling code of their own: they are part of their case and
their documents carry the case's handling code and owning unit, as the pages apply them.
A case restricted to its team (*need to know*) is kept out of the index with its assets
and requests: the index's read filter knows handling codes and units, not teams, and a
search must never answer with words of a record the searcher may not open.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from tocsin.access.policy import unguarded_get, unguarded_select
from tocsin.cases.requests import KIND_LABELS
from tocsin.cases.tables import (
    Asset,
    AssetStage,
    Case,
    CaseNote,
    CoopRequest,
    Custody,
    RequestStatus,
    Subject,
    Valuation,
)
from tocsin.search.registry import INDEXER, Provider, SearchDoc, join_text, register, year_of


def _case_of(record: Any) -> Case | None:
    """The case an asset or request belongs to, when its text may be indexed."""
    session = Session.object_session(record)
    case = unguarded_get(session, Case, record.case_id, why=INDEXER) if session else None
    return None if case is None or case.need_to_know else case


def _facets(case: Case, *countries: str | None) -> dict[str, Any]:
    return {"crime_areas": tuple(a for a in [case.crime_area] if a),
            "countries": tuple(dict.fromkeys(c for c in (*countries, case.country) if c))}


class CaseProvider(Provider):
    record_type = "case"
    model = Case

    def document(self, record: Case) -> SearchDoc | None:
        if record.need_to_know:
            return None
        subjects = "; ".join(f"{s.caption} ({s.schema})" for s in record.subjects)
        return SearchDoc(
            record_type=self.record_type,
            record_id=str(record.id),
            title=f"{record.reference} · {record.title}",
            body=join_text(record.summary, subjects, *(n.text for n in record.notes),
                           f"case {record.status}"),
            handling=record.handling,
            owner_unit_id=record.owner_unit_id,
            url=f"/cases/{record.id}",
            year=year_of(record.opened_on),
            **_facets(record),
        )


class AssetProvider(Provider):
    record_type = "case_asset"
    model = Asset

    def document(self, record: Asset) -> SearchDoc | None:
        case = _case_of(record)
        if case is None:
            return None
        identifiers = "; ".join(f"{i.get('scheme', '')}: {i.get('value', '')}"
                                for i in record.identifiers or [])
        orders = [join_text(s.authority, s.order_reference, s.legal_basis, s.note)
                  for s in record.stages]
        trace = record.trace or {}
        return SearchDoc(
            record_type=self.record_type,
            record_id=str(record.id),
            title=record.description,
            body=join_text(
                f"{record.kind.replace('_', ' ')} in case {case.reference}, "
                f"stage {record.stage}", identifiers, record.third_parties,
                record.encumbrances, *orders, *(c.custodian for c in record.custody),
                trace.get("end_account")),
            handling=case.handling,
            owner_unit_id=case.owner_unit_id,
            url=f"/cases/assets/{record.id}",
            year=year_of(record.identified_on),
            **_facets(case, record.country),
        )


class RequestProvider(Provider):
    record_type = "coop_request"
    model = CoopRequest

    def document(self, record: CoopRequest) -> SearchDoc | None:
        case = _case_of(record)
        if case is None:
            return None
        label = KIND_LABELS.get(record.kind, record.kind)
        reasons = [join_text(h.article, h.reason) for h in record.history]
        return SearchDoc(
            record_type=self.record_type,
            record_id=str(record.id),
            title=f"{record.reference or f'Request {record.id}'} · {label}",
            body=join_text(
                f"{record.direction} request in case {case.reference}, "
                f"{record.status.replace('_', ' ')}",
                record.requesting_authority, record.requested_authority, record.legal_basis,
                record.subject_matter, record.facts, record.assistance, record.procedure,
                record.persons, record.purpose, *reasons),
            handling=case.handling,
            owner_unit_id=case.owner_unit_id,
            url=f"/cases/requests/{record.id}",
            year=year_of(record.created_on),
            **_facets(case, record.counterpart_country),
        )


def _case_key(_session: Session, row: Any) -> Iterable[object]:
    return [row.case_id]


def _asset_key(_session: Session, row: Any) -> Iterable[object]:
    return [row.asset_id]


def _request_key(_session: Session, row: Any) -> Iterable[object]:
    return [row.request_id]


def _assets_of(session: Session, case: Case) -> Iterable[object]:
    return session.scalars(unguarded_select(Asset.id, why=INDEXER)
                           .where(Asset.case_id == case.id))


def _requests_of(session: Session, case: Case) -> Iterable[object]:
    return session.scalars(unguarded_select(CoopRequest.id, why=INDEXER)
                           .where(CoopRequest.case_id == case.id))


register(CaseProvider(affected_by=dict.fromkeys((Subject, CaseNote), _case_key)))
# An asset or request carries its case's handling code, unit and restriction.
register(AssetProvider(affected_by={
    Case: _assets_of, **dict.fromkeys((AssetStage, Valuation, Custody), _asset_key)}))
register(RequestProvider(affected_by={Case: _requests_of, RequestStatus: _request_key}))
