"""The request and response shapes of yente's ``POST /match/{dataset}``.

A yente client sends ``{"queries": {"q1": {"schema": "Person", "properties":
{"name": ["…"], "birthDate": ["…"]}}}}`` and gets ``{"responses": {"q1":
{"status": 200, "results": [{"id", "caption", "schema", "properties",
"datasets", "score", "match", "features", …}], "total": {"value", "relation"},
"query": {…}}}, "matcher": {…}, "limit": n}``. Tocsin answers in that shape
from :func:`tocsin.screening.service.screen_entities`, so a yente client works
unchanged; ``features`` holds each feature's value, ``explanations`` its reason.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tocsin.access.principal import Principal
from tocsin.errors import InputError
from tocsin.i18n import N_
from tocsin.screening import matching, service

ALL = ("default", "all")
MAX_QUERIES = 100
MAX_LIMIT = 500


class Query(BaseModel):
    schema_: str = Field(alias="schema", max_length=40)
    properties: dict[str, list[str] | str] = Field(default_factory=dict)
    id: str | None = Field(default=None, max_length=200)


class MatchRequest(BaseModel):
    queries: dict[str, Query] = Field(min_length=1, max_length=MAX_QUERIES)
    weights: dict[str, float] = Field(default_factory=dict)


def _query_dict(query: Query) -> dict[str, Any]:
    props = {k: [v] if isinstance(v, str) else list(v) for k, v in query.properties.items()}
    return {"id": query.id, "schema": query.schema_, "properties": props}


def match(session: Session, principal: Principal, dataset: str, request: MatchRequest, *,
          limit: int = 5, threshold: float, review: float) -> dict[str, Any]:
    """Answer a yente match request against one list (or every list for ``default``)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError.single("limit", N_("use 1 to %(most)s", most=MAX_LIMIT))
    lists = None if dataset in ALL else [dataset]
    responses: dict[str, Any] = {}
    for name, query in request.queries.items():
        data = _query_dict(query)
        try:
            [found] = service.screen_entities(session, principal, [data], lists=lists,
                                              threshold=threshold, review=review,
                                              origin="match", remember=False, limit=limit)
        except InputError as exc:
            responses[name] = {"status": 400, "detail": str(exc), "results": [],
                               "total": {"value": 0, "relation": "eq"}, "query": data}
            continue
        results = []
        for r in found.results[:limit]:
            results.append({
                "id": r.entity_id, "caption": r.caption, "schema": r.schema,
                "properties": dict(r.entity.get("properties", {})),
                "datasets": [r.list_key], "referents": [], "target": True,
                "first_seen": None, "last_seen": None, "last_change": None,
                "score": r.score, "match": r.is_match,
                "features": r.explained.values(),
                "explanations": {f.name: f.reason for f in r.explained.features},
                "token": None,
            })
        responses[name] = {"status": 200, "results": results,
                           "total": {"value": len(results), "relation": "eq"},
                           "query": data}
    return {"responses": responses, "limit": limit,
            "matcher": {"name": "tocsin-logic", "version": "1",
                        "threshold": threshold, "review": review,
                        "candidates": service.CANDIDATES,
                        "features": ["name", "identifier", "birth_date", "country", "gender"],
                        "weights": {"identifier": matching.IDENTIFIER_BONUS,
                                    "birth_date": -matching.DOB_YEAR_PENALTY,
                                    "country": -matching.COUNTRY_PENALTY,
                                    "gender": -matching.GENDER_PENALTY}}}
