"""The supervised laundering model: gradient boosting over transaction-level graph features.

What it learns from
    Every transaction of a labelled set gets the graph features of
    :mod:`tocsin.money.features` (fan degrees in several windows, forward and
    backward flows, temporal cycles, scatter-gather, amounts relative to the
    account's own history and to the currency, repeat counterparties, cash near
    the deposit currency's threshold …). The label is the set's own transaction
    label (AMLworld ``Is Laundering``, AMLSim ``isFraud``, the world generator).

How it is trained
    LightGBM (``docs/decisions.md`` says why) with the laundering class weighted
    up by the square root of the class ratio, so the rare class counts without
    the model predicting it everywhere. Early stopping and the decision
    threshold come from a *validation part*: with two or more training sets
    the last one is kept aside whole, so the threshold is chosen on a world
    the trees never saw (what matters when the model meets new data); with one
    set, its last fifth in time. The threshold is the lowest cut whose F1 is
    within one standard error of the best F1 (:func:`plateau_threshold`), raised
    when that cut flags more than 90 % of the validation laundering to the cut
    that flags 90 % (:func:`cautious_threshold`). Cuts are chosen and applied on the raw
    score (log-odds): on large sets most laundering scores 1.0 as a float64
    probability, and a cut there would flag every saturated row alike.

From transactions to accounts
    An account's score is the highest score of the payments it sends or
    receives; the account threshold is chosen on the validation part too.

Why it flagged something
    :meth:`Model.explain` gives each row's top features by their SHAP value
    (LightGBM's ``pred_contrib``): how much the feature moved the score, in
    log-odds, for this very row.

Files and trust
    A model is one JSON document: LightGBM's own model text, the feature list
    and configuration, thresholds, what it was trained on and how it scored on
    its validation part, a version, and a signature. Models written by an
    installation are signed with an HMAC-SHA256 keyed by the platform's secret,
    and :func:`load` refuses any other. The default model shipped in
    ``tocsin/money/data/model/`` is checked against the SHA-256 digest in its
    model card. Nothing is unpickled: LightGBM parses its own text format.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tocsin.errors import InputError
from tocsin.i18n import N_, Joined, Message, Number, to_data
from tocsin.money.evaluate import Scores
from tocsin.money.features import labels
from tocsin.money.features.base import DEFAULT, FeatureConfig, feature_names
from tocsin.money.features.labels import Shown
from tocsin.outputs import not_written, writable

if TYPE_CHECKING:
    import lightgbm as lgb

    from tocsin.money.features.embedded import FeatureTable
    from tocsin.settings import Settings

Level = Literal["transaction", "account"]
FORMAT = "tocsin-money-model"
FORMAT_VERSION = 1
#: Version of the modelling recipe (features + learner settings); goes into every model.
RECIPE_VERSION = "3.2"
#: How :func:`train` reweights laundering rows by pattern (:func:`pattern_weights`):
#: 0, not at all.
BALANCE_PATTERNS = 0.0
DEFAULT_DIR = "data/model"
#: Features a model does not read: they describe how one data set encodes things
#: (its list of payment formats, each format's share) or the scale of one world's
#: amounts (which a model would otherwise learn as "laundering is about this big").
EXCLUDED: tuple[str, ...] = ("channel", "log_amount", "amount_pct_cur", "src_chan_share",
                             "dst_chan_share")
#: Rows per block when predicting, so 5M rows never need one big matrix.
BLOCK = 262_144
#: Threads that walk the trees when scoring (compiled code, no spinning when cores are busy).
PREDICT_THREADS = 2
#: Features named in an explanation.
TOP_FEATURES = 3
#: Threshold versions: 1, cuts on the probability (models written before 5 Dec 2026);
#: 2, cuts on the log-odds (``log_odds_cuts``), probabilities kept for display.
THRESHOLD_VERSION = 2
#: The most a newly trained model flags of a set, highest scores first: this share of its
#: transactions and of its accounts; the rest is ranked, not flagged. A cut chosen on
#: generated worlds meets, in a new set, legitimate behaviour the trees never saw, and
#: when that behaviour scores high the cut alone can flag a tenth of the set (see
#: docs/benchmarks.md, "the shipped model on fresh worlds"). Laundering is a small share
#: of any bank's payments, so flagging more than this is noise an investigator cannot work
#: through. Chosen on development worlds 930-949; stored in the model (``flag_share``).
FLAG_SHARE: dict[str, float] = {"transaction": 0.005, "account": 0.02}

PARAMS: dict[str, Any] = {
    "objective": "binary",
    "metric": "average_precision",
    "learning_rate": 0.08,
    "num_leaves": 15,
    "min_data_in_leaf": 100,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 127,
    "verbose": -1,
    "num_threads": 1,  # OpenMP threads spin when the cores are busy: one is faster there
    "deterministic": True,
    "force_row_wise": True,
}
ROUNDS = 300
EARLY_STOP = 30
#: The decision thresholds flag no more of the validation part's laundering than this
#: share when the best-F1 cut would flag more (see :func:`cautious_threshold`).
VALIDATION_RECALL = 0.9
#: Resamples behind the standard error of a validation F1 (:func:`f1_standard_error`).
F1_DRAWS = 2000


# --------------------------------------------------------------------------- data


@dataclass
class SetData:
    """A set's features and labels, one row per transaction in file order."""

    name: str
    features: FeatureTable
    txn_id: np.ndarray  # object
    source: np.ndarray  # int64 account codes
    target: np.ndarray
    accounts: np.ndarray  # object: account id per code
    label: np.ndarray | None  # bool, None when the set has no transaction labels
    pattern: np.ndarray  # object, None for unlabelled rows
    t: np.ndarray  # int64 seconds
    account_label: np.ndarray | None = None  # bool per account code, when the set has them
    #: The set labels accounts only (AMLSim's ``isFraud``): ``label`` marks the payments
    #: between two labelled accounts (see :func:`load_set`).
    labels_from_accounts: bool = False
    #: How much each of its rows counts in a fit, beside sets of weight 1: a set of
    #: another kind can teach a little without outweighing the rest.
    weight: float = 1.0

    def __len__(self) -> int:
        return len(self.txn_id)

    def matrix(self, names: Sequence[str], rows: slice | np.ndarray | None = None) -> np.ndarray:
        return self.features.matrix(names, rows)

    def account_truth(self) -> np.ndarray | None:
        """Laundering accounts: the set's account labels, else every party to a labelled
        payment."""
        if self.account_label is not None:
            return self.account_label
        if self.label is None:
            return None
        out = np.zeros(len(self.accounts), dtype=bool)
        out[self.source[self.label]] = True
        out[self.target[self.label]] = True
        return out


