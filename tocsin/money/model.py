"""A supervised risk model: gradient boosting over graph features and detector findings.

The rule-based score (:mod:`tocsin.money.score`) weighs findings and features
by hand. When a set carries labels (AMLSim ``isFraud``, AMLworld ``Is
Laundering``, the synthetic generator) a model can learn the weights instead.

Features
    Per account: the graph features of :data:`tocsin.money.score.FEATURES_SQL`
    (degrees, amounts in and out, round amounts, night and weekend share,
    payments per active day, active span), a few ratios of them, and per
    detector the strongest finding that names the account, plus the
    rule-based risk. Per transaction (only where transactions are labelled):
    amount, time of day and week, how often the pair trades, channel and
    account kinds, the strongest finding of each detector that contains the
    transaction, and the features of both parties.

Training and judging
    Labelled rows are split once, stratified, with a fixed seed: 60 % to fit,
    20 % to choose the decision threshold (the one with the best F1) and to
    measure permutation importances, 20 % held out. Quality is only ever
    reported on the held-out part, next to the rule-based detectors on the
    same rows. A stratified split rather than a time split, because AMLSim
    labels *accounts*, not periods: an account's features summarise the whole
    period, so a time split of accounts does not exist, and stratifying keeps
    the few laundering rows in every part. The detectors and features are
    unsupervised and see the whole set; no label of a held-out row is used.
    Members of one laundering ring can fall on both sides of the split, so
    held-out scores are somewhat optimistic for a *new* set — evaluate a saved
    model on another set for that (:func:`evaluate_model`).

Trust
    :func:`save` writes the pickle and an HMAC of it keyed with the platform's
    secret; :func:`load` refuses a file without a matching signature, so only
    models this installation wrote are ever unpickled.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from tocsin.errors import InputError, Problem
from tocsin.money.detect import REGISTRY, all_detectors
from tocsin.money.engines.base import Engine, check_set_dir, open_engine, run_detectors
from tocsin.money.evaluate import Labels, Scores, compare, load_labels
from tocsin.money.findings import Finding
from tocsin.money.score import (
    FEATURES_SQL,
    combine,
    feature_contributions,
    finding_contributions,
)

if TYPE_CHECKING:
    from tocsin.settings import Settings

Level = Literal["accounts", "transactions"]

#: Fractions of the labelled rows used to fit, to choose the threshold, and held out.
SPLIT = (0.6, 0.2, 0.2)
SPLIT_METHOD = "stratified random split 60/20/20 (fit / threshold and importances / held out)"
#: Fewest laundering rows a level needs before a model is trained for it.
MIN_POSITIVES = 20
#: Validation rows used for permutation importances (a sample keeps it fast).
IMPORTANCE_ROWS = 4_000
IMPORTANCE_REPEATS = 3
#: Threads for fitting and predicting. One: the frames are small, and OpenMP
#: threads that busy-wait for a busy core were three to six times slower on a
#: shared two-core machine than a single thread.
THREADS = 1
SIGNATURE_SUFFIX = ".sig"

#: Account features that are numbers (columns of FEATURES_SQL and derived ones).
ACCOUNT_NUMERIC = (
    "in_degree", "out_degree", "counterparties", "amount_in", "amount_out", "avg_in",
    "avg_out", "min_in", "min_out", "max_in", "max_out", "round_share", "night_share",
    "weekend_share", "payments", "active_days", "span_days", "payments_per_day",
    "pass_ratio", "net_share", "findings", "rule_risk",
)
#: Party features copied onto each transaction (``src_…`` and ``dst_…``).
PARTY_FEATURES = (
    "in_degree", "out_degree", "amount_in", "amount_out", "avg_in", "avg_out",
    "payments_per_day", "pass_ratio", "findings", "rule_risk",
)

TRANSACTIONS_SQL = """
SELECT txn_id, source, target, amount, t, channel, src_kind, dst_kind,
  COUNT(*) OVER (PARTITION BY source, target) AS pair_count
