"""CSV and Excel: templates, round trips, every bad row by line, formula safety."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.taskforce.programmes.factory import count, full_spec, principal, spec
from tocsin.access.principal import Principal
from tocsin.errors import InputError
from tocsin.taskforce.programmes import records
from tocsin.taskforce.programmes.tables import Activity
from tocsin.taskforce.tabular import columns
from tocsin.taskforce.tabular.exchange import (
    changed_since_written,
    export_table,
    import_table,
    write_template,
)

HEADER = ",".join(columns.NAMES)
VERSION = columns.NAMES.index("version")


def _export(session: Session, fmt: str, who: Principal = Principal.system()) -> bytes:
    out = io.BytesIO()
    export_table(session, who, out, fmt)
    return out.getvalue()


def _seed(session: Session) -> None:
    system = Principal.system()
    records.create_activity(session, system, full_spec("T-P"))
    records.create_activity(session, system, spec(
        "T-P-1", level="project", parent_identifier="T-P", handling="AMBER",
        title="=HYPERLINK(\"http://evil.example\")", description="@SUM(A1); a:b|c",
        owner_unit="fo-serbia"))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_import_export_round_trip(session: Session, fmt: str) -> None:
    _seed(session)
    first = _export(session, fmt)
    # wipe and re-create from the table
    for identifier in ("T-P-1", "T-P"):
        records.delete_activity(session, Principal.system(),
                                records.get_by_identifier(session, Principal.system(),
                                                          identifier).id)
    summary = import_table(session, Principal.system(), io.BytesIO(first), name=f"t.{fmt}")
    assert (summary.created, summary.updated) == (2, 0)
    session.expire_all()
    again = records.get_by_identifier(session, Principal.system(), "T-P-1")
    assert again.title == "=HYPERLINK(\"http://evil.example\")"
    assert again.description == "@SUM(A1); a:b|c"
    assert again.handling == "AMBER"
    second = _export(session, fmt)

    def cells(data: bytes) -> list[list[object]]:
        """Every cell but the versions, which the re-created activities have anew."""
        if fmt == "csv":
            rows: list[list[object]] = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        else:
            book = load_workbook(io.BytesIO(data))
            rows = [[c.value for c in row] for sheet in book.worksheets
                    for row in sheet.iter_rows()]
        return [row[:VERSION] + row[VERSION + 1:] if len(row) > VERSION else row
                for row in rows]
    assert cells(second) == cells(first)
    assert cells(first)[1:3] != [] and all(
        (row[VERSION] or "").isdigit() for row in csv.reader(io.StringIO(
            _export(session, "csv").decode("utf-8-sig"))) if row[0] != "identifier")


def test_formula_cells_are_neutralised(session: Session) -> None:
    _seed(session)
    rows = list(csv.reader(io.StringIO(_export(session, "csv").decode("utf-8-sig"))))
    project = next(r for r in rows if r[0] == "T-P-1")
    assert project[columns.NAMES.index("title")].startswith("'=HYPERLINK")
    assert project[columns.NAMES.index("description")].startswith("'@SUM")
    book = load_workbook(io.BytesIO(_export(session, "xlsx")))
    sheet = book["activities"]
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "'=HYPERLINK(\"http://evil.example\")" in values
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


@pytest.mark.parametrize(("value", "stored"), [
    ("=1+1", "'=1+1"), ("+A1", "'+A1"), ("-2", "'-2"), ("@x", "'@x"), ("'=x", "''=x"),
    ("'plain", "'plain"), ("plain", "plain"), ("", ""),
])
def test_neutralise_is_reversible(value: str, stored: str) -> None:
    assert columns.neutralise(value) == stored
    assert columns.restore(stored) == value


def test_every_bad_row_is_reported_by_line_and_nothing_applied(session: Session) -> None:
    table = "\r\n".join([
        HEADER,
        _row(identifier="OK-1", title="Fine"),
        _row(identifier="BAD-1", title="", countries="AL:60;RS:50"),
        _row(identifier="BAD-2", title="x", planned_start="2024-13-01", budget="2024:EUR"),
        '"multi\nline",project,,"title\nwith break",,,1,2024-01-01,,,,XM-OSCE',
        _row(identifier="BAD-3", title="x", crime_areas="cybercrime:50;money_laundering:40",
             participants="7|nowhere"),
        _row(identifier="OK-1", title="again"),
    ]) + "\r\n"
    with pytest.raises(InputError) as caught:
        import_table(session, Principal.system(), io.BytesIO(table.encode()), name="up.csv")
    assert [str(p) for p in caught.value.problems] == [
        "line 3, column title: the title is empty",
        "line 3, column countries: recipient countries add up to 110%, more than 100%",
        "line 4, column planned_start: '2024-13-01' is not a date (YYYY-MM-DD)",
        "line 4, column budget: '2024:EUR' is not year:currency:amount",
        "line 5, column identifier: the identifier contains line breaks, tabs or other white "
        "space than spaces",
        "line 8, column participants: unknown organization 'nowhere'",
        "line 9, column identifier: 'OK-1' is already used on line 2",
    ]
    assert "up.csv" in str(caught.value)
    assert count(session, Activity) == 0


def test_numbers_too_large_to_store_are_refused_by_cell(session: Session) -> None:
    # Found by fuzzing: a 300-digit percentage overflowed the decimal context when rounded.
    huge = "1" * 300
    table = "\r\n".join([
        HEADER,
        _row(identifier="P-1", title="x", crime_areas=f"cybercrime:{huge}"),
        _row(identifier="P-2", title="x", budget="2024:EUR:12345678901234567"),
        _row(identifier="P-3", title="x", crime_areas="cybercrime:1000000"),
    ]) + "\r\n"
    with pytest.raises(InputError) as caught:
        import_table(session, Principal.system(), io.BytesIO(table.encode()), name="up.csv")
    problems = [str(p) for p in caught.value.problems]
    assert problems[0].startswith("line 2, column crime_areas: percentage of cybercrime '1111")
    assert problems[0].endswith("...' has more than 16 digits before the point")
    assert len(problems[0]) < 150
    assert "line 3, column budget" in problems[1] and "more than 16 digits" in problems[1]
    assert problems[2] == ("line 4, column crime_areas: percentage 1000000 is not within 0-100")
    assert count(session, Activity) == 0


def test_unknown_columns_and_wrong_files_are_refused(session: Session) -> None:
    with pytest.raises(InputError, match="unknown column 'colour'"):
        import_table(session, Principal.system(),
                     io.BytesIO(f"{HEADER},colour\r\n".encode()), name="t.csv")
    with pytest.raises(InputError, match=r"use a \.csv or \.xlsx file"):
        import_table(session, Principal.system(), io.BytesIO(b""), name="t.ods")
    with pytest.raises(InputError, match=r"not a readable \.xlsx"):
        import_table(session, Principal.system(), io.BytesIO(b"PK broken"), name="t.xlsx")


def test_template_explains_every_column(session: Session) -> None:
    out, help_csv = io.BytesIO(), io.BytesIO()
    write_template(session, out, "xlsx")
    book = load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["activities", "columns"]
    assert [c.value for c in book["activities"][1]] == list(columns.NAMES)
    explained = {row[0].value: row for row in book["columns"].iter_rows(min_row=2)}
    assert set(explained) == set(columns.NAMES)
    assert "drug_trafficking (Drug trafficking)" in str(explained["crime_areas"][4].value)
    assert "AL (Albania)" in str(explained["countries"][4].value)
    write_template(session, out := io.BytesIO(), "csv", help_csv)
    assert out.getvalue().decode("utf-8-sig").strip() == HEADER
    assert "investigation" in help_csv.getvalue().decode("utf-8-sig")


def test_filled_template_imports_and_keeps_stored_results(session: Session) -> None:
    created = records.create_activity(session, Principal.system(), full_spec("KEEP"))
    table = "\r\n".join([HEADER, _row(
        identifier="KEEP", level="programme", title="From the table",
        countries="md", crime_areas="cybercrime", budget="2025:EUR:10;2024:EUR:5.5",
        participants="1||XX-D|Donor \\; Co|10;4|unodc", owner_unit="tntd-spmu")]) + "\r\n"
    analyst = principal(session, "analyst")
    with pytest.raises(InputError) as caught:  # the row has no version: asked first
        import_table(session, analyst, io.BytesIO(table.encode()), name="fill.csv")
    assert "the table would replace 1 activity changed in the platform" in str(caught.value)
    assert "(KEEP); nothing was imported" in str(caught.value)
    summary = import_table(session, analyst, io.BytesIO(table.encode()), name="fill.csv",
                           replace_changed=True)
    assert (summary.created, summary.updated) == (0, 1)
    session.expire_all()
    again = records.get_activity(session, Principal.system(), created.id)
    assert again.title == "From the table"
    assert [(c.country_code, c.percentage) for c in again.countries] == [("MD", None)]
    assert sorted((f.year, f.amount) for f in again.finance) == [
        (2024, Decimal("5.50")), (2025, Decimal("10.00"))]
    assert [(p.role, p.name, p.organization_code) for p in again.participants] == [
        (1, "Donor ; Co", None), (4, "", "unodc")]
    assert len(again.results) == 1 and len(again.documents) == 1  # kept


def test_rows_changed_since_the_export_are_named_before_an_import(session: Session) -> None:
    _seed(session)
    analyst = Principal.system()
    table = _export(session, "csv")
    # straight back: nothing was changed since, nothing to confirm
    assert changed_since_written(session, analyst, io.BytesIO(table), name="t.csv") == []
    summary = import_table(session, analyst, io.BytesIO(table), name="t.csv")
    assert (summary.created, summary.updated) == (0, 2)
    # the import wrote both: the same table is now older than what is stored
    assert [a.identifier for a in changed_since_written(
        session, analyst, io.BytesIO(table), name="t.csv")] == ["T-P", "T-P-1"]
    fresh = _export(session, "csv")
    stored = records.get_by_identifier(session, Principal.system(), "T-P-1")
    edited = records.to_spec(stored, "T-P")
    edited.title = "Changed in the form"
    records.update_activity(session, Principal.system(), stored.id, edited)
    assert [a.identifier for a in changed_since_written(
        session, analyst, io.BytesIO(fresh), name="t.csv")] == ["T-P-1"]
    # a row without a version (a filled template) over a stored activity is named too;
    # a new identifier is not
    template = "\r\n".join([HEADER, _row(identifier="T-P", level="programme", title="x"),
                             _row(identifier="NEW-1", title="y")]) + "\r\n"
    assert [a.identifier for a in changed_since_written(
        session, analyst, io.BytesIO(template.encode()), name="t.csv")] == ["T-P"]
    # what the reader may not read is not named (nor its existence told)
    serbia = principal(session, "analyst", "fo-serbia")
    strict = records.create_activity(session, Principal.system(),
                                     spec("STRICT", handling="AMBER+STRICT"))
    hidden = "\r\n".join([HEADER, _row(identifier=strict.identifier, title="z")]) + "\r\n"
    assert changed_since_written(session, serbia, io.BytesIO(hidden.encode()),
                                 name="t.csv") == []


def test_the_refusal_names_the_first_ten_changed_activities(session: Session) -> None:
    for n in range(1, 13):
        records.create_activity(session, Principal.system(), spec(f"C-{n:02}"))
    table = "\r\n".join([HEADER, *(_row(identifier=f"C-{n:02}", title="t")
                                    for n in range(1, 13))]) + "\r\n"
    with pytest.raises(InputError) as caught:
        import_table(session, Principal.system(), io.BytesIO(table.encode()), name="t.csv")
    said = str(caught.value.problems[0].reason)
    assert "would replace 12 activities" in said and "(C-01, C-02," in said
    assert "C-10, …); nothing was imported" in said and "C-11" not in said


def test_a_version_other_than_the_stored_one_is_named_too(session: Session) -> None:
    # a version above the stored one was not written by this platform's export (a typed
    # number, a table of another Tocsin): the row says nothing of what it was exported from
    _seed(session)
    rows = list(csv.reader(io.StringIO(_export(session, "csv").decode("utf-8-sig"))))
    for row in rows[1:]:
        row[VERSION] = str(int(row[VERSION]) + 1000)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    assert [a.identifier for a in changed_since_written(
        session, Principal.system(), io.BytesIO(out.getvalue().encode()),
        name="t.csv")] == ["T-P", "T-P-1"]


def test_bad_cells_are_named_before_anything_is_asked(session: Session) -> None:
    """A table that would be refused for its cells is refused at once: no confirmation
    first, to be followed by the refusal."""
    _seed(session)
    table = "\r\n".join([HEADER, _row(identifier="T-P", level="programme", title="x",
                                        status="12")]) + "\r\n"
    for look in (lambda: changed_since_written(session, Principal.system(),
                                               io.BytesIO(table.encode()), name="t.csv"),
                 lambda: import_table(session, Principal.system(),
                                      io.BytesIO(table.encode()), name="t.csv")):
        with pytest.raises(InputError) as caught:
            look()
        assert [str(p.location) for p in caught.value.problems] == ["line 2, column status"]


def test_a_version_counts_the_writes_of_its_activity_only(session: Session) -> None:
    """The version says nothing of the rest of the audit log (other activities, reads,
    sign-ins): an export of an activity nobody changed writes the same version again."""
    _seed(session)

    def version_of(identifier: str) -> str:
        rows = csv.DictReader(io.StringIO(_export(session, "csv").decode("utf-8-sig")))
        return next(r["version"] for r in rows if r["identifier"] == identifier)

    before = version_of("T-P")
    assert before == "1"  # created once
    records.create_activity(session, Principal.system(), spec("OTHER-1"))
    _export(session, "xlsx")  # audited, as every export
    assert version_of("T-P") == before
    stored = records.get_by_identifier(session, Principal.system(), "T-P")
    records.update_activity(session, Principal.system(), stored.id, records.to_spec(stored))
    assert version_of("T-P") == "2"


def test_a_version_the_export_did_not_write_is_refused(session: Session) -> None:
    table = "\r\n".join([HEADER, _row(identifier="V-1", title="x", version="12a"),
                          _row(identifier="V-2", title="x", version="9" * 40)]) + "\r\n"
    with pytest.raises(InputError) as caught:
        import_table(session, principal(session, "analyst"), io.BytesIO(table.encode()),
                     name="t.csv")
    assert [str(p.location) for p in caught.value.problems] == [
        "line 2, column version", "line 3, column version"]
    assert "'12a' is not a version the export wrote" in str(caught.value.problems[0].reason)
    assert count(session, Activity) == 0


def test_export_holds_only_readable_rows(session: Session) -> None:
    _seed(session)
    other = principal(session, "analyst", "fo-serbia")
    strict = spec("STRICT", handling="AMBER+STRICT")
    records.create_activity(session, Principal.system(), strict)
    rows = list(csv.reader(io.StringIO(_export(session, "csv", other).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["T-P", "T-P-1"]


def _row(**cells: str) -> str:
    defaults = {"level": "activity", "status": "1", "planned_start": "2024-01-01",
                "reporting_org_ref": "XM-OSCE"}
    merged = {**defaults, **cells}
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([merged.get(n, "") for n in columns.NAMES])
    return buffer.getvalue()
