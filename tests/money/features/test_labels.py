"""The model's features in words: every feature has a label and a value a person reads."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tocsin import i18n
from tocsin.money import model
from tocsin.money.features import labels
from tocsin.money.features.base import CHANNELS, DEFAULT, FeatureConfig, feature_names


def _names() -> list[str]:
    return sorted(set(feature_names()) | set(model.load_default().features))


@pytest.mark.parametrize("language", ["en", "fr", "ru"])
def test_every_feature_the_shipped_model_reads_has_words_in_each_language(language: str) -> None:
    with i18n.using(language):
        for name in _names():
            text = str(labels.label(name))
            assert text != name and "_" not in text and "%(" not in text, (name, text)
            if language != "en":  # translated, not the English words
                assert text != str.__str__(labels.label(name)), (language, name)


@pytest.mark.parametrize(("name", "value", "english", "french"), [
    ("dst_fwd_delay_h", 720.0, "none within 30 days", "aucun en 30 jours"),
    ("dst_fwd_delay_h", 5.5, "5.5 hours", "5,5 heures"),
    ("src_back_delay_h", 72.0, "3.0 days", "3,0 jours"),
    ("src_pair_cv", math.nan, "only one payment", "un seul paiement"),
    ("src_pair_cv", 0.25, "25 %", "25 %"),
    ("dst_amt_rel", math.log(3.0), "3.0 times", "3,0 fois"),
    ("src_amt_dev", math.log(48.3), "48.3 times larger or smaller",
     "48,3 fois plus grand ou plus petit"),
    ("src_amt_dev", math.log(2077.6), "2,077.6 times larger or smaller",
     "2\u202f077,6 fois plus grand ou plus petit"),
    ("log_amount", math.log1p(12345.5), "12,345.50", "12\u202f345,50"),
    ("channel", float(CHANNELS.index("Wire")), "Wire", "Wire"),
    ("channel", math.nan, "none", "aucun"),
    ("dst_fwd_ratio", 0.456, "46 %", "46 %"),
    ("cash", 1.0, "yes", "oui"),
    ("dst_pair_first", 0.0, "no", "non"),
    ("dst_in_once_168h", 4.0, "4", "4"),
])
def test_a_value_is_shown_as_a_person_reads_it(name: str, value: float, english: str,
                                              french: str) -> None:
    shown = labels.shown(name, value)
    assert str.__str__(shown) == english
    with i18n.using("fr"):
        assert str(i18n.as_text(shown)).replace("\u202f", " ") == french.replace("\u202f", " ")


@pytest.mark.parametrize(("signed", "english", "russian"), [
    (math.log(48.3), "48.3 times larger", "больше в 48,3 раза"),
    (-math.log(48.3), "48.3 times smaller", "меньше в 48,3 раза"),
    (math.nan, "48.3 times larger or smaller", "больше или меньше в 48,3 раза"),
])
def test_a_distance_from_the_usual_amount_says_which_way_where_the_row_tells(
        signed: float, english: str, russian: str) -> None:
    row = {"src_amt_rel": signed, "dst_amt_rel": 0.0}
    shown = labels.shown("src_amt_dev", math.log(48.3), DEFAULT, row)
    assert str.__str__(shown) == english
    with i18n.using("ru"):
        assert str(i18n.as_text(shown)) == russian


def test_a_models_explanation_says_which_way_an_amount_is_unusual() -> None:
    shipped = model.load_default()
    x = np.zeros((2, len(shipped.features)))
    rel, dev = shipped.features.index("src_amt_rel"), shipped.features.index("src_amt_dev")
    x[:, dev] = math.log(2077.6)
    x[0, rel], x[1, rel] = math.log(2077.6), -math.log(2077.6)
    said = [{str.__str__(r.shown) for r in reasons if r.feature == "src_amt_dev"}
            for reasons in shipped.explain(x, top=len(shipped.features))]
    assert said == [{"2,077.6 times larger"}, {"2,077.6 times smaller"}]


def test_a_label_is_read_from_the_name_and_the_models_own_windows() -> None:
    assert str.__str__(labels.label("dst_in_once_168h")) == (
        "Payee: payments within 7 days from accounts that pay it only once")
    assert str.__str__(labels.label("src_in_n_24h")) == (
        "Payer: payments received within 1 day of this one")
    # the windows of a model trained with other settings are its own
    cfg = FeatureConfig(windows_hours=(6,), forward_hours=12, structuring_days=3)
    assert str.__str__(labels.label("src_out_cp_6h", cfg)) == (
        "Payer: accounts it paid within 6 hours of this one")
    assert str.__str__(labels.label("dst_fwd_ratio", cfg)) == (
        "Payee: share of this payment it sent on within 12 hours")
    assert str.__str__(labels.label("dst_near_thr", cfg)) == (
        "Payee: cash deposits just under a reporting threshold within 3 days")
    assert str.__str__(labels.shown("dst_fwd_delay_h", 720.0, DEFAULT)) == "none within 30 days"


def test_a_feature_this_version_does_not_know_is_given_as_it_is() -> None:
    assert str.__str__(labels.label("src_new_measure_3h")) == "src_new_measure_3h"
    assert str.__str__(labels.label("dst_in_n_168")) == "dst_in_n_168"
    assert str.__str__(labels.shown("src_new_measure_3h", 2.5)) == "2.5"


def test_the_docs_hold_the_table_of_features_in_words() -> None:
    docs = Path(__file__).resolve().parents[3] / "docs" / "money-analytics.md"
    assert labels.reference() in docs.read_text(encoding="utf-8"), (
        "copy labels.reference() into docs/money-analytics.md, section 'Features in words'")
