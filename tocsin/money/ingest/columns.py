"""Vectorised parsing of text columns, with the line of every bad value.

Each function takes a string column of one block of rows and returns the parsed
column plus a boolean mask of the values it could not parse; :func:`report`
turns a mask into problems named ``file:line``.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from tocsin.i18n import N_
from tocsin.money.ingest.base import Problems

_NUMBER = r"^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"
_INTEGER = r"^\s*[-+]?[0-9]+\s*$"


def _blank(values: pa.Array) -> pa.Array:
    return pc.or_kleene(pc.is_null(values), pc.equal(pc.utf8_trim_whitespace(values), ""))


def parse_float(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    ok = pc.fill_null(pc.match_substring_regex(values, _NUMBER), False)
    cleaned = pc.utf8_trim_whitespace(pc.if_else(ok, values, pa.scalar("0")))
    parsed = pc.if_else(ok, pc.cast(cleaned, pa.float64()), pa.scalar(None, pa.float64()))
    return parsed, pc.invert(ok)


def parse_int(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    ok = pc.fill_null(pc.match_substring_regex(values, _INTEGER), False)
    cleaned = pc.utf8_trim_whitespace(pc.if_else(ok, values, pa.scalar("0")))
    parsed = pc.if_else(ok, pc.cast(cleaned, pa.int64()), pa.scalar(None, pa.int64()))
    return parsed, pc.invert(ok)


def parse_timestamp(values: pa.Array, fmt: str) -> tuple[pa.Array, pa.Array]:
    """Parse with ``strptime``; the result is UTC (the formats carry no zone)."""
    parsed = pc.strptime(values, format=fmt, unit="us", error_is_null=True)
    parsed = pc.assume_timezone(parsed, "UTC") if parsed.type.tz is None else parsed
    return parsed, pc.is_null(parsed)


def required_text(values: pa.Array) -> pa.Array:
    """Mask of empty values in a column that must be filled."""
    return _blank(values)


def report(problems: Problems, bad: pa.Array, first_line: int, where: str,
           reason: str, values: pa.Array | None = None) -> int:
    """Add one problem per ``True`` in ``bad``; ``first_line`` is the line of row 0.

    Returns how many rows were bad.
    """
    count = int(pc.sum(pc.cast(bad, pa.int64())).as_py() or 0)
    if not count:
        return 0
    positions = pc.indices_nonzero(bad)
    limit = max(problems.limit - len(problems.items), 0)
    shown = positions.slice(0, limit).to_pylist()
    shown_values = pc.take(values, pa.array(shown, pa.int64())).to_pylist() \
        if values is not None and shown else [None] * len(shown)
    for pos, value in zip(shown, shown_values, strict=True):
        text = reason if value is None else N_("%(reason)s: %(value)s", reason=reason,
                                               value=repr(value))
        problems.add(f"{where}:{first_line + pos}", text)
    problems.dropped += count - len(shown)
    return count
