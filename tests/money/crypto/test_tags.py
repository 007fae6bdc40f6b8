"""TagPacks: categories as data, checks with places, propagation to clusters with the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.errors import InputError
from tocsin.money.crypto import tags
from tocsin.money.crypto.cluster import cluster
from tocsin.money.crypto.utxo import open_utxo
from tocsin.money.ingest import ingest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "crypto"


def test_categories_are_data() -> None:
    words = tags.vocabulary()
    for name in ("exchange", "mixer", "darknet_market", "ransomware", "scam", "gambling"):
        assert name in words.categories
    assert "exchange" in words.services and "ransomware" not in words.services
    assert words.confidence["ownership"].level == 100


def test_read_tagpack_inherits_the_header() -> None:
    table = tags.read_tagpack(FIXTURES / "tagpack-case.yaml").to_pylist()
    assert len(table) == 3
    exchange, market, payment = table
    assert exchange["confidence"] == 80 and exchange["confidence_name"] == "service_data"
    assert market["source"] == "case file 12, annex 3" and market["confidence"] == 90
    assert payment["txid"].startswith("d43a40a2") and payment["confidence"] == 40
    assert "Example Exchange (actor example-exchange): Exchange" in tags.describe(exchange)


def test_categories_and_descriptions_are_in_the_readers_language() -> None:
    from tocsin import i18n

    words = tags.vocabulary()
    exchange = tags.read_tagpack(FIXTURES / "tagpack-case.yaml").to_pylist()[0]
    with i18n.using("fr"):
        assert str(words.categories["mixer"].label) == "Mixeur"
        assert str(words.confidence["victim_report"].description) == "Signalé par une victime."
        text = str(tags.describe(exchange))
    assert text.startswith("Example Exchange (acteur example-exchange) : Plateforme d")
    assert "échange" in text
    assert "confiance 80/100 (Données du service)" in text
    for category in words.categories.values():  # every category of the closed vocabulary
        with i18n.using("ru"):
            assert str(category.label) != category.label.id, category.id
            assert str(category.description) != category.description.id, category.id


def test_bad_tagpack_lists_every_problem_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("""
title: Bad
tags:
  - address: 1B2RGHLsp7n1Dz6paLWQpUW8fw3E4TNcLL
    label: X
    category: exchnage
    source: s
    confidence: ownership
  - label: Y
    category: mixer
    source: s
    confidence: 140
  - address: not an address!
    tx_hash: 00
    category: scam
    confidence: forensic
  - address: 1B2RGHLsp7n1Dz6paLWQpUW8fw3E4TNcLL
    label: Z
    category: {exchange: yes}
    source: s
    confidence: ownership
""")
    with pytest.raises(InputError) as err:
        tags.read_tagpack(path)
    text = str(err.value)
    assert "bad.yaml: tags[0].category: unknown category 'exchnage'" in text
    assert "bad.yaml: tags[1]: give exactly one of address and tx_hash" in text
    assert "bad.yaml: tags[1].confidence" in text
    assert "bad.yaml: tags[2].address" in text and "bad.yaml: tags[2].label: missing" in text
    # a mapping where a category goes (found by fuzzing: it raised TypeError)
    assert "bad.yaml: tags[3].category: unknown category {'exchange': True}" in text
    broken = tmp_path / "broken.yaml"
    broken.write_text("tags:\n  - [unclosed\n")
    with pytest.raises(InputError, match=r"broken\.yaml:"):
        tags.read_tagpack(broken)


def test_tags_reach_the_cluster_with_their_source(tmp_path: Path) -> None:
    report = ingest("bitcoin", [FIXTURES / "block-99960.hex", FIXTURES / "block-13b8ab.hex"],
                    tmp_path / "set")
    added, notes = tags.import_tagpacks(report.target, [FIXTURES / "tagpack-case.yaml"])
    assert added == 3 and notes == []
    again, notes = tags.import_tagpacks(report.target, [FIXTURES / "tagpack-case.yaml"])
    assert again == 0 and notes == ["3 tag(s) were already there"]
    result = cluster(open_utxo(report.target))
    on_clusters = tags.cluster_tags(report.target, result).to_pylist()
    assert {r["label"] for r in on_clusters} == {"Example Exchange", "Example Market"}
    market = next(r for r in on_clusters if r["label"] == "Example Market")
    assert market["cluster_id"] == result.cluster_of("13YiRgpov7tAQt22gFgDf12cDS3s9MWbSU")
    assert market["source"] == "case file 12, annex 3"


def test_a_failed_pack_keeps_nothing(tmp_path: Path) -> None:
    report = ingest("bitcoin", [FIXTURES / "block-99960.hex"], tmp_path / "set")
    bad = tmp_path / "bad.yaml"
    bad.write_text("tags:\n  - {address: 1B2RGHLsp7n1Dz6paLWQpUW8fw3E4TNcLL, label: X}\n")
    with pytest.raises(InputError):
        tags.import_tagpacks(report.target, [FIXTURES / "tagpack-case.yaml", bad])
    assert tags.load_tags(report.target).num_rows == 0


def test_a_tagpack_nested_too_deeply_is_refused(tmp_path: Path) -> None:
    # found by fuzzing: the Python YAML loader ran out of stack (RecursionError)
    path = tmp_path / "deep.yaml"
    path.write_text("tags: " + "[" * 2000)
    with pytest.raises(InputError) as caught:
        tags.read_tagpack(path)
    problem = caught.value.problems[0]
    assert problem.location == "deep.yaml:1"
    assert problem.reason == "not valid YAML (exceeded maximum nesting depth)"