def load_set(set_dir: Path, engine: str | None = None, cfg: FeatureConfig = DEFAULT,
             progress: Callable[[str], None] | None = None,
             features: FeatureTable | None = None) -> SetData:
    """Compute the features of ``set_dir`` and read its labels (file order). ``features``:
    the set's features computed before, in file order (:mod:`tocsin.money.worldcache`)."""
    if features is None:
        feats, engine_name = features_of(set_dir, engine, cfg, progress)
    table = pq.read_table(set_dir / "transactions.parquet",
                          columns=["txn_id", "ts", "source", "target", "label", "label_pattern"])
    if features is not None:
        feats = features
        if not feats.txn_id.equals(table.column("txn_id").combine_chunks()):
            raise ValueError(f"{set_dir}: the features given are not this set's, in its order")
    elif engine_name != "embedded":  # Spark returns rows by txn_id: put them in file order
        feats = _reorder(feats, table.column("txn_id"))
    both = pa.concat_arrays([table.column("source").combine_chunks(),
                             table.column("target").combine_chunks()])
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(both)
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    n = table.num_rows
    label_col = table.column("label")
    label = None
    if label_col.null_count < n:
        label = np.asarray(label_col.fill_null(False).to_numpy(zero_copy_only=False), bool)
    accounts = np.asarray(enc.dictionary.to_pylist(), dtype=object)
    acct = pq.read_table(set_dir / "accounts.parquet", columns=["account_id", "label"])
    account_label = None
    if acct.column("label").null_count < acct.num_rows and acct.num_rows:
        labelled = {a for a, flag in zip(acct.column("account_id").to_pylist(),
                                         acct.column("label").to_pylist(), strict=True) if flag}
        if labelled:
            account_label = np.array([a in labelled for a in accounts.tolist()], dtype=bool)
    # A set that labels accounts only (AMLSim): a payment between two laundering accounts
    # is read as laundering, the rest not. Close for typologies that move money among
    # their members; a launderer's payments to outsiders (cash-out) stay unlabelled.
    from_accounts = label is None and account_label is not None
    if from_accounts:
        assert account_label is not None
        label = account_label[codes[:n]] & account_label[codes[n:]]
    ts = table.column("ts").cast(pa.int64()).to_numpy() // 1_000_000
    return SetData(
        name=set_dir.name, features=feats,
        txn_id=np.asarray(table.column("txn_id").to_pylist(), dtype=object),
        source=codes[:n], target=codes[n:], accounts=accounts, label=label,
        pattern=np.asarray(table.column("label_pattern").to_pylist(), dtype=object),
        t=np.asarray(ts, dtype=np.int64), account_label=account_label,
        labels_from_accounts=from_accounts)


def features_of(set_dir: Path, engine: str | None = None, cfg: FeatureConfig = DEFAULT,
                progress: Callable[[str], None] | None = None) -> tuple[FeatureTable, str]:
    """The features of a set (float32 on the embedded engine, which reads the set's files
    directly) and the name of the engine that computed them."""
    from tocsin.money.engines.base import check_set_dir, open_engine
    from tocsin.money.features import compute
    from tocsin.settings import get_settings

    check_set_dir(set_dir)
    if progress:
        progress(N_("Computing features of %(set)s", set=set_dir.name))
    if (engine or get_settings().money_engine) == "embedded":
        from tocsin.money.features.embedded import compute_set, give_back_freed_memory

        feats = compute_set(set_dir, cfg, np.float32)
        give_back_freed_memory()  # before the training or scoring matrices
        return feats, "embedded"
    eng = open_engine(set_dir, engine)
    try:
        return compute(eng, cfg), eng.name
    finally:
        eng.close()


def _reorder(feats: FeatureTable, file_ids: pa.ChunkedArray) -> FeatureTable:
    import pyarrow.compute as pc

    from tocsin.money.features.embedded import FeatureTable as Table

    position = pc.index_in(file_ids, value_set=feats.txn_id).to_numpy(zero_copy_only=False)
    position = np.asarray(position, dtype=np.int64)
    return Table(file_ids.combine_chunks(), {k: v[position] for k, v in feats.columns.items()})


# --------------------------------------------------------------------------- the model


@dataclass
class Reason:
    """One feature's part in a score: its value and how far it moved the score (log-odds),
    and for people: the feature in words, its value as they read it, and the share of
    all that raised this score that is this feature's (``share``, 0 to 1)."""

    feature: str
    value: float
    effect: float
    share: float = 0.0
    label: Message | None = None
    shown: Shown | None = None

    def to_dict(self) -> dict[str, Any]:
        """``label``, ``shown`` and ``text`` in English; ``text_message`` keeps the line
        for the pages, which show it in their reader's language."""
        value = None if math.isnan(self.value) else round(self.value, 4)
        text = self.message()
        return {"feature": self.feature, "value": value, "effect": round(self.effect, 4),
                "share": round(self.share, 4),
                "label": str.__str__(self.label) if self.label is not None else self.feature,
                "shown": str.__str__(self.shown) if self.shown is not None else None,
                "text": str.__str__(text), "text_message": to_data(text)}

    def message(self) -> Message:
        """One line for a person: "label: value (45 % of the rise)"."""
        return N_("%(label)s: %(value)s (%(percent)s %% of the rise)",
                  label=self.label or self.feature,
                  value=self.shown if self.shown is not None else Number(self.value),
                  percent=Number(100 * self.share, 0, group=False))


