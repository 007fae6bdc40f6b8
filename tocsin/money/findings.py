"""What a detector reports: the accounts and transactions involved, a score and why.

A finding is plain data so the embedded and the Spark engine can be compared
exactly: numbers are rounded and lists sorted when the finding is built.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

#: Digits kept for scores and amounts, so float sums taken in a different
#: order on another engine give the same finding.
SCORE_DIGITS = 4
AMOUNT_DIGITS = 2


@dataclass(frozen=True, order=True)
class Finding:
    """One suspicious structure found by one detector."""

    detector: str
    #: The account the finding is about (the hub, the start of a cycle …).
    subject: str
    score: float
    accounts: tuple[str, ...]
    transactions: tuple[str, ...]
    amount: float
    reason: str = field(compare=False)

    @classmethod
    def build(
        cls,
        detector: str,
        subject: str,
        score: float,
        accounts: Iterable[str],
        transactions: Iterable[str],
        amount: float,
        reason: str,
    ) -> Finding:
        return cls(
            detector=detector,
            subject=subject,
            score=round(min(1.0, max(0.0, float(score))), SCORE_DIGITS),
            accounts=tuple(sorted(set(accounts))),
            transactions=tuple(sorted(set(transactions))),
            amount=round(float(amount), AMOUNT_DIGITS),
            reason=reason,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["accounts"] = list(self.accounts)
        data["transactions"] = list(self.transactions)
        return data


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Highest score first, then by detector, subject and transactions (stable)."""
    return sorted(findings, key=lambda f: (-f.score, f.detector, f.subject, f.transactions))


def money(value: float) -> str:
    """Format an amount for a reason: 9,950.00."""
    return f"{value:,.2f}"


def hours(seconds: float) -> str:
    """Format a duration for a reason: '5.5 hours' or '3.0 days'."""
    h = seconds / 3600.0
    return f"{h:.1f} hours" if h < 48 else f"{h / 24:.1f} days"
