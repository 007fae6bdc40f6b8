"""Detection quality against known labels: precision, recall and F1.

Labels come with the set: AMLworld's ``Is Laundering`` becomes transaction
labels, AMLSim's ``isFraud`` account labels. When a set labels only
transactions, an account counts as laundering if it sent or received a
labelled transaction; when it labels only accounts, transaction-level scores
are not computed. Per pattern (``label_pattern``) we report recall: which
share of that pattern's transactions and accounts the findings cover.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from tocsin.errors import InputError
from tocsin.money.engines.base import check_set_dir
from tocsin.money.findings import Finding

if TYPE_CHECKING:
    from tocsin.money.rank import Ranking


@dataclass(frozen=True)
class Scores:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 0.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"tp": self.true_positives, "fp": self.false_positives,
                "fn": self.false_negatives, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


def compare(predicted: Iterable[str], actual: Iterable[str]) -> Scores:
    p, a = set(predicted), set(actual)
    return Scores(len(p & a), len(p - a), len(a - p))


@dataclass
class Evaluation:
    accounts: Scores
    transactions: Scores | None
    #: pattern -> recall of its transactions and of its accounts
    patterns: dict[str, dict[str, float]] = field(default_factory=dict)
    #: detector -> account-level scores of that detector alone
    detectors: dict[str, Scores] = field(default_factory=dict)
    #: With a ranking: how many accounts were flagged and ranked, out of how many.
    ranking: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ranking": self.ranking,
            "accounts": self.accounts.to_dict(),
            "transactions": self.transactions.to_dict() if self.transactions else None,
            "patterns": self.patterns,
            "detectors": {k: v.to_dict() for k, v in self.detectors.items()},
        }


@dataclass(frozen=True)
class Labels:
    accounts: set[str]
    transactions: set[str] | None
    #: pattern -> (transaction ids, account ids)
    patterns: dict[str, tuple[set[str], set[str]]]


def load_labels(set_dir: Path) -> Labels:
    """Read the labels of a set; refuse a set that has none."""
    check_set_dir(set_dir)
    con = duckdb.connect()
    try:
        txns = str(set_dir / "transactions.parquet").replace("'", "''")
        accts = str(set_dir / "accounts.parquet").replace("'", "''")
        labelled_txns = con.execute(
            f"SELECT txn_id, source, target, label_pattern FROM read_parquet('{txns}') "  # noqa: S608
            "WHERE label"
        ).fetchall()
        has_txn_labels = con.execute(
            f"SELECT count(label) FROM read_parquet('{txns}')"  # noqa: S608
        ).fetchone()
        labelled_accounts = {r[0] for r in con.execute(
            f"SELECT account_id FROM read_parquet('{accts}') WHERE label"  # noqa: S608
        ).fetchall()}
        has_account_labels = con.execute(
            f"SELECT count(label) FROM read_parquet('{accts}')"  # noqa: S608
        ).fetchone()
    finally:
        con.close()
    txn_known = bool(has_txn_labels and has_txn_labels[0])
    acct_known = bool(has_account_labels and has_account_labels[0])
    if not txn_known and not acct_known:
        raise InputError.single(str(set_dir), "the set carries no labels to evaluate against")
    if not acct_known:
        labelled_accounts = {a for r in labelled_txns for a in (r[1], r[2])}
    patterns: dict[str, tuple[set[str], set[str]]] = {}
    for txn_id, source, target, pattern in labelled_txns:
        ids, accounts = patterns.setdefault(pattern or "UNKNOWN", (set(), set()))
        ids.add(txn_id)
        accounts.update(a for a in (source, target) if a in labelled_accounts)
    return Labels(labelled_accounts, {r[0] for r in labelled_txns} if txn_known else None,
                  patterns)


def evaluate(set_dir: Path, findings: Iterable[Finding], min_score: float = 0.0) -> Evaluation:
    """Score findings (with at least ``min_score``) against the set's labels."""
    labels = load_labels(set_dir)
    kept = [f for f in findings if f.score >= min_score]
    accounts = {a for f in kept for a in f.accounts}
    txns = {t for f in kept for t in f.transactions}
    result = Evaluation(
        accounts=compare(accounts, labels.accounts),
        transactions=compare(txns, labels.transactions) if labels.transactions is not None
        else None,
    )
    for pattern, (ids, accts) in sorted(labels.patterns.items()):
        result.patterns[pattern] = {
            "transactions": round(len(ids & txns) / len(ids), 4) if ids else 0.0,
            "accounts": round(len(accts & accounts) / len(accts), 4) if accts else 0.0,
        }
    for name in sorted({f.detector for f in kept}):
        mine = {a for f in kept if f.detector == name for a in f.accounts}
        result.detectors[name] = compare(mine, labels.accounts)
    return result


def evaluate_ranking(set_dir: Path, ranking: Ranking) -> Evaluation:
    """Score the *flagged* accounts of a ranking (see :mod:`tocsin.money.rank`).

    Accounts: the flagged ones. Transactions: those of the findings that clear the
    ranking's bar and involve a flagged account. Per detector: the flagged accounts
    whose strongest finding is that detector's.
    """
    labels = load_labels(set_dir)
    flagged = set(ranking.flagged)
    bar = ranking.config.min_score
    kept = [f for f in ranking.findings
            if f.score >= bar and any(a in flagged for a in f.accounts)]
    txns = {t for f in kept for t in f.transactions}
    result = Evaluation(
        accounts=compare(flagged, labels.accounts),
        transactions=compare(txns, labels.transactions) if labels.transactions is not None
        else None,
        ranking=ranking.summary(),
    )
    for pattern, (ids, accts) in sorted(labels.patterns.items()):
        result.patterns[pattern] = {
            "transactions": round(len(ids & txns) / len(ids), 4) if ids else 0.0,
            "accounts": round(len(accts & flagged) / len(accts), 4) if accts else 0.0,
        }
    by_detector: dict[str, set[str]] = {}
    for account in ranking.accounts:
        if account.flagged:
            by_detector.setdefault(account.findings[0].detector, set()).add(account.account)
    for name in sorted(by_detector):
        result.detectors[name] = compare(by_detector[name], labels.accounts)
    return result
