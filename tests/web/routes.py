"""Every state-changing route of the application, and an example request for each.

The routes come from the application itself: the OpenAPI description of
``create_app()`` for the JSON API (every POST, PUT, PATCH and DELETE under
``/api/v1``) and the page routers ``create_app()`` includes for the HTML forms.
A route added later is found here without anyone listing it; when it has no
example below, a request is made from its OpenAPI schema or form parameters, and
a test fails if that request is not good enough to reach the route's checks.
"""

from __future__ import annotations

import importlib
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from tests.factories import PASSWORD
from tests.web.world import OWN, csv_text
from tocsin.settings import Settings
from tocsin.web.app import ROUTERS, create_app

WRITES = ("POST", "PUT", "PATCH", "DELETE")

ALL = frozenset({"administrator", "coordinator", "analyst", "fund_manager", "partner_viewer",
                 "analyst_other_unit"})
#: Who may change records of the world's unit (``tntd-spmu``).
UNIT_WRITERS = frozenset({"administrator", "coordinator", "analyst"})
#: Who may change records of their own unit (an import lands there).
OWN_UNIT_WRITERS = UNIT_WRITERS | {"analyst_other_unit"}
JUDGES = ALL - {"partner_viewer"}
WEIGHT_EDITORS = OWN_UNIT_WRITERS
ADMIN = frozenset({"administrator"})
JOB_OWNERS = frozenset({"administrator", "analyst"})
LESSON_COORDINATORS = frozenset({"administrator", "coordinator"})

#: ``write``: only ``allowed`` may change anything, everyone else gets 403 or 404 and
#: nothing changes. ``read``: a POST that computes without storing: everyone may, and
#: nothing changes for anyone. ``preview``: everyone may run it, but only ``allowed``
#: store its results. ``self``: everyone acts on their own account.
Mode = str

#: Routes no signed-in role makes (``POST /login`` signs in).
NOT_ROLE_ROUTES = {"POST /login": "signing in is done before there is a role"}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # with ``{name}`` placeholders
    kind: str  # "api" or "page"
    #: Form or JSON fields the route declares: name → Python type or JSON schema.
    fields: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    #: Form fields with a default: an empty value means "not given".
    optional: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)


@dataclass(frozen=True)
class Example:
    allowed: frozenset[str]
    mode: Mode = "write"
    json: Callable[[dict[str, Any]], Any] | None = None
    form: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    files: Callable[[dict[str, Any]], dict[str, tuple[str, bytes, str]]] | None = None
    #: Path parameters other than the default for their name.
    params: dict[str, str] = field(default_factory=dict)


