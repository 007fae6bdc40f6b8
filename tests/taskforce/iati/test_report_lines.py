"""The import report's lines: one line for the same reason at the same place in many
activities, the activities' positions named."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.taskforce.programmes.factory import principal
from tocsin import i18n
from tocsin.access.principal import Principal
from tocsin.errors import Problem
from tocsin.i18n import N_
from tocsin.taskforce.iati.exchange import IatiImport, grouped, import_iati, report_lines
from tocsin.taskforce.iati.reader import read_activities
from tocsin.taskforce.programmes.vocabulary import Vocabulary

PUBLISHED = Path(__file__).resolve().parents[2] / "fixtures" / "iati" / "published"
ACT = "/iati-activities/iati-activity"
TIED = N_("code %(code)s is not in the bundled IATI code list %(list)s; kept as published",
          code="''", list="TiedStatus")


def test_one_habit_over_many_activities_is_one_line_naming_them() -> None:
    problems = [Problem(f"{ACT}[{i}]/default-tied-status/@code", TIED) for i in range(1, 13)]
    problems.insert(3, Problem(f"{ACT}[3]/sector", "sector '1' is odd"))
    problems.append(Problem("/iati-activities/@generated-datetime", "not a date"))
    assert grouped(problems) == [
        (f"{ACT}[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, …]/default-tied-status/@code", TIED, 12),
        (f"{ACT}[3]/sector", "sector '1' is odd", 1),
        ("/iati-activities/@generated-datetime", "not a date", 1)]


def test_other_values_or_other_places_stay_apart() -> None:
    problems = [Problem(f"{ACT}[1]/sector", "sector '1' is odd"),
                Problem(f"{ACT}[2]/sector", "sector '2' is odd"),
                Problem(f"{ACT}[3]/sector[2]", "sector '1' is odd"),
                Problem(f"{ACT}[4]/sector", "sector '1' is odd"),
                Problem(f"{ACT}[4]/sector", "sector '1' is odd")]  # twice in one activity
    assert grouped(problems) == [(f"{ACT}[1, 4]/sector", "sector '1' is odd", 2),
                                 (f"{ACT}[2]/sector", "sector '2' is odd", 1),
                                 (f"{ACT}[3]/sector[2]", "sector '1' is odd", 1)]


def test_a_publishers_file_reports_each_habit_once_in_the_readers_language() -> None:
    data = (PUBLISHED / "MAEC_IATI_INDONESIA-excerpt.xml").read_bytes()
    read = read_activities(io.BytesIO(data), Vocabulary())
    report = IatiImport(version=read.version, warnings=read.warnings, notes=read.notes)
    lines = [str(line) for line in report_lines(report)]
    assert (f"IATI rule {ACT}[2, 3, 4]/default-tied-status/@code: code '' is not in the "
            "bundled IATI code list TiedStatus; kept as published (3 activities)") in lines
    assert len([w for w in read.warnings if "TiedStatus" in w.reason]) == 3
    with i18n.using("fr"):
        shown = [str(line) for line in report_lines(report)]
    assert any(line.startswith(f"Règle IATI {ACT}[2, 3, 4]/default-tied-status/@code")
               and line.endswith("(3 activités)") for line in shown)


def test_one_reason_at_many_elements_of_one_activity_is_one_line_naming_them() -> None:
    # BEIS gives 175 recipient countries the same share, finer than the platform holds:
    # the report said so 175 times, one line each
    data = (PUBLISHED / "beis-gcrf-excerpt.xml").read_bytes()
    read = read_activities(io.BytesIO(data), Vocabulary())
    report = IatiImport(version=read.version, warnings=read.warnings, notes=read.notes)
    lines = [str(line) for line in report_lines(report)]
    shares = [line for line in lines if "0.5714285714285714" in line]
    assert shares == [
        f"note {ACT}[1]/recipient-country[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, …]: percentage "
        "0.5714285714285714 has more decimals than the register holds (4): held as 0.5714 "
        "there, kept as published (175 places in the activity)"]
    assert len(lines) < 20


def test_elements_are_grouped_within_one_activity_only() -> None:
    odd = "sector '1' is odd"
    problems = [Problem(f"{ACT}[1]/sector[2]", odd), Problem(f"{ACT}[1]/sector[5]", odd),
                Problem(f"{ACT}[2]/sector[3]", odd), Problem(f"{ACT}[1]/sector[7]", "other"),
                Problem(f"{ACT}[3]/result[2]/indicator/baseline", odd),
                Problem(f"{ACT}[3]/result[4]/indicator/baseline", odd)]
    lines = [str(line) for line in report_lines(IatiImport(version="2.03", notes=problems))]
    assert lines[1:] == [
        f"note {ACT}[1]/sector[2, 5]: {odd} (2 places in the activity)",
        f"note {ACT}[2]/sector[3]: {odd}",
        f"note {ACT}[1]/sector[7]: other",
        f"note {ACT}[3]/result[2, 4]/indicator/baseline: {odd} (2 places in the activity)"]


@pytest.mark.parametrize(("kind", "note"), [
    ("2", "child '41120-1932' is neither in the file nor in the platform; kept as published"),
    ("1", "parent '41120-1932' is neither in the file nor in the platform; kept without "
          "parent"),
], ids=["child", "parent"])
def test_activities_linked_outside_the_file_are_named_in_the_files_order(
        session: Session, kind: str, note: str) -> None:
    # Zimmerman & Zimmerman's second activity, which lists a child outside the file, three
    # times under identifiers whose order is not the file's: the hierarchy's notes came in
    # the order of the identifiers, and the report named iati-activity[2, 1, 3] (a file of
    # 1,200 such activities: [2, 5, 32, 302, 305, …])
    data = (PUBLISHED / "zimmzimm-activities.xml").read_text(encoding="utf-8")
    start = data.index('  <iati-activity hierarchy="1"', 100)
    end = data.index("</iati-activity>", start) + len("</iati-activity>\n")
    activity = data[start:end].replace('ref="41120-1932" type="2"',
                                       f'ref="41120-1932" type="{kind}"')
    copies = [activity.replace("NL-KVK-51018586-0004</", f"NL-KVK-51018586-0004{suffix}</")
              for suffix in "CAB"]
    file = data[:data.index("  <iati-activity")] + "".join(copies) + "</iati-activities>\n"
    report = import_iati(session, Principal.system(), io.BytesIO(file.encode()),
                         owner_unit_id=principal(session, "analyst").unit_id)
    assert report.created == 3
    lines = [str(line) for line in report_lines(report)]
    assert f"note {ACT}[1, 2, 3]: {note} (3 activities)" in lines, lines
