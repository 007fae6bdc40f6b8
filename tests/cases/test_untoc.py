"""The Convention articles the requests cite agree with the platform's fact sheet
(``tocsin/cases/data/untoc.yaml`` cites it): every article cited is one the data knows,
the kinds carry the articles' headings, and the Convention's confirmed facts are these."""

from __future__ import annotations

import re

from tocsin.cases import requests
from tocsin.cases.tables import REQUEST_KINDS

ARTICLE = re.compile(r"art\. (\d+)(\([0-9a-z]+\))*")


def _article(text: str) -> int:
    found = ARTICLE.search(text)
    assert found, f"no article in {text!r}"
    return int(found.group(1))


def test_convention_facts_are_the_confirmed_ones() -> None:
    data = requests.convention()
    convention = data["convention"]
    assert convention["verified"] is True
    assert (convention["adopted"], convention["entry_into_force"]) == ("2000-11-15", "2003-09-29")
    assert convention["resolution"] == "General Assembly resolution 55/25, annex I"
    assert "S34" in data["source"] and "2026-11-22" in data["source"]
    # the fact sheet confirms none of the headings the requests use: the data says so
    assert all(a["verified"] is False for a in data["articles"].values())


def test_every_article_cited_is_known() -> None:
    known = set(requests.convention()["articles"])
    cited = [i.article for i in requests.content_items()]
    cited += [g.article for g in requests.refusal_grounds()]
    cited += list(requests.KIND_LABELS.values())
    for text in cited:
        assert _article(text) in known, text


def test_kinds_carry_the_articles_headings() -> None:
    data = requests.convention()
    assert set(data["kinds"]) == set(REQUEST_KINDS)
    for kind, entry in data["kinds"].items():
        heading = data["articles"][entry["article"]]["heading"]
        if kind != "preservation":  # a request under art. 13(2), not the article's heading
            assert entry["label"] == heading, kind
        assert f"UNTOC art. {entry['article']}" in requests.KIND_LABELS[kind]
    assert requests.KIND_LABELS["jit"] == "Joint investigations (UNTOC art. 19)"
    assert requests.KIND_LABELS["preservation"] == "Preservation and freezing (UNTOC art. 13(2))"
