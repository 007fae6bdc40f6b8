"""The tests exercise the application as create_app() builds it: every area is listed there."""

from __future__ import annotations

import importlib
from pathlib import Path

from fastapi.testclient import TestClient

from tocsin.web.app import ROUTERS

TESTS = Path(__file__).resolve().parent.parent


def test_every_router_module_is_listed_in_create_app() -> None:
    routers = Path(importlib.import_module("tocsin.web.routers").__path__[0])
    modules = {p.stem for p in routers.glob("*.py") if p.stem != "__init__"}
    assert modules == set(ROUTERS)


def test_every_area_is_in_the_navigation(client: TestClient) -> None:
    nav = {item.path for item in client.app.state.nav}  # type: ignore[attr-defined]
    for name in ROUTERS:
        item = getattr(importlib.import_module(f"tocsin.web.routers.{name}"), "NAV", None)
        assert item is None or item.path in nav, name


def test_no_test_mounts_a_router_itself() -> None:
    offenders = [str(p.relative_to(TESTS)) for p in TESTS.rglob("*.py")
                 if p.name != Path(__file__).name
                 and ("include_router(" in p.read_text() or ".state.nav =" in p.read_text())]
    assert not offenders, f"build the app with create_app() only: {offenders}"
