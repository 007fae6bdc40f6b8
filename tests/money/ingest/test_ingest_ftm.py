"""FollowTheMoney entities into a transaction set: Payments become transactions, accounts
and parties keep their properties, what a set cannot hold is reported, a bad Payment
names its line and nothing is written; what the platform exports as FtM imports back
unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tocsin.errors import InputError
from tocsin.money.dataset import open_set
from tocsin.money.export import export_set
from tocsin.money.ingest import detect_format, ingest
from tocsin.money.rates import rates_from_mapping

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "money"
RATES = rates_from_mapping({"base": "EUR", "rates": {
    "MDL": 0.05, "USD": 0.9, "GBP": 1.2, "CNY": 0.13, "XBT": 40000, "CHF": 1.05}})


def _lines(path: Path) -> dict[str, dict[str, object]]:
    entities = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return {e["id"]: e for e in entities}


def test_payments_become_transactions(tmp_path: Path) -> None:
    source = FIXTURES / "ftm" / "mixed.jsonl"
    assert detect_format(source) == "ftm"
    report = ingest("ftm", [source], tmp_path / "set", rates=RATES)
    assert (report.transactions, report.accounts, report.parties) == (2, 4, 4)
    assert "not held by a transaction set, left out: 1 Address, 1 Directorship" in report.notes
    assert any("descriptions of 1 payment other" in n for n in report.notes)
    stored = open_set(report.target)
    txns = {r["txn_id"]: r for r in stored.transactions().to_pylist()}
    assert txns["pay-1"]["source"] == "MD24AG000225100013104168"
    assert txns["pay-1"]["target"] == "RO49AAAA1B31007593840000"
    assert txns["pay-1"]["amount"] == 9500 and txns["pay-1"]["currency_orig"] == "EUR"
    # a payment between parties without accounts runs between the parties themselves
    assert (txns["TX-2"]["source"], txns["TX-2"]["target"]) == ("party:c-harbour",
                                                                "party:p-ivanov")
    assert txns["TX-2"]["amount"] == pytest.approx(12000.50 * 0.9)
    assert txns["TX-2"]["source_ref"] == "mixed.jsonl:10"
    accounts = {r["account_id"]: r for r in stored.accounts().to_pylist()}
    assert accounts["MD24AG000225100013104168"]["party_id"] == "p-ivanov"
    assert accounts["MD24AG000225100013104168"]["bank"] == "Fictional Bank"
    parties = {r["party_id"]: r for r in stored.parties().to_pylist()}
    assert json.loads(parties["p-ivanov"]["properties"])["birthDate"] == ["1971-02-03"]
    assert parties["c-harbour"]["country"] == "ro"


def test_export_imports_back_unchanged(tmp_path: Path) -> None:
    folder = FIXTURES / "amlworld"
    first = ingest("amlworld", [folder / "Tiny_Trans.csv", folder / "Tiny_Patterns.txt"],
                   tmp_path / "a", rates=RATES)
    export_set(first.target, "ftm", tmp_path / "a.jsonl")
    again = ingest("ftm", [tmp_path / "a.jsonl"], tmp_path / "b", rates=RATES)
    assert again.transactions == first.transactions and again.accounts == first.accounts
    export_set(again.target, "ftm", tmp_path / "b.jsonl")
    before, after = _lines(tmp_path / "a.jsonl"), _lines(tmp_path / "b.jsonl")
    assert len(before) > 40 and after == before
    labelled = [r for r in open_set(again.target).transactions().to_pylist() if r["label"]]
    assert labelled and all(r["channel"] for r in labelled)


def test_export_of_parties_imports_back_unchanged(tmp_path: Path) -> None:
    first = ingest("goaml", [FIXTURES / "goaml" / "str_smurfing.xml"], tmp_path / "a",
                   rates=RATES)
    export_set(first.target, "ftm", tmp_path / "a.jsonl")
    again = ingest("ftm", [tmp_path / "a.jsonl"], tmp_path / "b", rates=RATES)
    export_set(again.target, "ftm", tmp_path / "b.jsonl")
    assert _lines(tmp_path / "b.jsonl") == _lines(tmp_path / "a.jsonl")
    assert again.parties == first.parties


def test_a_bad_payment_names_its_line_and_nothing_is_written(tmp_path: Path) -> None:
    lines = (FIXTURES / "ftm" / "mixed.jsonl").read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[8])
    del bad["properties"]["date"]
    bad["properties"]["beneficiaryAccount"] = ["acct-missing"]
    lines[8] = json.dumps(bad)
    source = tmp_path / "bad.jsonl"
    source.write_text("\n".join(lines) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        ingest("ftm", [source], tmp_path / "set", rates=RATES)
    assert [p.location for p in error.value.problems] == ["bad.jsonl:11"]  # JSON first
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        ingest("ftm", [source], tmp_path / "set", rates=RATES)
    found = {(p.location, p.reason.split(":")[0]) for p in error.value.problems}
    assert ("bad.jsonl:9", "beneficiary") in found
    assert any(loc == "bad.jsonl:9" and "date" in reason
               for loc, reason in ((p.location, p.reason) for p in error.value.problems))
    assert not (tmp_path / "set").exists()


@pytest.mark.parametrize("line", [
    '{"id": "p-1", "schema": {"name": ["Ivan"]}}',
    '{"id": ["p-1"], "schema": "Person"}',
    '{"id": 5, "schema": "Person"}',
])
def test_an_entity_whose_id_or_schema_is_not_text_is_refused_by_line(
        tmp_path: Path, line: str) -> None:
    # found by fuzzing: a schema given as an object reached the import as the entity's
    # schema, which raised AttributeError ('dict' object has no attribute 'is_a')
    path = tmp_path / "entities.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest("ftm", [path], tmp_path / "s")
    assert [(p.location, p.reason) for p in caught.value.problems] == [
        ("entities.jsonl:1", "not a FollowTheMoney entity (needs an id and a schema, each as "
                             "text)")]
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("name", ["ftmstore-entities", "entities.ijson"])
def test_an_aleph_export_without_a_json_suffix(tmp_path: Path, name: str) -> None:
    # followthemoney-store's test entities (SOURCES.md), under no suffix as that project keeps
    # them, and as .ijson as its documentation names such files: both were "cannot tell the
    # format of this file"
    source = tmp_path / name
    source.write_bytes((FIXTURES / "ftm" / "ftmstore-entities").read_bytes())
    assert detect_format(source) == "ftm"
    report = ingest("ftm", [source], tmp_path / "set")
    assert (report.transactions, report.accounts, report.parties) == (0, 0, 4)
    assert [str(n) for n in report.notes] == ["not held by a transaction set, left out: 1 Note"]
    parties = {p["name"] + "/" + p["schema"]: p
               for p in open_set(report.target).parties().to_pylist()}
    assert sorted(parties) == ["Carlos Danger/LegalEntity", "Carlos Danger/Person",
                               "KwaZulu/Company", "Pure Risk/Person"]
    # Aleph's own keys (role_id, origin, mutable, timestamps) are not properties
    assert json.loads(parties["Carlos Danger/Person"]["properties"]) == {
        "name": ["Carlos Danger"], "nationality": ["us"]}
    assert parties["KwaZulu/Company"]["source_ref"] == f"{name}:5"