@dataclass
class Model:
    """A trained model: LightGBM's booster, its features, thresholds and metadata."""

    booster_text: str
    features: list[str]
    threshold: float
    account_threshold: float
    feature_config: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    #: The cuts on the log-odds per level (threshold version 2); ``None`` for a model
    #: whose cuts are on the probability (version 1), which keeps flagging as it did.
    log_odds_cuts: dict[str, float] | None = None
    #: Per level, the share of a set flagged at most (see :data:`FLAG_SHARE`); ``None``
    #: for a model written without it, which flags on its cuts alone.
    flag_share: dict[str, float] | None = None
    _booster: Any = field(default=None, repr=False, compare=False)
    _forest: Any = field(default=None, repr=False, compare=False)

    @property
    def booster(self) -> lgb.Booster:
        if self._booster is None:
            import lightgbm as lgb

            self._booster = lgb.Booster(model_str=self.booster_text)
        return self._booster

    def predict_matrix(self, x: np.ndarray, raw: bool = False) -> np.ndarray:
        """Probabilities (with ``raw``: log-odds) of the rows of a float32 matrix of
        :attr:`features`: the trees walked in compiled code (:mod:`tocsin.money.trees`,
        LightGBM's values) on ``PREDICT_THREADS`` threads, or LightGBM's own predict for
        models it cannot walk."""
        from tocsin.money import trees

        if self._forest is None:
            self._forest = trees.parse(self.booster_text) or False
        if self._forest is False:
            return np.asarray(self.booster.predict(x, raw_score=raw,
                                                   num_threads=PARAMS["num_threads"]))
        return self._forest.predict(x, threads=PREDICT_THREADS, raw=raw)

    def flags(self, raw: np.ndarray, level: Level = "transaction",
              floor: float | None = None) -> np.ndarray:
        """Which raw scores (log-odds, as :meth:`predict` with ``raw``) are flagged at
        ``level``: on the log-odds cut, or for a version-1 model on its probability cut;
        and at or above ``floor`` (the share cap of the whole set, :meth:`floor`)."""
        if self.log_odds_cuts is not None:
            out = np.asarray(raw >= self.log_odds_cuts[level])
        else:
            cut = self.threshold if level == "transaction" else self.account_threshold
            out = np.asarray(probability(raw) >= cut)
        return out if floor is None else out & (np.asarray(raw) >= floor)

    def cut(self, level: Level = "transaction") -> float:
        """The log-odds at or above which ``level`` is flagged, before any cap (a
        version-1 model's probability cut as log-odds)."""
        if self.log_odds_cuts is not None:
            return self.log_odds_cuts[level]
        p = self.threshold if level == "transaction" else self.account_threshold
        with np.errstate(divide="ignore"):
            return float(np.log(p) - np.log1p(-p))

    def floor(self, scores: np.ndarray, level: Level = "transaction") -> float | None:
        """The lowest raw score still flagged when at most :attr:`flag_share` of a whole
        set's ``scores`` (every transaction, or every account; ``-inf`` for an account
        without payments is not counted) may be flagged; ``None`` when the model has no
        cap or its cuts flag no more than that. Scores tied at the floor are all flagged."""
        share = (self.flag_share or {}).get(level)
        if share is None:
            return None
        finite = np.asarray(scores, dtype=np.float64)
        finite = finite[np.isfinite(finite)]
        most = max(1, int(share * len(finite)))
        if int(self.flags(finite, level).sum()) <= most:
            return None
        return float(np.partition(finite, len(finite) - most)[len(finite) - most])

    def config(self) -> FeatureConfig:
        cfg = dict(self.feature_config)
        cfg["windows_hours"] = tuple(cfg.get("windows_hours", DEFAULT.windows_hours))
        return FeatureConfig(**cfg)

    def predict(self, data: SetData, raw: bool = False) -> np.ndarray:
        """The probability (with ``raw``: log-odds) of laundering of every transaction."""
        return self.predict_features(data.features, raw)

    def predict_features(self, feats: FeatureTable, raw: bool = False) -> np.ndarray:
        """The probability (with ``raw``: log-odds) of laundering of every row of a feature
        table (in blocks)."""
        missing = [f for f in self.features if f not in feats.columns]
        if missing:
            raise InputError.single("model", N_(
                "the features of this set lack %(features)s: the model needs another "
                "feature configuration", features=Joined(missing[:5])))
        out = np.empty(len(feats), dtype=np.float64)
        for lo in range(0, len(feats), BLOCK):
            hi = min(len(feats), lo + BLOCK)
            out[lo:hi] = self.predict_matrix(feats.matrix(self.features, slice(lo, hi)), raw)
        return out

    def matrix(self, data: SetData, rows: slice | np.ndarray) -> np.ndarray:
        return data.matrix(self.features, rows)

    def explain(self, x: np.ndarray, top: int = TOP_FEATURES) -> list[list[Reason]]:
        """Per row of ``x``: the ``top`` features that raised its score most (SHAP)."""
        if not len(x):
            return []
        contrib = np.asarray(self.booster.predict(x, pred_contrib=True,
                                                  num_threads=PARAMS["num_threads"]))
        effects = contrib[:, :-1]  # the last column is the expected value
        rise = np.where(effects > 0, effects, 0.0).sum(axis=1)
        cfg = self.config()
        out = []
        for i in range(len(x)):
            row = dict(zip(self.features, x[i].tolist(), strict=True))
            reasons = []
            for j in np.argsort(-effects[i])[:top]:
                if effects[i, j] <= 0:
                    break
                name, value, effect = self.features[j], float(x[i, j]), float(effects[i, j])
                reasons.append(Reason(name, value, effect, effect / rise[i],
                                      labels.label(name, cfg),
                                      labels.shown(name, value, cfg, row)))
            out.append(reasons)
        return out

    def to_payload(self) -> dict[str, Any]:
        out = {"booster": self.booster_text, "features": self.features,
               "threshold": self.threshold, "account_threshold": self.account_threshold,
               "feature_config": self.feature_config, "meta": self.meta}
        if self.log_odds_cuts is not None:  # a version-1 payload stays byte for byte
            out["threshold_version"] = THRESHOLD_VERSION
            out["log_odds_cuts"] = dict(self.log_odds_cuts)
        if self.flag_share is not None:
            out["flag_share"] = dict(self.flag_share)
        return out

    @classmethod
    def from_payload(cls, payload: dict[str, Any], where: str) -> Model:
        try:
            model = cls(booster_text=str(payload["booster"]),
                        features=[str(f) for f in payload["features"]],
                        threshold=float(payload["threshold"]),
                        account_threshold=float(payload["account_threshold"]),
                        feature_config=dict(payload["feature_config"]),
                        meta=dict(payload.get("meta") or {}))
            version = int(payload.get("threshold_version", 1))
            if version not in (1, THRESHOLD_VERSION):
                raise ValueError(f"threshold version {version}; this version reads 1 and "
                                 f"{THRESHOLD_VERSION}")
            if version == THRESHOLD_VERSION:
                cuts = payload["log_odds_cuts"]
                model.log_odds_cuts = {"transaction": float(cuts["transaction"]),
                                       "account": float(cuts["account"])}
            if payload.get("flag_share") is not None:
                share = payload["flag_share"]
                model.flag_share = {"transaction": float(share["transaction"]),
                                    "account": float(share["account"])}
                if not all(0 < v <= 1 for v in model.flag_share.values()):
                    raise ValueError(f"flag shares {model.flag_share} are not in (0, 1]")
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError.single(where, N_("not a money model: %(error)s",
                                              error=str(exc))) from exc
        unknown = set(model.features) - set(feature_names(model.config()))
        if unknown:
            raise InputError.single(where, N_("unknown features %(features)s",
                                              features=str(sorted(unknown)[:5])))
        return model

    def summary(self) -> dict[str, Any]:
        cuts = {} if self.log_odds_cuts is None else {
            "log_odds_cuts": {k: round(v, 4) for k, v in self.log_odds_cuts.items()}}
        if self.flag_share is not None:
            cuts["flag_share"] = dict(self.flag_share)
        return {"threshold": round(self.threshold, 4),
                "account_threshold": round(self.account_threshold, 4), **cuts,
                "features": len(self.features), **self.meta}


def probability(raw: np.ndarray) -> np.ndarray:
    """The logistic function of log-odds (what LightGBM's binary objective predicts)."""
    with np.errstate(over="ignore"):
        return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(raw, dtype=np.float64))))


def account_scores(data: SetData, scores: np.ndarray) -> np.ndarray:
    """Per account code: the highest score of the payments it sends or receives (on any
    scale: the highest log-odds is the highest probability too); -inf for none."""
    out = np.full(len(data.accounts), -np.inf, dtype=np.float64)
    np.maximum.at(out, data.source, scores)
    np.maximum.at(out, data.target, scores)
    return out


def account_support(model: Model, set_dir: Path, engine: str | None = None,
                    progress: Callable[[str], None] | None = None
                    ) -> tuple[dict[str, float], float]:
    """Every account of the set with the model's account score as log-odds (see
    :func:`account_scores`), and the cut an account must reach in this set to be
    flagged by the model: its account cut, raised to the floor of its flag cap
    (:meth:`Model.floor`). For re-ranking the rule findings
    (:func:`tocsin.money.rank.with_model`)."""
    data = load_set(set_dir, engine, model.config(), progress)
    raw = account_scores(data, model.predict(data, raw=True))
    floor = model.floor(raw, "account")
    cut = model.cut("account") if floor is None else max(model.cut("account"), floor)
    return {str(a): float(s) for a, s in zip(data.accounts.tolist(), raw.tolist(),
                                             strict=True)}, cut


