"""Pages show each role only what it may do.

For every role of ``tests/web/world.py`` the main pages are fetched; every form that
changes data on them must be one the role is allowed to submit (the allowed roles per
route are those ``test_write_rights.py`` proves on the server), and every link to an
export, a download, a report or a form page must open for that role (never 403).
The pages and the server decide with the same policy functions
(:mod:`tocsin.access.policy`), so a role sees a button exactly when pressing it works.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.web.routes import (
    EXAMPLES,
    NOT_ROLE_ROUTES,
    OWN_UNIT_WRITERS,
    Route,
    generated,
    state_changing_routes,
)
from tests.web.world import PRINCIPALS, World, build

PAGES = [
    "/", "/commitments", "/commitments/{commitment}", "/programmes", "/programmes/{programme}",
    "/programmes/{activity}", "/programmes/{leaf}", "/lessons", "/lessons/{lesson}",
    "/partners", "/partners/{partner}", "/partners/agreements",
    "/partners/agreements/{agreement}", "/events", "/events/{event}", "/events/actions",
    "/experts", "/experts/{expert}", "/coherence", "/coherence/duplicates",
    "/coherence/recommendations", "/coherence/threats", "/investigations",
    "/investigations/sets/{set}", "/investigations/sets/{set}/actors",
    "/investigations/sets/{eth_set}/ethereum", "/search?q=world",
]
#: Links a role must be able to open when a page shows them: forms, exports, downloads.
FOLLOWED = re.compile(r"/new\b|/edit\b|export|template\.|report\.|import|download|/design\b"
                      r"|\.(csv|xlsx|json|xml|pdf|html)\b")
#: Forms that create a record in the user's own unit: every role that writes its own unit.
CREATE_FORMS = frozenset({"POST /commitments", "POST /programmes", "POST /programmes/import",
                          "POST /lessons/new", "POST /partners", "POST /partners/agreements",
                          "POST /events", "POST /experts"})
#: Pages only some roles may open; a role without the right must not get a link to them.
GUARDED_PAGES = ("/admin",)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and (values.get("method") or "get").lower() == "post":
            self.forms.append(values.get("action") or "")
        elif tag == "button" and values.get("formaction"):
            self.forms.append(values["formaction"] or "")
        elif tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")


@cache
def _routes() -> dict[str, Route]:
    return {r.key: r for r in state_changing_routes()}


@cache
def _route_patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for route in _routes().values():
        if route.kind != "page" or route.key in NOT_ROLE_ROUTES:
            continue
        regex = re.sub(r"\\\{\w+\\\}", r"[^/]+", re.escape(route.path))
        patterns.append((re.compile(f"^{regex}$"), route.key))
    # literal routes first (``/programmes/import`` before ``/programmes/{activity_id}``)
    patterns.sort(key=lambda item: item[0].pattern.count("[^/]+"))
    return patterns


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory,
          sqlite_platform_template: Path) -> Iterator[World]:
    yield from build(tmp_path_factory.mktemp("world"), sqlite_platform_template)


def _allowed(key: str, who: str) -> bool:
    example = EXAMPLES.get(key)
    example = example or generated(_routes()[key])
    if key in CREATE_FORMS:
        return who in OWN_UNIT_WRITERS
    return example.mode in ("read", "self", "preview") or who in example.allowed


@pytest.mark.parametrize("who", list(PRINCIPALS))
def test_a_role_sees_only_the_forms_and_links_it_may_use(world: World, who: str) -> None:
    patterns = _route_patterns()
    problems: list[str] = []
    seen_links: set[str] = set()
    forms_seen = 0

    def check_page(url: str) -> None:
        nonlocal forms_seen
        response = world.request(who, "GET", url)
        if response.status_code in (403, 404):
            return
        assert response.status_code == 200, (who, url, response.status_code)
        collector = _Collector()
        collector.feed(response.text)
        for action in collector.forms:
            path = action.split("?")[0] or url.split("?")[0]
            key = next((k for p, k in patterns if p.match(path)), None)
            if key is None:
                continue  # a form handled in the browser (e.g. search) or a GET form
            forms_seen += 1
            if not _allowed(key, who):
                problems.append(f"{url} shows a form to {key} that {who} may not submit")
        for href in collector.links:
            target = href.split("#")[0]
            if not target.startswith("/") or target in seen_links:
                continue
            if target.startswith(GUARDED_PAGES) or FOLLOWED.search(target):
                seen_links.add(target)
                status = world.request(who, "GET", target).status_code
                if status == 403:
                    problems.append(f"{url} links to {target}, which answers 403 to {who}")

    for page in PAGES:
        check_page(page.format(**world.ids))
    for link in sorted(seen_links):  # the form pages a role may open show only its forms
        if not FOLLOWED.search(link) or re.search(r"\.(csv|xlsx|json|xml|pdf)\b", link):
            continue
        check_page(link)
    assert not problems, "\n".join(problems)
    if who in ("administrator", "coordinator", "analyst"):
        assert forms_seen > 20, f"{who} should see the forms of their unit's records"


def test_the_new_user_form_defaults_to_the_least_privileged_role(world: World) -> None:
    page = world.request("administrator", "GET", "/admin/users").text
    form = page[page.index('action="/admin/users"'):]
    select = re.search(r'<select[^>]*name="role".*?</select>', form, re.S)
    assert select, "the new-user form has a role picker"
    chosen = re.findall(r'<option[^>]*value="(\w+)"[^>]*selected', select.group(0))
    assert chosen == ["partner_viewer"], chosen
