"""One formula-neutralising rule for every spreadsheet export, reversible."""

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.types.cells import neutralise, neutralise_table, restore


@pytest.mark.parametrize(("raw", "safe"), [("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"),
                                           ("-2", "'-2"), ("@x", "'@x"), ("\t=1", "'\t=1"),
                                           ("'=1", "''=1"), ("plain", "plain"), ("", ""),
                                           ("'quoted", "'quoted")])
def test_formula_cells_get_a_quote(raw: str, safe: str) -> None:
    assert neutralise(raw) == safe


@given(st.text(max_size=20))
def test_restore_undoes_neutralise(value: str) -> None:
    assert restore(neutralise(value)) == value


@given(st.lists(st.one_of(st.none(), st.text(max_size=8)), max_size=20))
def test_the_arrow_form_applies_the_same_rule(values: list[str | None]) -> None:
    table = neutralise_table(pa.table({"v": pa.array(values, pa.string()), "n": [1] * len(values)}))
    assert table.column("v").to_pylist() == [None if v is None else neutralise(v)
                                            for v in values]
    assert table.column("n").to_pylist() == [1] * len(values)