def _f1_curve(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scores in descending order, true positives flagged down to each, which rows end a
    run of equal scores (the only places a cut is realisable) and the F1 there (-1
    elsewhere); with weights ``w``, each row counts as its weight."""
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    if w is None:
        tp = np.cumsum(ys)
        flagged = np.arange(1, len(ys) + 1)
        positives = ys.sum()
    else:
        ws = w[order].astype(np.float64)
        tp = np.cumsum(np.where(ys, ws, 0.0))
        flagged = np.cumsum(ws)
        positives = tp[-1]
    last = np.r_[ps[1:] != ps[:-1], True]
    f1 = np.where(last, 2 * tp / (flagged + positives), -1.0)
    return ps, tp, last, f1


def _cut_below(ps: np.ndarray, i: int) -> float:
    """Halfway from the ``i``-th score to the next; at the last one, the last one (scores
    may be log-odds, so there is no fixed floor)."""
    return float((ps[i] + (ps[i + 1] if i + 1 < len(ps) else ps[i])) / 2)


def _recall_row(tp: np.ndarray, last: np.ndarray, recall: float) -> int:
    """The first realisable row that flags ``recall`` of the positives."""
    return int(np.flatnonzero(last & (tp >= recall * tp[-1]))[0])


def _f1_at(y: np.ndarray, p: np.ndarray, cut: float, w: np.ndarray | None = None) -> float:
    flagged = p >= cut
    if w is not None:
        return float(2 * w[flagged & y].sum() / (w[flagged].sum() + w[y].sum()))
    return 2 * int((flagged & y).sum()) / (int(flagged.sum()) + int(y.sum()))


def best_threshold(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None
                   ) -> tuple[float, float]:
    """The threshold with the best F1 on ``(y, p)`` (rows weighing ``w``) and that F1
    (0.5 without positives)."""
    if not y.any():
        return 0.5, 0.0
    ps, _, _, f1 = _f1_curve(y, p, w)
    i = int(np.argmax(f1))
    return _cut_below(ps, i), float(f1[i])


def cautious_threshold(y: np.ndarray, p: np.ndarray, recall: float = VALIDATION_RECALL
                       ) -> tuple[float, float]:
    """The best-F1 cut on ``(y, p)``, raised to the highest cut that still flags
    ``recall`` of the positives when that one is higher; and the F1 at the cut chosen.

    A validation part drawn from the training data itself (its last fifth in time) makes
    nearly every cut look right: its legitimate behaviour is the one the trees learned,
    so the best-F1 cut lands low. A new data set brings legitimate behaviour the trees
    never saw, and that adds false positives at low scores, not fewer. Chosen on
    development worlds (docs/benchmarks.md, "one 5M world to another")."""
    cut, _ = best_threshold(y, p)
    if not y.any():
        return cut, 0.0
    ps, tp, last, _ = _f1_curve(y, p)
    cut = max(cut, _cut_below(ps, _recall_row(tp, last, recall)))
    return cut, _f1_at(y, p, cut)


def f1_standard_error(y: np.ndarray, flagged: np.ndarray, draws: int = F1_DRAWS,
                      w: np.ndarray | None = None) -> float:
    """The standard error of the F1 of ``flagged`` against ``y``: its spread over
    resamples of the set (the counts of true and false positives, false and true
    negatives drawn again from their shares, a fixed seed; with weights ``w``, the
    shares weighed, the set's size kept)."""
    w = np.ones(len(y)) if w is None else w.astype(np.float64)
    tp = float(w[flagged & y].sum())
    counts = np.array([tp, float(w[flagged].sum()) - tp, float(w[y].sum()) - tp, 0])
    counts[3] = float(w.sum()) - counts[:3].sum()
    if not tp:
        return 0.0
    resampled = np.random.default_rng(0).multinomial(len(y), counts / counts.sum(),
                                                     size=draws)
    f1 = 2 * resampled[:, 0] / np.maximum(1, 2 * resampled[:, 0] + resampled[:, 1]
                                          + resampled[:, 2])
    return float(f1.std())


def plateau_threshold(y: np.ndarray, p: np.ndarray, recall: float = VALIDATION_RECALL,
                      w: np.ndarray | None = None) -> tuple[float, float]:
    """The lowest cut on ``(y, p)`` whose F1 is within one standard error of the best
    F1 (:func:`f1_standard_error`), raised like :func:`cautious_threshold` when it flags
    more than ``recall`` of the positives; and the F1 at the cut chosen.

    On validation worlds the trees never saw, F1 is flat over a wide range of cuts when
    the trees separate most laundering from everything else by a large margin: the
    best-F1 cut then lands anywhere on that plateau, decided by a handful of rows. A
    cut at its top leaves out the laundering that a new set's trees score a little
    lower (fan-in with ordinary amounts, see docs/benchmarks.md, "why 3.0 lost fan-in
    and mule recall"); the lowest cut that does as well within the sampling noise
    keeps it. Rows weigh ``w`` (default 1)."""
    cut, best = best_threshold(y, p, w)
    if not y.any():
        return cut, 0.0
    se = f1_standard_error(y, p >= cut, w=w)
    ps, tp, last, f1 = _f1_curve(y, p, w)
    i = int(np.flatnonzero(f1 >= best - se)[-1])
    # no lower than the cut that flags ``recall`` of the positives (cautious_threshold)
    cut = _cut_below(ps, min(i, _recall_row(tp, last, recall)))
    return cut, _f1_at(y, p, cut, w)


# --------------------------------------------------------------------------- training


def usable_features(cfg: FeatureConfig = DEFAULT) -> list[str]:
    return [f for f in feature_names(cfg) if f not in EXCLUDED]


def train(set_dirs: Sequence[Path], *, engine: str | None = None, seed: int = 7,
          cfg: FeatureConfig = DEFAULT, rounds: int = ROUNDS,
          progress: Callable[[str], None] | None = None,
          sets: Sequence[SetData] | None = None, names: Sequence[str] | None = None,
          validation: int = 1, early_stop: int | None = EARLY_STOP,
          flag_share: dict[str, float] | None = FLAG_SHARE, base: Model | None = None,
          guard: Sequence[SetData] = (), balance_patterns: float = BALANCE_PATTERNS,
          rehearse: Sequence[SetData] = (), release: bool = False) -> Model:
    """Train on the labelled transactions of ``set_dirs`` (see the module docstring);
    ``names`` name the sets in the model's metadata (default: their folder names). With
    more sets than ``validation``, the last ``validation`` sets are kept aside whole for
    early stopping and the thresholds; ``early_stop=None`` grows all ``rounds`` trees;
    ``flag_share`` caps the share of a set the model flags (:data:`FLAG_SHARE`).

    With a ``base`` model, its trees are kept and new ones grown on top of them (its
    features and configuration are used), and the labelled ``guard`` sets — worlds the
    base was validated on, see :func:`guard_worlds` — join the validation part whole:
    new trees stop as soon as they cost more on those worlds than they gain on the
    new data. One world alone teaches its own laundering parameters; grown on a model of
    many worlds it carries over to other worlds far better than from scratch, though
    not always as well as the base alone (docs/money-analytics.md, "Grown on the
    shipped model").

    ``rehearse``: labelled sets fitted beside the new data, together weighing as much as
    it — worlds like those ``base`` learned from (:func:`rehearsal_worlds`), so that new
    trees do not unlearn what the base finds elsewhere.

    ``balance_patterns`` reweights each fitted set's laundering rows by their pattern
    (:func:`pattern_weights`): 1, every pattern present weighs alike; 0.5, by the square
    root of its rows; 0, every row alike.

    The features of every set are let go once they are in the training matrices (the
    largest part of the memory at millions of rows): those of the sets read here, and
    with ``release`` those of all sets given (``sets``, ``guard``, ``rehearse``), which
    the caller then no longer scores."""
    import lightgbm as lgb

    if base is not None:
        cfg = base.config()
    data = list(sets) if sets is not None else [load_set(p, engine, cfg, progress)
                                                for p in set_dirs]
    for d, name in zip(data, names or [], strict=False):
        d.name = name
    if not data:
        raise InputError.single("SET", N_("give at least one labelled set to train on"))
    for d in data:
        if d.label is None:
            raise InputError.single(d.name, N_("the set carries no transaction labels to "
                                               "train on"))
        if int(d.label.sum()) < 10:
            raise InputError.single(d.name, N_("only %(count)s laundering transactions; a "
                                               "model needs 10 or more",
                                               count=int(d.label.sum())))
    features = list(base.features) if base is not None else usable_features(cfg)
    if validation < 1:
        raise InputError.single("validation", N_("keep at least one set for validation"))
    if len(data) > validation:
        fit_parts = [(d, np.ones(len(d), bool)) for d in data[:-validation]]
        val_parts = [(d, np.ones(len(d), bool)) for d in data[-validation:]]
        split = N_("fit on %(sets)s; threshold and early stopping on the whole of %(set)s "
                   "(a world the trees never saw)",
                   sets=Joined(d.name for d in data[:-validation]),
                   set=Joined(d.name for d in data[-validation:]))
    else:
        d = data[0]
        if len(data) > 1:
            raise InputError.single("validation", N_(
                "%(count)s sets, all kept for validation: give more sets or fewer for "
                "validation", count=len(data)))
        cut = np.quantile(d.t, 0.8)
        fit_parts = [(d, d.t < cut)]
        val_parts = [(d, d.t >= cut)]
        split = N_("fit on the first 80 %% of %(set)s in time; threshold and early stopping "
                   "on the last 20 %%", set=d.name)
    if derived := [d.name for d in data if d.labels_from_accounts]:
        split = N_("%(split)s; the transaction labels of %(sets)s are read from its account "
                   "labels (a payment between two laundering accounts)", split=split,
                   sets=Joined(derived))
    _require_laundering(guard)
    val_parts += [(g, np.ones(len(g), bool)) for g in guard]
    if rehearse:
        # new trees fitted on the new data alone learn what is ordinary there, and may
        # unlearn laundering the base found elsewhere: worlds like those it learned from
        # join the fit, together weighing as much as the new data
        _require_laundering(rehearse)
        each = sum(float(m.sum()) * d.weight for d, m in fit_parts) / len(rehearse)
        rehearsed = [dataclasses.replace(r, weight=each / len(r)) for r in rehearse]
        fit_parts += [(r, np.ones(len(r), bool)) for r in rehearsed]
        split = N_("%(split)s; fitted also on %(sets)s (worlds like those the base learned "
                   "from), together weighing as much as the new data", split=split,
                   sets=Joined(r.name for r in rehearse))
    if base is not None:
        trees = Number(base.booster.current_iteration())
        version = str(base.meta.get("version", "?"))
        split = N_("%(split)s; grown on the %(trees)s trees of model %(version)s, stopped and "
                   "cut also on %(guard)s (worlds that model was validated on)", split=split,
                   trees=trees, version=version, guard=Joined(g.name for g in guard)) \
            if guard else N_("%(split)s; grown on the %(trees)s trees of model %(version)s",
                             split=split, trees=trees, version=version)
    x_fit = _stacked(fit_parts, features)
    y_fit = np.concatenate([d.label[m] for d, m in fit_parts])  # type: ignore[index]
    w_fit = np.concatenate([pattern_weights(d.label[m], d.pattern[m],  # type: ignore[index]
                                            d.weight, balance_patterns)
                            for d, m in fit_parts])
    if balance_patterns:
        power = round(1 - float(balance_patterns), 3)
        split = N_("%(split)s; the laundering rows of each fitted set reweighted by pattern "
                   "(a pattern of n rows weighs as n to the power %(power)s; its set's "
                   "laundering weighs as much as before)", split=split,
                   power=Number(int(power) if power.is_integer() else power))
    x_val = _stacked(val_parts, features)
    y_val = np.concatenate([d.label[m] for d, m in val_parts])  # type: ignore[index]
    # the features are all in x_fit and x_val now (the rehearsal worlds fitted are copies
    # of the caller's, which hold the same features)
    let_go = list(data) if sets is None else []
    if release:
        let_go = [d for d, _ in fit_parts + val_parts] + list(rehearse)
    for d in {id(d): d for d in let_go}.values():
        d.features = d.features.take(np.empty(0, np.int64))
    if not y_val.any():
        raise InputError.single(val_parts[0][0].name,
                                N_("the validation part has no laundering rows"))
    rows = float(w_fit.sum(dtype=np.float64))  # weighted counts: the plain counts at weight 1
    pos = max(1.0, float(w_fit[y_fit].sum(dtype=np.float64)))
    params = {**PARAMS, "seed": seed, "scale_pos_weight": float(math.sqrt((rows - pos) / pos))}
    if progress:
        progress(N_("Fitting on %(count)s transactions (%(laundering)s laundering)",
                    count=Number(len(y_fit)), laundering=Number(int(y_fit.sum()))))
    weighted = bool((w_fit != 1).any())
    fit = lgb.Dataset(x_fit, label=y_fit.astype(np.float32), feature_name=features,
                      weight=w_fit if weighted else None, free_raw_data=True)
    del x_fit  # the dataset lets it go once it has binned it (before the trees grow)
    val = lgb.Dataset(x_val, label=y_val.astype(np.float32), reference=fit,
                      weight=each_alike([m.sum() for _, m in val_parts]))
    stop: list[Callable[..., Any]] = [] if early_stop is None else [
        lgb.early_stopping(early_stop, verbose=False)]
    booster = lgb.train(params, fit, num_boost_round=rounds, valid_sets=[val],
                        valid_names=["validation"], callbacks=stop,
                        init_model=base.booster if base is not None else None)
    del fit
    model = Model(booster_text=booster.model_to_string(num_iteration=booster.best_iteration),
                  features=features, threshold=0.5, account_threshold=0.5,
                  feature_config=_cfg_dict(cfg),
                  flag_share=None if flag_share is None else dict(flag_share))
    acc_f1, f1_val = set_cuts(model, val_parts, x_val, y_val)
    gain = booster.feature_importance("gain")
    top = sorted(zip(features, gain.tolist(), strict=True), key=lambda kv: -kv[1])[:10]
    model.meta = {
        "version": RECIPE_VERSION, "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "learner": f"LightGBM {lgb.__version__}", "params": params,
        "iterations": int(booster.best_iteration or booster.current_iteration()),
        "split": split,
        **({"balance_patterns": balance_patterns} if balance_patterns else {}),
        "trained_on": [{"set": d.name, "transactions": len(d),
                        "laundering": int(d.label.sum()),  # type: ignore[union-attr]
                        **({"weight": d.weight} if d.weight != 1 else {})} for d in data],
        **({"rehearsed_on": [{"set": r.name, "transactions": len(r), "weight": r.weight}
                             for r in rehearsed]} if rehearse else {}),
        **({"base": {"version": base.meta.get("version"), "created": base.meta.get("created"),
                     "trees": base.booster.current_iteration(),
                     "guard": [g.name for g in guard]}} if base is not None else {}),
        "validation": {"transaction_f1": round(f1_val, 4), "account_f1": round(acc_f1, 4)},
        "top_features": [{"feature": k, "gain": round(v, 1)} for k, v in top],
    }
    return model


def pattern_weights(label: np.ndarray, pattern: np.ndarray, weight: float = 1.0,
                    power: float = 1.0) -> np.ndarray:
    """Each row's weight in a fit: ``weight`` for a legitimate row; the laundering rows
    share ``weight`` times their count, a pattern of ``n`` of them ``n ** (1 - power)``
    parts of it (``power`` 1: every pattern alike; 0: every row alike). A laundering row
    without a pattern name counts in a pattern of its own."""
    if not power:  # every row as its set, exactly (no rounding through the shares)
        return np.full(len(label), weight, np.float32)
    out = np.full(len(label), weight, np.float64)
    names = np.asarray([str(p) if p is not None else "" for p in pattern[label]], dtype=object)
    if not len(names):
        return out.astype(np.float32)
    _, index, counts = np.unique(names, return_inverse=True, return_counts=True)
    parts = counts.astype(np.float64) ** (1 - power)
    per_row = weight * len(names) * parts / parts.sum() / counts
    out[label] = per_row[index]
    return out.astype(np.float32)


def each_alike(sizes: Sequence[int]) -> np.ndarray | None:
    """Row weights under which each of the sets of ``sizes`` rows weighs alike (their
    rows' mean weight 1); ``None`` when they are all of one size.

    A validation part pools sets: a model grown on the shipped one is stopped and cut on
    the last fifth of the user's world and on the shipped model's worlds. Pooled row by
    row, the user's world weighed a sixth at 300,000 transactions and three quarters at
    5,000,000, so the same recipe stopped and cut differently by the size of the data
    (docs/benchmarks.md, "Rehearsal: new trees that do not unlearn")."""
    sizes = [int(n) for n in sizes]
    if len(set(sizes)) <= 1:
        return None
    total = sum(sizes)
    return np.concatenate([np.full(n, total / (len(sizes) * n)) for n in sizes])


def _stacked(parts: Sequence[tuple[SetData, np.ndarray]], features: Sequence[str]
             ) -> np.ndarray:
    """The rows of every part in one float32 matrix, each part written in place: the
    parts' matrices concatenated would hold the whole twice (gigabytes at 5M rows)."""
    out = np.empty((sum(int(m.sum()) for _, m in parts), len(features)), np.float32)
    at = 0
    for d, m in parts:
        rows = np.flatnonzero(m)
        d.features.matrix(features, rows, out=out[at:at + len(rows)])
        at += len(rows)
    return out


def set_cuts(model: Model, val_parts: Sequence[tuple[SetData, np.ndarray]],
             x_val: np.ndarray, y_val: np.ndarray) -> tuple[float, float]:
    """Choose the model's cuts on the validation part (rows ``x_val``, labels ``y_val``,
    from ``val_parts`` in order), each of its sets weighing alike (:func:`each_alike`);
    the validation F1 at accounts and transactions."""
    # cuts on the log-odds: at scale most validation laundering is 1.0 as a probability
    raw_val = model.predict_matrix(x_val, raw=True)
    cut, f1_val = plateau_threshold(y_val, raw_val,
                                    w=each_alike([int(m.sum()) for _, m in val_parts]))
    # accounts: the validation part's rows only, each set's accounts on their own
    acc_y, acc_s, at = [], [], 0
    for vd, vm in val_parts:
        sub = _subset(vd, vm)
        k = len(sub)
        truth = sub.account_truth()
        touched = np.zeros(len(sub.accounts), bool)
        touched[sub.source] = True
        touched[sub.target] = True
        if truth is not None:
            acc_y.append(truth[touched])
            acc_s.append(account_scores(sub, raw_val[at:at + k])[touched])
        at += k
    acc_cut, acc_f1 = plateau_threshold(np.concatenate(acc_y), np.concatenate(acc_s),
                                        w=each_alike([len(a) for a in acc_y])) \
        if acc_y else (cut, 0.0)
    model.log_odds_cuts = {"transaction": cut, "account": acc_cut}
    model.threshold = float(probability(np.array([cut]))[0])
    model.account_threshold = float(probability(np.array([acc_cut]))[0])
    return acc_f1, f1_val


def recut(model: Model, sets: Sequence[SetData]) -> Model:
    """A copy of a trained ``model`` with its cuts chosen again on the whole of ``sets``
    (labelled worlds its trees never saw) by this version's rule (:func:`set_cuts`): the
    trees, features and flag shares are kept; the metadata says which version's trees
    these are, which cuts they had and where the new ones were chosen."""
    if not sets:
        raise InputError.single("validation", N_("keep at least one set for validation"))
    _require_laundering(sets)
    parts = [(d, np.ones(len(d), bool)) for d in sets]
    x_val = np.concatenate([d.matrix(model.features, slice(None)) for d in sets])
    y_val = np.concatenate([d.label for d in sets])
    out = replace(model, meta=dict(model.meta), log_odds_cuts=None)
    acc_f1, f1_val = set_cuts(out, parts, x_val, y_val)
    out.meta.update({
        "version": RECIPE_VERSION,
        "recut": {"created": datetime.now(UTC).isoformat(timespec="seconds"),
                  "trees_of_version": model.meta.get("version"),
                  "trees_created": model.meta.get("created"),
                  "on": [d.name for d in sets],
                  "previous_log_odds_cuts": model.log_odds_cuts},
        "validation": {"transaction_f1": round(f1_val, 4), "account_f1": round(acc_f1, 4)},
    })
    return out


def _require_laundering(sets: Sequence[SetData]) -> None:
    """Refuse a set kept whole for validation that has no laundering to choose cuts on."""
    for d in sets:
        if d.label is None or not d.label.any():
            raise InputError.single(d.name, N_("the validation part has no laundering rows"))


def _cfg_dict(cfg: FeatureConfig) -> dict[str, Any]:
    out = asdict(cfg)
    out["windows_hours"] = list(cfg.windows_hours)
    return out


def part(d: SetData, mask: np.ndarray) -> SetData:
    """The payments of ``mask`` as a set of their own, their features as computed on the
    whole set (a later period judged with the history before it)."""
    rows = np.flatnonzero(mask)
    sub = _subset(d, mask)
    sub.features = d.features.take(rows)
    return sub


def _subset(d: SetData, mask: np.ndarray) -> SetData:
    """The rows of ``mask`` (features are not carried over)."""
    return SetData(name=d.name, features=d.features, txn_id=d.txn_id[mask],
                   source=d.source[mask], target=d.target[mask], accounts=d.accounts,
                   label=None if d.label is None else d.label[mask],
                   pattern=d.pattern[mask], t=d.t[mask], account_label=d.account_label,
                   labels_from_accounts=d.labels_from_accounts, weight=d.weight)


# --------------------------------------------------------------------------- evaluation


@dataclass
class LevelQuality:
    scores: Scores
    pr_auc: float
    rows: int
    positives: int

    def to_dict(self) -> dict[str, Any]:
        return {**self.scores.to_dict(), "pr_auc": round(self.pr_auc, 4), "rows": self.rows,
                "positives": self.positives}


@dataclass
class Evaluation:
    """A model judged on a labelled set it was not trained on."""

    set_name: str
    transactions: LevelQuality | None
    accounts: LevelQuality | None
    #: pattern -> {"transactions": recall, "accounts": recall, "count": transactions}
    patterns: dict[str, dict[str, float]] = field(default_factory=dict)
    trained_on_this_set: bool = False
    #: Transaction labels derived from account labels (:attr:`SetData.labels_from_accounts`).
    labels_from_accounts: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"set": self.set_name,
                "transactions": self.transactions.to_dict() if self.transactions else None,
                "accounts": self.accounts.to_dict() if self.accounts else None,
                "patterns": self.patterns, "trained_on_this_set": self.trained_on_this_set,
                "transaction_labels": "from accounts" if self.labels_from_accounts
                else "from transactions"}


def _quality(y: np.ndarray, p: np.ndarray, flagged: np.ndarray) -> LevelQuality:
    """Counts at the flags and PR-AUC of the ranking ``p`` (log-odds: no ties at 1.0)."""
    from sklearn.metrics import average_precision_score

    tp = int((flagged & y).sum())
    scores = Scores(tp, int((flagged & ~y).sum()), int((~flagged & y).sum()))
    auc = float(average_precision_score(y, p)) if y.any() else 0.0
    return LevelQuality(scores, auc, len(y), int(y.sum()))


def evaluate(model: Model, data: SetData) -> Evaluation:
    """Precision, recall, F1 and PR-AUC at both levels, and recall per pattern."""
    truth = data.account_truth()
    if data.label is None and truth is None:
        raise InputError.single(data.name, N_("the set carries no labels to evaluate "
                                              "against"))
    p = model.predict(data, raw=True)
    result = Evaluation(data.name, None, None,
                        trained_on_this_set=data.name in {
                            t.get("set") for t in model.meta.get("trained_on", [])},
                        labels_from_accounts=data.labels_from_accounts)
    floor = model.floor(p)
    if data.label is not None:
        result.transactions = _quality(data.label, p, model.flags(p, floor=floor))
    acc = account_scores(data, p)
    acc_floor = model.floor(acc, "account")
    touched = np.zeros(len(data.accounts), bool)
    touched[data.source] = True
    touched[data.target] = True
    if truth is not None:
        result.accounts = _quality(truth[touched], acc[touched],
                                   model.flags(acc[touched], "account", acc_floor))
    flagged_acc = model.flags(acc, "account", acc_floor)
    if data.label is not None:
        flagged = model.flags(p, floor=floor)
        for name in sorted({str(x) for x in data.pattern[data.label] if x is not None}):
            rows = data.label & (data.pattern == name)
            accts = np.unique(np.concatenate([data.source[rows], data.target[rows]]))
            if truth is not None:
                accts = accts[truth[accts]]
            result.patterns[name] = {
                "count": int(rows.sum()),
                "transactions": round(float(flagged[rows].mean()), 4),
                "accounts": round(float(flagged_acc[accts].mean()), 4) if len(accts) else 0.0,
            }
    return result


# --------------------------------------------------------------------------- scoring


def score_rows(model: Model, set_dir: Path, level: Level, engine: str | None = None,
               progress: Callable[[str], None] | None = None) -> Iterator[pa.RecordBatch]:
    """Scores of a set as Arrow batches: per transaction (``line``, ``source_file``,
    ``txn_id``, ``score``, ``flagged``) or per account (``account``, ``score``,
    ``flagged``), in file order or by descending score."""
    import pyarrow.compute as pc

    feats, engine_name = features_of(set_dir, engine, model.config(), progress)
    path = set_dir / "transactions.parquet"
    if engine_name != "embedded":
        feats = _reorder(feats, pq.read_table(path, columns=["txn_id"]).column("txn_id"))
    if progress:
        progress(N_("Scoring"))
    p = model.predict_features(feats, raw=True)
    del feats  # the feature columns are not needed past this point
    if level == "account":
        ends = pq.read_table(path, columns=["source", "target"])
        enc = pc.dictionary_encode(pa.concat_arrays([ends.column("source").combine_chunks(),
                                                      ends.column("target").combine_chunks()]))
        codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        n = ends.num_rows
        del ends
        acc = np.full(len(enc.dictionary), -np.inf, dtype=np.float64)
        np.maximum.at(acc, codes[:n], p)
        np.maximum.at(acc, codes[n:], p)
        acc_floor = model.floor(acc, "account")
        order = np.argsort(-acc, kind="stable")
        for lo in range(0, len(order), BLOCK):
            idx = order[lo:lo + BLOCK]
            yield pa.record_batch({
                "account": enc.dictionary.take(pa.array(idx)).cast(pa.string()),
                "score": pa.array(np.round(probability(acc[idx]), 6)),
                "flagged": pa.array(model.flags(acc[idx], "account", acc_floor))})
        return
    floor = model.floor(p)
    src = pq.ParquetFile(path)
    cols = [c for c in ("source_file", "source_line") if c in src.schema_arrow.names]
    at = 0
    for batch in src.iter_batches(batch_size=BLOCK, columns=["txn_id", *cols]):
        k = batch.num_rows
        part = p[at:at + k]
        yield pa.record_batch({
            "line": batch.column("source_line") if "source_line" in cols
            else pa.nulls(k, pa.int64()),
            "source_file": batch.column("source_file") if "source_file" in cols
            else pa.nulls(k, pa.string()),
            "txn_id": batch.column("txn_id"),
            "score": pa.array(np.round(probability(part), 6)),
            "flagged": pa.array(model.flags(part, floor=floor))})
        at += k


@dataclass
class Ranked:
    """One scored transaction or account with the features that raised its score."""

    subject: str
    score: float
    flagged: bool
    reasons: list[Reason]
    #: For a transaction: ``file:line`` of its source row; for an account: the payment
    #: whose score it carries.
    where: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "score": round(self.score, 6), "flagged": self.flagged,
                "where": self.where, "reasons": [r.to_dict() for r in self.reasons]}


