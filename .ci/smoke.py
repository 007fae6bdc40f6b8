"""Smoke test of a running demo: sign in as the administrator it printed, open every area.

Usage: python .ci/smoke.py BASE_URL DEMO_OUTPUT_FILE DEMO_PID DEMO_PYTHON

Waits for /healthz, reads the administrator's password from what ``scripts/demo.sh``
printed, signs in through the login form (CSRF double submit: the cookie and the hidden
field), then opens one page of every area (the NAV entry of every router that
tocsin/web/app.py lists), the home page and the API docs. Any answer but 200 fails.
Standard library only: it runs with the runtime dependencies and nothing else.
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

WAIT_SECONDS = 600
ADMIN = re.compile(r"^\s+(\S+)\s+(\S+)\s+administrator\b", re.MULTILINE)


class Client:
    """HTTP with cookies kept by hand: the demo's cookies are Secure, which the standard
    library's cookie jar will not send over http://127.0.0.1."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                ) -> tuple[int, str, dict[str, str]]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    val = rest.split(";", 1)[0]
                    if val in ("", '""') or "max-age=0" in value.lower():
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = val
            return response.status, text, {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:] if log.exists() else "(nothing)"


def wait_for_health(client: Client, log: Path, pid: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            sys.exit(f"FAIL: the demo stopped before /healthz answered; it printed:\n"
                     f"{_tail(log)}")
        try:
            status, _, _ = client.request("GET", "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    sys.exit(f"FAIL: /healthz did not answer within {WAIT_SECONDS} s; the demo printed:\n"
             f"{_tail(log)}")


def administrator(log: Path) -> tuple[str, str]:
    found = ADMIN.search(log.read_text(errors="replace"))
    if not found:
        sys.exit(f"FAIL: no administrator account in the demo's output:\n{log.read_text()}")
    return found[1], found[2]


#: Run by the demo's own interpreter: the NAV entry of every router create_app() mounts.
AREAS = """
import importlib
from tocsin.web.app import ROUTERS
for name in ROUTERS:
    nav = getattr(importlib.import_module(f"tocsin.web.routers.{name}"), "NAV", None)
    if nav is not None:
        print(nav.path)
"""


def areas(python: str) -> list[str]:
    """The page of every area, as tocsin/web/app.py lists the routers."""
    out = subprocess.run([python, "-c", AREAS], capture_output=True, text=True, check=True,  # noqa: S603
                         timeout=300)
    return out.stdout.split()


def main() -> None:
    base, log, pid, python = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    client = Client(base)
    wait_for_health(client, log, pid)
    username, password = administrator(log)
    status, page, _ = client.request("GET", "/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if status != 200 or not token:
        sys.exit(f"FAIL: GET /login answered {status} without a CSRF field")
    status, page, _ = client.request("POST", "/login", {
        "username": username, "password": password, "csrf_token": token[1], "next": "/"})
    if status != 303:
        sys.exit(f"FAIL: signing in as {username} answered {status}:\n{page[:2000]}")
    print(f"signed in as {username}")
    failures = []
    pages = ["/", *areas(python), "/api/v1/docs", "/api/v1/openapi.json"]
    if len(pages) < 10:
        sys.exit(f"FAIL: only {len(pages)} pages to open: {pages}")
    for path in pages:
        status, page, _ = client.request("GET", path)
        print(f"{status} GET {path}")
        if status != 200:
            failures.append(f"{path}: {status} {page[:300]!r}")
    if failures:
        sys.exit("FAIL:\n" + "\n".join(failures))
    print(f"smoke: {len(pages)} pages answered 200 (every area, the home page, the API docs)")


if __name__ == "__main__":
    main()
