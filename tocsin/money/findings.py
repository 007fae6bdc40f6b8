"""What a detector reports: the accounts and transactions involved, a score and why.

A finding is plain data so the embedded and the Spark engine can be compared
exactly: numbers are rounded and lists sorted when the finding is built.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from tocsin.i18n import N_, Message, Number, from_data, to_data

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
        """The finding as JSON data: ``reason`` in English (the API, exports, the audit)
        and ``reason_message``, the message and its values, so that pages show the reason
        in the reader's language (:func:`reason_shown`); None for a reason of plain text."""
        data = asdict(self)
        data["accounts"] = list(self.accounts)
        data["transactions"] = list(self.transactions)
        data["reason_message"] = to_data(self.reason)
        return data


def reason_of(entry: dict[str, Any]) -> str:
    """The reason of a stored finding as a message, shown in the reader's language; a
    finding stored before reasons kept their message: its English text."""
    english = str(entry.get("reason") or "")
    return from_data(entry.get("reason_message"), english)


def reason_shown(entry: dict[str, Any]) -> dict[str, Any]:
    """A stored finding with ``reason_shown`` and ``adjustment_shown``: its reason and how
    the ranking judged it in the current language (what the pages' scripts show;
    ``reason`` and ``adjustment`` stay the English text)."""
    adjustment = entry.get("adjustment")
    return {**entry, "reason_shown": str(reason_of(entry)),
            "adjustment_shown": str(from_data(entry.get("adjustment_message"), adjustment))
            if adjustment else adjustment}


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


def set_currency(source: object) -> str:
    """The currency of the set an engine or index holds (its base currency, see
    :func:`tocsin.money.dataset.base_currency`), named with the amounts of reasons; empty
    when it does not say."""
    return str(getattr(source, "currency", "") or "")


def figure(value: float, currency: str = "") -> Number | Message:
    """An amount inside a reason: ``9,950.00 EUR`` in English, ``9 950,00 EUR`` in French,
    with ``currency``, the set's (its base currency, into which its amounts were converted:
    a figure alone could be euros or lek); without one, the figure alone."""
    amount = Number(value, AMOUNT_DIGITS)
    if not currency:
        return amount
    return N_("%(amount)s %(currency)s", amount=amount, currency=currency)


def duration(seconds: float) -> Message:
    """A duration inside a reason, in the reader's language: '5.5 hours' or '3.0 days'
    in English (the text of :func:`hours`)."""
    h = seconds / 3600.0
    if h < 48:
        return N_("%(count)s hours", count=Number(h, 1, group=False))
    return N_("%(count)s days", count=Number(h / 24, 1, group=False))