def top_scores(model: Model, set_dir: Path, level: Level, limit: int,
               engine: str | None = None, progress: Callable[[str], None] | None = None
               ) -> list[Ranked]:
    """The ``limit`` highest-scored transactions or accounts, each explained."""
    data = load_set(set_dir, engine, model.config(), progress)
    if progress:
        progress(N_("Scoring"))
    top = rank(model, data, model.predict(data, raw=True), level, limit)
    if level == "transaction":
        places = source_places(set_dir, [r.subject for r in top])
        for r in top:
            r.where = places.get(r.subject)
    return top


def source_places(set_dir: Path, txn_ids: Sequence[str]) -> dict[str, str]:
    """``file:line`` of the named transactions' source rows, where the set keeps them."""
    import pyarrow.compute as pc

    path = set_dir / "transactions.parquet"
    if not txn_ids or "source_line" not in pq.ParquetFile(path).schema_arrow.names:
        return {}
    table = pq.read_table(path, columns=["txn_id", "source_file", "source_line"],
                          filters=pc.field("txn_id").isin(list(txn_ids)))
    return {t: f"{f}:{n}" for t, f, n in zip(*(table.column(c).to_pylist() for c in (
        "txn_id", "source_file", "source_line")), strict=True) if f is not None and n is not None}


