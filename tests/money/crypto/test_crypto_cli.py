# ruff: noqa: RUF001 -- the expected texts are French and Russian, typographic apostrophes included
"""``tocsin money ingest bitcoin`` and ``tocsin crypto``: a real block and an RPC answer
import, cluster, tag, trace (in French and Russian too), find a path and export, as a user
under the read rule."""

from __future__ import annotations

import json
from pathlib import Path

from tests.factories import MakeUser
from tests.money.conftest import tocsin

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "crypto"


def test_blocks_and_rpc_json_from_the_command_line(cli: None, make_user: MakeUser,
                                                   tmp_path: Path) -> None:
    analyst = make_user("analyst")[0]
    out = tocsin("money", "ingest", "bitcoin", str(FIXTURES / "getblock-genesis-v2.json"),
                 str(FIXTURES / "block-99960.hex"), str(FIXTURES / "block-13b8ab.hex"),
                 "--name", "December 2010", "--unit", "tntd-spmu", "--as", analyst).output
    assert "Transaction set" in out
    assert "clusters; 0 CoinJoin" in tocsin("crypto", "cluster", "December 2010", "--as",
                                            analyst).output
    added = tocsin("crypto", "tags", "December 2010", str(FIXTURES / "tagpack-case.yaml"),
                   "--as", analyst).output
    assert "3 tags added" in added
    assert "Example Market" in tocsin("crypto", "tags", "December 2010", "--as", analyst).output
    guessed = tocsin("crypto", "cluster", "December 2010", "--change-heuristics", "all",
                     "--as", analyst).output
    assert "1 change address joined by one_time_change, script_type, round_payment" in guessed
    wrong = tocsin("crypto", "cluster", "December 2010", "--change-heuristics", "peeling",
                   "--as", analyst, ok=False)
    assert wrong.exit_code == 1 and "--change-heuristics" in wrong.output
    assert "unknown heuristic 'peeling'" in wrong.output
    shown = json.loads(tocsin("crypto", "clusters", "December 2010", "--json", "--as",
                              analyst).output)
    assert all("change_links" in c for c in shown["clusters"])
    assert shown["clusters"][0]["tags"]  # tagged clusters first
    traced = json.loads(tocsin("crypto", "trace", "December 2010",
                               "13YiRgpov7tAQt22gFgDf12cDS3s9MWbSU", "--rule", "poison",
                               "--json", "--as", analyst).output)
    assert traced["steps"] and traced["ends"]
    steps = tocsin("crypto", "trace", "December 2010", "13YiRgpov7tAQt22gFgDf12cDS3s9MWbSU",
                   "--steps", "--as", analyst).output
    assert "hop 1:" in steps
    tiho = tocsin("crypto", "trace", "December 2010", "13YiRgpov7tAQt22gFgDf12cDS3s9MWbSU",
                  "--rule", "tiho", "--steps", "--as", analyst).output
    assert "TIHO: the traced satoshis fill the highest-valued outputs first" in tiho
    french = tocsin("--language", "fr", "crypto", "trace", "December 2010",
                    "13YiRgpov7tAQt22gFgDf12cDS3s9MWbSU", "--rule", "tiho", "--steps", "--as",
                    analyst).output
    said = " ".join(french.split())
    assert "saut 1 : 74d681e0e03b… dépense 0,20 BTC suivis sur 0,20 BTC en entrée" in said
    assert ("TIHO : les satoshis suivis remplissent d’abord les sorties de plus forte "
            "valeur") in said
    assert "non dépensé dans l’ensemble" in said and "hop 1" not in said
    target = traced["ends"][0]["address"]
    path = tocsin("crypto", "path", "December 2010", "13YiRgpov7tAQt22gFgDf12cDS3s9MWbSU",
                  target, "--as", analyst).output
    assert "74d681e0e03bafa802c8aa084379aa98d9fcd632ddc2ed9782b586ec87451f20" in path
    csv_file = tmp_path / "cluster.csv"
    cluster = shown["clusters"][0]["cluster_id"]
    tocsin("crypto", "export-cluster", "December 2010", cluster, "--output", str(csv_file),
           "--as", analyst)
    assert csv_file.read_text().startswith("address,cluster_id,received_btc")
    refused = tocsin("crypto", "trace", "December 2010", "nowhere", "--as", analyst, ok=False)
    assert refused.exit_code == 1 and "neither an address nor a transaction" in refused.output
    refused = tocsin("--language", "ru", "crypto", "trace", "December 2010", "nowhere", "--as",
                     analyst, ok=False)
    assert "'nowhere' — не адрес и не транзакция этого набора" in " ".join(
        refused.output.split())
    outsider = make_user("partner_viewer", unit="unodc")[0]
    hidden = tocsin("crypto", "clusters", "December 2010", "--as", outsider, ok=False)
    assert hidden.exit_code == 1 and "not found" in hidden.output
    broken = tmp_path / "blk00000.dat"
    broken.write_bytes(bytes.fromhex("f9beb4d9") + (1000).to_bytes(4, "little") + b"\1" * 100)
    failed = tocsin("money", "ingest", "bitcoin", str(broken), "--name", "Broken", "--unit",
                    "tntd-spmu", "--as", analyst, ok=False)
    assert failed.exit_code == 1 and "blk00000.dat: byte offset 8: truncated" in failed.output
