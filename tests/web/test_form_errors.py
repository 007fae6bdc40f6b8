"""Bad form input answers 422 with a page that names the field and the reason, never 500.

Every form POST of the pages (found from the page routers ``create_app()`` includes)
gets garbage: first in every field at once, then in one field at a time with the
others as a good request has them. The answer is never a server error; a 422 is a
page that lists each problem with its location, and when one field is bad, that
field is the one named.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from tests.web.routes import EXAMPLES, Route, generated, path_for, state_changing_routes
from tests.web.world import World, build

FORM_ROUTES = [r for r in state_changing_routes() if r.kind == "page"
               and r.key not in ("POST /login", "POST /logout")]

#: Values a form field should never choke on.
GARBAGE = ["", " ", "x", "-1", "0", "99999999999999999999", "1e309", "NaN", "2026-13-45",
           "<script>alert(1)</script>", "a\rb", "\u202e\ufeff", "ü" * 5000,
           "../../../etc/passwd", "1,2,,x", "[]"]
#: The smaller set tried in each field alone.
ONE_FIELD = ["", "x", "-1", "99999999999999999999", "2026-13-45", "a\rb", "ü" * 5000]
WHO = "administrator"  # may do everything, so the input checks are what answers
#: Form fields whose problems are named as the thing they set: ``w_violence`` sets the
#: weight of the OCG indicator ``violence`` and is reported as ``weights.violence``.
ALIASES = {"w_": "weights."}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory,
          sqlite_platform_template: Path) -> Iterator[World]:
    yield from build(tmp_path_factory.mktemp("world"), sqlite_platform_template)


def _fields(route: Route, good: dict[str, Any]) -> list[str]:
    declared = [k for k, v in route.fields.items() if "UploadFile" not in str(v)]
    return list(dict.fromkeys([*good, *declared]))


def _names_a_field(text: str, fields: Any) -> bool:
    """Whether ``text`` names one of ``fields`` (``_`` and spaces alike, aliases known)."""
    plain = text.replace("_", " ").lower()
    for name in fields:
        for prefix, alias in ALIASES.items():
            if name.startswith(prefix) and (alias + name[len(prefix):]).replace(
                    "_", " ") in plain:
                return True
        if name.replace("_", " ").lower() in plain:
            return True
    return False


def _problems(text: str) -> str:
    found = re.search(r'<ul class="problems">(.*?)</ul>', text, re.S)
    return unescape(found.group(1)) if found else ""


def _post(world: World, route: Route, path: str, form: dict[str, Any],
          files: dict[str, tuple[str, bytes, str]] | None) -> Any:
    response = world.request(WHO, route.method, path, form=form, files=files)
    if response.status_code < 400:  # it was accepted: start the next one afresh
        world.finish_jobs(WHO, response)
        world.reset()
    return response


def _garbage_files(route: Route, value: str) -> dict[str, tuple[str, bytes, str]] | None:
    names = [k for k, v in route.fields.items() if "UploadFile" in str(v)]
    return {name: (f"{value[:20]}.csv", value.encode("utf-8", "replace") + b"\xff\r\x00",
                   "text/csv") for name in names} or None


@pytest.mark.parametrize("route", FORM_ROUTES, ids=lambda r: r.key)
def test_garbage_in_every_field_is_never_a_server_error(world: World, route: Route) -> None:
    example = EXAMPLES.get(route.key) or generated(route)
    good = example.form(world.ids) if example.form else {}
    path = path_for(route, world.ids, example)
    world.reset()
    failures = []
    for value in GARBAGE:
        form = {name: value for name in _fields(route, good)}
        response = _post(world, route, path, form, _garbage_files(route, value))
        if response.status_code >= 500:
            failures.append(f"{value[:30]!r}: {response.status_code}")
        elif response.status_code == 422 and not (
                _problems(response.text) or _names_a_field(response.text, form)):
            failures.append(f"{value[:30]!r}: 422 without the problems")
    assert not failures, f"{route.key}:\n" + "\n".join(failures)


@pytest.mark.parametrize("route", [r for r in FORM_ROUTES if r.fields or r.key in EXAMPLES],
                         ids=lambda r: r.key)
def test_a_bad_field_is_named(world: World, route: Route) -> None:
    example = EXAMPLES.get(route.key) or generated(route)
    good = example.form(world.ids) if example.form else {}
    files = example.files(world.ids) if example.files else None
    path = path_for(route, world.ids, example)
    world.reset()
    failures = []
    for name in _fields(route, good):
        for value in ONE_FIELD:
            response = _post(world, route, path, {**good, name: value}, files)
            status = response.status_code
            if status >= 500:
                failures.append(f"{name}={value[:30]!r}: {status}")
            elif status == 422 and not (value.strip() == "" and name in route.optional):
                listed = _problems(response.text) or unescape(response.text)
                if not _names_a_field(listed, [name]):
                    failures.append(f"{name}={value[:30]!r}: 422 does not name the field: "
                                    f"{listed[:300]!r}")
    assert not failures, f"{route.key}:\n" + "\n".join(failures)