def rank(model: Model, data: SetData, p: np.ndarray, level: Level, limit: int
         ) -> list[Ranked]:
    """The top ``limit`` rows of a set scored ``p`` (log-odds), explained by the payment
    behind each score; scores shown as probabilities."""
    if level == "account":
        acc = account_scores(data, p)
        accounts = np.argsort(-acc, kind="stable")[:max(0, limit)]
        # the payment that carries each account's score
        best = np.full(len(data.accounts), -1, dtype=np.int64)
        order = np.argsort(p, kind="stable")  # later (higher) writes win
        best[data.source[order]] = order
        best[data.target[order]] = order
        rows = best[accounts]
        reasons = model.explain(model.matrix(data, rows)) if len(rows) else []
        shown = probability(acc[accounts])
        flagged = model.flags(acc[accounts], "account", model.floor(acc, "account"))
        return [Ranked(str(data.accounts[a]), float(s), bool(f), r, str(data.txn_id[row]))
                for a, s, f, row, r in zip(accounts.tolist(), shown.tolist(), flagged.tolist(),
                                           rows.tolist(), reasons, strict=True)]
    rows = np.argsort(-p, kind="stable")[:max(0, limit)]
    reasons = model.explain(model.matrix(data, rows)) if len(rows) else []
    shown, flagged = probability(p[rows]), model.flags(p[rows], floor=model.floor(p))
    return [Ranked(str(data.txn_id[i]), float(s), bool(f), r)
            for i, s, f, r in zip(rows.tolist(), shown.tolist(), flagged.tolist(), reasons,
                                  strict=True)]


