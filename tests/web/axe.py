"""axe-core in the browser tests: injected into the page under test, never served to users.

The pinned copy in ``tocsin/web/static/vendor/axe.min.js`` (``web-assets``) is run in
the page under test by the test itself; no page of the platform links it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "tocsin" / "web" / "static" / "vendor" / "axe.min.js"
#: Impacts that fail a page.
BLOCKING = ("serious", "critical")
RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " — " + n.failureSummary),
    count: v.nodes.length}));
}"""


@cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


@dataclass
class Violation:
    rule: str
    impact: str
    help: str
    count: int
    nodes: list[str]

    def __str__(self) -> str:
        shown = "\n      ".join(self.nodes)
        return f"{self.impact} {self.rule} ({self.count} nodes): {self.help}\n      {shown}"


def violations(page: Page, impacts: tuple[str, ...] = BLOCKING) -> list[Violation]:
    """The violations of ``impacts`` on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # evaluated by the browser's debugger protocol: the pages' Content Security Policy
        # (scripts from the platform only) stays as users get it
        page.evaluate(_source() + "\n;undefined")
    found: list[dict[str, Any]] = page.evaluate(RUN)
    return [Violation(v["id"], v["impact"] or "", v["help"], v["count"], v["nodes"])
            for v in found if v["impact"] in impacts]
