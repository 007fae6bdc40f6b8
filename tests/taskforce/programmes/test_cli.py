"""The ``programmes`` and ``commitments`` command groups end to end on an embedded database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.taskforce.iati.test_change_counts import DFID_BS, _edited_dfid
from tocsin.cli import commitments, programmes
from tocsin.cli.main import app as main_app
from tocsin.errors import InputError
from tocsin.settings import get_settings

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TOCSIN_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("COLUMNS", "300")  # rich wraps tables at the terminal width
    monkeypatch.delenv("TOCSIN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    result = runner.invoke(main_app, ["init"])
    assert result.exit_code == 0, result.output
    yield tmp_path
    get_settings.cache_clear()


def run(app: object, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))  # type: ignore[arg-type]
    assert result.exit_code == code, f"{args}: {result.output}\n{result.exception!r}"
    return result.output


FIXTURE = Path(__file__).parents[2] / "fixtures" / "iati" / "partner_activities.xml"


def test_iati_and_table_commands(env: Path) -> None:
    out = run(programmes.app, "import-iati", str(FIXTURE), "--unit", "unodc")
    assert "2 created, 0 updated" in out
    listed = run(programmes.app, "list", "--crime-area", "drug_trafficking")
    assert "XX-PARTNER-100" in listed and "XX-PARTNER-101" not in listed
    shown = run(programmes.app, "show", "1")
    assert "Regional programme" in shown and "1200000.00" in shown and "XX-PARTNER-101" in shown
    run(programmes.app, "export-iati", "--output", str(env / "out.xml"), "--ids", "2")
    assert (env / "out.xml").read_text().count("<iati-activity ") == 1
    run(programmes.app, "export-table", "--output", str(env / "all.csv"))
    assert "XX-PARTNER-100" in (env / "all.csv").read_text(encoding="utf-8-sig")
    assert "2 updated" in run(programmes.app, "import-table", str(env / "all.csv"))
    # that import wrote both: the table is now older than what is stored
    refused = runner.invoke(programmes.app, ["import-table", str(env / "all.csv")])
    assert refused.exit_code != 0
    assert ("the table would replace 2 activities changed in the platform since the table "
            "was exported") in str(refused.exception)
    assert "(XX-PARTNER-100, XX-PARTNER-101); nothing was imported" in str(refused.exception)
    assert "2 updated" in run(programmes.app, "import-table", str(env / "all.csv"),
                              "--replace-changed")
    run(programmes.app, "template", "--output", str(env / "t.csv"))
    assert (env / "t.columns.csv").exists()
    run(programmes.app, "template", "--output", str(env / "t.xlsx"))
    assert (env / "t.xlsx").stat().st_size > 0


def test_bad_input_is_reported_without_traceback(env: Path) -> None:
    bad = env / "bad.xml"
    bad.write_text('<iati-activities version="2.03"><iati-activity>')
    result = runner.invoke(programmes.app, ["import-iati", str(bad)])
    assert result.exit_code != 0
    assert "not well-formed" in str(result.exception)
    result = runner.invoke(programmes.app, ["export-table", "--output", str(env / "x.ods")])
    assert "use a .csv or .xlsx file" in str(result.exception)


@pytest.mark.parametrize("command", [
    [programmes.app, "export-iati"], [programmes.app, "export-table"],
    [programmes.app, "template"], [main_app, "report", "coherence"]],
    ids=["export-iati", "export-table", "template", "report coherence"])
def test_an_output_that_cannot_be_written_is_refused_saying_why(env: Path,
                                                                command: list) -> None:
    # a folder named as the file ended in a traceback (IsADirectoryError), export-iati and
    # the report only after all their work; a missing folder is made, as for money exports
    app, *name = command
    result = runner.invoke(app, [*name, "--output", str(env)])
    assert isinstance(result.exception, InputError), result.output
    assert str(result.exception) == f"{env}: a folder, not a file: name the file to write"
    made = env / "no-such-folder" / "a.csv"
    result = runner.invoke(app, [*name, "--output", str(made)])
    assert result.exit_code == 0, result.output
    assert made.is_file()


def test_the_exports_rule_findings_name_the_activity(env: Path) -> None:
    # the Spanish ministry's file breaks IATI rules the export keeps as published; the
    # command named only each finding's position in the file (iati-activity[3])
    spanish = FIXTURE.parent / "published" / "MAEC_IATI_INDONESIA-excerpt.xml"
    run(programmes.app, "import-iati", str(spanish), "--unit", "unodc")
    out = run(programmes.app, "export-iati", "--output", str(env / "out.xml"))
    findings = [line.strip() for line in out.splitlines() if "IATI rule" in line]
    assert findings and all(re.match(r"IATI rule /iati-activities/iati-activity\[\d+\]\S* "
                                     r"\(ES-DIR3-E04585801-[^)]+\): ", f) for f in findings)


def test_commitment_commands(env: Path) -> None:
    from tocsin.store.database import Database
    from tocsin.taskforce.commitments.demo import demo_commitments

    db = Database.from_settings(get_settings())
    with db.transaction() as session:
        demo_commitments(session)
    db.engine.dispose()
    assert "untoc:art13" in run(commitments.app, "list", "--instrument", "untoc")
    gaps = run(commitments.app, "gaps", "--by", "crime-area")
    assert "money_laundering" in gaps
    out = run(commitments.app, "assess", "1", "--status", "in_progress", "--rationale",
              "Training started")
    assert "in progress" in out
    assert "in progress" in run(commitments.app, "list", "--status", "in_progress")


ORGANISATION = (Path(__file__).parents[2] / "fixtures" / "iati" / "published"
                / "example_organisation_203-excerpt.xml")


def test_an_organisation_file_says_what_is_kept_as_published(env: Path) -> None:
    out = run(programmes.app, "import-iati-organisations", str(ORGANISATION), "--unit", "unodc")
    assert "IATI 2.03, 1 partner created, 0 updated." in out
    assert ("kept only as published, in the stored organisation: document-link x1, "
            "reporting-org/@ref x1") in out


ARES = Path(__file__).parents[2] / "fixtures" / "iati" / "published" / "ares-org.xml"
ARES_BACK = ARES.with_name("ares-org-okfn-back.xml")


def test_an_organisation_file_imported_again_says_what_changed(env: Path) -> None:
    run(programmes.app, "import-iati-organisations", str(ARES), "--unit", "unodc")
    out = run(programmes.app, "import-iati-organisations", str(ARES), "--unit", "unodc")
    assert "IATI 2.02, 0 partners created, 1 updated." in out
    assert "1 organisation imported before is unchanged" in out
    out = run(programmes.app, "import-iati-organisations", str(ARES_BACK), "--unit", "unodc")
    assert "IATI 2.03, 0 partners created, 1 updated." in out
    assert "changed BE-BCE_KBO-0546740696: @last-updated-datetime changed" in out


def test_an_activity_file_imported_again_counts_what_changed(env: Path) -> None:
    run(programmes.app, "import-iati", str(DFID_BS), "--unit", "unodc")
    newer = env / "dfid-bs-newer.xml"
    newer.write_bytes(_edited_dfid())  # a transaction dropped, the budget revised
    out = run(programmes.app, "import-iati", str(newer), "--unit", "unodc")
    assert "0 created, 2 updated (1 of them unchanged)" in out
    assert ("changed GB-1-205154-101: budget changed, 1 transaction element removed"
            in out)


PORTAL_ORGANISATIONS = Path(__file__).parents[2] / "fixtures" / "iati" / "portal_organisations.xml"
DATASTORE_ANSWER = Path(__file__).parents[2] / "fixtures" / "iati" / "datastore_answer.xml"


def test_a_portal_s_files_say_the_version_each_element_was_read_as(env: Path) -> None:
    out = run(programmes.app, "import-iati-organisations", str(PORTAL_ORGANISATIONS), "--unit",
              "unodc")
    assert "IATI (version per organisation), 2 partners created, 0 updated." in out
    assert ("note /iati-organisations/iati-organisation[2]: read as 2.01 (version on the "
            "organisation, @version)") in out
    out = run(programmes.app, "import-iati", str(DATASTORE_ANSWER), "--unit", "unodc", "--each")
    assert "IATI (version per activity): 3 created, 0 updated" in out
    assert ("note /result: /result/ok, /result/iati-activities/query: the portal's wrapper "
            "around the activities (an IATI Datastore answer), not IATI data; not kept") in out
