"""Exchange-rate tables: convert amounts into a transaction set's base currency.

A table gives, for each currency, how many units of the *table's* base currency
one unit of that currency is worth; optionally per date (the latest rate on or
before a transaction's date applies). A table in EUR serves any base currency it
lists, by rebasing.

Files are YAML::

    base: EUR
    source: "ECB reference rates, 2024-01-02"
    rates: {USD: 0.9057, GBP: 1.1527}
    dated:
      USD: {"2024-01-01": 0.905, "2024-02-01": 0.921}

or CSV with the header ``currency,rate`` and an optional ``date`` column
(``base`` is then the currency whose rate is 1, or ``EUR``).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from tocsin import types
from tocsin.errors import InputError, Problem, reason_of, validation_reason
from tocsin.i18n import N_

_EPOCH = date(1970, 1, 1)
DEFAULT_RATES = Path(__file__).parent / "data" / "rates.yaml"


def _check_code(value: str) -> str:
    return types.currency.clean(value)


class _RateFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base: str = "EUR"
    source: str = ""
    rates: dict[str, float] = {}
    dated: dict[str, dict[date, float]] = {}

    @field_validator("base")
    @classmethod
    def _base(cls, value: str) -> str:
        return _check_code(value)

    @field_validator("rates", "dated")
    @classmethod
    def _codes(cls, value: dict[str, Any]) -> dict[str, Any]:
        out = {_check_code(k): v for k, v in value.items()}
        for code, rate in out.items():
            rates = rate.values() if isinstance(rate, dict) else [rate]
            if any(not (r > 0) for r in rates):
                raise ValueError(N_("rate for %(code)s must be positive", code=code))
        return out


@dataclass
class RateTable:
    """Rates into ``base``: ``rates[c]`` units of base per unit of ``c``."""

    base: str
    rates: dict[str, float] = field(default_factory=dict)
    #: currency -> (sorted day numbers since 1970-01-01, rates)
    dated: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    source: str = ""

    def currencies(self) -> set[str]:
        return {self.base, *self.rates, *self.dated}

    def knows(self, currency: str) -> bool:
        return currency in self.currencies()

    def rate(self, currency: str, on: date | None = None) -> float | None:
        """Units of base per unit of ``currency`` (on a date when the table is dated)."""
        if currency == self.base:
            return 1.0
        if currency in self.dated and on is not None:
            days, values = self.dated[currency]
            i = int(np.searchsorted(days, (on - _EPOCH).days, side="right")) - 1
            if i >= 0:
                return float(values[i])
        return self.rates.get(currency)

    def rebased(self, base: str) -> RateTable:
        """The same table expressed in another base currency it lists."""
        base = base.upper()
        if base == self.base:
            return self
        if base not in self.rates and base not in self.dated:
            raise InputError.single(
                f"rates:{base}", N_("the rate table (%(table)s) has no rate for base currency "
                                    "%(base)s", table=self.base, base=base))
        pivot = self.rates.get(base)
        rates = {c: r / pivot for c, r in self.rates.items() if c != base} if pivot else {}
        if pivot:
            rates[self.base] = 1.0 / pivot
        dated: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for cur, (days, values) in self.dated.items():
            if cur == base:
                continue
            pivots = self._pivot_rates(base, days)
            dated[cur] = (days, values / pivots)
        if base in self.dated:
            days, values = self.dated[base]
            dated[self.base] = (days, 1.0 / values)
        return RateTable(base=base, rates=rates, dated=dated, source=self.source)

    def _pivot_rates(self, base: str, days: np.ndarray) -> np.ndarray:
        out = np.empty(len(days))
        for i, day in enumerate(days):
            value = self.rate(base, _EPOCH.fromordinal(_EPOCH.toordinal() + int(day)))
            if value is None:
                raise InputError.single(f"rates:{base}", N_("no rate for the base currency"))
            out[i] = value
        return out

    def convert(self, amounts: pa.Array | pa.ChunkedArray, currencies: pa.Array | pa.ChunkedArray,
                timestamps: pa.Array | pa.ChunkedArray | None = None
                ) -> tuple[pa.Array, pa.Array]:
        """Vectorised conversion: returns the converted amounts and a mask of unknown currencies.

        Unknown currencies give a null amount and ``True`` in the mask.
        """
        if isinstance(currencies, pa.ChunkedArray):
            currencies = currencies.combine_chunks()
        if isinstance(amounts, pa.ChunkedArray):
            amounts = amounts.combine_chunks()
        encoded = currencies if pa.types.is_dictionary(currencies.type) else \
            pc.dictionary_encode(currencies)
        names = encoded.dictionary.to_pylist()
        indices = encoded.indices
        per_code = [self.rate(str(n)) if n is not None else None for n in names]
        factor = pc.take(pa.array(per_code, pa.float64()), indices)
        dated_codes = [i for i, n in enumerate(names) if n in self.dated]
        if dated_codes and timestamps is not None:
            factor = self._dated_factors(factor, indices, names, dated_codes, timestamps)
        converted = pc.multiply(amounts.cast(pa.float64()), factor)
        unknown = pc.and_(pc.is_null(factor), pc.is_valid(currencies))
        return converted, unknown.combine_chunks() if isinstance(unknown, pa.ChunkedArray) \
            else unknown

    def _dated_factors(self, factor: pa.Array, indices: pa.Array, names: list[Any],
                       dated_codes: list[int], timestamps: pa.Array | pa.ChunkedArray
                       ) -> pa.Array:
        values = factor.to_numpy(zero_copy_only=False).astype(float)
        idx = indices.to_numpy(zero_copy_only=False)
        ts = pc.cast(timestamps, pa.timestamp("us", tz="UTC"))
        days = (pc.cast(pc.cast(ts, pa.int64()), pa.int64()).to_numpy(zero_copy_only=False)
                // 86_400_000_000)
        for code in dated_codes:
            sel = idx == code
            d, r = self.dated[names[code]]
            pos = np.searchsorted(d, days[sel], side="right") - 1
            fallback = values[sel]
            values[sel] = np.where(pos >= 0, r[np.clip(pos, 0, None)], fallback)
        return pa.array(values, pa.float64(), mask=np.isnan(values))


def upload_name(filename: str) -> str:
    """The name an uploaded rate table is kept under beside the file it converts: its
    format is told by its suffix (``.csv``, else YAML), as :func:`load_rates` reads it."""
    return "rates.csv" if Path(filename).suffix.lower() == ".csv" else "rates.yaml"


def load_rates(path: Path) -> RateTable:
    """Load a YAML or CSV rate table, reporting every bad entry with its location."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return _load_csv(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError.single(str(path), N_("cannot read the rate table: %(error)s",
                                              error=str(exc))) from None
    return _from_mapping(raw, str(path))