def explain_transactions(model: Model, set_dir: Path, txn_ids: Sequence[str],
                         engine: str | None = None) -> dict[str, Ranked]:
    """Scores and top features of the named transactions (for the investigation pages)."""
    data = load_set(set_dir, engine, model.config())
    wanted = set(txn_ids)
    rows = np.array([i for i, t in enumerate(data.txn_id.tolist()) if t in wanted],
                    dtype=np.int64)
    if not len(rows):
        return {}
    x = model.matrix(data, rows)
    raw = model.predict_matrix(x, raw=True)
    # the share cap is the whole set's: it needs every payment's score
    floor = model.floor(model.predict(data, raw=True)) if model.flag_share else None
    shown, flagged = probability(raw), model.flags(raw, floor=floor)
    return {str(data.txn_id[i]): Ranked(str(data.txn_id[i]), float(s), bool(f), r)
            for i, s, f, r in zip(rows.tolist(), shown.tolist(), flagged.tolist(),
                                  model.explain(x), strict=True)}


def default_path(set_dir: Path, settings: Settings | None = None) -> Path:
    """``<data_dir>/models/money/<folder name>.json`` for a set outside the platform."""
    from tocsin.settings import get_settings

    settings = settings or get_settings()
    return settings.data_dir / "models" / "money" / f"{set_dir.name}.json"


def write_scores(batches: Iterator[pa.RecordBatch], output: Path) -> int:
    """Stream ``batches`` to ``output`` as CSV (text cells formula-neutralised); the file
    appears only when complete."""
    import pyarrow.csv as pacsv

    from tocsin.types.cells import neutralise_table

    writable(output)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    rows = 0
    writer: pacsv.CSVWriter | None = None
    try:
        for batch in batches:
            table = neutralise_table(pa.Table.from_batches([batch]))
            if writer is None:
                writer = pacsv.CSVWriter(tmp, table.schema)
            writer.write_table(table)
            rows += batch.num_rows
        if writer is not None:
            writer.close()
            writer = None
            os.replace(tmp, output)
    except OSError as exc:
        raise not_written(output, exc) from None
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
    return rows


