"""The names a person reads for the model's features, the detectors and the risk
ranking's behaviours."""

from __future__ import annotations

import re

from tocsin import i18n
from tocsin.money.detect import REGISTRY
from tocsin.money.features.base import feature_names
from tocsin.money.labels import BEHAVIOURS, contribution_label, feature_label, feature_value
from tocsin.money.model import load_default


def test_every_feature_of_the_shipped_model_has_a_label() -> None:
    names = load_default().features + feature_names()
    labels = [feature_label(name) for name in names]
    assert not [label for label in labels if "_" in label or re.search(r"\d+h\b", label)]
    assert not [label for label in labels if not re.match(r"(payer|payee|payment): ", label)]
    assert len(set(labels)) == len(set(names))  # two features never read alike
    assert feature_label("src_out_cp_168h") == "payer: distinct payees within 7 days of the payment"
    assert feature_label("dst_fwd_ratio") == "payee: share of this payment sent on within two days"


def test_values_are_written_for_a_person() -> None:
    assert feature_value("dst_fwd_ratio", 0.98) == "98%"
    assert feature_value("cash", 1.0) == "yes"
    assert feature_value("src_near_thr", 2.0) == "2"  # a side's: a count of deposits
    assert feature_value("src_back_delay_h", 3.25) == "3.2 hours"
    assert feature_value("src_amt_dev", 1776.904) == "1,776.90"
    assert feature_value("src_pair_cv", None) == "not known"
    assert feature_value("channel", 4.0) == "Cash"
    with i18n.using("fr"):
        assert feature_value("src_amt_dev", 1776.904).replace("\u202f", " ") == "1 776,90"


def test_detectors_and_behaviours_by_their_titles() -> None:
    assert contribution_label("pass_through") == "Rapid pass-through"
    assert contribution_label("pass-through") == "Money passed through"
    assert all(contribution_label(name) == str(cls.title) for name, cls in REGISTRY.items())
    assert all(contribution_label(name) == str(label) for name, label in BEHAVIOURS.items())