FROM txn
"""


def detector_columns(detectors: Iterable[str]) -> list[str]:
    return [f"det_{name}" for name in detectors]


@dataclass(frozen=True)
class Importance:
    """Drop in average precision on the validation part when the feature is shuffled."""

    feature: str
    mean: float
    std: float


@dataclass(frozen=True)
class Reason:
    """How much one feature moved one prediction (against the training median)."""

    feature: str
    value: float | str | None
    effect: float


@dataclass
class LevelModel:
    """The model of one level (accounts or transactions) and how it did."""

    level: Level
    features: list[str]
    categorical: list[str]
    categories: dict[str, list[str]]
    estimator: Any
    threshold: float
    #: Typical value of each feature among the training rows (median, or the
    #: most frequent category): what a prediction is explained against.
    reference: dict[str, float]
    importances: list[Importance]
    validation: Scores
    held_out: Scores
    held_out_average_precision: float
    #: The rule-based detectors on the same held-out rows.
    rules_held_out: Scores
    held_out_ids: list[str]
    rows: dict[str, int]

    def summary(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "rows": self.rows,
            "threshold": round(self.threshold, 4),
            "validation": self.validation.to_dict(),
            "held_out": self.held_out.to_dict(),
            "held_out_average_precision": round(self.held_out_average_precision, 4),
            "rules_held_out": self.rules_held_out.to_dict(),
            "importances": [
                {"feature": i.feature, "mean": round(i.mean, 4), "std": round(i.std, 4)}
                for i in self.importances
            ],
        }


@dataclass
class TrainedModel:
    """Everything needed to score another set and to say how good the model is."""

    set_dir: str
    set_fingerprint: str
    detectors: list[str]
    seed: int
    split: str
    trained_at: str
    sklearn_version: str
    accounts: LevelModel
    transactions: LevelModel | None = None

    def levels(self) -> list[LevelModel]:
        return [m for m in (self.accounts, self.transactions) if m is not None]

    def summary(self) -> dict[str, Any]:
        return {
            "set_dir": self.set_dir,
            "detectors": self.detectors,
            "seed": self.seed,
            "split": self.split,
            "trained_at": self.trained_at,
            "levels": {m.level: m.summary() for m in self.levels()},
        }


# --------------------------------------------------------------------------- features


def set_fingerprint(set_dir: Path) -> str:
    """SHA-256 over the set's transaction and account files (names the data trained on)."""
    digest = hashlib.sha256()
    for name in ("transactions.parquet", "accounts.parquet"):
        with (set_dir / name).open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _best_scores(pairs: Iterable[tuple[str, str, float]]) -> pd.DataFrame:
    """(key, detector, score) triples -> one row per key, the best score per detector."""
    frame = pd.DataFrame(list(pairs), columns=["key", "detector", "score"])
    if frame.empty:
        return pd.DataFrame()
    return frame.pivot_table(index="key", columns="detector", values="score", aggfunc="max")


