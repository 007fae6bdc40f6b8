"""The case records of the shared web test world (``tests/web/world.py``) and an example
request for each state-changing route of ``/cases`` and ``/api/v1/cases``."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from tests.web.routes import LESSON_COORDINATORS, UNIT_WRITERS, Example
from tocsin.access.principal import Principal
from tocsin.cases import assets, records, requests
from tocsin.cases.spec import (
    AssetSpec,
    AuthoritySpec,
    CaseSpec,
    MemberSpec,
    RequestSpec,
    StageSpec,
    SubjectSpec,
    TaskSpec,
)
from tocsin.money import jobs
from tocsin.money.trace import TraceConfig
from tocsin.settings import Settings

START = "070:100428660"
ORDER = {"authority": "World court", "order_reference": "W-ORD", "order_date": "2022-03-01",
         "legal_basis": "World code s. 1", "order_status": "final"}
COMPLETE = {"kind": "mla", "counterpart_country": "AT", "reference": "W-MLA",
            "requesting_authority": "World prosecutor", "requested_authority": "World MoJ",
            "legal_basis": "UNTOC art. 18", "language": "en", "subject_matter": "Laundering",
            "facts": "Traced.", "assistance": "Records", "purpose": "Evidence",
            "created_on": "2022-02-02"}


def seed(session: Session, settings: Settings, ids: dict[str, Any], owner: str) -> None:
    """A case of ``owner`` (AMBER) with a team, a task, a frozen asset, a draft request
    ready to send and a directory entry."""
    system = Principal.system()
    case = records.create_case(session, system, CaseSpec(
        reference="WORLD-CASE", title="World case", opened_on=date(2022, 1, 1),
        handling="AMBER", owner_unit=owner))
    records.add_member(session, system, case.id, MemberSpec(username=ids["target_user"]))
    ids["case"] = case.id
    records.add_subject(session, system, case.id, SubjectSpec.model_validate({
        "schema": "Person", "properties": {"name": ["Ivan Sidorov"]}}))
    ids["case_task"] = records.add_task(session, system, case.id, TaskSpec(
        title="World task", due_on=date(2022, 6, 1))).id
    asset = assets.create_asset(session, system, case.id, AssetSpec(
        kind="real_estate", description="World flat", currency="EUR",
        estimated_value=1000, identified_on=date(2022, 2, 1)))  # type: ignore[arg-type]
    ids["case_asset"] = asset.id
    ids["case_stage"] = assets.add_stage(session, system, asset.id, StageSpec.model_validate(
        {"stage": "freeze", "on_date": "2022-03-01", **ORDER})).id
    ids["case_request"] = requests.create_request(
        session, system, case.id, RequestSpec.model_validate(COMPLETE)).id
    ids["case_authority"] = requests.save_authority(session, system, AuthoritySpec(
        country="AT", kind="mla", name="World ministry", source="world", as_of=date(2022, 1, 1),
        fictional=True)).id
    trace = jobs.trace_now(session, system, settings, ids["set"], [START], [],
                           TraceConfig(max_nodes=jobs.WEB_TRACE_NODES))["trace"]
    ids["trace_end"] = max(trace["end_points"], key=lambda e: e["amount"])["account"]


def _asset(_i: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "vehicle", "description": "New car", "identified_on": "2022-02-01"}


def _trace(i: dict[str, Any]) -> dict[str, Any]:
    return {"set_id": i["set"], "accounts": [START], "end_account": i["trace_end"],
            "identified_on": "2022-10-01"}


def _trace_form(i: dict[str, Any]) -> dict[str, Any]:
    return {**_trace(i), "set_id": str(i["set"]), "accounts": START}


_ENTITIES = (b'{"id": "w-1", "schema": "Person", "properties": {"name": ["World person"]}}\n'
             b'{"id": "w-2", "schema": "Address", "properties": {"full": ["World street"]}}\n')


def _entities(_i: dict[str, Any]) -> dict[str, Any]:
    return {"file": ("world.jsonl", _ENTITIES, "application/x-ndjson")}


_case = {"reference": "WORLD-NEW", "title": "New world case", "handling": "AMBER"}
_stage = {"stage": "confiscate", "on_date": "2023-01-01", **ORDER}
_authority = {"country": "AT", "kind": "extradition", "name": "World desk", "source": "world",
              "as_of": "2022-01-01"}
W = UNIT_WRITERS

EXAMPLES: dict[str, Example] = {
    # JSON API
    "POST /api/v1/cases": Example(W, json=lambda i: {**_case, "owner_unit": "tntd-spmu"}),
    "PUT /api/v1/cases/{case_id}": Example(W, json=lambda i: {
        "reference": "WORLD-CASE", "title": "Renamed", "opened_on": "2022-01-01",
        "handling": "AMBER", "owner_unit": "tntd-spmu"}),
    "POST /api/v1/cases/{case_id}/status": Example(W, json=lambda i: {"status": "closed"}),
    "POST /api/v1/cases/{case_id}/members": Example(W, json=lambda i: {
        "username": "world-analyst"}),
    "DELETE /api/v1/cases/{case_id}/members/{username}": Example(W),
    "POST /api/v1/cases/{case_id}/subjects": Example(W, json=lambda i: {
        "schema": "Person", "properties": {"name": ["World person"]}}),
    "POST /api/v1/cases/{case_id}/subjects/screen": Example(W),
    "POST /api/v1/cases/{case_id}/subjects/import": Example(W, files=_entities),
    "POST /api/v1/cases/{case_id}/links": Example(W, json=lambda i: {
        "kind": "transaction_set", "set_id": i["set"]}),
    "POST /api/v1/cases/{case_id}/notes": Example(W, json=lambda i: {"text": "A note"}),
    "POST /api/v1/cases/{case_id}/tasks": Example(W, json=lambda i: {
        "title": "Another task", "due_on": "2022-07-01"}),
    "POST /api/v1/cases/tasks/{task_id}/status": Example(W, json=lambda i: {"status": "done"}),
    "POST /api/v1/cases/{case_id}/assets": Example(W, json=_asset),
    "POST /api/v1/cases/{case_id}/assets/from-trace": Example(W, json=_trace),
    "POST /api/v1/cases/assets/{asset_id}/stages": Example(W, json=lambda i: _stage),
    "POST /api/v1/cases/assets/{asset_id}/valuations": Example(W, json=lambda i: {
        "on_date": "2022-04-01", "amount": "900", "currency": "EUR"}),
    "POST /api/v1/cases/assets/{asset_id}/custody": Example(W, json=lambda i: {
        "custodian": "World office", "since": "2022-03-01", "monthly_cost": "10"}),
    "POST /api/v1/cases/assets/{asset_id}/sale": Example(W, json=lambda i: {
        "sold_on": "2022-05-01", "amount": "950", "order_reference": "W-SALE"}),
    "POST /api/v1/cases/stages/{stage_id}/order": Example(W, json=lambda i: {
        "order_status": "under_appeal"}),
    "POST /api/v1/cases/{case_id}/requests": Example(W, json=lambda i: {
        **COMPLETE, "reference": "W-MLA-2"}),
    "PUT /api/v1/cases/requests/{request_id}": Example(W, json=lambda i: {
        **COMPLETE, "facts": "Changed."}),
    "POST /api/v1/cases/requests/{request_id}/status": Example(W, json=lambda i: {
        "status": "sent", "on_date": "2022-02-03"}),
    "POST /api/v1/cases/requests/{request_id}/letters": Example(W, json=lambda i: {
        "format": "docx"}),
    "POST /api/v1/cases/{case_id}/exchanges": Example(W, json=lambda i: {
        "direction": "received", "what": "Records", "counterpart": "World bank",
        "at": "2022-05-01T10:00:00Z"}),
    "POST /api/v1/cases/authorities": Example(LESSON_COORDINATORS, json=lambda i: _authority),
    "PUT /api/v1/cases/authorities/{authority_id}": Example(
        LESSON_COORDINATORS, json=lambda i: {**_authority, "kind": "mla"}),
    # pages
    "POST /cases": Example(W, form=lambda i: {**_case, "owner_unit": "tntd-spmu"}),
    "POST /cases/{case_id}/edit": Example(W, form=lambda i: {
        "reference": "WORLD-CASE", "title": "Renamed", "summary": "", "opened_on": "2022-01-01",
        "handling": "AMBER", "owner_unit": "tntd-spmu"}),
    "POST /cases/{case_id}/status": Example(W, form=lambda i: {"status": "closed"}),
    "POST /cases/{case_id}/members": Example(W, form=lambda i: {"username": "world-analyst"}),
    "POST /cases/{case_id}/members/remove": Example(W, form=lambda i: {
        "username": i["target_user"]}),
    "POST /cases/{case_id}/subjects": Example(W, form=lambda i: {
        "schema": "Company", "name": "World company", "properties": "jurisdiction: at"}),
    "POST /cases/{case_id}/subjects/screen": Example(W),
    "POST /cases/{case_id}/subjects/import": Example(W, files=_entities),
    "POST /cases/{case_id}/links": Example(W, form=lambda i: {
        "kind": "transaction_set", "set_id": str(i["set"])}),
    "POST /cases/{case_id}/notes": Example(W, form=lambda i: {"text": "A note"}),
    "POST /cases/{case_id}/tasks": Example(W, form=lambda i: {
        "title": "Another task", "due_on": "2022-07-01"}),
    "POST /cases/tasks/{task_id}/status": Example(W, form=lambda i: {"status": "done"}),
    "POST /cases/{case_id}/exchanges": Example(W, form=lambda i: {
        "direction": "sent", "what": "Records", "counterpart": "World bank"}),
    "POST /cases/{case_id}/assets": Example(W, form=lambda i: {
        **_asset(i), "identifiers": "vin: WORLD0000000001", "estimated_value": "10"}),
    "POST /cases/{case_id}/assets/from-trace": Example(W, form=_trace_form),
    "POST /cases/assets/{asset_id}/stages": Example(W, form=lambda i: _stage),
    "POST /cases/assets/{asset_id}/valuations": Example(W, form=lambda i: {
        "on_date": "2022-04-01", "amount": "900", "currency": "EUR"}),
    "POST /cases/assets/{asset_id}/custody": Example(W, form=lambda i: {
        "custodian": "World office", "since": "2022-03-01", "monthly_cost": "10"}),
    "POST /cases/assets/{asset_id}/sale": Example(W, form=lambda i: {
        "sold_on": "2022-05-01", "amount": "950", "order_reference": "W-SALE"}),
    "POST /cases/stages/{stage_id}/order": Example(W, form=lambda i: {
        "order_status": "under_appeal", "executed_on": "2022-03-02"}),
    "POST /cases/{case_id}/requests": Example(W, form=lambda i: {
        **COMPLETE, "reference": "W-MLA-2", "asset_ids": str(i["case_asset"])}),
    "POST /cases/requests/{request_id}/status": Example(W, form=lambda i: {
        "status": "sent", "on_date": "2022-02-03"}),
    "POST /cases/requests/{request_id}/letters": Example(W, form=lambda i: {
        "format": "pdf"}),
    "POST /cases/authorities": Example(LESSON_COORDINATORS, form=lambda i: {
        **_authority, "languages": "de, en"}),
    "POST /cases/authorities/{authority_id}": Example(LESSON_COORDINATORS, form=lambda i: {
        **_authority, "kind": "mla", "languages": "de"}),
}

PARAMS = {"case_id": "case", "task_id": "case_task", "asset_id": "case_asset",
          "stage_id": "case_stage", "request_id": "case_request",
          "authority_id": "case_authority"}
