"""Size budgets: rows per file, unpacked size and entries of zip files, upload size."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tocsin import limits
from tocsin.coherence.threats import parse_csv
from tocsin.errors import InputError
from tocsin.limits import TooLarge, capped, check_archive, decode_text, read_upload
from tocsin.money.ingest import ingest
from tocsin.reference.registry import load_registry
from tocsin.search.extract import extract_text
from tocsin.taskforce.iati.reader import read_activities
from tocsin.taskforce.programmes.vocabulary import Vocabulary
from tocsin.taskforce.tabular.files import read_rows

FIXTURES = Path(__file__).parent / "fixtures"
MONEY = FIXTURES / "money"
RATES = {"US Dollar": 0.9, "Euro": 1.0, "USD": 0.9, "EUR": 1.0}


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def test_capped_passes_up_to_the_limit_and_refuses_beyond() -> None:
    assert list(capped(range(3), "f.csv", limit=3)) == [0, 1, 2]
    with pytest.raises(TooLarge, match=r"f.csv: more than 3 rows"):
        list(capped(range(4), "f.csv", limit=3))


def test_read_upload_refuses_one_byte_over() -> None:
    assert read_upload(io.BytesIO(b"x" * 10), "up", limit=10) == b"x" * 10
    with pytest.raises(TooLarge, match="larger than the limit of 10 bytes"):
        read_upload(io.BytesIO(b"x" * 11), "up", limit=10)


def test_decode_text_names_the_line_of_a_bad_byte() -> None:
    with pytest.raises(InputError, match=r"up.csv: line 3: not UTF-8 text \(byte 0xff"):
        decode_text(b"a,b\n1,2\n3,\xff\n", "up.csv")


def test_check_archive_reads_only_the_directory(tmp_path: Path) -> None:
    bomb = _zip(tmp_path / "bomb.zip", {"big.bin": b"\0" * 3_000_000})
    assert bomb.stat().st_size < 50_000
    with limits.override(archive_max_unpacked_bytes=1_000_000), \
            pytest.raises(TooLarge, match="unpacks to 3,000,000 bytes"):
        check_archive(bomb, "bomb.zip")
    many = _zip(tmp_path / "many.zip", {f"e{i}": b"" for i in range(30)})
    with limits.override(archive_max_entries=20), \
            pytest.raises(TooLarge, match="holds 30 entries"):
        check_archive(many, "many.zip")
    with pytest.raises(InputError, match="not a readable zip archive"):
        check_archive(io.BytesIO(b"not a zip"), "x.zip")


def test_programme_table_xlsx_bomb_is_refused_before_openpyxl(tmp_path: Path) -> None:
    bomb = _zip(tmp_path / "t.xlsx", {"[Content_Types].xml": b"<x/>",
                                       "xl/worksheets/sheet1.xml": b" " * 3_000_000})
    with limits.override(archive_max_unpacked_bytes=1_000_000), \
            pytest.raises(TooLarge, match=r"\.xlsx workbook unpacks to"):
        list(read_rows(bomb.open("rb"), "xlsx"))


def test_generic_excel_mapping_refuses_too_many_entries(tmp_path: Path) -> None:
    folder = MONEY / "tabular"
    with limits.override(archive_max_entries=2), pytest.raises(TooLarge, match="entries"):
        ingest("xlsx", [folder / "ledger.xlsx"], tmp_path / "s",
               mapping=folder / "ledger.yaml", rates=None)


def test_docx_with_too_many_entries_is_refused(tmp_path: Path) -> None:
    docx = _zip(tmp_path / "d.docx", {f"word/part{i}.xml": b"<x/>" for i in range(50)})
    with limits.override(archive_max_entries=20), pytest.raises(TooLarge, match="DOCX file"):
        extract_text(docx)


def test_money_importers_stop_at_the_row_limit(tmp_path: Path) -> None:
    with (limits.override(max_transactions=3),
          pytest.raises(TooLarge, match=r"more than 3 transactions.*MAX_TRANSACTIONS")):
        ingest("amlworld", [MONEY / "amlworld" / "Tiny_Trans.csv"], tmp_path / "a")
    assert not (tmp_path / "a").exists()  # nothing half-written


def test_transaction_sets_are_not_held_to_the_row_limit_of_other_files(tmp_path: Path) -> None:
    # Transactions are streamed to Parquet: a set larger than the cap on rows read into
    # memory (IATI, tables) is imported.
    with limits.override(max_rows=3):
        ingest("amlworld", [MONEY / "amlworld" / "Tiny_Trans.csv"], tmp_path / "a")
    assert (tmp_path / "a" / "transactions.parquet").exists()


def test_goaml_reader_stops_at_the_element_limit(tmp_path: Path) -> None:
    with limits.override(max_rows=2), pytest.raises(TooLarge, match="more than 2 elements"):
        ingest("goaml", [MONEY / "goaml" / "str_smurfing.xml"], tmp_path / "g")


def test_iati_reader_stops_at_the_activity_limit() -> None:
    vocab = Vocabulary.from_registry(load_registry())
    source = FIXTURES / "iati" / "partner_activities.xml"
    assert len(read_activities(source, vocab).activities) > 1
    with limits.override(max_rows=1), pytest.raises(TooLarge, match="more than 1 activities"):
        read_activities(source, vocab)


def test_indicator_rows_are_capped() -> None:
    text = "crime_area,country,year,kind,value,unit,source,reliability,credibility\n" + "".join(
        f"drugs,AT,{2000 + i},seizures,1,kg,s,B,2\n" for i in range(5))
    with limits.override(max_rows=2), pytest.raises(TooLarge, match="more than 2 rows"):
        parse_csv(text, {"drugs"}, {"AT"}, "i.csv")


def test_the_limits_refuse_in_the_readers_language() -> None:
    from tocsin import i18n

    with pytest.raises(TooLarge) as caught:
        list(limits.capped(range(5), "f.csv", limit=2))
    with i18n.using("ru"):
        assert str(caught.value.summary) == ("f.csv: более 2 строк; предел задаёт "
                                             "TOCSIN_IMPORT_MAX_ROWS")
    with i18n.using("fr"):
        assert str(caught.value.summary).startswith("f.csv : plus de 2 lignes ;")
    with pytest.raises(InputError) as bad:
        limits.decode_text(b"ok\n\xff", "f.csv")
    with i18n.using("ru"):
        assert str(bad.value.problems[0]) == ("f.csv: строка 2: не текст UTF-8 (байт 0xff в "
                                              "позиции 1)")
