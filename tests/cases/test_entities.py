"""FollowTheMoney entities into a case (both engines): subjects are added, the rest is
listed by line in the answer and in a note of the case, bad input names the line and
property and writes nothing, and the case's own FtM subjects import back unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cases.helpers import case, user
from tocsin.cases import entities, records
from tocsin.cases.spec import SubjectSpec
from tocsin.errors import InputError
from tocsin.settings import Settings
from tocsin.store.database import Database

FIXTURE = Path(__file__).parents[1] / "fixtures" / "money" / "ftm" / "mixed.jsonl"


def _items(text: str, source: str = "mixed.jsonl") -> list[tuple[str, dict[str, object]]]:
    return entities.read_lines(text.encode(), source)


def test_subjects_in_the_rest_reported(platform_db: Database) -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    extra = {"id": "os-1", "schema": "Person", "target": True, "datasets": ["fictional"],
             "properties": {"name": ["Olga Fictionova"], "addressEntity": ["addr-1"],
                            "topics": ["sanction"]}}
    text += json.dumps(extra) + "\n"
    with platform_db.transaction() as s:
        lead = user(s, "analyst", name="ftm-lead")
        made = case(s, lead, "FTM-1")
        result = entities.import_entities(s, lead, made.id, _items(text), "mixed.jsonl")
        assert sorted((x.schema, x.caption) for x in result.added) == [
            ("BankAccount", "MD24AG000225100013104168"),
            ("BankAccount", "RO49AAAA1B31007593840000"),
            ("Company", "Harbour Fictional Trading SRL"), ("Person", "Ivan Fictionalov"),
            ("Person", "Olga Fictionova")]
        left = {p.location: p.reason for p in result.left_out}
        assert left["mixed.jsonl:7"].startswith("Directorship 'dir-1' (dir-1)")
        assert "Payment" in left["mixed.jsonl:9"] and "Address" in left["mixed.jsonl:8"]
        assert "links addressEntity not kept" in left["mixed.jsonl:11"]
        assert len(left) == 7
        ivan = next(x for x in made.subjects if x.caption == "Ivan Fictionalov")
        assert ivan.properties["birthDate"] == ["1971-02-03"]
        # the report stays with the case
        note = made.notes[-1].text
        assert "5 subjects added; 7 entities not held" in note and "mixed.jsonl:9" in note
        # importing again adds nothing and says why
        again = entities.import_entities(s, lead, made.id, _items(text), "mixed.jsonl")
        assert again.added == [] and sum("already a subject" in p.reason
                                         for p in again.left_out) == 5


def test_bad_input_names_line_and_property_and_writes_nothing(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst", name="ftm-bad")
        made = case(s, lead, "FTM-2")
        with pytest.raises(InputError) as error:
            _items('{"id": "a", "schema": "Person"}\n{broken\n', "bad.jsonl")
        assert [p.location for p in error.value.problems] == ["bad.jsonl:2"]
        good = '{"id": "a", "schema": "Person", "properties": {"name": ["Fictional A"]}}'
        bad = '{"id": "b", "schema": "Person", "properties": {"name": ["B"], "shoeSize": ["9"]}}'
        unknown = '{"id": "c", "schema": "Starship", "properties": {}}'
        with pytest.raises(InputError) as error:
            entities.import_entities(s, lead, made.id, _items(
                "\n".join([good, bad, unknown]), "bad.jsonl"), "bad.jsonl")
        assert [p.location for p in error.value.problems] == [
            "bad.jsonl:2.properties.shoeSize", "bad.jsonl:3.schema"]
        assert made.subjects == [] and made.notes == []


def test_case_subjects_import_back_unchanged(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst", name="ftm-round")
        first, second = case(s, lead, "FTM-3"), case(s, lead, "FTM-4")
        records.add_subject(s, lead, first.id, SubjectSpec.model_validate({
            "schema": "Company", "properties": {"name": ["Fictional Quay Ltd"],
                                                "jurisdiction": ["cy"]}}))
        records.add_subject(s, lead, first.id, SubjectSpec.model_validate({
            "schema": "CryptoWallet", "properties": {"publicKey": ["bc1qfictional0000"],
                                                     "currency": ["BTC"]}}))
        exported = [records.subject_entity(first, x) for x in first.subjects]
        text = "\n".join(json.dumps(e) for e in exported)
        entities.import_entities(s, lead, second.id, _items(text, "case.jsonl"), "case.jsonl")
        assert [(x.schema, x.caption, x.properties) for x in second.subjects] == [
            (e["schema"], e["caption"], e["properties"]) for e in exported]


def test_command_line_import(platform_db: Database, monkeypatch: pytest.MonkeyPatch,
                             settings: Settings) -> None:
    from typer.testing import CliRunner

    from tocsin.cli.main import app
    from tocsin.settings import get_settings

    monkeypatch.setenv("TOCSIN_DATABASE_URL", str(settings.database_url))
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TOCSIN_SECRET_KEY", settings.secret())
    get_settings.cache_clear()
    with platform_db.transaction() as s:
        lead = user(s, "analyst", name="ftm-cli")
        case_id = case(s, lead, "FTM-CLI").id
    try:
        result = CliRunner().invoke(app, ["cases", "import-entities", str(case_id),
                                          str(FIXTURE), "--as", "ftm-cli"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "4 subjects added; 6 entities not held by the case" in result.output
    with platform_db.transaction() as s:
        assert len(records.get_case(s, lead, case_id).subjects) == 4


def test_a_line_is_an_entity_by_the_same_check_as_screening_lists_and_sets() -> None:
    # an id or schema that is not text passed the case's own check (a number as id made a
    # subject); the check shared with the other readers of entity lines refuses it by line
    lines = ['{"id": 7, "schema": "Person", "properties": {"name": ["Fictional Seven"]}}',
             '{"id": "s", "schema": {"name": "Person"}}', '["id", "schema"]', '{"id": "ok", '
             '"schema": "Person", "properties": {"name": ["Fictional Fine"]}}']
    with pytest.raises(InputError) as error:
        _items("\n".join(lines), "odd.jsonl")
    reason = "not a FollowTheMoney entity (needs an id and a schema, each as text)"
    assert [(p.location, p.reason) for p in error.value.problems] == [
        ("odd.jsonl:1", reason), ("odd.jsonl:2", reason), ("odd.jsonl:3", reason)]