def _openapi_body(operation: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    content = operation.get("requestBody", {}).get("content", {})
    for media in ("application/json", "multipart/form-data",
                  "application/x-www-form-urlencoded"):
        if media in content:
            schema = _resolve(content[media]["schema"], spec)
            return {"__media__": media, **schema.get("properties", {}),
                    "__required__": schema.get("required", [])}
    return {}


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _app() -> FastAPI:
    folder = Path(tempfile.mkdtemp(prefix="tocsin-routes-"))
    return create_app(Settings(data_dir=folder / "data",  # never connected to
                               database_url=f"sqlite:///{folder / 'routes.db'}",
                               secret_key="r" * 40))  # type: ignore[arg-type]


def state_changing_routes(app: FastAPI | None = None) -> list[Route]:
    """Every POST/PUT/PATCH/DELETE of the API (from OpenAPI) and of the pages."""
    app = app or _app()
    spec = app.openapi()
    routes = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method.upper() in WRITES and path.startswith("/api/v1/"):
                routes.append(Route(method.upper(), path, "api",
                                    _openapi_body(operation, spec)))
    for name in ROUTERS:  # the modules create_app() includes
        pages = getattr(importlib.import_module(f"tocsin.web.routers.{name}"), "pages", None)
        for route in getattr(pages, "routes", []):
            if not isinstance(route, APIRoute):
                continue
            path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
            fields = {f.name: f.field_info.annotation for f in route.dependant.body_params}
            optional = frozenset(f.name for f in route.dependant.body_params
                                 if not f.field_info.is_required())
            for method in sorted(route.methods & set(WRITES)):
                routes.append(Route(method, path, "page", fields, optional))
    return routes


# --- example requests --------------------------------------------------------------------

def _activity_row(ids: dict[str, Any], **changes: str) -> dict[str, Any]:
    from tocsin.taskforce.programmes.spec import ActivitySpec
    from tocsin.taskforce.tabular.columns import spec_to_row

    spec = ActivitySpec(identifier="XM-W-FORM", title="From the form", level="project",
                        reporting_org_ref="XM-OSCE", owner_unit=OWN, handling="GREEN",
                        parent_identifier="XM-W-P", planned_start=date(2026, 1, 1))
    return {**spec_to_row(spec), **changes}


def _indicators(_ids: dict[str, Any]) -> dict[str, tuple[str, bytes, str]]:
    text = csv_text([["crime_area", "country", "year", "kind", "value", "unit", "source",
                      "reliability", "credibility"],
                     ["drug_trafficking", "AL", "2024", "seizures", "3", "seizures",
                      "World source", "B", "2"]])
    return {"file": ("indicators.csv", text.encode(), "text/csv")}


_new_activity = {"identifier": "XM-W-NEW", "title": "New", "reporting_org_ref": "XM-OSCE",
                 "planned_start": "2026-01-01", "owner_unit": OWN, "handling": "GREEN"}
_own = {"owner_unit": OWN, "handling": "GREEN"}

EXAMPLES: dict[str, Example] = {
    # commitments
    "POST /api/v1/commitments": Example(UNIT_WRITERS, json=lambda i: {
        "code": "world:new", "instrument_code": "untoc", "summary": "New", **_own}),
    "PUT /api/v1/commitments/{commitment_id}": Example(UNIT_WRITERS, json=lambda i: {
        "code": "world:1", "instrument_code": "untoc", "summary": "Changed", **_own}),
    "DELETE /api/v1/commitments/{commitment_id}": Example(UNIT_WRITERS),
    "PUT /api/v1/commitments/{commitment_id}/activities": Example(
        UNIT_WRITERS, json=lambda i: {"activity_ids": [i["leaf"]]}),
    "POST /api/v1/commitments/{commitment_id}/assessments": Example(
        UNIT_WRITERS, json=lambda i: {"status": "in_progress", "rationale": "started"}),
    "POST /commitments": Example(UNIT_WRITERS, form=lambda i: {
        "code": "world:page", "instrument_code": "untoc", "summary": "From a page", **_own}),
    "POST /commitments/{commitment_id}/assess": Example(
        UNIT_WRITERS, form=lambda i: {"status": "in_progress", "rationale": "started"}),
    "POST /commitments/{commitment_id}/activities": Example(
        UNIT_WRITERS, form=lambda i: {"activities": str(i["leaf"])}),
    "POST /commitments/{commitment_id}/delete": Example(UNIT_WRITERS),
    # programmes
    "POST /api/v1/programmes": Example(UNIT_WRITERS, json=lambda i: _new_activity),
    "POST /api/v1/programmes/import/iati": Example(OWN_UNIT_WRITERS, files=lambda i: {
        "file": ("activities.xml", i["iati"], "application/xml")}),
    "POST /api/v1/programmes/import/table": Example(OWN_UNIT_WRITERS, files=lambda i: {
        "file": ("activities.csv", i["table"], "text/csv")}),
    "PUT /api/v1/programmes/{activity_id}": Example(UNIT_WRITERS, json=lambda i: {
        **_new_activity, "identifier": "XM-W-A1", "title": "Renamed", "level": "project",
        "parent_identifier": "XM-W-P"}),
    "DELETE /api/v1/programmes/{activity_id}": Example(UNIT_WRITERS,
                                                       params={"activity_id": "leaf"}),
    "POST /programmes": Example(UNIT_WRITERS, form=lambda i: _activity_row(i)),
    "POST /programmes/import": Example(OWN_UNIT_WRITERS, form=lambda i: {"kind": "table"},
                                       files=lambda i: {"file": ("activities.csv", i["table"],
                                                                 "text/csv")}),
    "POST /programmes/import/held/{token}": Example(
        frozenset({"analyst"}), form=lambda i: {"action": "replace"},
        params={"token": "iati_upload"}),
    "POST /programmes/{activity_id}": Example(UNIT_WRITERS, form=lambda i: _activity_row(
        i, identifier="XM-W-A1", title="Renamed from the form")),
    "POST /programmes/{activity_id}/delete": Example(UNIT_WRITERS,
                                                     params={"activity_id": "leaf"}),
    "POST /programmes/{activity_id}/results": Example(UNIT_WRITERS, form=lambda i: {
        "type": "1", "title": "Result", "indicator": "Indicator",
        "period_start": "2026-01-01", "period_end": "2026-12-31"}),
    "POST /programmes/{activity_id}/documents": Example(UNIT_WRITERS, form=lambda i: {
        "title": "Link", "url": "https://example.org/report"}),
    "POST /programmes/documents/{document_id}/delete": Example(UNIT_WRITERS),
    # lessons
    "POST /api/v1/lessons/reviews": Example(UNIT_WRITERS, json=lambda i: {
        "title": "Review", "planned": "p", "happened": "h", "why_different": "w",
        "next_time": "n", "outcome": "worked", **_own}),
    "POST /api/v1/lessons/observations": Example(UNIT_WRITERS, json=lambda i: {
        "title": "Observation", "observation": "o", "outcome": "worked", **_own}),
    "POST /api/v1/lessons/design": Example(ALL, "read", json=lambda i: {"title": "World"}),
    "POST /api/v1/lessons/{lesson_id}/transitions": Example(
        LESSON_COORDINATORS, json=lambda i: {"transition": "accept"}),
    "POST /api/v1/lessons/{lesson_id}/acknowledgements": Example(
        UNIT_WRITERS, json=lambda i: {"activity_id": i["activity"]}),
    "POST /api/v1/lessons/actions/{action_id}/done": Example(
        UNIT_WRITERS, params={"action_id": "remedial_action"}),
    "POST /lessons/new": Example(UNIT_WRITERS, form=lambda i: {
        "title": "Review", "planned": "p", "happened": "h", "why_different": "w",
        "next_time": "n", "outcome": "worked", **_own}),
    "POST /lessons/{lesson_id}/acknowledge": Example(
        UNIT_WRITERS, form=lambda i: {"activity_id": str(i["activity"])}),
    "POST /lessons/{lesson_id}/advance": Example(LESSON_COORDINATORS,
                                                 form=lambda i: {"transition": "accept"}),
    "POST /lessons/actions/{action_id}/done": Example(
        UNIT_WRITERS, params={"action_id": "remedial_action"}),
    # partners
    "POST /api/v1/partners": Example(UNIT_WRITERS, json=lambda i: {
        "name": "New institute", "kind": "civil_society", **_own}),
    "POST /api/v1/partners/agreements": Example(UNIT_WRITERS, json=lambda i: {
        "title": "New agreement", "kind": "letter_of_intent",
        "parties": [str(i["partner"]), "unodc"], **_own}),
    "POST /api/v1/partners/{partner_id}/focal-points": Example(
        UNIT_WRITERS, json=lambda i: {"name": "Focal point"}),
    "POST /partners": Example(UNIT_WRITERS, form=lambda i: {
        "name": "Page institute", "kind": "civil_society", **_own}),
    "POST /partners/agreements": Example(UNIT_WRITERS, form=lambda i: {
        "title": "Page agreement", "kind": "letter_of_intent",
        "parties": [str(i["partner"]), "unodc"], **_own}),
    "POST /partners/{partner_id}/focal-points": Example(UNIT_WRITERS,
                                                        form=lambda i: {"name": "Focal"}),
    # events
    "POST /api/v1/events": Example(UNIT_WRITERS, json=lambda i: {
        "title": "New event", "starts_on": "2026-05-01", **_own}),
    "POST /api/v1/events/{event_id}/panels": Example(UNIT_WRITERS,
                                                     json=lambda i: {"title": "Panel 2"}),
    "POST /api/v1/events/panels/{panel_id}/speakers": Example(UNIT_WRITERS,
                                                              json=lambda i: {"name": "S"}),
    "POST /api/v1/events/panels/{panel_id}/recommendations": Example(
        UNIT_WRITERS, json=lambda i: {"text": "Another"}),
    "POST /api/v1/events/recommendations/{recommendation_id}/actions": Example(
        UNIT_WRITERS, json=lambda i: {"description": "More", "owner": OWN,
                                      "due_on": "2026-07-01"}),
    "POST /api/v1/events/recommendations/{recommendation_id}/close": Example(
        UNIT_WRITERS, json=lambda i: {"reason": "done"}),
    "POST /api/v1/events/actions/{action_id}/status": Example(
        UNIT_WRITERS, json=lambda i: {"status": "done"}, params={"action_id": "follow_up"}),
    "POST /events": Example(UNIT_WRITERS, form=lambda i: {
        "title": "Page event", "starts_on": "2026-05-01", **_own}),
    "POST /events/{event_id}/panels": Example(UNIT_WRITERS, form=lambda i: {"title": "P"}),
    "POST /events/{event_id}/participants": Example(UNIT_WRITERS,
                                                    form=lambda i: {"name": "Someone"}),
    "POST /events/{event_id}/documents": Example(UNIT_WRITERS,
                                                 form=lambda i: {"title": "Agenda"}),
    "POST /events/panels/{panel_id}/speakers": Example(UNIT_WRITERS,
                                                       form=lambda i: {"name": "S"}),
    "POST /events/panels/{panel_id}/recommendations": Example(
        UNIT_WRITERS, form=lambda i: {"text": "Another"}),
    "POST /events/recommendations/{recommendation_id}/actions": Example(
        UNIT_WRITERS, form=lambda i: {"description": "More", "owner": OWN,
                                      "due_on": "2026-07-01"}),
    "POST /events/recommendations/{recommendation_id}/close": Example(
        UNIT_WRITERS, form=lambda i: {"reason": "done"}),
    "POST /events/actions/{action_id}/status": Example(
        UNIT_WRITERS, form=lambda i: {"status": "done"}, params={"action_id": "follow_up"}),
    # experts
    "POST /api/v1/experts": Example(UNIT_WRITERS, json=lambda i: {"name": "New", **_own}),
    "POST /api/v1/experts/{expert_id}/assignments": Example(UNIT_WRITERS, json=lambda i: {
        "activity_id": i["activity"], "starts_on": "2026-01-01", "ends_on": "2026-02-01"}),
    "POST /experts": Example(UNIT_WRITERS, form=lambda i: {"name": "Page expert", **_own}),
    "POST /experts/{expert_id}/assignments": Example(UNIT_WRITERS, form=lambda i: {
        "activity_id": str(i["activity"]), "starts_on": "2026-01-01",
        "ends_on": "2026-02-01"}),
    "POST /experts/{expert_id}/availability": Example(UNIT_WRITERS, form=lambda i: {
        "starts_on": "2026-01-01", "ends_on": "2026-02-01"}),
    # coherence
    "POST /api/v1/coherence/indicators/import": Example(
        UNIT_WRITERS, form=lambda i: {"unit": OWN}, files=_indicators),
    "POST /api/v1/coherence/groups/rank": Example(ALL, "read",
                                                  json=lambda i: {"weights": {"violence": 2}}),
    "PUT /api/v1/coherence/weights": Example(WEIGHT_EDITORS,
                                             json=lambda i: {"weights": {"violence": 2}}),
    "POST /api/v1/coherence/duplicates/{pair}/judgement": Example(
        JUDGES, json=lambda i: {"verdict": "distinct"}),
    "POST /api/v1/coherence/whatif": Example(ALL, "read", json=lambda i: {"additions": [{
        "title": "Planned", "crime_areas": ["drug_trafficking"], "year": 2026,
        "budget": 1000}]}),
    "POST /coherence/groups/rank": Example(ALL, "read", form=lambda i: {"w_violence": "2"}),
    "POST /coherence/groups/weights": Example(WEIGHT_EDITORS,
                                              form=lambda i: {"w_violence": "2"}),
    "POST /coherence/duplicates/{pair}/judge": Example(JUDGES,
                                                       form=lambda i: {"verdict": "distinct"}),
    "POST /coherence/whatif": Example(ALL, "read", form=lambda i: {
        "title": "Planned", "crime_area": "drug_trafficking", "year": "2026",
        "budget": "1000"}),
    # investigations
    "POST /api/v1/investigations/sets": Example(UNIT_WRITERS, form=lambda i: {
        "format": "amlworld", "name": "Uploaded set", "handling": "GREEN", "unit": OWN},
        files=lambda i: {"file": ("Tiny_Trans.csv", i["transactions"], "text/csv")}),
    # the guided import: whoever may import into their unit uploads; the upload is its
    # uploader's alone (the world's is the analyst's)
    "POST /investigations/import": Example(OWN_UNIT_WRITERS, files=lambda i: {
        "file": ("transfers_us.csv", i["wizard_file"], "text/csv")}),
    "POST /investigations/import/{token}": Example(frozenset({"analyst"}), form=lambda i: {
        "action": "import", "name": "Wizard set", "handling": "GREEN", "unit": OWN,
        "base_currency": "EUR", "date_format": "%m/%d/%Y", "decimal": ".", "negative": "swap",
        "field:transaction.date": "Posted Date", "field:transaction.amount": "Amount",
        "field:transaction.currency": "Currency",
        "field:source.account": "Sender Account", "field:target.account": "Receiver Account",
        "save_as": ""}),
    # a config that finds nothing: stored, it would wipe the owner's findings
    "POST /api/v1/investigations/sets/{set_id}/detect": Example(
        UNIT_WRITERS, "preview", json=lambda i: {
            "detectors": ["structuring"], "config": {"structuring": {"min_count": 100000}}}),
    "POST /api/v1/investigations/sets/{set_id}/trace": Example(
        ALL, "read", json=lambda i: {"accounts": ["8000EBD30"]}),
    "POST /api/v1/investigations/sets/{set_id}/score": Example(ALL, "read",
                                                               json=lambda i: {"top": 5}),
    # Bitcoin sets: a clustering is kept by the owning unit, a preview for the others;
    # tags are the owning unit's to add; a trace stores nothing
    "POST /api/v1/investigations/sets/{set_id}/bitcoin/cluster": Example(
        UNIT_WRITERS, "preview", json=lambda i: {}, params={"set_id": "btc_set"}),
    "POST /investigations/sets/{set_id}/bitcoin/cluster": Example(
        UNIT_WRITERS, "preview", params={"set_id": "btc_set"}),
    "POST /api/v1/investigations/sets/{set_id}/bitcoin/tags": Example(
        UNIT_WRITERS, files=lambda i: {"file": ("case.yaml", i["tagpack"], "text/yaml")},
        params={"set_id": "btc_set"}),
    "POST /investigations/sets/{set_id}/bitcoin/tags": Example(
        UNIT_WRITERS, files=lambda i: {"file": ("case.yaml", i["tagpack"], "text/yaml")},
        params={"set_id": "btc_set"}),
    "POST /api/v1/investigations/sets/{set_id}/ethereum/tags": Example(
        UNIT_WRITERS, files=lambda i: {"file": ("eth.yaml", i["eth_tagpack"], "text/yaml")},
        params={"set_id": "eth_set"}),
    "POST /investigations/sets/{set_id}/ethereum/tags": Example(
        UNIT_WRITERS, files=lambda i: {"file": ("eth.yaml", i["eth_tagpack"], "text/yaml")},
        params={"set_id": "eth_set"}),
    "POST /api/v1/investigations/sets/{set_id}/bitcoin/trace": Example(
        ALL, "read", json=lambda i: {"start": "13YiRgpov7tAQt22gFgDf12cDS3s9MWbSU"},
        params={"set_id": "btc_set"}),
    # a bank set's actor table is its owning unit's to change
    "POST /api/v1/investigations/sets/{set_id}/actors": Example(
        UNIT_WRITERS, json=lambda i: {"actor": "world-exchange", "accounts": [], "mode": "remove"}),
    "POST /investigations/sets/{set_id}/actors": Example(UNIT_WRITERS, form=lambda i: {
        "actor": "other-exchange", "accounts": i["actor_account"]}),
    "POST /investigations/sets/{set_id}/actors/remove": Example(UNIT_WRITERS, form=lambda i: {
        "actor": "world-exchange", "account": i["actor_account"]}),
    # screening: lists are imported by whoever may write records of a unit; a screen keeps
    # its subject for those, a preview for the others; judgements are the subject's unit's
    "POST /api/v1/screening/lists": Example(OWN_UNIT_WRITERS, form=lambda i: {"format": "un"},
                                            files=lambda i: {"file": ("un.xml", i["un_list"],
                                                                      "text/xml")}),
    "POST /screening/lists": Example(OWN_UNIT_WRITERS, form=lambda i: {"format": "un"},
                                     files=lambda i: {"file": ("un.xml", i["un_list"],
                                                               "text/xml")}),
    "POST /api/v1/screening/screen": Example(OWN_UNIT_WRITERS, "preview", json=lambda i: {
        "entities": [{"schema": "Person", "properties": {"name": ["Olena Kovalenko"]}}]}),
    "POST /screening/screen": Example(OWN_UNIT_WRITERS, "preview", form=lambda i: {
        "name": "Olena Kovalenko", "entity_type": "Person"}),
    "POST /api/v1/match/{dataset}": Example(ALL, "read", json=lambda i: {
        "queries": {"q": {"schema": "Person", "properties": {"name": ["Ivan Sidorov"]}}}}),
    "POST /api/v1/screening/subjects/{subject_id}/judgements": Example(
        UNIT_WRITERS, json=lambda i: {"list": "un_sc", "entity_id": i["entry"],
                                      "verdict": "no_match"}),
    "POST /screening/subjects/{subject_id}/judge": Example(UNIT_WRITERS, form=lambda i: {
        "list_key": "un_sc", "entity_id": i["entry"], "verdict": "no_match"}),
    "POST /api/v1/screening/alerts/{alert_id}/close": Example(UNIT_WRITERS),
    "POST /screening/alerts/{alert_id}/close": Example(UNIT_WRITERS),
    "POST /api/v1/screening/sets/{set_id}/screen": Example(UNIT_WRITERS, json=lambda i: {}),
    "POST /screening/sets/{set_id}/screen": Example(UNIT_WRITERS),
    # the world's set has no named parties: the detector and the counterparty screen keep
    # nothing for anyone (tests/screening covers what a writer keeps)
    "POST /api/v1/screening/sets/{set_id}/listed-parties": Example(ALL, "read",
                                                                   json=lambda i: {}),
    # the world's detection run found nothing: every role is told the finding does not exist
    "POST /api/v1/screening/sets/{set_id}/counterparties": Example(
        frozenset(), json=lambda i: {"finding": "no-such-finding"}),
    "POST /screening/sets/{set_id}/listed-parties": Example(ALL, "read"),
    "POST /screening/sets/{set_id}/counterparties": Example(
        frozenset(), form=lambda i: {"finding": "no-such-finding"}),
    # administration and one's own account
    "POST /admin/users": Example(ADMIN, form=lambda i: {
        "username": "world-new", "role": "analyst", "unit": OWN}),
    "POST /admin/users/{username}/active": Example(ADMIN, form=lambda i: {"active": "0"}),
    "POST /admin/users/{username}/role": Example(ADMIN, form=lambda i: {"role": "coordinator"}),
    "POST /admin/trash/{item_id}/restore": Example(ADMIN),
    "POST /logout": Example(ALL, "self"),
    # a job is its owner's: the world's interrupted job belongs to the analyst
    "POST /api/v1/investigations/jobs/{job_id}/run-again": Example(JOB_OWNERS),
    "POST /investigations/jobs/{job_id}/run-again": Example(JOB_OWNERS),
    "POST /account/password": Example(ALL, "self", form=lambda i: {
        "current_password": PASSWORD, "new_password": "Another-horse-battery-7",
        "repeat_password": "Another-horse-battery-7"}),
    "POST /account/language": Example(ALL, "self", form=lambda i: {"language": "fr"}),
    "POST /api/v1/me/password": Example(ALL, "self", json=lambda i: {
        "current_password": PASSWORD, "new_password": "Another-horse-battery-7"}),
}

#: Path parameter → key of the world's ids.
PARAMS = {"commitment_id": "commitment", "activity_id": "activity", "document_id": "document",
          "lesson_id": "lesson", "action_id": "remedial_action", "partner_id": "partner",
          "event_id": "event", "panel_id": "panel", "recommendation_id": "recommendation",
          "expert_id": "expert", "set_id": "set", "pair": "pair", "username": "target_user",
          "job_id": "job", "item_id": "trash_item", "subject_id": "subject",
          "alert_id": "alert", "dataset": "dataset", "token": "upload"}


def _add_topic_examples() -> None:
    """Topics that keep their world records and examples next to their own tests."""
    from tests.cases import world as cases
    from tests.safeguards import world as safeguards

    EXAMPLES.update(cases.EXAMPLES)
    PARAMS.update(cases.PARAMS)
    EXAMPLES.update(safeguards.EXAMPLES)
    PARAMS.update(safeguards.PARAMS)


_add_topic_examples()


def path_for(route: Route, ids: dict[str, Any], example: Example | None) -> str:
    overrides = example.params if example else {}
    missing = [p for p in route.params if p not in overrides and p not in PARAMS]
    assert not missing, f"{route.key}: add the world's record for {missing} to PARAMS"
    return route.path.format(**{p: ids[overrides.get(p, PARAMS.get(p, ""))]
                                for p in route.params})


def _sample(schema: Any) -> Any:
    """A value of a JSON schema's type (or a Python annotation's) for a generated request."""
    if not isinstance(schema, dict):
        text = str(schema)
        return [] if text.startswith("list") else "1" if "int" in text else "x"
    kind = schema.get("type") or next((s.get("type") for s in schema.get("anyOf", [])
                                       if s.get("type") != "null"), "string")
    if schema.get("format") == "date":
        return "2026-01-01"
    return {"integer": 1, "number": 1.0, "boolean": False, "array": [],
            "object": {}}.get(kind, "x")


def generated(route: Route) -> Example:
    """An example made from the route's schema: for a route nobody has described yet."""
    fields = {k: v for k, v in route.fields.items() if not k.startswith("__")}
    if route.kind == "api" and route.fields.get("__media__") == "application/json":
        required = route.fields.get("__required__", [])
        body = {k: _sample(v) for k, v in fields.items() if k in required}
        return Example(UNIT_WRITERS, json=lambda i: body)
    return Example(UNIT_WRITERS, form=lambda i: {k: _sample(v) for k, v in fields.items()})