def account_frame(engine: Engine, findings: Sequence[Finding],
                  detectors: Sequence[str]) -> pd.DataFrame:
    """One row per account with a payment: graph features and detector indicators."""
    raw = engine.fetch(FEATURES_SQL)
    raw["account"] = raw["account"].astype(str)
    raw = raw.set_index("account").sort_index()
    frame = pd.DataFrame(index=raw.index)
    for column in ("in_degree", "out_degree", "counterparties", "amount_in", "amount_out",
                   "avg_in", "avg_out", "min_in", "min_out", "max_in", "max_out",
                   "round_share", "night_share", "weekend_share", "payments", "active_days"):
        frame[column] = pd.to_numeric(raw[column], errors="coerce").astype(float)
    frame["span_days"] = (raw["last_t"] - raw["first_t"]).astype(float) / 86_400
    frame["payments_per_day"] = frame["payments"] / frame["active_days"].clip(lower=1)
    got, sent = frame["amount_in"], frame["amount_out"]
    bigger = np.maximum(got, sent)
    frame["pass_ratio"] = np.where(bigger > 0, np.minimum(got, sent) / bigger.where(bigger > 0),
                                   0.0)
    frame["net_share"] = np.where(got + sent > 0, (got - sent) / (got + sent).where(
        got + sent > 0), 0.0)
    best = _best_scores((a, f.detector, f.score) for f in findings for a in f.accounts)
    counts = pd.Series([a for f in findings for a in f.accounts], dtype=object).value_counts()
    frame["findings"] = counts.reindex(frame.index, fill_value=0).astype(float)
    for name, column in zip(detectors, detector_columns(detectors), strict=True):
        values = best[name] if name in best else pd.Series(dtype=float)
        frame[column] = values.reindex(frame.index).fillna(0.0).astype(float)
    by_account = finding_contributions(findings)
    frame["rule_risk"] = [
        combine(a, feature_contributions(r) + by_account.get(a, [])).score
        for a, r in zip(raw.index, raw.to_dict("records"), strict=True)
    ]
    kinds = raw["kind"].astype(str) if "kind" in raw else pd.Series("unknown", raw.index)
    frame["kind"] = kinds.to_numpy()
    return frame


