"""Spreadsheet formula neutralising: the one rule every CSV and Excel export applies.

A cell whose text starts with ``= + - @`` (or a tab or carriage return, which some
spreadsheets skip before reading a formula) would run as a formula when the file is opened,
so it is written with a leading ``'``. A cell that already starts with ``'`` followed by one
of those characters (or another ``'``) gets one more, so :func:`restore` gives back exactly
what was written, whatever it was.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_START = "=+-@\t\r"
_QUOTED = FORMULA_START + "'"
#: The same rule as a regular expression, for column-wise (Arrow) use.
FORMULA_PATTERN = "^([" + re.escape(FORMULA_START) + "]|'[" + re.escape(_QUOTED) + "])"


def neutralise(value: str) -> str:
    """``value`` safe to put in a spreadsheet cell (see the module's rule)."""
    if value and (value[0] in FORMULA_START
                  or (value[0] == "'" and len(value) > 1 and value[1] in _QUOTED)):
        return "'" + value
    return value


def restore(value: str) -> str:
    """Undo :func:`neutralise` (for a file Tocsin wrote and reads back)."""
    if value.startswith("'") and len(value) > 1 and value[1] in _QUOTED:
        return value[1:]
    return value


def neutralise_table(table: pa.Table) -> pa.Table:
    """:func:`neutralise` applied to every text cell of an Arrow table, column-wise."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for col in table.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            risky = pc.fill_null(pc.match_substring_regex(col, FORMULA_PATTERN), False)
            col = pc.if_else(risky, pc.binary_join_element_wise("'", col, ""), col)
        columns.append(col)
    return pa.Table.from_arrays(columns, names=table.column_names)
