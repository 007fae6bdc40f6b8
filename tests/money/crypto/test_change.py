"""Change-address heuristics on a hand-made chain: each fires alone, a disagreement gives no
link, a payment back to an input is left alone, links are kept and explained."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.errors import InputError
from tocsin.money.crypto import cluster as clustering
from tocsin.money.crypto.change import HEURISTICS, parse_names
from tocsin.money.crypto.cluster import ClusterConfig, cluster, cluster_id
from tocsin.money.crypto.generate import SCRIPT_MIX, ChainConfig, generate, quality
from tocsin.money.crypto.utxo import open_utxo

from .chains import txid, write_chain


@pytest.fixture(scope="module")
def payments(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_chain(tmp_path_factory.mktemp("change") / "set", [
        ("cb", [], [("A1", 1_000_000), ("M1", 500_000), ("B1", 2_000_000, "p2pkh"),
                    ("C1", 3_000_000), ("D1", 4_000_000, "p2pkh"), ("E1", 5_000_000)]),
        # one-time change only: M1 was paid before, A2 is new; same types, no round amount
        ("t1", [("cb", 0)], [("M1", 312_345), ("A2", 686_655)]),
        # script type only: the input and B2 are P2PKH, the payment P1 is P2WPKH
        ("t2", [("cb", 2)], [("P1", 1_234_567), ("B2", 764_433, "p2pkh")]),
        # round payment only: 0.015 BTC to Q1, the change C2 0.01499 BTC
        ("t3", [("cb", 3)], [("Q1", 1_500_000), ("C2", 1_499_000)]),
        # disagreement: the script type names D2, the round amount names R1
        ("t4", [("cb", 4)], [("D2", 2_000_000, "p2pkh"), ("R1", 1_999_000)]),
        # change back to the input E1: F1 is new but it is the payment
        ("t5", [("cb", 5)], [("F1", 1_234_567), ("E1", 3_764_433)]),
    ])


def test_names_are_checked() -> None:
    assert parse_names("all") == tuple(HEURISTICS)
    assert parse_names("") == ()
    assert parse_names("round_payment, script_type,round_payment") == (
        "round_payment", "script_type")
    with pytest.raises(InputError, match="unknown heuristic 'roundpayment'"):
        parse_names("roundpayment")


def test_without_heuristics_no_change_is_joined(payments: Path) -> None:
    result = cluster(open_utxo(payments))
    assert result.change_links.num_rows == 0
    assert result.cluster_of("A2") == cluster_id("A2")


def test_each_heuristic_by_hand(payments: Path) -> None:
    result = cluster(open_utxo(payments), ClusterConfig(change_heuristics=parse_names("all")))
    links = {r["txid"]: r for r in result.change_links.to_pylist()}
    assert set(links) == {txid("t1"), txid("t2"), txid("t3")}  # not t4 (disagree), not t5
    assert (links[txid("t1")]["change_address"], links[txid("t1")]["heuristics"],
            links[txid("t1")]["confidence"]) == ("A2", "one_time_change", 60)
    assert (links[txid("t2")]["change_address"], links[txid("t2")]["heuristics"],
            links[txid("t2")]["confidence"]) == ("B2", "script_type", 70)
    assert (links[txid("t3")]["change_address"], links[txid("t3")]["heuristics"],
            links[txid("t3")]["confidence"]) == ("C2", "round_payment", 55)
    assert "M1 was used before" in links[txid("t1")]["reason"]
    assert "the inputs and the change are p2pkh, the other output is p2wpkh" in \
        links[txid("t2")]["reason"]
    assert "0.015 BTC is a multiple of 0.001 BTC" in links[txid("t3")]["reason"]
    for change, owner in (("A2", "A1"), ("B2", "B1"), ("C2", "C1")):
        assert result.members(cluster_id(owner)) == sorted([owner, change])
    for alone in ("D2", "R1", "F1", "M1", "P1", "Q1"):
        assert result.cluster_of(alone) == cluster_id(alone)


def test_only_the_heuristics_asked_for(payments: Path) -> None:
    result = cluster(open_utxo(payments), ClusterConfig(change_heuristics=("round_payment",)))
    # alone, the round amount of t4 names R1 (the script type disagrees): a guess, which is
    # why each heuristic is asked for by name and every link says which made it
    assert result.change_links.column("change_address").to_pylist() == ["C2", "R1"]
    coarse = cluster(open_utxo(payments), ClusterConfig(change_heuristics=("round_payment",),
                                                        round_to=1_000))
    assert coarse.change_links.num_rows == 0  # every amount above is a multiple of 1,000


def test_links_are_stored_and_explained(payments: Path, tmp_path: Path) -> None:
    result = cluster(open_utxo(payments), ClusterConfig(change_heuristics=("script_type",)))
    clustering.store(payments, result)
    try:
        loaded = clustering.load(payments)
        assert loaded is not None
        assert loaded.change_links.to_pylist() == result.change_links.to_pylist()
    finally:
        import shutil

        shutil.rmtree(payments / "bitcoin" / "clusters")


def test_heuristics_raise_recall_on_the_generated_chain(tmp_path: Path) -> None:
    chain = generate(tmp_path / "set", ChainConfig(
        wallets=30, transactions=1500, seed=4, script_types=SCRIPT_MIX, payee_reuse_share=0.3,
        round_payment_share=0.4))
    model = open_utxo(chain.folder)
    plain = quality(cluster(model), chain.owners)
    result = cluster(model, ClusterConfig(change_heuristics=parse_names("all")))
    joined = quality(result, chain.owners)
    assert joined.recall > plain.recall * 2
    assert joined.precision > 0.75  # the PayJoins' false merges now reach more addresses
    links = result.change_links.to_pylist()
    assert links and all(chain.owners[r["change_address"]] == chain.owners[r["input_address"]]
                         for r in links)
