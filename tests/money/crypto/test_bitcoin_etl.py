"""bitcoin-etl exports (JSON lines and CSV) into the UTXO model, told apart automatically."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tocsin.errors import InputError
from tocsin.money.crypto.utxo import open_utxo
from tocsin.money.ingest import detect_format, ingest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "crypto"
TXS_JSON = FIXTURES / "etl-transactions.json"
BLOCKS_JSON = FIXTURES / "etl-blocks.json"
TXS_CSV = FIXTURES / "etl-transactions.csv"
BLOCKS_CSV = FIXTURES / "etl-blocks.csv"
MULTISIG_TX = "b02c7c0454ada234387056ff73341de10dbdcab3b218372be6120ad0a3df653c"
SPENDS_MULTISIG = "af2c910007d4d7d0398f9900af1389a04ed6b0e81a7e3aebc37c3c55caefd017"
UNENRICHED = "1767096b45dd7a72dfa60771429c4faef344db5c1e0e05e6d1c1a7906b3dcf11"


@pytest.mark.parametrize("files", [[TXS_JSON, BLOCKS_JSON], [TXS_CSV, BLOCKS_CSV]],
                         ids=["jsonl", "csv"])
def test_every_field_of_the_schema_reaches_the_model(tmp_path: Path, files: list[Path]) -> None:
    assert [detect_format(p) for p in files] == ["bitcoin", "bitcoin"]
    report = ingest("bitcoin", files, tmp_path / "set")
    assert report.notes == ["block 32e8dd963f8878f67794db2a019d68a7fcfd53b781a40454ed2fe0489d77a062"
                            " holds 4 transactions, the export 3: the set has part of the block"]
    model = open_utxo(tmp_path / "set")
    txs = {r["txid"]: r for r in model.read("transactions.parquet").to_pylist()}
    assert len(txs) == 5
    coinbases = [t for t in txs.values() if t["coinbase"]]
    assert [(t["height"], t["fee"]) for t in coinbases] == [(700000, None), (700001, None)]
    assert txs[MULTISIG_TX]["fee"] == 10_000 and txs[MULTISIG_TX]["size"] == 250
    assert txs[SPENDS_MULTISIG]["fee"] == 10_000  # one input from outside, stated by enrichment
    assert txs[UNENRICHED]["fee"] == 10_000  # its spent output is in the set
    assert txs[MULTISIG_TX]["time"].isoformat() == "2021-09-07T07:33:20+00:00"
    outputs = {(r["txid"], r["vout"]): r for r in model.read("outputs.parquet").to_pylist()}
    kinds = sorted(r["script_type"] for r in outputs.values())
    assert kinds == ["multisig", "nonstandard", "op_return", "p2pkh", "p2pkh", "p2sh", "p2tr",
                     "p2wpkh", "p2wsh"]
    multisig = outputs[(MULTISIG_TX, 0)]
    assert multisig["address"] is None and multisig["spent_by"] == SPENDS_MULTISIG
    assert outputs[(MULTISIG_TX, 2)]["address"] == \
        "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"
    # bitcoin-etl's made-up "nonstandard…" addresses are not kept
    assert all(not (r["address"] or "").startswith("nonstandard") for r in outputs.values())
    keys = pq.read_table(tmp_path / "set" / "bitcoin" / "multisig_keys.parquet").to_pylist()
    assert {k["address"] for k in keys} == {"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
                                           "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"}
    inputs = {(r["txid"], r["vin"]): r for r in model.read("inputs.parquet").to_pylist()}
    outside = inputs[(SPENDS_MULTISIG, 1)]
    assert (outside["value"], outside["address"]) == (50_000_000,
                                                      "12ZEw5Hcv1hTb6YUQJ69y1V7uhcoDz92PH")
    flows = pq.read_table(tmp_path / "set" / "transactions.parquet").to_pylist()
    # the enriched input pays from its address, not from "outside:…"
    assert any(f["source"] == "12ZEw5Hcv1hTb6YUQJ69y1V7uhcoDz92PH" for f in flows)
    assert not any(f["source"].startswith("outside:") for f in flows)


def test_the_two_serialisations_give_the_same_model(tmp_path: Path) -> None:
    ingest("bitcoin", [TXS_JSON], tmp_path / "a")
    ingest("bitcoin", [TXS_CSV], tmp_path / "b")
    for name in ("outputs.parquet", "inputs.parquet"):
        assert open_utxo(tmp_path / "a").read(name) == open_utxo(tmp_path / "b").read(name)


def _lines() -> list[dict]:
    return [json.loads(line) for line in TXS_JSON.read_text().splitlines()]


def _write(tmp_path: Path, items: list[dict]) -> Path:
    path = tmp_path / "transactions.json"
    path.write_text("".join(json.dumps(i) + "\n" for i in items))
    return path


@pytest.mark.parametrize(("change", "expected"), [
    (lambda t: t[1]["outputs"][1].update(addresses=["1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"]),
     "transactions.json:2: $.outputs[1].addresses: 1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH differs "
     "from the address its script gives (1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
    (lambda t: t[1].update(output_value=1), "transactions.json:2: $.output_value: states 1, the "
                                            "outputs add up to 624990000"),
    (lambda t: t[1].update(fee=5), "transactions.json:2: $.fee: states 5, inputs minus outputs "
                                   "is 10000"),
    (lambda t: t[3]["inputs"][0].update(spent_output_index="x"),
     "transactions.json:4: $.inputs[0].spent_output_index: 'x' is not a whole number"),
    (lambda t: t[0].update(inputs=[t[1]["inputs"][0]]),
     "transactions.json:1: $.inputs: a coinbase transaction whose inputs are listed"),
    (lambda t: t[1]["outputs"][0].update(type="pay2me"),
     "transactions.json:2: $.outputs[0].type: 'pay2me' is not a script type"),
    (lambda t: t[1].update(block_timestamp="yesterday"),
     "transactions.json:2: $.block_timestamp: 'yesterday' is neither Unix seconds"),
    (lambda t: t[1]["inputs"][0].update(addresses=["12ZEw5Hcv1hTb6YUQJ69y1V7uhcoDz92PH"],
                                        type="pubkeyhash"),
     "transaction b02c7c0454ada234387056ff73341de10dbdcab3b218372be6120ad0a3df653c input 0: "
     "states 625000000 satoshi from 12ZEw5Hcv1hTb6YUQJ69y1V7uhcoDz92PH, the output it spends "
     "holds 625000000 for bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
    (lambda t: t[2].update(colour="red"), "transactions.json:3: $.colour: unknown field"),
])
def test_bad_exports_are_refused_with_their_place(tmp_path: Path, change, expected: str) -> None:
    items = _lines()
    change(items)
    with pytest.raises(InputError) as err:
        ingest("bitcoin", [_write(tmp_path, items)], tmp_path / "set")
    assert expected in str(err.value)
    assert not (tmp_path / "set").exists()


def test_a_block_that_contradicts_its_transactions_is_refused(tmp_path: Path) -> None:
    blocks = [json.loads(line) for line in BLOCKS_JSON.read_text().splitlines()]
    blocks[0]["timestamp"] += 1
    path = tmp_path / "blocks.json"
    path.write_text("".join(json.dumps(b) + "\n" for b in blocks))
    with pytest.raises(InputError, match=r"blocks.json:1: block 31f39a60.* has number 700000 "
                                         r"and time 1631000001"):
        ingest("bitcoin", [TXS_JSON, path], tmp_path / "set")


def test_a_broken_csv_cell_is_named(tmp_path: Path) -> None:
    lines = TXS_CSV.read_text().splitlines()
    lines[2] = lines[2].replace('[{""index"": 0, ""spent', '[{""index"": 0 ""spent', 1)
    path = tmp_path / "transactions.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"transactions.csv:3: inputs: neither a JSON list"):
        ingest("bitcoin", [path], tmp_path / "set")


def test_blocks_alone_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"etl-blocks\.json: blocks only give times"):
        ingest("bitcoin", [BLOCKS_JSON], tmp_path / "set")


@pytest.mark.parametrize(("size", "expected"), [
    ('"\u00b2"', "transactions.json:2: $.size: '\u00b2' is not a whole number"),
    ("9" * 5000, "transactions.json:2: not valid JSON (Exceeds the limit"),
    # found by fuzzing: an exponent beyond what Decimal holds raised InvalidOperation
    ("1.5e1000000000000000000", "transactions.json:2: not valid JSON (the number "
                                "1.5e1000000000000000000 is out of range)"),
])
def test_numbers_python_cannot_convert_are_named(tmp_path: Path, size: str,
                                                 expected: str) -> None:
    lines = TXS_JSON.read_text().splitlines()
    lines[1] = lines[1].replace('"size": 250', f'"size": {size}', 1)
    path = tmp_path / "transactions.json"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        ingest("bitcoin", [path], tmp_path / "set")
    assert expected in str(err.value)


REAL_TXS = FIXTURES / "etl-50001-transactions.json"
REAL_BLOCKS = FIXTURES / "etl-50001-blocks.json"


def _real_model(tmp_path: Path, files: list[Path]) -> dict[str, dict]:
    report = ingest("bitcoin", files, tmp_path / "set")
    assert report.notes == []
    model = open_utxo(tmp_path / "set")
    txs = {r["txid"][:8]: {k: v for k, v in r.items() if k not in ("source_file", "source_ref")}
           for r in model.read("transactions.parquet").to_pylist()}
    outs = {(r["txid"][:8], r["vout"]): (r["value"], r["script_type"], r["address"])
            for r in model.read("outputs.parquet").to_pylist()}
    ins = sorted((r["txid"][:8], r["vin"], r["coinbase"], (r["prev_txid"] or "")[:8])
                 for r in model.read("inputs.parquet").to_pylist())
    return {"txs": txs, "outs": outs, "ins": ins}


def test_bitcoin_etls_own_export_of_blocks_50001_and_50002(tmp_path: Path) -> None:
    assert [detect_format(p) for p in (REAL_TXS, REAL_BLOCKS)] == ["bitcoin", "bitcoin"]
    got = _real_model(tmp_path, [REAL_TXS, REAL_BLOCKS])
    txs = got["txs"]
    assert sorted((k, t["height"], t["time"].isoformat(), t["coinbase"], t["fee"])
                  for k, t in txs.items()) == [
        ("5164dc27", 50002, "2010-04-10T16:33:01+00:00", True, None),
        ("7940cdde", 50001, "2010-04-10T16:31:40+00:00", False, None),  # spends from outside
        ("e1882d41", 50001, "2010-04-10T16:31:40+00:00", True, None),
        ("f8476145", 50001, "2010-04-10T16:31:40+00:00", False, None)]
    assert got["outs"] == {
        ("e1882d41", 0): (5_000_000_000, "p2pk", "1PkqKGbNLDdDJGveCcNUMV9CEFH77ADrPQ"),
        ("7940cdde", 0): (10_000_000_000, "p2pkh", "1HaHTfmvoUW6i6nhJf8jJs6tU4cHNmBQHQ"),
        ("f8476145", 0): (5_000_000_000, "p2pkh", "1HaHTfmvoUW6i6nhJf8jJs6tU4cHNmBQHQ"),
        ("5164dc27", 0): (5_000_000_000, "p2pk", "1CvMvWyKJvfg6wQSGdHraoJ7NFu8KaTL1u")}
    assert got["ins"] == [("5164dc27", 0, True, ""), ("7940cdde", 0, False, "76a8d70a"),
                          ("7940cdde", 1, False, "0dd0394c"), ("e1882d41", 0, True, ""),
                          ("f8476145", 0, False, "0d37522b")]


def test_an_export_without_is_coinbase_reads_its_coinbases(tmp_path: Path) -> None:
    # older bitcoin-etl versions write no is_coinbase (see its Dogecoin test data)
    text = REAL_TXS.read_text()
    old = text.replace('"is_coinbase": true, ', "").replace('"is_coinbase": false, ', "")
    assert "is_coinbase" not in old
    path = tmp_path / "transactions.json"
    path.write_text(old)
    assert detect_format(path) == "bitcoin"
    assert _real_model(tmp_path / "old", [path]) == _real_model(tmp_path / "new", [REAL_TXS])


@pytest.mark.parametrize(("name", "expected"), [
    ("etl-dogecoin-107212-transactions.json",
     "etl-dogecoin-107212-transactions.json:1: $.outputs[0].addresses: "
     "DLrPBnddK81Tn7YStmKVAhqfxYexZFJymq is a Dogecoin address: this is a bitcoin-etl export "
     "of Dogecoin, and the platform reads Bitcoin only"),
    ("etl-bitcoin-cash-91722-transactions.json",
     "etl-bitcoin-cash-91722-transactions.json:1: $.outputs[0].addresses: "
     "bitcoincash:qzkddwa6hgh03skr4qsrygk7e087zjydxgqkpjnsw7 is a Bitcoin Cash address"),
])
def test_exports_of_other_coins_are_refused_naming_the_coin(tmp_path: Path, name: str,
                                                            expected: str) -> None:
    with pytest.raises(InputError) as err:
        ingest("bitcoin", [FIXTURES / name], tmp_path / "set")
    assert expected in str(err.value)
    assert "1 problem in" in str(err.value)  # said once for the file, not per line
    assert not (tmp_path / "set").exists()


@pytest.mark.parametrize("address", ["LboEit5kt8k9xuUrUo82atAegGyZQevvkq",
                                     "ltc1qkhxh4tkcd8x4ej69s68gveh8ay62ydekqm7d2l"])
def test_a_litecoin_export_is_refused_naming_the_coin(tmp_path: Path, address: str) -> None:
    items = [json.loads(line) for line in REAL_TXS.read_text().splitlines()]
    out = items[1]["outputs"][0]
    if address.startswith("ltc1"):  # the same key hash paid to a P2WPKH script
        out.update(script_hex="0014b5cd7aaed869cd5ccb45868e8666e7e934a23736",
                   type="witness_v0_keyhash")
    out["addresses"] = [address]
    path = tmp_path / "transactions.json"
    path.write_text("".join(json.dumps(i) + "\n" for i in items))
    with pytest.raises(InputError, match=rf"transactions.json:2: \$.outputs\[0\].addresses: "
                                         rf"{address} is a Litecoin address"):
        ingest("bitcoin", [path], tmp_path / "set")


@pytest.mark.parametrize("source", [TXS_JSON, TXS_CSV], ids=["jsonl", "csv"])
def test_a_bom_and_crlf_change_nothing(tmp_path: Path, source: Path) -> None:
    path = tmp_path / source.name
    path.write_bytes(b"\xef\xbb\xbf" + source.read_bytes().replace(b"\n", b"\r\n"))
    assert detect_format(path) == "bitcoin"
    ingest("bitcoin", [path], tmp_path / "a")
    ingest("bitcoin", [source], tmp_path / "b")
    for name in ("inputs.parquet", "outputs.parquet"):
        assert open_utxo(tmp_path / "a").read(name) == open_utxo(tmp_path / "b").read(name)
    strip = ("source_file", "source_ref")
    assert [{k: v for k, v in r.items() if k not in strip}
            for r in open_utxo(tmp_path / "a").read("transactions.parquet").to_pylist()] == \
        [{k: v for k, v in r.items() if k not in strip}
         for r in open_utxo(tmp_path / "b").read("transactions.parquet").to_pylist()]
