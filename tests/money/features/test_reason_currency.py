"""Every amount of a finding's reason and of a trace's explanation names the set's currency
(its base currency: a figure alone could be euros or lek), in the reader's language too."""

from __future__ import annotations

import json
from pathlib import Path

from tests.money.features.conftest import Row, eur, write_set
from tocsin.i18n import using
from tocsin.money.detect import make
from tocsin.money.engines.base import run_detector
from tocsin.money.engines.embedded import EmbeddedEngine
from tocsin.money.findings import reason_of
from tocsin.money.score import score_accounts
from tocsin.money.trace import TraceConfig, trace


def _ring_in(tmp_path: Path, currency: str) -> Path:
    """A ring R1 → R2 → R3 → R4 → R1 of about 3,000 in a set converted into ``currency``."""
    ring = ["R1", "R2", "R3", "R4"]
    rows: list[Row] = [eur(f"r{i}", 5.0 * i, a, ring[(i + 1) % 4], 3_000.0 * 0.98 ** i)
                       for i, a in enumerate(ring)]
    folder = write_set(tmp_path / "set", rows)
    (folder / "meta.json").write_text(json.dumps({"format": "csv", "base_currency": currency}),
                                      encoding="utf-8")
    return folder


def test_a_findings_reason_names_the_sets_currency_in_every_language(tmp_path: Path) -> None:
    engine = EmbeddedEngine(_ring_in(tmp_path, "cad"), threads=1)
    try:
        [ring] = run_detector(engine, make("cycle"))
    finally:
        engine.close()
    assert ring.reason.startswith("3,000.00 CAD left account R1 and 2,823.58 CAD (94%) came "
                                  "back through 3 other accounts"), ring.reason
    # stored and shown again in French: the figure the French way, the currency kept
    shown = reason_of(json.loads(json.dumps(ring.to_dict())))
    with using("fr"):
        assert str(shown).startswith("3\u202f000,00\u00a0CAD ") or \
            str(shown).startswith("3\u202f000,00 CAD "), str(shown)


def test_a_traces_explanations_name_the_sets_currency(tmp_path: Path) -> None:
    engine = EmbeddedEngine(_ring_in(tmp_path, "CAD"), threads=1)
    try:
        result = trace(engine, transactions=["r0"], config=TraceConfig(hops=2))
    finally:
        engine.close()
    [root] = result.roots
    assert root.explanation.startswith("3,000.00 CAD traced into R2 by r0 on "), \
        root.explanation
    [child] = [c for c in root.children if c.txn_id == "r1"]
    assert "2,940.00 CAD of the 3,000.00 CAD traced into R2" in child.explanation, \
        child.explanation


def test_an_accounts_risk_names_the_sets_currency(tmp_path: Path) -> None:
    engine = EmbeddedEngine(_ring_in(tmp_path, "CAD"), threads=1)
    try:
        [r2] = score_accounts(engine, [], accounts=["R2"])
    finally:
        engine.close()
    [passed] = [c for c in r2.contributions if c.name == "pass-through"]
    assert str(passed.detail) == ("received 3,000.00 CAD and sent 2,940.00 CAD (98% passed "
                                  "through)"), str(passed.detail)
