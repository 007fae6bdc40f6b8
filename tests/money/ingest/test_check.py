"""Checking an import: the import's answer, problems or counts, without writing anything."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pytest

from tocsin.errors import InputError
from tocsin.money.dataset import SetMeta, SetWriter
from tocsin.money.ingest import check, ingest

CASES = [
    ("goaml", ["goaml/str_smurfing.xml"], {}),
    ("goaml", ["goaml/ctr_bad.xml"], {}),
    ("camt053", ["camt053/statement_v08.xml"], {}),
    ("camt053", ["camt053/statement_bad.xml"], {}),
    ("amlworld", ["amlworld/Tiny_Trans.csv", "amlworld/Tiny_Patterns.txt"], {}),
    ("amlworld", ["amlworld/Bad_Trans.csv"], {}),
    ("amlsim", ["amlsim_tiny"], {}),
    ("amlsim", ["amlsim_bad"], {}),
    ("csv", ["tabular/bank_export.csv"], {"mapping": "tabular/bank_export.yaml"}),
    ("csv", ["tabular/bank_export_bad.csv"], {"mapping": "tabular/bank_export.yaml"}),
    ("xlsx", ["tabular/ledger.xlsx"], {"mapping": "tabular/ledger.yaml"}),
    ("ftm", ["ftm/mixed.jsonl"], {}),
]


def _answer(run: object) -> object:
    try:
        report = run()  # type: ignore[operator]
    except InputError as exc:
        return [(p.location, p.reason) for p in exc.problems]
    return (report.format, report.transactions, report.accounts, report.parties,
            report.has_labels, report.notes)


@pytest.mark.parametrize(("fmt", "names", "extra"), CASES,
                         ids=[f"{f}-{n[0].split('/')[-1]}" for f, n, _ in CASES])
def test_the_check_answers_what_the_import_answers_and_writes_nothing(
        fixtures: Path, tmp_path: Path, fmt: str, names: list[str],
        extra: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    sources = [fixtures / name for name in names]
    kwargs = {key: fixtures / value for key, value in extra.items()}
    # a temporary folder of this test's own: other processes check files at the same time
    scratch = tmp_path / "temp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    checked = _answer(lambda: check(fmt, sources, **kwargs))
    imported = _answer(lambda: ingest(fmt, sources, tmp_path / "set", **kwargs))
    assert checked == imported
    assert list(scratch.iterdir()) == []
    assert sorted(p.name for p in fixtures.parent.glob("money/**/.*partial*")) == []


def test_a_good_file_is_counted_and_nothing_is_written(fixtures: Path, tmp_path: Path) -> None:
    report = check("goaml", [fixtures / "goaml" / "str_smurfing.xml"])
    assert (report.transactions, report.accounts) == (3, 4)
    assert not hasattr(report, "target")
    with pytest.raises(InputError, match=r"ctr_bad\.xml"):
        check("goaml", [fixtures / "goaml" / "ctr_bad.xml"])


def test_a_checking_writer_validates_like_the_writer_and_leaves_no_file(tmp_path: Path) -> None:
    accounts = pa.Table.from_pylist([{"account_id": "a", "kind": "cash"},
                                     {"account_id": "a", "kind": "cash"}])
    with pytest.raises(InputError, match="duplicate account_id"), \
            SetWriter(None, check=True) as writer:
        writer.write_accounts(accounts)
    with pytest.raises(InputError, match="unknown account kind"), \
            SetWriter(None, check=True) as writer:
        writer.write_accounts(pa.Table.from_pylist([{"account_id": "a", "kind": "vault"}]))
    with SetWriter(None, check=True) as writer:
        scratch = writer.temp  # made on demand, for readers that work on files
        (scratch / "work").write_text("x")
        writer.write_accounts(pa.Table.from_pylist([{"account_id": "a", "kind": "cash"}]))
        meta = SetMeta(format="test", base_currency="EUR", sources=["x"], transactions=0,
                       accounts=0, parties=0)
        assert writer.commit(meta) is None
    assert meta.accounts == 1
    assert not scratch.exists()
    with pytest.raises(ValueError, match="needs a target"):
        SetWriter(None)
