"""An explainable risk score per account and per transaction.

The score combines what the detectors found with plain graph features of each
account (degrees, amounts, the share of round amounts, night-time activity,
burstiness, the pass-through ratio). Every part is a *contribution* in [0, 1]
with a sentence saying where it comes from; the score is
``1 - prod(1 - contribution)``, so one strong signal is enough to rank an
account high and several weak ones add up without exceeding 1. Each score
lists its contributions, largest first, so an investigator sees why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tocsin.i18n import N_, to_data
from tocsin.money import detect
from tocsin.money.engines.base import Engine
from tocsin.money.findings import Finding, figure, set_currency

#: How much a detector's finding score counts towards an account's risk.
DETECTOR_WEIGHTS: dict[str, float] = {
    "fan_out": 0.6,
    "fan_in": 0.6,
    "gather_scatter": 0.8,
    "scatter_gather": 0.85,
    "cycle": 0.9,
    "bipartite": 0.8,
    "stack": 0.85,
    "structuring": 0.9,
    "pass_through": 0.7,
}

#: Engine-neutral SQL for the account features (DuckDB and Spark SQL). The rule-based
#: score reads a few of them; the supervised model (:mod:`tocsin.money.model`) reads all.
FEATURES_SQL = """
SELECT account,
  COUNT(DISTINCT CASE WHEN dir = 0 THEN cp END) AS in_degree,
  COUNT(DISTINCT CASE WHEN dir = 1 THEN cp END) AS out_degree,
  SUM(CASE WHEN dir = 0 THEN amount ELSE 0.0 END) AS amount_in,
  SUM(CASE WHEN dir = 1 THEN amount ELSE 0.0 END) AS amount_out,
  AVG(CASE WHEN amount >= 100 AND amount % 100 = 0 THEN 1.0 ELSE 0.0 END) AS round_share,
  AVG(CASE WHEN t % 86400 < 21600 THEN 1.0 ELSE 0.0 END) AS night_share,
  COUNT(*) AS payments,
  COUNT(DISTINCT CAST(FLOOR(t / 86400.0) AS BIGINT)) AS active_days,
  COUNT(DISTINCT cp) AS counterparties,
  AVG(CASE WHEN dir = 0 THEN amount END) AS avg_in,
  AVG(CASE WHEN dir = 1 THEN amount END) AS avg_out,
  MIN(CASE WHEN dir = 0 THEN amount END) AS min_in,
  MIN(CASE WHEN dir = 1 THEN amount END) AS min_out,
  MAX(CASE WHEN dir = 0 THEN amount END) AS max_in,
  MAX(CASE WHEN dir = 1 THEN amount END) AS max_out,
  AVG(CASE WHEN (CAST(FLOOR(t / 86400.0) AS BIGINT) + 4) % 7 IN (0, 6) THEN 1.0 ELSE 0.0 END)
    AS weekend_share,
  MIN(t) AS first_t,
  MAX(t) AS last_t,
  MAX(kind) AS kind
FROM (
  SELECT target AS account, source AS cp, 0 AS dir, amount, t, dst_kind AS kind FROM txn
  WHERE source <> target
  UNION ALL
  SELECT source AS account, target AS cp, 1 AS dir, amount, t, src_kind AS kind FROM txn
  WHERE source <> target
) flows
GROUP BY account
"""


@dataclass(frozen=True)
class Contribution:
    name: str
    value: float
    detail: str


#: The parts of a risk that are not detectors, by name as people read it.
PART_TITLES = {"pass-through": N_("Pass-through"), "round amounts": N_("Round amounts"),
               "night-time": N_("Night-time payments"), "bursts": N_("Bursts of payments"),
               "party risk": N_("Risk of a party")}


def part_title(name: str) -> str:
    """A part of a risk in words: its entry above, else a detector by its title."""
    return PART_TITLES.get(name) or detect.title(name)


@dataclass
class Risk:
    subject: str
    score: float
    contributions: list[Contribution] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``detail`` in English; ``detail_message`` keeps its message for the pages."""
        return {"subject": self.subject, "score": self.score,
                "contributions": [vars(c) | {"detail_message": to_data(c.detail)}
                                  for c in self.contributions]}


def combine(subject: str, parts: Iterable[Contribution]) -> Risk:
    kept = sorted((p for p in parts if p.value > 0), key=lambda p: (-p.value, p.name))
    rest = 1.0
    for p in kept:
        rest *= 1 - min(1.0, p.value)
    return Risk(subject, round(1 - rest, 4), kept)


