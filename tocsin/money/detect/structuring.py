"""Structuring: repeated cash deposits just under a reporting threshold."""
# ruff: noqa: S608 -- SQL is assembled from typed configs; literals go through in_list/repr.

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from tocsin.i18n import N_, SEMICOLON, Joined
from tocsin.money.detect.base import (
    FINDING_COLUMNS,
    Detector,
    Kernel,
    Step,
    finding_rows,
    group_bounds,
    in_list,
    row,
    sorted_group,
)
from tocsin.money.detect.windows import rows_in_window
from tocsin.money.findings import duration, figure

DAY = 86_400


@dataclass(frozen=True)
class StructuringConfig:
    #: One threshold for every currency, in the deposit's own currency; by default
    #: each currency's threshold from ``tocsin/money/data/thresholds.yaml`` (or the file
    #: ``thresholds_file``) applies, and deposits in a currency without one are skipped.
    threshold: float | None = None
    thresholds_file: str | None = None
    #: Deposits from ``threshold * (1 - margin)`` up to just below the threshold count.
    margin: float = 0.1
    min_count: int = 3
    window_days: float = 10.0
    #: Channels and source account kinds that mean "cash".
    cash_channels: tuple[str, ...] = ("cash",)
    cash_kinds: tuple[str, ...] = ("cash",)


class Structuring(Detector):
    """Several cash deposits into one account just below the reporting threshold.

    Cash above the threshold (10,000 in the EU) must be reported, so launderers
    split it into deposits that each stay under it ("smurfing"). One deposit of
    9,500 is ordinary; several within days into the same account is the
    classic sign that someone is avoiding the report. Amounts are compared in
    the deposit's own currency with that currency's threshold (a CAD 9,900
    deposit is near CAD 10,000, whatever it is worth in the set's base currency).
    """

    name = "structuring"
    title = N_("Structuring")
    config_type = StructuringConfig

    def steps(self) -> Sequence[Step]:
        cfg: StructuringConfig = self.config
        keep = 1 - cfg.margin
        query = (
            "SELECT target AS grp, source AS cp, t, amount_orig AS amount, amount AS base, "
            "currency_orig, "
            f"thr, txn_id FROM (SELECT *, {_threshold_sql(cfg)} AS thr FROM txn) x "
            f"WHERE thr IS NOT NULL AND amount_orig >= thr * {keep!r} AND amount_orig < thr "
            f"AND (channel IN {in_list(cfg.cash_channels)} "
            f"OR src_kind IN {in_list(cfg.cash_kinds)})"
        )
        return [Kernel(self.table("out"), f"({query})", "grp", _kernel(cfg), FINDING_COLUMNS)]


def _threshold_sql(cfg: StructuringConfig) -> str:
    """The deposit currency's threshold as a SQL expression (NULL where there is none)."""
    if cfg.threshold is not None:
        return f"CAST({float(cfg.threshold)!r} AS DOUBLE)"
    from pathlib import Path

    from tocsin.money.features.base import thresholds

    table = thresholds(Path(cfg.thresholds_file) if cfg.thresholds_file else None)
    cases = " ".join(f"WHEN {code!r} THEN CAST({amount!r} AS DOUBLE)"
                     for code, amount in sorted(table.items()) if re.fullmatch(r"[A-Z]{3}",
                                                                                code))
    return f"CASE UPPER(currency_orig) {cases} ELSE NULL END" if cases else "NULL"


def _kernel(cfg: StructuringConfig) -> Any:
    width = int(cfg.window_days * DAY)

    def kernel(pdf: pd.DataFrame) -> pd.DataFrame:
        if pdf.empty:
            return finding_rows([])
        pdf = sorted_group(pdf, "grp", "t", "txn_id")
        codes = pd.factorize(pdf["grp"])[0]
        counts = rows_in_window(codes, pdf["t"].to_numpy(np.int64), width)
        starts, ends = group_bounds(pdf["grp"])
        out = []
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            local = counts[s:e]
            best = int(local.argmax())
            n = int(local[best])
            if n < cfg.min_count:
                continue
            w = pdf.iloc[s + best : s + best + n]
            subject = str(w["grp"].iat[0])
            span = int(w["t"].iat[-1] - w["t"].iat[0])
            score = min(1.0, 0.5 + 0.5 * (n - cfg.min_count + 1) / (2 * cfg.min_count))
            # Each deposit is near its own currency's threshold; amounts in different
            # currencies are neither added up nor named with one currency.
            by_currency = [_figures(part) for _, part in w.groupby("currency_orig", sort=True)]
            if len(by_currency) == 1:
                one = by_currency[0]
                reason = N_(
                    "Account %(account)s received %(deposits)s cash deposits between %(low)s "
                    "and %(high)s %(currency)s within %(span)s (total %(total)s "
                    "%(currency)s); the reporting threshold is %(threshold)s %(currency)s",
                    account=subject, deposits=n, span=duration(span), low=one["low"],
                    high=one["high"], currency=one["currency"], total=one["total"],
                    threshold=one["threshold"])
            else:
                parts = [N_("%(count)s between %(low)s and %(high)s %(currency)s (total "
                            "%(total)s %(currency)s, threshold %(threshold)s %(currency)s)",
                            count=f["count"], low=f["low"], high=f["high"],
                            currency=f["currency"], total=f["total"], threshold=f["threshold"])
                         for f in by_currency]
                reason = N_(
                    "Account %(account)s received %(deposits)s cash deposits within %(span)s, "
                    "each just under the reporting threshold of its currency: %(parts)s",
                    account=subject, deposits=n, span=duration(span),
                    parts=Joined(parts, SEMICOLON))
            # The depositors behind a cash desk are unknown; the desk itself is not a party.
            out.append(row(subject, score, [subject], w["txn_id"], float(w["base"].sum()),
                           reason))
        return finding_rows(out)

    return kernel


def _figures(deposits: pd.DataFrame) -> dict[str, object]:
    """The values a reason names of deposits in one currency (their own amounts)."""
    amounts = deposits["amount"]
    return {"count": len(deposits), "low": figure(float(amounts.min())),
            "high": figure(float(amounts.max())), "total": figure(float(amounts.sum())),
            "currency": str(deposits["currency_orig"].iat[0]),
            "threshold": figure(float(deposits["thr"].iat[0]))}
