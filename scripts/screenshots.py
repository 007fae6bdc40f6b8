"""Screenshots of the main pages at 1280 px, generated from the fictional demo workspace.

    python scripts/screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]

Creates a throw-away platform (embedded SQLite in a temporary folder), loads the demo,
serves it on a free loopback port, signs in as the demo coordinator (and the
administrator for the admin pages) in Chromium driven by Playwright, and writes one PNG
per page. Nothing is fetched from outside; run it again after a change to the pages.
"""

from __future__ import annotations

import argparse
import re
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT = 1280, 900
#: The file shown in the guided import: a French bank's transfers.
SAMPLE_FILE = ROOT / "tests" / "fixtures" / "money" / "wizard" / "virements_fr.csv"
#: (file name, path, who): the main page of every area, and a record of the main ones.
PAGES = [
    ("home", "/", "coordinator"),
    ("framework", "/framework", "coordinator"),
    ("commitments", "/commitments", "coordinator"),
    ("programmes", "/programmes", "coordinator"),
    ("programme", "first:/programmes", "coordinator"),
    ("programme-new", "/programmes/new", "coordinator"),
    ("lessons", "/lessons", "coordinator"),
    ("partners", "/partners", "coordinator"),
    ("events", "/events", "coordinator"),
    ("experts", "/experts", "coordinator"),
    ("coherence", "/coherence", "coordinator"),
    ("investigations", "/investigations", "analyst"),
    ("investigations-import", "upload:/investigations/import", "analyst"),
    ("search", "/search?q=labor+trafficking", "coordinator"),
    ("search-did-you-mean", "/search?q=laundring", "coordinator"),
    ("partner-viewer-programmes", "/programmes", "partner"),
    ("admin-users", "/admin/users", "admin"),
    ("admin-trash", "/admin/trash", "admin"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(folder: Path) -> tuple[str, dict[str, str], uvicorn.Server]:
    from tocsin.demo.workspace import load_demo
    from tocsin.lifecycle import init_platform
    from tocsin.settings import Settings
    from tocsin.web.app import create_app

    settings = Settings(data_dir=folder / "data", demo=True, cookie_secure=False,
                        access_log="off")  # type: ignore[call-arg]
    init_platform(settings)
    credentials = load_demo(settings).credentials
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return url, credentials, server
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the platform did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tocsin-screens-") as tmp:
        url, credentials, server = _serve(Path(tmp))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=args.chromium,
                    args=["--no-sandbox", "--disable-background-networking"])
                contexts = {}
                for name, path, who in PAGES:
                    if who not in contexts:
                        context = browser.new_context(viewport={"width": WIDTH,
                                                                "height": HEIGHT})
                        page = context.new_page()
                        page.goto(f"{url}/login")
                        page.fill("input[name=username]", who)
                        page.fill("input[name=password]", credentials[who])
                        page.click("button[type=submit]")
                        page.wait_for_url(f"{url}/")
                        contexts[who] = page
                    page = contexts[who]
                    if path.startswith("first:"):
                        page.goto(url + path.removeprefix("first:"))
                        href = page.locator("table.data tbody a").first.get_attribute("href")
                        path = href or "/"
                    if path.startswith("upload:"):  # the guided import, a file chosen
                        page.goto(url + path.removeprefix("upload:"))
                        page.set_input_files("#wizard-file", str(SAMPLE_FILE))
                        page.click("#wizard-upload button[type=submit]")
                        page.wait_for_selector("#wizard-form")
                        path = page.url.removeprefix(url)
                    else:
                        page.goto(url + path)
                    page.wait_for_load_state("networkidle")
                    target = args.out / f"{re.sub(r'[^a-z0-9-]', '', name)}.png"
                    page.screenshot(path=str(target))
                    print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}"
                          f"  {path}  ({who})")
                browser.close()
        finally:
            server.should_exit = True


if __name__ == "__main__":
    main()
