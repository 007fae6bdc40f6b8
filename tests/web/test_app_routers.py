"""The tests exercise the application as create_app() builds it: every area is listed there."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from tocsin.web.app import ROUTERS

TESTS = Path(__file__).resolve().parent.parent


def test_every_router_module_is_listed_in_create_app() -> None:
    routers = Path(importlib.import_module("tocsin.web.routers").__path__[0])
    modules = {p.stem for p in routers.glob("*.py") if p.stem != "__init__"}
    assert modules == set(ROUTERS)


def test_a_server_process_loads_the_libraries_of_a_few_pages_when_they_are_asked_for() -> None:
    # text comparison (scikit-learn, with scipy and pandas), charts (matplotlib) and
    # workbooks (openpyxl) cost each server process about a second and 90 MiB at start
    probe = ("import importlib, sys\nfrom tocsin.web.app import ROUTERS\n"
             "for name in ROUTERS: importlib.import_module(f'tocsin.web.routers.{name}')\n"
             "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120)
    loaded = set(out.stdout.split())
    assert "fastapi" in loaded  # the probe sees what was imported
    assert not loaded & {"sklearn", "matplotlib", "openpyxl"}, loaded


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