# --------------------------------------------------------------------------- files


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode()


def _key(settings: Settings | None) -> bytes:
    from tocsin.settings import get_settings

    secret = (settings or get_settings()).secret()
    return hashlib.sha256(b"tocsin money model\x00" + secret.encode()).digest()


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def dumps(model: Model, signature: dict[str, str]) -> bytes:
    return json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION,
                       "model": model.to_payload(), "signature": signature},
                      sort_keys=True).encode()


def save(model: Model, path: Path, settings: Settings | None = None) -> Path:
    """Write the model as signed JSON (HMAC-SHA256 keyed with the platform's secret)."""
    payload = model.to_payload()
    sig = hmac.new(_key(settings), _canonical(payload), hashlib.sha256).hexdigest()
    writable(path)
    try:
        _atomic_write(path, dumps(model, {"method": "hmac-sha256", "value": sig}))
    except OSError as exc:
        raise not_written(path, exc) from None
    return path


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputError.single(str(path), N_("no such model file"))
    if path.stat().st_size > 64 * 1024 * 1024:
        raise InputError.single(str(path), N_("larger than 64 MiB; not a model file"))
    try:
        doc = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError.single(str(path), N_("not a model file (JSON expected): %(error)s",
                                              error=str(exc))) from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError.single(str(path), N_("not a money model (format %(format)s "
                                              "expected)", format=repr(FORMAT)))
    if doc.get("format_version") != FORMAT_VERSION:
        raise InputError.single(str(path), N_(
            "model format version %(version)s; this version reads %(reads)s",
            version=repr(doc.get("format_version")), reads=FORMAT_VERSION))
    if not isinstance(doc.get("model"), dict) or not isinstance(doc.get("signature"), dict):
        raise InputError.single(str(path), N_("model or signature missing"))
    return doc


def load(path: Path, settings: Settings | None = None) -> Model:
    """Read a model this installation wrote; refuse one whose signature does not match."""
    doc = _read(path)
    sig = doc["signature"]
    if sig.get("method") != "hmac-sha256":
        raise InputError.single(str(path), N_("only models signed by this installation "
                                              "(hmac-sha256) are loaded from a file"))
    expected = hmac.new(_key(settings), _canonical(doc["model"]), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, str(sig.get("value", ""))):
        raise InputError.single(str(path), N_("signature does not match; the file was "
                                              "changed or written by another installation"))
    return Model.from_payload(doc["model"], str(path))


def default_dir() -> Path:
    return Path(str(resources.files("tocsin.money"))) / DEFAULT_DIR


def card(directory: Path | None = None) -> dict[str, Any]:
    """The default model's card (what it was trained on, its cross-world scores, limits)."""
    path = (directory or default_dir()) / "card.json"
    if not path.is_file():
        raise InputError.single(str(path), N_("no default model is installed"))
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise InputError.single(str(path), N_("not a model card"))
    return data


def load_default(directory: Path | None = None) -> Model:
    """The model shipped with the package, checked against its card's SHA-256 digest."""
    directory = directory or default_dir()
    info = card(directory)
    path = directory / str(info.get("file", "model.json"))
    doc = _read(path)
    digest = hashlib.sha256(_canonical(doc["model"])).hexdigest()
    if doc["signature"].get("method") != "sha256" or not hmac.compare_digest(
            digest, str(doc["signature"].get("value", ""))) or not hmac.compare_digest(
            digest, str(info.get("sha256", ""))):
        raise InputError.single(str(path), N_("the default model does not match the digest "
                                              "in its card; reinstall the package"))
    return Model.from_payload(doc["model"], str(path))


def save_default(model: Model, directory: Path, card_data: dict[str, Any]) -> Path:
    """Write a model and its card as the shipped default (digest-checked, not keyed)."""
    digest = hashlib.sha256(_canonical(model.to_payload())).hexdigest()
    path = directory / "model.json"
    _atomic_write(path, dumps(model, {"method": "sha256", "value": digest}))
    info = {**card_data, "file": "model.json", "sha256": digest,
            "version": model.meta.get("version", RECIPE_VERSION)}
    _atomic_write(directory / "card.json", json.dumps(info, indent=2).encode() + b"\n")
    return path


def _card_worlds(folder: Path, base: Model, specs: Sequence[dict[str, Any]],
                 engine: str | None, progress: Callable[[str], None] | None,
                 why: str) -> list[SetData]:
    """The generated worlds of a model card's ``specs`` (seed and size) with ``base``'s
    features: read from ``folder`` where they were kept before, else generated from their
    seeds and kept there (:func:`tocsin.money.worldcache.card_world`). ``folder`` is the
    installation's cache of generated worlds or, with that cache off, a temporary one."""
    from tocsin.money import worldcache

    return [worldcache.card_world(folder, int(spec["world_seed"]), int(spec["transactions"]),
                                  engine, base.config(), progress, why) for spec in specs]


def guard_worlds(folder: Path, base: Model, directory: Path | None = None,
                 engine: str | None = None,
                 progress: Callable[[str], None] | None = None) -> list[SetData]:
    """The generated worlds the shipped model's cuts were chosen on (its card's
    ``validation_worlds``), with ``base``'s features, kept in ``folder`` (see
    :func:`_card_worlds`): the guard of a model grown on the shipped one (:func:`train`)."""
    return _card_worlds(folder, base, card(directory).get("validation_worlds", []), engine,
                        progress, N_("a world the shipped model was validated on"))


def rehearsal_worlds(folder: Path, base: Model, count: int, directory: Path | None = None,
                     engine: str | None = None,
                     progress: Callable[[str], None] | None = None) -> list[SetData]:
    """``count`` of the generated worlds the shipped model was trained on (its card's
    ``trained_on`` but its validation worlds, evenly spread over them), with ``base``'s
    features, kept in ``folder`` (see :func:`_card_worlds`): fitted beside new data in
    :func:`train`."""
    about = card(directory)
    guard = {s["world_seed"] for s in about.get("validation_worlds", [])}
    specs = [s for s in about.get("trained_on", [])
             if "world_seed" in s and s["world_seed"] not in guard]
    if not specs or count < 1:
        return []
    picks = sorted({round(i * (len(specs) - 1) / max(1, count - 1))
                    for i in range(min(count, len(specs)))})
    return _card_worlds(folder, base, [specs[i] for i in picks], engine, progress,
                        N_("a world the shipped model was trained on"))


def resolve(path: Path | None, settings: Settings | None = None) -> Model:
    """The model at ``path`` (signed by this installation) or the shipped default."""
    return load(path, settings) if path is not None else load_default()


def set_ranking(set_dir: Path, top: int, settings: Settings | None = None,
                stored: Path | None = None, progress: Callable[[str], None] | None = None
                ) -> dict[str, Any]:
    """What the investigation pages show: the model's riskiest accounts and payments, each
    with the features that raised its score. Uses the model kept with the set when there
    is one (``stored``), else the shipped default."""
    if stored is not None and stored.is_file():
        chosen, source = load(stored, settings), N_("trained on this set")
    else:
        chosen = load_default()
        source = N_("shipped default model, version %(version)s",
                    version=str(chosen.meta.get("version", "?")))
    data = load_set(set_dir, None, chosen.config(), progress)
    p = chosen.predict(data, raw=True)
    n = max(1, top)
    acc = account_scores(data, p)
    return {"source": source, "source_message": to_data(source),
            "threshold": round(chosen.threshold, 6),
            "account_threshold": round(chosen.account_threshold, 6),
            "flagged_transactions": int(chosen.flags(p, floor=chosen.floor(p)).sum()),
            "flagged_accounts": int(chosen.flags(acc, "account",
                                                 chosen.floor(acc, "account")).sum()),
            "accounts": [r.to_dict() for r in rank(chosen, data, p, "account", n)],
            "transactions": [r.to_dict() for r in rank(chosen, data, p, "transaction", n)]}
