"""Writes need write rights: every state-changing route, every role.

For each POST/PUT/PATCH/DELETE route of the API (from the OpenAPI description of
``create_app()``) and each form POST of the pages, each role — administrator,
coordinator, analyst, fund manager, partner viewer, and an analyst of another unit —
makes the route's example request from the same starting state (see
``tests/web/world.py``). A role the route allows must succeed; any other gets 403 or
404 and nothing changes: no row of any table (the audit log and login sessions
aside) and no file of the data folder. Analyses that store results (detection) run
for readers as a preview that stores nothing.

The test runs on SQLite only: it checks the application's access decisions, which
do not depend on the database engine, and resets the whole database before every
request, which a file copy does in milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.routes import (
    EXAMPLES,
    NOT_ROLE_ROUTES,
    Route,
    generated,
    path_for,
    state_changing_routes,
)
from tests.web.world import PRINCIPALS, World, build

ROUTES = [r for r in state_changing_routes() if r.key not in NOT_ROLE_ROUTES]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory,
          sqlite_platform_template: Path) -> Iterator[World]:
    yield from build(tmp_path_factory.mktemp("world"), sqlite_platform_template)


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    tables = [f"table {t}" for t in sorted(set(before["tables"]) | set(after["tables"]))
              if before["tables"].get(t) != after["tables"].get(t)]
    files = [f"file {f}" for f in sorted(set(before["files"]) | set(after["files"]))
             if before["files"].get(f) != after["files"].get(f)]
    return tables + files


def test_the_routes_are_found() -> None:
    keys = {r.key for r in ROUTES}
    assert "POST /api/v1/investigations/sets/{set_id}/detect" in keys
    assert "POST /lessons/{lesson_id}/advance" in keys
    assert len(ROUTES) >= 70
    described = {k for k in EXAMPLES if k in keys}
    assert described == set(EXAMPLES), f"examples of routes that are gone: " \
        f"{sorted(set(EXAMPLES) - keys)}"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.key)
def test_each_role_succeeds_or_is_refused_without_a_trace(world: World, route: Route) -> None:
    example = EXAMPLES.get(route.key) or generated(route)
    path = path_for(route, world.ids, example)
    failures = []
    for who in PRINCIPALS:
        world.reset()
        before = world.snapshot()
        response = world.request(
            who, route.method, path,
            json=example.json(world.ids) if example.json else None,
            form=example.form(world.ids) if example.form else None,
            files=example.files(world.ids) if example.files else None)
        world.finish_jobs(who, response)
        changed = _changes(before, world.snapshot())
        status, ok = response.status_code, 200 <= response.status_code < 400
        answer = f"{who}: {status} {response.text[:400]!r}"
        if example.mode == "read":
            if not ok or changed:
                failures.append(f"{answer} (a read for everyone; changed {changed})")
        elif example.mode == "self":
            if not ok:
                failures.append(f"{answer} (everyone may act on their own account)")
        elif who in example.allowed:
            if not ok:
                failures.append(f"{answer} (this role may do it)")
            if example.mode == "preview" and not changed:
                failures.append(f"{who}: may change the set, but nothing was stored")
        elif example.mode == "preview":
            if not ok or changed:
                failures.append(f"{answer} (a preview for this role; changed {changed})")
            elif response.headers.get("content-type", "").startswith("application/json") \
                    and response.json().get("stored") is not False:  # a page shows it
                failures.append(f"{who}: the preview's answer does not say it stored nothing")
        elif status not in (403, 404) or changed:
            failures.append(f"{answer} (must be 403 or 404 with nothing changed; "
                            f"changed {changed})")
    assert not failures, f"{route.key}:\n" + "\n".join(failures)


def test_a_reader_scoring_a_set_without_findings_stores_none(world: World) -> None:
    """Scoring runs the detectors when a set has no findings; only a writer keeps them."""
    for who, stores in (("partner_viewer", False), ("fund_manager", False),
                        ("analyst_other_unit", False), ("analyst", True)):
        world.reset()
        findings = world.ids["findings"] / "findings.json"
        findings.unlink()
        before = world.snapshot()
        response = world.request(who, "POST",
                                 f"/api/v1/investigations/sets/{world.ids['set']}/score",
                                 json={"top": 3})
        assert response.status_code == 200, (who, response.text)
        assert response.json()["stored"] is stores, who
        assert response.json()["preview"] is not stores, who
        assert findings.exists() is stores, who
        assert bool(_changes(before, world.snapshot())) is stores, who