def feature_contributions(f: dict[str, Any], currency: str = "") -> list[Contribution]:
    """Contributions of one account's features (a row of :data:`FEATURES_SQL`);
    ``currency``: the set's, named with the amounts of the reasons."""
    out = []
    got, sent = float(f["amount_in"] or 0), float(f["amount_out"] or 0)
    payments = int(f["payments"])
    if got >= 1_000 and sent > 0:
        ratio = min(got, sent) / max(got, sent)
        if ratio >= 0.8:
            out.append(Contribution("pass-through", round(0.3 * ratio, 4),
                                    N_("received %(got)s and sent %(sent)s (%(share)s passed "
                                       "through)", got=figure(got, currency),
                                       sent=figure(sent, currency),
                                       share=f"{ratio:.0%}")))
    if payments >= 3:
        share = float(f["round_share"])
        if share >= 0.5:
            out.append(Contribution("round amounts", round(0.15 * share, 4),
                                    N_("%(share)s of its %(count)s payments are round hundreds",
                                       share=f"{share:.0%}", count=payments)))
        night = float(f["night_share"])
        if night >= 0.3:
            out.append(Contribution("night-time", round(0.15 * night, 4),
                                    N_("%(share)s of its payments between 00:00 and 06:00 UTC",
                                       share=f"{night:.0%}")))
        burst = payments / max(1, int(f["active_days"]))
        if burst > 3:
            out.append(Contribution("bursts", round(0.15 * min(1.0, (burst - 3) / 7), 4),
                                    N_("%(count)s payments per active day",
                                       count=f"{burst:.1f}")))
    return out


def finding_contributions(findings: Iterable[Finding]) -> dict[str, list[Contribution]]:
    """Per account: the strongest finding of each detector, weighted."""
    best: dict[tuple[str, str], Finding] = {}
    for f in findings:
        for account in f.accounts:
            key = (account, f.detector)
            if key not in best or f.score > best[key].score:
                best[key] = f
    out: dict[str, list[Contribution]] = {}
    for (account, detector), f in sorted(best.items()):
        weight = DETECTOR_WEIGHTS.get(detector, 0.6)
        out.setdefault(account, []).append(
            Contribution(detector, round(weight * f.score, 4), f.reason))
    return out


def score_accounts(engine: Engine, findings: Iterable[Finding],
                   accounts: Iterable[str] | None = None) -> list[Risk]:
    """Risk per account (all, or the ones named), highest first."""
    by_account = finding_contributions(findings)
    features = engine.fetch(FEATURES_SQL)
    wanted = set(accounts) if accounts is not None else None
    risks = []
    for row in features.to_dict("records"):
        account = str(row["account"])
        if wanted is not None and account not in wanted:
            continue
        parts = feature_contributions(row, set_currency(engine)) + by_account.get(account, [])
        risk = combine(account, parts)
        if risk.score > 0 or wanted is not None:
            risks.append(risk)
    return sorted(risks, key=lambda r: (-r.score, r.subject))


def score_transactions(findings: Iterable[Finding], account_risk: dict[str, float]
                       ) -> list[Risk]:
    """Risk per transaction in a finding: its findings plus half its riskier party."""
    parts: dict[str, list[Contribution]] = {}
    parties: dict[str, set[str]] = {}
    for f in findings:
        weight = DETECTOR_WEIGHTS.get(f.detector, 0.6)
        for txn in f.transactions:
            parts.setdefault(txn, []).append(Contribution(f.detector, round(weight * f.score, 4),
                                                          f.reason))
            parties.setdefault(txn, set()).update(f.accounts)
    out = []
    for txn, contributions in parts.items():
        riskiest = max(parties[txn], key=lambda a: (account_risk.get(a, 0.0), a))
        party = account_risk.get(riskiest, 0.0)
        extra = [Contribution("party risk", round(0.5 * party, 4),
                              N_("account %(account)s has risk %(risk)s", account=riskiest,
                                 risk=f"{party:.2f}"))] if party else []
        # One contribution per detector (the strongest), so overlaps do not stack.
        strongest: dict[str, Contribution] = {}
        for c in contributions:
            if c.name not in strongest or c.value > strongest[c.name].value:
                strongest[c.name] = c
        out.append(combine(txn, [*strongest.values(), *extra]))
    return sorted(out, key=lambda r: (-r.score, r.subject))