def rates_from_mapping(raw: Mapping[str, Any], where: str = "rates") -> RateTable:
    """Build a table from an already parsed mapping (same layout as the YAML file)."""
    return _from_mapping(raw, where)


def _from_mapping(raw: Any, where: str) -> RateTable:
    try:
        parsed = _RateFile.model_validate(raw)
    except ValidationError as exc:
        raise InputError([
            Problem(f"{where}:{'.'.join(str(p) for p in err['loc']) or '(top)'}",
                    validation_reason(err))
            for err in exc.errors()
        ]) from None
    dated = {}
    for code, series in parsed.dated.items():
        items = sorted(series.items())
        days = np.array([(d - _EPOCH).days for d, _ in items], dtype=np.int64)
        dated[code] = (days, np.array([r for _, r in items], dtype=float))
    rates = {c: r for c, r in parsed.rates.items() if c != parsed.base}
    return RateTable(base=parsed.base, rates=rates, dated=dated, source=parsed.source)


def _load_csv(path: Path) -> RateTable:
    problems: list[Problem] = []
    rates: dict[str, float] = {}
    dated: dict[str, dict[date, float]] = {}
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            fields = set(reader.fieldnames or [])
            if not {"currency", "rate"} <= fields:
                raise InputError.single(f"{path}:1", N_("the header needs columns "
                                                        "currency,rate"))
            for row in reader:
                where = f"{path}:{reader.line_num}"
                try:
                    code = _check_code(row["currency"] or "")
                    rate = float(row["rate"])
                    if not rate > 0:
                        raise ValueError(N_("rate %(rate)s must be positive",
                                            rate=repr(row["rate"])))
                    day = (row.get("date") or "").strip()
                    if day:
                        dated.setdefault(code, {})[datetime.strptime(day, "%Y-%m-%d").date()] = rate
                    else:
                        rates[code] = rate
                except ValueError as exc:
                    problems.append(Problem(where, reason_of(exc)))
    except OSError as exc:
        raise InputError.single(str(path), N_("cannot read the rate table: %(error)s",
                                              error=str(exc))) from None
    if problems:
        raise InputError(problems)
    ones = [code for code, rate in rates.items() if rate == 1.0]
    base = ones[0] if len(ones) == 1 else "EUR"
    series = {code: {str(day): r for day, r in s.items()} for code, s in dated.items()}
    return _from_mapping({"base": base, "rates": rates, "dated": series}, str(path))


#: The parsed shipped table and the (mtime, size) of the file it was parsed from.
_default: tuple[tuple[int, int], RateTable] | None = None


def default_rates() -> RateTable:
    """The indicative table shipped with Tocsin (``tocsin/money/data/rates.yaml``).

    Parsed once and kept while the file stays the same (every import asks for it, and
    parsing the YAML costs more than reading a small file): a changed file is read again.
    Each call gets its own copy, so a caller that changes its table changes no other's.
    """
    global _default
    stat = DEFAULT_RATES.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    if _default is None or _default[0] != stamp:
        text = DEFAULT_RATES.read_text(encoding="utf-8")
        _default = (stamp, _from_mapping(yaml.safe_load(text), "tocsin/money/data/rates.yaml"))
    table = _default[1]
    return RateTable(base=table.base, rates=dict(table.rates),
                     dated={code: (days.copy(), values.copy())
                            for code, (days, values) in table.dated.items()},
                     source=table.source)


def resolve_rates(rates: RateTable | Path | str | None, base_currency: str) -> RateTable:
    """Accept a table, a file or ``None`` (the shipped table) and rebase it."""
    base = _check_code(base_currency)
    if rates is None:
        table = default_rates()
    elif isinstance(rates, RateTable):
        table = rates
    else:
        table = load_rates(Path(rates))
    return table.rebased(base)
