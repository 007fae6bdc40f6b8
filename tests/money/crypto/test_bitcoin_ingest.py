"""Bitcoin ingest: real mainnet blocks, Bitcoin Core JSON, SegWit, and bad input refused."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tocsin.errors import InputError
from tocsin.money.crypto import bitcoin as btc
from tocsin.money.crypto.utxo import open_utxo
from tocsin.money.dataset import open_set
from tocsin.money.ingest import detect_format, ingest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "crypto"
GENESIS = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
GENESIS_TX = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
SATOSHI_ADDRESS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"


def _hex(name: str) -> bytes:
    return bytes.fromhex((FIXTURES / name).read_text().strip())


def test_real_blocks_parse_with_their_known_hashes() -> None:
    genesis = btc.parse_block(_hex("genesis.hex"))
    assert genesis.hash == GENESIS
    assert genesis.transactions[0].txid == GENESIS_TX
    assert genesis.transactions[0].is_coinbase
    assert btc.classify(genesis.transactions[0].outputs[0].script) == ("p2pk", SATOSHI_ADDRESS)
    block = btc.parse_block(_hex("block-99960.hex"))
    assert block.hash == "0000000000032d10c9c3fe953772e3e0b0e3b7553aad593384a6ccf30f1c9c27"
    assert len(block.transactions) == 3
    other = btc.parse_block(_hex("block-13b8ab.hex"))
    assert other.hash == "0000000000013b8ab2cd513b0261a14096412195a72a0c4827d229dcc7e0f7af"
    assert len(other.transactions) == 9


def test_address_vectors_of_bip173_and_bip350() -> None:
    cases = {
        "0014751e76e8199196d454941c45d1b3a323f1433bd6":
            ("p2wpkh", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
        "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798":
            ("p2tr", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"),
        "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac":
            ("p2pkh", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
        "6a0b68656c6c6f20776f726c64": ("op_return", None),
        "51": ("nonstandard", None),
    }
    for script, expected in cases.items():
        assert btc.classify(bytes.fromhex(script)) == expected
    wsh = "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"
    assert btc.classify(bytes.fromhex(wsh), "testnet") == (
        "p2wsh", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7")
    p2sh = bytes.fromhex("a914") + bytes(20) + bytes.fromhex("87")
    assert btc.classify(p2sh)[0] == "p2sh"
    assert btc.classify(p2sh)[1].startswith("3")


def _varint(n: int) -> bytes:
    return bytes([n]) if n < 0xFD else b"\xfd" + struct.pack("<H", n)


def _segwit_tx(witness: bool = True) -> tuple[bytes, bytes]:
    """A SegWit transaction serialised byte by byte, and its stripped (txid) form."""
    version = struct.pack("<i", 2)
    ins = _varint(1) + bytes.fromhex("11" * 32) + struct.pack("<I", 1) + _varint(0) \
        + struct.pack("<I", 0xFFFFFFFD)
    outs = _varint(2) \
        + struct.pack("<Q", 150_000) + _varint(22) + bytes.fromhex("0014" + "ab" * 20) \
        + struct.pack("<Q", 90_000) + _varint(34) + bytes.fromhex("5120" + "cd" * 32)
    wit = _varint(2) + _varint(71) + b"\x30" * 71 + _varint(33) + b"\x02" * 33
    lock = struct.pack("<I", 0)
    full = version + b"\x00\x01" + ins + outs + wit + lock
    return (full if witness else version + ins + outs + lock), version + ins + outs + lock


def test_segwit_transaction_txid_is_over_the_stripped_form() -> None:
    full, stripped = _segwit_tx()
    tx = btc.parse_transaction(full)
    assert tx.txid == btc.double_sha256(stripped)[::-1].hex()
    assert tx.wtxid == btc.double_sha256(full)[::-1].hex() != tx.txid
    assert len(tx.inputs[0].witness) == 2
    assert [btc.classify(o.script)[0] for o in tx.outputs] == ["p2wpkh", "p2tr"]


def test_import_real_blocks_builds_the_utxo_model(tmp_path: Path) -> None:
    files = [FIXTURES / n for n in ("genesis.hex", "block-99960.hex", "block-13b8ab.hex")]
    assert all(detect_format(f) == "bitcoin" for f in files)
    report = ingest("bitcoin", files, tmp_path / "set")
    model = open_utxo(report.target)
    txs = model.read("transactions.parquet").to_pylist()
    assert len(txs) == 1 + 3 + 9
    assert txs[0]["txid"] == GENESIS_TX and txs[0]["coinbase"]
    inputs = model.read("inputs.parquet").to_pylist()
    outputs = {(o["txid"], o["vout"]): o for o in model.read("outputs.parquet").to_pylist()}
    # block 0000…f7af spends outputs created in block 99,960: matched within the set
    resolved = [i for i in inputs if i["value"] is not None]
    assert resolved
    for item in resolved:
        spent = outputs[(item["prev_txid"], item["prev_vout"])]
        assert spent["spent_by"] == item["txid"] and spent["value"] == item["value"]
    coinbase = [i for i in inputs if i["coinbase"]]
    assert len(coinbase) == 3 and all(i["prev_txid"] is None for i in coinbase)
    # a transaction whose every input is in the set has its fee
    by_id = {t["txid"]: t for t in txs}
    for txid in {i["txid"] for i in resolved}:
        own = [i for i in inputs if i["txid"] == txid]
        if all(i["value"] is not None for i in own):
            assert by_id[txid]["fee"] == sum(i["value"] for i in own) - by_id[txid]["output_value"]
    # and the account view carries the same bitcoin
    stored = open_set(report.target)
    flows = stored.transactions().to_pylist()
    assert stored.meta.format == "bitcoin"
    total = sum(o["value"] for o in outputs.values()) / 1e8
    assert sum(f["amount_orig"] for f in flows) == pytest.approx(total)
    assert all(f["currency_orig"] == "XBT" for f in flows)
    accounts = {a["account_id"]: a for a in stored.accounts().to_pylist()}
    assert accounts[SATOSHI_ADDRESS]["bank"] == "bitcoin"
    assert {a["kind"] for a in accounts.values()} == {"unknown"}  # ordinary accounts here


def test_getblock_json_gives_the_same_rows_as_the_raw_block(tmp_path: Path) -> None:
    raw = open_utxo(ingest("bitcoin", [FIXTURES / "genesis.hex"], tmp_path / "a").target)
    rpc = open_utxo(ingest("bitcoin", [FIXTURES / "getblock-genesis-v2.json"],
                           tmp_path / "b").target)
    for name in ("outputs.parquet", "inputs.parquet"):
        assert raw.read(name).to_pylist() == rpc.read(name).to_pylist()
    rows = rpc.read("transactions.parquet").to_pylist()
    assert rows[0]["height"] == 0 and rows[0]["block_hash"] == GENESIS


def test_getrawtransaction_and_a_batch_without_hex(tmp_path: Path) -> None:
    block = json.loads((FIXTURES / "getblock-genesis-v2.json").read_text())
    tx = dict(block["tx"][0], blockhash=block["hash"], blocktime=block["time"])
    del tx["hex"]
    path = tmp_path / "rawtx.json"
    path.write_text(json.dumps([{"result": tx, "error": None, "id": 1}]))
    model = open_utxo(ingest("bitcoin", [path], tmp_path / "set").target)
    out = model.read("outputs.parquet").to_pylist()[0]
    assert out["value"] == 5_000_000_000 and out["address"] == SATOSHI_ADDRESS


def test_blk_file_cut_short_names_the_offset_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        ingest("bitcoin", [FIXTURES / "blk86756-testnet.dat"], tmp_path / "set")
    assert "blk86756-testnet.dat: byte offset 8019: truncated" in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_blk_file_whole_blocks_and_padding(tmp_path: Path) -> None:
    data = (FIXTURES / "blk86756-testnet.dat").read_bytes()
    size = int.from_bytes(data[4:8], "little")
    path = tmp_path / "blk00000.dat"
    path.write_bytes(data[:8 + size] + bytes(64))
    model = open_utxo(ingest("bitcoin", [path], tmp_path / "set", options={}).target)
    addresses = [o["address"] for o in model.read("outputs.parquet").to_pylist() if o["address"]]
    assert addresses and all(a[0] in "mn2" for a in addresses)  # testnet addresses


def test_wrong_magic_bytes(tmp_path: Path) -> None:
    path = tmp_path / "blk00001.dat"
    block = _hex("genesis.hex")
    path.write_bytes(bytes.fromhex("f9beb4d9") + struct.pack("<I", len(block)) + block
                     + b"\xde\xad\xbe\xef" + struct.pack("<I", len(block)) + block)
    with pytest.raises(InputError) as err:
        ingest("bitcoin", [path], tmp_path / "set")
    assert f"blk00001.dat: byte offset {8 + len(block)}: wrong magic bytes deadbeef" \
        in str(err.value)
    assert not (tmp_path / "set").exists()


def test_truncated_and_altered_hex_blocks(tmp_path: Path) -> None:
    text = (FIXTURES / "block-99960.hex").read_text().strip()
    cut = tmp_path / "cut.hex"
    cut.write_text(text[:1000] + "\n")
    with pytest.raises(InputError) as err:
        ingest("bitcoin", [cut], tmp_path / "a")
    assert "cut.hex:1: byte offset" in str(err.value) and "truncated" in str(err.value)
    altered = tmp_path / "altered.hex"
    # change one output value of the last transaction: the Merkle root no longer matches
    # (value 8 bytes, script length, 25-byte script and locktime: 38 bytes from the end)
    altered.write_text(text[:-76] + ("0" if text[-76] != "0" else "1") + text[-75:] + "\n")
    with pytest.raises(InputError) as err:
        ingest("bitcoin", [altered], tmp_path / "b")
    assert "Merkle root" in str(err.value)
    bad = tmp_path / "bad.hex"
    bad.write_text(text[:10] + "zz" + text[12:] + "\n")
    with pytest.raises(InputError) as err:
        ingest("bitcoin", [bad], tmp_path / "c", )
    assert "bad.hex:1: character 11" in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["altered.hex", "bad.hex", "cut.hex"]


def test_malformed_json_names_line_or_path(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"hash": "00", "tx": [\n  {"txid": }\n]}')
    with pytest.raises(InputError) as err:
        ingest("bitcoin", [broken], tmp_path / "a")
    assert "broken.json: line 2 column" in str(err.value)
    block = json.loads((FIXTURES / "getblock-genesis-v2.json").read_text())
    del block["tx"][0]["hex"]
    block["tx"][0]["vout"][0]["value"] = "fifty"
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps(block))
    with pytest.raises(InputError) as err:
        ingest("bitcoin", [wrong], tmp_path / "b")
    assert "wrong.json: $.tx[0].vout[0].value" in str(err.value)
    block = json.loads((FIXTURES / "getblock-genesis-v2.json").read_text())
    block["tx"][0]["vout"][0]["scriptPubKey"]["addresses"] = ["1BitcoinEaterAddressDontSendf59kuE"]
    lying = tmp_path / "lying.json"
    lying.write_text(json.dumps(block))
    with pytest.raises(InputError) as err:
        ingest("bitcoin", [lying], tmp_path / "c")
    assert "differs from the one its script gives" in str(err.value)
    verbose1 = json.loads((FIXTURES / "getblock-genesis-v2.json").read_text())
    verbose1["tx"] = [GENESIS_TX]
    short = tmp_path / "short.json"
    short.write_text(json.dumps(verbose1))
    with pytest.raises(InputError) as err:
        ingest("bitcoin", [short], tmp_path / "d")
    assert "$.tx[0]: a transaction id only" in str(err.value)
    assert not any(p.is_dir() for p in tmp_path.iterdir())


def test_a_block_whose_txid_is_not_hexadecimal_is_refused_by_path(tmp_path: Path) -> None:
    # Without "hex", a transaction's id is taken as stated; one that is not 64 hex digits
    # once reached the Merkle check and raised ValueError out of bytes.fromhex.
    block = json.loads((FIXTURES / "getblock-genesis-v2.json").read_text())
    del block["tx"][0]["hex"]
    block["tx"][0]["txid"] = "4a5e!" + block["tx"][0]["txid"][5:]
    path = tmp_path / "block.json"
    path.write_text(json.dumps(block))
    with pytest.raises(InputError) as err:
        ingest("bitcoin", [path], tmp_path / "set")
    assert "block.json: $.tx[0].txid: '4a5e!" in str(err.value)
    assert "is not a transaction id" in str(err.value)
    # the id in capitals, as some tools write it, is the same transaction
    block["tx"][0]["txid"] = GENESIS_TX.upper()
    path.write_text(json.dumps(block))
    rows = open_utxo(ingest("bitcoin", [path], tmp_path / "upper").target)
    assert rows.read("transactions.parquet").to_pylist()[0]["txid"] == GENESIS_TX


def test_a_block_time_beyond_what_a_header_holds_is_refused_by_path(tmp_path: Path) -> None:
    # A time past 32 bits once raised ValueError from datetime ("year … is out of range").
    block = json.loads((FIXTURES / "getblock-genesis-v2.json").read_text())
    for when in (39_011_013 * 365 * 86_400, 2**32):
        block["time"] = when
        path = tmp_path / "block.json"
        path.write_text(json.dumps(block))
        with pytest.raises(InputError) as err:
            ingest("bitcoin", [path], tmp_path / "set")
        assert f"block.json: $.time: {when} is not a Unix time" in str(err.value)
    block["time"] = 2**32 - 1  # the last second a header can say
    path.write_text(json.dumps(block))
    rows = open_utxo(ingest("bitcoin", [path], tmp_path / "last").target)
    assert rows.read("transactions.parquet").to_pylist()[0]["time"].year == 2106


@pytest.mark.parametrize(("where", "value", "reason"), [
    ("height", 10**20, "is not a block height"),
    ("tx.vin.sequence", 2**32, "is out of range"),
    ("tx.vin.sequence", "x", "is not a whole number"),
    ("tx.vin.vout", 2**64, "is not an output index"),
    ("tx.locktime", 10**30, "is out of range"),
    ("tx.version", "abc", "is not a whole number"),
    ("tx.size", [1], "is not a whole number"),
])
def test_numbers_a_block_cannot_hold_are_refused_by_path(tmp_path: Path, where: str,
                                                         value: object, reason: str) -> None:
    # Each once raised OverflowError, ValueError or TypeError on the way to the tables.
    block = json.loads((FIXTURES / "getblock-genesis-v2.json").read_text())
    tx = block["tx"][0]
    del tx["hex"]  # without it, the transaction's fields are read as stated
    if where == "tx.vin.vout":  # the coinbase input has no vout: spend an output instead
        tx["vin"][0] = {"txid": GENESIS_TX, "vout": value}
    *parents, name = where.split(".")
    target = {"height": block, "tx": tx, "tx.vin": tx["vin"][0]}[".".join(parents) or name]
    target[name] = value
    path = tmp_path / "block.json"
    path.write_text(json.dumps(block))
    with pytest.raises(InputError) as err:
        ingest("bitcoin", [path], tmp_path / "set")
    shown = where.replace("tx.", "tx[0].").replace("vin.", "vin[0].")
    assert f"block.json: $.{shown}: {value!r} {reason}" in str(err.value)


def test_unknown_scripts_are_kept_as_nonstandard(tmp_path: Path) -> None:
    block = json.loads((FIXTURES / "getblock-genesis-v2.json").read_text())
    tx = block["tx"][0]
    del tx["hex"]
    tx["vout"][0]["scriptPubKey"] = {"hex": "51ae", "type": "nonstandard"}
    block["merkleroot"] = None
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(block))
    model = open_utxo(ingest("bitcoin", [path], tmp_path / "set").target)
    out = model.read("outputs.parquet").to_pylist()[0]
    assert out["script_type"] == "nonstandard" and out["address"] is None
    flows = pq.read_table(tmp_path / "set" / "transactions.parquet").to_pylist()
    assert flows[0]["target"] == f"nonstandard:{GENESIS_TX}:0"


GENESIS_TXID = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
GENESIS_SCRIPT = ("4104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc"
                  "3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac")
#: a bare 1-of-2 multisig of the genesis key and the secp256k1 generator
MULTISIG = ("514104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef"
            "38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f210279be667ef9dcbbac55a06295ce"
            "870b07029bfcdb2dce28d959f2815b16f8179852ae")


def _spend_of_genesis(old_node: bool) -> dict:
    """getrawtransaction <txid> true for a spend of the genesis output (as in the shape of the
    answers of nodes before 22.0, ``addresses`` lists, or after, one ``address``)."""
    multisig = {"asm": "1 … 2 OP_CHECKMULTISIG", "hex": MULTISIG, "type": "multisig"}
    if old_node:
        multisig.update(reqSigs=1, addresses=["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
                                              "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"])
    return {
        "txid": "ab" * 32, "hash": "ab" * 32, "version": 1, "size": 200, "locktime": 0,
        "vin": [{"txid": GENESIS_TXID, "vout": 0, "scriptSig": {"asm": "", "hex": ""},
                 "sequence": 4294967295}],
        "vout": [{"value": 49.99, "n": 0, "scriptPubKey": multisig},
                 {"value": 0.0, "n": 1, "scriptPubKey": {
                     "asm": "OP_RETURN deadbeef", "hex": "6a04deadbeef", "type": "nulldata"}}],
        "blockhash": "cd" * 32, "blocktime": 1231469665}


@pytest.mark.parametrize("old_node", [True, False], ids=["addresses", "no-addresses"])
def test_a_bare_multisig_output_as_nodes_list_it(tmp_path: Path, old_node: bool) -> None:
    path = tmp_path / "rawtx.json"
    path.write_text(json.dumps(_spend_of_genesis(old_node)))  # 49.99: read exactly
    model = open_utxo(ingest("bitcoin", [FIXTURES / "getblock-genesis-v2.json", path],
                             tmp_path / "set").target)
    outs = {(o["txid"][:4], o["vout"]): (o["value"], o["script_type"], o["address"])
            for o in model.read("outputs.parquet").to_pylist()}
    assert outs[("abab", 0)] == (4_999_000_000, "multisig", None)
    assert outs[("abab", 1)] == (0, "op_return", None)
    fee = {t["txid"][:4]: t["fee"] for t in model.read("transactions.parquet").to_pylist()}
    assert fee["abab"] == 1_000_000


def _verbosity_3(fee: float) -> dict:
    """The same spend as getblock <hash> 3 answers it (nodes since 25.0): each input states
    the output it spends (``prevout``), the transaction its ``fee``."""
    tx = _spend_of_genesis(old_node=False)
    tx["vin"][0]["prevout"] = {"generated": True, "height": 0, "value": 50.0, "scriptPubKey": {
        "asm": "… OP_CHECKSIG", "desc": "pk(…)", "hex": GENESIS_SCRIPT, "type": "pubkey"}}
    tx["fee"] = fee
    return tx


def test_verbosity_3_gives_the_fee_of_a_spend_from_outside_the_set(tmp_path: Path) -> None:
    path = tmp_path / "rawtx.json"
    path.write_text(json.dumps(_verbosity_3(0.01)))
    model = open_utxo(ingest("bitcoin", [path], tmp_path / "set").target)
    [tx] = model.read("transactions.parquet").to_pylist()
    assert tx["fee"] == 1_000_000  # the genesis output is not in the set
    [txin] = model.read("inputs.parquet").to_pylist()
    assert (txin["value"], txin["script_type"], txin["address"]) == (
        5_000_000_000, "p2pk", SATOSHI_ADDRESS)


def test_verbosity_3_agrees_with_the_spent_block(tmp_path: Path) -> None:
    path = tmp_path / "rawtx.json"
    path.write_text(json.dumps(_verbosity_3(0.01)))
    model = open_utxo(ingest("bitcoin", [FIXTURES / "getblock-genesis-v2.json", path],
                             tmp_path / "set").target)
    fee = {t["txid"][:4]: t["fee"] for t in model.read("transactions.parquet").to_pylist()}
    assert fee["abab"] == 1_000_000


def test_a_stated_fee_that_is_not_inputs_minus_outputs_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rawtx.json"
    path.write_text(json.dumps(_verbosity_3(0.02)))
    with pytest.raises(InputError, match=r"rawtx.json: \$.fee: states 2000000 satoshi, the "
                                         r"outputs spent \(prevout\) minus the outputs is "
                                         r"1000000"):
        ingest("bitcoin", [path], tmp_path / "set")
    assert not (tmp_path / "set").exists()