def transaction_frame(engine: Engine, accounts: pd.DataFrame, findings: Sequence[Finding],
                      detectors: Sequence[str]) -> pd.DataFrame:
    """One row per transaction: its own features, detector indicators and both parties'."""
    raw = engine.fetch(TRANSACTIONS_SQL)
    raw["txn_id"] = raw["txn_id"].astype(str)
    raw = raw.set_index("txn_id").sort_index()
    frame = pd.DataFrame(index=raw.index)
    amount = raw["amount"].astype(float)
    t = raw["t"].astype(np.int64)
    frame["amount"] = amount
    frame["round"] = ((amount >= 100) & (amount % 100 == 0)).astype(float)
    frame["hour"] = (t % 86_400) / 3_600.0
    frame["weekday"] = ((t // 86_400 + 4) % 7).astype(float)
    frame["pair_count"] = raw["pair_count"].astype(float)
    frame["self"] = (raw["source"] == raw["target"]).astype(float)
    for column in ("channel", "src_kind", "dst_kind"):
        frame[column] = raw[column].fillna("").astype(str).to_numpy()
    best = _best_scores((x, f.detector, f.score) for f in findings for x in f.transactions)
    for name, column in zip(detectors, detector_columns(detectors), strict=True):
        values = best[name] if name in best else pd.Series(dtype=float)
        frame[column] = values.reindex(frame.index).fillna(0.0).astype(float)
    for side, col in (("src", "source"), ("dst", "target")):
        party = accounts.reindex(raw[col].astype(str).to_numpy())[list(PARTY_FEATURES)]
        for name in PARTY_FEATURES:
            frame[f"{side}_{name}"] = party[name].to_numpy()
    return frame


def _encode(frame: pd.DataFrame, features: Sequence[str], categorical: Sequence[str],
            categories: dict[str, list[str]]) -> pd.DataFrame:
    """The model's input: numbers as they are, categories as codes of the training vocabulary
    (a category the model never saw becomes missing)."""
    out = frame.reindex(columns=list(features)).copy()
    for column in categorical:
        lookup = {v: float(i) for i, v in enumerate(categories[column])}
        out[column] = frame[column].map(lookup).astype(float)
    return out.astype(float)


# --------------------------------------------------------------------------- training


def _split(y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    fit, rest = train_test_split(idx, test_size=SPLIT[1] + SPLIT[2], stratify=y,
                                 random_state=seed)
    val, test = train_test_split(rest, test_size=SPLIT[2] / (SPLIT[1] + SPLIT[2]),
                                 stratify=y[rest], random_state=seed)
    return np.sort(fit), np.sort(val), np.sort(test)


def best_threshold(y: np.ndarray, probability: np.ndarray) -> float:
    """The probability cut with the highest F1 (the highest cut among ties)."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, cuts = precision_recall_curve(y, probability)
    p, r = precision[:-1], recall[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    best = np.flatnonzero(f1 == f1.max())
    return float(cuts[best[-1]])


def permutation_importances(estimator: Any, x: pd.DataFrame, y: np.ndarray, seed: int,
                            repeats: int = IMPORTANCE_REPEATS) -> list[Importance]:
    """Drop in average precision when each feature is shuffled, largest first.

    The shuffled copies of one feature are scored in one batch: one
    ``predict_proba`` per feature instead of one per feature and repeat.
    """
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(seed)
    values = x.to_numpy()
    n = len(values)
    base = average_precision_score(y, estimator.predict_proba(x)[:, 1])
    out = []
    for j, name in enumerate(x.columns):
        batch = np.tile(values, (repeats, 1))
        for r in range(repeats):
            batch[r * n:(r + 1) * n, j] = values[rng.permutation(n), j]
        p = estimator.predict_proba(pd.DataFrame(batch, columns=x.columns))[:, 1]
        drops = [base - average_precision_score(y, p[r * n:(r + 1) * n])
                 for r in range(repeats)]
        out.append(Importance(str(name), float(np.mean(drops)), float(np.std(drops))))
    return sorted(out, key=lambda i: (-i.mean, i.feature))


def _scores(ids: np.ndarray, y: np.ndarray, flagged: np.ndarray) -> Scores:
    return compare(ids[flagged].tolist(), ids[y.astype(bool)].tolist())


def fit_level(level: Level, frame: pd.DataFrame, y: np.ndarray, rules_flagged: set[str],
              features: Sequence[str], categorical: Sequence[str], seed: int) -> LevelModel:
    """Fit one level on the fit part; threshold and importances on validation; judge on
    the held-out part."""
    with _threads():
        return _fit_level(level, frame, y, rules_flagged, features, categorical, seed)


def _threads() -> Any:
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    return threadpool_limits(THREADS)


def _sample_for_importance(val: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """Every laundering row of the validation part and a sample of the others."""
    if len(val) <= IMPORTANCE_ROWS:
        return val
    positive = val[y[val] == 1]
    negative = val[y[val] == 0]
    keep = max(IMPORTANCE_ROWS - len(positive), min(len(negative), IMPORTANCE_ROWS // 2))
    rng = np.random.default_rng(seed)
    chosen = rng.choice(negative, min(keep, len(negative)), replace=False)
    return np.sort(np.concatenate([positive, chosen]))


def _fit_level(level: Level, frame: pd.DataFrame, y: np.ndarray, rules_flagged: set[str],
               features: Sequence[str], categorical: Sequence[str], seed: int) -> LevelModel:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import average_precision_score

    positives = int(y.sum())
    if positives < MIN_POSITIVES or len(y) - positives < MIN_POSITIVES:
        raise InputError.single(
            f"{level} labels", f"{positives} laundering and {len(y) - positives} other rows; "
            f"at least {MIN_POSITIVES} of each are needed to train and judge a model")
    categories = {c: sorted(set(frame[c].astype(str))) for c in categorical}
    x = _encode(frame, features, categorical, categories)
    ids = frame.index.to_numpy().astype(str)
    fit, val, test = _split(y, seed)
    estimator = HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.1, max_leaf_nodes=31, l2_regularization=1.0,
        class_weight="balanced", early_stopping=True, validation_fraction=0.15,
        n_iter_no_change=20, random_state=seed,
        categorical_features=[f in categorical for f in features],
    )
    estimator.fit(x.iloc[fit], y[fit])
    p_val = estimator.predict_proba(x.iloc[val])[:, 1]
    threshold = best_threshold(y[val], p_val)
    sample = _sample_for_importance(val, y, seed)
    importances = permutation_importances(estimator, x.iloc[sample], y[sample], seed)
    p_test = estimator.predict_proba(x.iloc[test])[:, 1]
    reference = {}
    for f in features:
        column = x.iloc[fit][f]
        if f in categorical:
            reference[f] = float(column.mode().iat[0]) if column.notna().any() else math.nan
        else:
            reference[f] = float(column.median()) if column.notna().any() else math.nan
    in_rules = np.array([i in rules_flagged for i in ids[test]], dtype=bool)
    return LevelModel(
        level=level,
        features=list(features),
        categorical=list(categorical),
        categories=categories,
        estimator=estimator,
        threshold=threshold,
        reference=reference,
        importances=importances,
        validation=_scores(ids[val], y[val], p_val >= threshold),
        held_out=_scores(ids[test], y[test], p_test >= threshold),
        held_out_average_precision=float(average_precision_score(y[test], p_test)),
        rules_held_out=_scores(ids[test], y[test], in_rules),
        held_out_ids=ids[test].tolist(),
        rows={"fit": len(fit), "validation": len(val), "held_out": len(test),
              "fit_positives": int(y[fit].sum()), "held_out_positives": int(y[test].sum())},
    )


ACCOUNT_CATEGORICAL = ("kind",)
TRANSACTION_CATEGORICAL = ("channel", "src_kind", "dst_kind")


def account_features(detectors: Sequence[str]) -> list[str]:
    return [*ACCOUNT_NUMERIC, *detector_columns(detectors), *ACCOUNT_CATEGORICAL]


def transaction_features(detectors: Sequence[str]) -> list[str]:
    return ["amount", "round", "hour", "weekday", "pair_count", "self",
            *detector_columns(detectors),
            *(f"{side}_{n}" for side in ("src", "dst") for n in PARTY_FEATURES),
            *TRANSACTION_CATEGORICAL]


def train(set_dir: Path, *, engine: str | None = None, detectors: Sequence[str] | None = None,
          seed: int = 7, findings: Sequence[Finding] | None = None,
          transactions: bool = True) -> TrainedModel:
    """Train the account model (and the transaction model when transactions are labelled).

    ``findings`` may be passed when the detectors already ran on this set with
    the named ``detectors``; otherwise they are run here.
    """
    import sklearn

    check_set_dir(set_dir)
    names = list(detectors or REGISTRY)
    labels = load_labels(set_dir)
    eng = open_engine(set_dir, engine)
    try:
        found = list(findings) if findings is not None else run_detectors(
            eng, all_detectors(names))
        accounts = account_frame(eng, found, names)
        txns = (transaction_frame(eng, accounts, found, names)
                if transactions and labels.transactions is not None else None)
    finally:
        eng.close()
    y = accounts.index.isin(list(labels.accounts)).astype(np.int64)
    flagged_accounts = {a for f in found for a in f.accounts}
    model = TrainedModel(
        set_dir=str(set_dir),
        set_fingerprint=set_fingerprint(set_dir),
        detectors=names,
        seed=seed,
        split=SPLIT_METHOD,
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        sklearn_version=sklearn.__version__,
        accounts=fit_level("accounts", accounts, y, flagged_accounts, account_features(names),
                           ACCOUNT_CATEGORICAL, seed),
    )
    if txns is not None and labels.transactions is not None:
        y_txn = txns.index.isin(list(labels.transactions)).astype(np.int64)
        model.transactions = fit_level(
            "transactions", txns, y_txn, {t for f in found for t in f.transactions},
            transaction_features(names), TRANSACTION_CATEGORICAL, seed)
    return model


# --------------------------------------------------------------------------- using a model


def probabilities(level: LevelModel, frame: pd.DataFrame) -> pd.Series:
    x = _encode(frame, level.features, level.categorical, level.categories)
    with _threads():
        return pd.Series(level.estimator.predict_proba(x)[:, 1], index=frame.index)


def explain(level: LevelModel, frame: pd.DataFrame, ids: Sequence[str],
            top: int = 3) -> dict[str, list[Reason]]:
    """Per row: the features that raised its probability most.

    Each feature in turn is set to its typical training value; the drop in
    probability is that feature's effect on this row. Cheap enough for the
    rows an investigator looks at (one batch of rows times features).
    """
    if not ids:
        return {}
    x = _encode(frame.loc[list(ids)], level.features, level.categorical, level.categories)
    n, k = len(x), len(level.features)
    probe = pd.DataFrame(np.repeat(x.to_numpy(), k, axis=0), columns=level.features)
    for j, f in enumerate(level.features):
        probe.iloc[np.arange(n) * k + j, j] = level.reference[f]
    with _threads():
        base = level.estimator.predict_proba(x)[:, 1]
        effect = base[:, None] - level.estimator.predict_proba(probe)[:, 1].reshape(n, k)
    out: dict[str, list[Reason]] = {}
    for i, row_id in enumerate(ids):
        order = np.argsort(-effect[i], kind="stable")[:top]
        reasons = []
        for j in order:
            if effect[i, j] <= 0:
                break
            f = level.features[j]
            value: float | str | None = frame.loc[row_id, f]
            if f not in level.categorical:
                value = None if pd.isna(value) else round(float(value), 4)  # type: ignore[arg-type]
            reasons.append(Reason(f, value, round(float(effect[i, j]), 4)))
        out[row_id] = reasons
    return out


@dataclass
class ModelEvaluation:
    """Model quality on a labelled set, beside the rule-based detectors on the same rows."""

    held_out_only: bool
    accounts: Scores
    rules_accounts: Scores
    transactions: Scores | None
    rules_transactions: Scores | None
    #: pattern -> recall of its transactions and accounts among the rows judged
    patterns: dict[str, dict[str, float]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "held_out_only": self.held_out_only,
            "rows": self.rows,
            "accounts": self.accounts.to_dict(),
            "rules_accounts": self.rules_accounts.to_dict(),
            "transactions": self.transactions.to_dict() if self.transactions else None,
            "rules_transactions": (self.rules_transactions.to_dict()
                                   if self.rules_transactions else None),
            "patterns": self.patterns,
        }


def _judge(level: LevelModel, frame: pd.DataFrame, actual: set[str], rules: set[str],
           only: set[str] | None) -> tuple[Scores, Scores, set[str], set[str]]:
    if only is not None:
        frame = frame[frame.index.isin(list(only))]
    p = probabilities(level, frame)
    judged = set(frame.index)
    flagged = set(p.index[p.to_numpy() >= level.threshold])
    truth = actual & judged
    return compare(flagged, truth), compare(rules & judged, truth), flagged, judged


def evaluate_model(model: TrainedModel, set_dir: Path, engine: str | None = None
                   ) -> ModelEvaluation:
    """Precision, recall and F1 of ``model`` on a labelled set.

    On the set the model was trained on, only the held-out rows are judged
    (training rows would flatter it); on any other set, every row.
    """
    check_set_dir(set_dir)
    labels = load_labels(set_dir)
    same = set_fingerprint(set_dir) == model.set_fingerprint
    eng = open_engine(set_dir, engine)
    try:
        found = run_detectors(eng, all_detectors(model.detectors))
        accounts = account_frame(eng, found, model.detectors)
        txns = (transaction_frame(eng, accounts, found, model.detectors)
                if model.transactions is not None and labels.transactions is not None
                else None)
    finally:
        eng.close()
    acc, rules_acc, flagged_acc, judged_acc = _judge(
        model.accounts, accounts, labels.accounts, {a for f in found for a in f.accounts},
        set(model.accounts.held_out_ids) if same else None)
    result = ModelEvaluation(held_out_only=same, accounts=acc, rules_accounts=rules_acc,
                             transactions=None, rules_transactions=None,
                             rows={"accounts": len(judged_acc)})
    flagged_txn: set[str] = set()
    judged_txn: set[str] = set()
    if txns is not None and model.transactions is not None and labels.transactions is not None:
        tx, rules_tx, flagged_txn, judged_txn = _judge(
            model.transactions, txns, labels.transactions,
            {t for f in found for t in f.transactions},
            set(model.transactions.held_out_ids) if same else None)
        result.transactions, result.rules_transactions = tx, rules_tx
        result.rows["transactions"] = len(judged_txn)
    result.patterns = _pattern_recall(labels, flagged_acc, judged_acc, flagged_txn, judged_txn)
    return result


def _pattern_recall(labels: Labels, flagged_acc: set[str], judged_acc: set[str],
                    flagged_txn: set[str], judged_txn: set[str]) -> dict[str, dict[str, float]]:
    out = {}
    for pattern, (ids, accts) in sorted(labels.patterns.items()):
        row: dict[str, float] = {}
        mine = accts & judged_acc
        if mine:
            row["accounts"] = round(len(mine & flagged_acc) / len(mine), 4)
        txns = ids & judged_txn
        if txns:
            row["transactions"] = round(len(txns & flagged_txn) / len(txns), 4)
        if row:
            out[pattern] = row
    return out


@dataclass(frozen=True)
class AccountRisk:
    subject: str
    probability: float
    flagged: bool
    reasons: list[Reason]

    def to_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "probability": self.probability,
                "flagged": self.flagged, "reasons": [vars(r) for r in self.reasons]}


def rank_accounts(model: TrainedModel, engine: Engine, findings: Sequence[Finding],
                  limit: int = 25) -> list[AccountRisk]:
    """The accounts the model finds riskiest, each with the features that raised it."""
    frame = account_frame(engine, findings, model.detectors)
    p = probabilities(model.accounts, frame)
    order = sorted(p.index, key=lambda a: (-p[a], a))[:limit]
    reasons = explain(model.accounts, frame, order)
    return [AccountRisk(a, round(float(p[a]), 4), bool(p[a] >= model.accounts.threshold),
                        reasons[a]) for a in order]


# --------------------------------------------------------------------------- save and load


def default_path(set_dir: Path, settings: Settings | None = None) -> Path:
    """``<data_dir>/models/money/<set name>.pkl``."""
    from tocsin.settings import get_settings

    settings = settings or get_settings()
    return settings.data_dir / "models" / "money" / f"{set_dir.name}.pkl"


def _key(settings: Settings | None) -> bytes:
    from tocsin.settings import get_settings

    secret = (settings or get_settings()).secret()
    return hashlib.sha256(b"tocsin money model\x00" + secret.encode()).digest()


def _signature_path(path: Path) -> Path:
    return path.with_name(path.name + SIGNATURE_SUFFIX)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def save(model: TrainedModel, path: Path, settings: Settings | None = None) -> Path:
    """Write the model and its signature (HMAC-SHA256 with the platform's secret)."""
    data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    signature = hmac.new(_key(settings), data, hashlib.sha256).hexdigest()
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, data)
    _atomic_write(_signature_path(path), (signature + "\n").encode())
    return path


def load(path: Path, settings: Settings | None = None) -> TrainedModel:
    """Read a model this installation wrote; refuse anything else before unpickling it."""
    sig_path = _signature_path(path)
    if not path.is_file():
        raise InputError.single(str(path), "no such model file")
    if not sig_path.is_file():
        raise InputError.single(str(sig_path), "missing; only models written by the "
                                "platform (with their signature) are loaded")
    data = path.read_bytes()
    expected = hmac.new(_key(settings), data, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sig_path.read_text().strip()):
        raise InputError([Problem(str(path), "signature does not match; the file was "
                                  "changed or written by another installation")],
                         summary=f"{path}: refused to load")
    model = pickle.loads(data)  # noqa: S301 - signed by this installation, checked above
    if not isinstance(model, TrainedModel):
        raise InputError.single(str(path), "not a money risk model")
    return model
