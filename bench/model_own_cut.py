"""The shipped model's flags against cuts chosen on each set's own scores (no labels).

The shipped model flags payments at a log-odds cut chosen on generated validation worlds,
capped at a share of the set. A new set's legitimate payments may score higher or lower
than those worlds', so a fixed cut can flag twice the laundering there is. The model's
probabilities, once its training weight for laundering rows (``scale_pos_weight``) is
taken out of the log-odds, say how many laundering payments a set holds and which cut
would give the best F1 *if they were calibrated*: this script compares such cuts with
the shipped flags on worlds the model never saw, with each pattern's recall.

    .venv/bin/python bench/model_own_cut.py --test 3101,3102,3103 --transactions 300000 \\
        --work <worlds>

Cuts compared (each capped at the model's flag share, highest scores first):

- ``shipped``: the model's own log-odds cut, as ``tocsin money score`` flags;
- ``expected F1``: the number of payments that maximises the F1 expected from the
  corrected probabilities;
- ``within 0.05``: the largest number whose expected F1 is within 0.05 of that best
  (the lowest cut that does about as well, as the shipped cut is chosen on validation);
- ``expected F2``: the same with recall weighing twice.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from money_detect_quality import make_world, parse_worlds  # noqa: E402

from tocsin.money import model  # noqa: E402

CUTS = ("shipped", "expected F1", "within 0.05", "expected F2")


def counts(raw: np.ndarray, trained: model.Model) -> tuple[dict[str, int], float]:
    """Payments flagged (highest scores first) under each cut of :data:`CUTS`, and the
    number of laundering payments the corrected probabilities expect."""
    shift = float(np.log(trained.meta["params"]["scale_pos_weight"]))
    q = np.sort(model.probability(raw - shift))[::-1]
    cum = np.cumsum(q)
    expected = float(cum[-1])
    k = np.arange(1, len(q) + 1)
    f1 = 2 * cum / (k + expected)
    best = int(np.argmax(f1))
    cap = max(1, int((trained.flag_share or {}).get("transaction", 1.0) * len(raw)))
    floor = trained.floor(raw)
    out = {"shipped": int(trained.flags(raw, floor=floor).sum()),
           "expected F1": best + 1,
           "within 0.05": int(np.flatnonzero(f1 >= f1[best] - 0.05)[-1]) + 1,
           "expected F2": int(np.argmax(5 * cum / (4 * expected + k))) + 1}
    return {name: min(n, cap) for name, n in out.items()}, expected


def judge(data: model.SetData, trained: model.Model) -> dict[str, object]:
    assert data.label is not None
    raw = trained.predict(data, raw=True)
    y = data.label.astype(bool)
    order = np.argsort(-raw, kind="stable")
    flagged_n, expected = counts(raw, trained)
    patterns = sorted({str(p) for p in data.pattern[y] if p is not None})
    row: dict[str, object] = {"world": data.name, "laundering": int(y.sum()),
                              "expected": round(expected)}
    for name, n in flagged_n.items():
        flagged = np.zeros(len(y), bool)
        flagged[order[:n]] = True
        tp = int((flagged & y).sum())
        recalls = [float(flagged[y & (data.pattern == p)].mean()) for p in patterns]
        row[name] = {"flagged": n, "f1": round(2 * tp / (n + int(y.sum())), 3),
                     "weakest": round(min(recalls), 2) if recalls else None,
                     "pattern_mean": round(float(np.mean(recalls)), 3) if recalls else None}
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--test", required=True, help="world seeds, e.g. 3101,3102")
    ap.add_argument("--transactions", type=int, default=300_000)
    ap.add_argument("--work", type=Path, required=True, help="folder of the generated worlds")
    args = ap.parse_args()
    trained = model.load_default()
    rows = []
    print("| world | laundering | expected | " + " | ".join(
        f"{c}: F1 / weakest pattern" for c in CUTS) + " |")
    print("| --- " * (3 + len(CUTS)) + "|")
    for seed, size in parse_worlds(args.test, args.transactions):
        row = judge(make_world(args.work, seed, size), trained)
        rows.append(row)
        print(f"| {row['world']} | {row['laundering']:,} | {row['expected']:,} | " + " | ".join(
            f"{row[c]['f1']:.3f} / {row[c]['weakest']}" for c in CUTS) + " |",  # type: ignore[index]
            flush=True)
    print()
    for c in CUTS:
        f1 = [r[c]["f1"] for r in rows]  # type: ignore[index]
        weakest = [r[c]["weakest"] or 0.0 for r in rows]  # type: ignore[index]
        print(f"{c}: mean F1 {np.mean(f1):.3f}, median {np.median(f1):.3f}; weakest pattern "
              f"mean {np.mean(weakest):.3f}; every pattern >= 0.3 on "
              f"{sum(w >= 0.3 for w in weakest)} of {len(rows)} worlds")
    ratio = [r["expected"] / r["laundering"] for r in rows]  # type: ignore[operator]
    print(f"expected / actual laundering payments: median {np.median(ratio):.2f} "
          f"(range {min(ratio):.2f}-{max(ratio):.2f})")


if __name__ == "__main__":
    main()
