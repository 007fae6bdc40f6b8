"""Benchmark: Tocsin's AMLworld importer against pandas, in the same run.

Generates an AMLworld-format transactions file (``--rows``, default 2,000,000),
then imports it with ``tocsin.money.ingest`` and with a straightforward
pandas baseline (``pandas.read_csv`` plus the same conversions: timestamps,
ISO currencies, base-currency amounts, ``bank:account`` ids, labels, account
kinds, Parquet output). Each contender runs in its own subprocess so that its
peak resident memory (``ru_maxrss``) is its own; Python allocations are traced
with ``tracemalloc``.

    .venv/bin/python bench/money_ingest.py --rows 2000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HEADER = ("Timestamp", "From Bank", "Account", "To Bank", "Account", "Amount Received",
          "Receiving Currency", "Amount Paid", "Payment Currency", "Payment Format",
          "Is Laundering")
CURRENCIES = ("US Dollar", "Euro", "Yuan", "Bitcoin", "UK Pound", "Rupee", "Yen", "Ruble",
              "Swiss Franc", "Australian Dollar", "Canadian Dollar", "Mexican Peso",
              "Brazil Real", "Saudi Riyal", "Shekel")
CURRENCY_WEIGHTS = (0.36, 0.23, 0.07, 0.02, 0.03, 0.06, 0.04, 0.03, 0.03, 0.03, 0.03, 0.02,
                    0.02, 0.02, 0.01)
FORMATS = ("Reinvestment", "Cheque", "Credit Card", "ACH", "Cash", "Wire", "Bitcoin")
FORMAT_WEIGHTS = (0.12, 0.37, 0.25, 0.12, 0.03, 0.09, 0.02)


def generate_amlworld(path: Path, rows: int, seed: int = 7, accounts: int | None = None) -> Path:
    """Write ``rows`` AMLworld-style transactions (fictional banks and accounts) to ``path``."""
    rng = np.random.default_rng(seed)
    accounts = accounts or max(rows // 10, 10)
    banks = np.array([f"{b:03d}" if b < 100 else f"{b:05d}"
                      for b in range(1, 1 + max(accounts // 40, 2))])
    acct_bank = banks[rng.integers(0, len(banks), accounts)]
    acct_ids = np.array([f"{0x80000000 + i * 7919:09X}" for i in range(accounts)])
    src = rng.integers(0, accounts, rows)
    tgt = np.where(rng.random(rows) < 0.1, src, rng.integers(0, accounts, rows))
    minutes = np.sort(rng.integers(0, 18 * 24 * 60, rows))
    ts = pa.array((np.datetime64("2022-09-01T00:00", "s") + minutes * 60).astype("datetime64[s]"))
    ts_text = pc.strftime(ts, format="%Y/%m/%d %H:%M")
    currency = np.array(CURRENCIES)[rng.choice(len(CURRENCIES), rows, p=CURRENCY_WEIGHTS)]
    fmt = np.array(FORMATS)[rng.choice(len(FORMATS), rows, p=FORMAT_WEIGHTS)]
    fmt = np.where(currency == "Bitcoin", "Bitcoin", fmt)
    paid = np.round(rng.lognormal(6.5, 2.0, rows), 2)
    laundering = (rng.random(rows) < 0.001).astype(np.int8)
    amount_text = pc.cast(pa.array(paid), pa.string())
    table = pa.Table.from_arrays(
        [ts_text, pa.array(acct_bank[src]), pa.array(acct_ids[src]), pa.array(acct_bank[tgt]),
         pa.array(acct_ids[tgt]), amount_text, pa.array(currency), amount_text,
         pa.array(currency), pa.array(fmt), pa.array(laundering)],
        names=list(HEADER))
    with pa.OSFile(str(path), "wb") as sink:
        sink.write((",".join(HEADER) + "\n").encode())
        pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(
            include_header=False, quoting_style="none"))
    return path


# -- contenders ------------------------------------------------------------------------------


def run_tocsin(source: Path, out: Path) -> Path:
    from tocsin.money.ingest import ingest

    ingest("amlworld", [source], out / "tocsin")
    return out / "tocsin"


def run_pandas(source: Path, out: Path) -> Path:
    """The straightforward way: pandas.read_csv, then the same conversions in pandas."""
    import pandas as pd

    from tocsin.money.ingest.amlworld import CURRENCIES
    from tocsin.money.rates import default_rates

    rates = default_rates()
    text = {"From Bank": str, "Account": str, "To Bank": str, "Account.1": str}
    df = pd.read_csv(source, dtype=text)
    lines = pd.Series(np.arange(2, len(df) + 2)).astype(str)
    paid_iso = df["Payment Currency"].map(CURRENCIES)
    recv_iso = df["Receiving Currency"].map(CURRENCIES)
    factor = paid_iso.map(lambda code: rates.rate(code))
    if paid_iso.isna().any() or recv_iso.isna().any() or factor.isna().any():
        raise ValueError("unknown currency")
    out_df = pd.DataFrame({
        "txn_id": source.stem + ":" + lines,
        "ts": pd.to_datetime(df["Timestamp"], format="%Y/%m/%d %H:%M", utc=True),
        "source": df["From Bank"] + ":" + df["Account"],
        "target": df["To Bank"] + ":" + df["Account.1"],
        "amount": df["Amount Paid"] * factor,
        "amount_orig": df["Amount Paid"],
        "currency_orig": paid_iso,
        "channel": df["Payment Format"],
        "label": df["Is Laundering"] == 1,
        "label_pattern": None,
        "source_ref": source.name + ":" + lines,
    })
    bitcoin = df["Payment Format"] == "Bitcoin"
    cash = df["Payment Format"] == "Cash"
    ids = pd.unique(pd.concat([out_df["source"], out_df["target"]]))
    crypto = set(out_df["source"][bitcoin | (paid_iso == "XBT")]) | \
        set(out_df["target"][bitcoin | (recv_iso == "XBT")])
    cashy = set(out_df["source"][cash]) | set(out_df["target"][cash])
    labelled = set(out_df["source"][out_df["label"]]) | set(out_df["target"][out_df["label"]])
    accounts = pd.DataFrame({"account_id": ids})
    accounts["bank"] = accounts["account_id"].str.split(":", n=1).str[0]
    accounts["kind"] = np.where(accounts["account_id"].isin(crypto), "crypto",
                                np.where(accounts["account_id"].isin(cashy), "cash", "unknown"))
    accounts["label"] = accounts["account_id"].isin(labelled)
    target = out / "pandas"
    target.mkdir(parents=True)
    out_df.to_parquet(target / "transactions.parquet", compression="zstd", index=False)
    accounts.to_parquet(target / "accounts.parquet", compression="zstd", index=False)
    return target


def summarise(folder: Path) -> dict[str, float]:
    """What both contenders must agree on: rows, accounts and the converted total."""
    txns = pq.read_table(folder / "transactions.parquet", columns=["amount"])
    accounts = pq.read_metadata(folder / "accounts.parquet").num_rows
    return {"rows": txns.num_rows, "accounts": accounts,
            "amount_total": float(pc.sum(txns["amount"]).as_py())}


CONTENDERS = {"tocsin": run_tocsin, "pandas": run_pandas}


def _child(name: str, source: Path, out: Path, trace: bool) -> None:
    """Run one contender in this (fresh) process and print its measurements as JSON."""
    import pandas  # noqa: F401 - imports are not part of the measured work

    import tocsin.money.ingest.amlworld  # noqa: F401

    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    folder = CONTENDERS[name](source, out)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else 0.0
    tracemalloc.stop()
    result = summarise(folder)
    result["python_peak_mb"] = peak
    result["seconds"] = seconds
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(name: str, source: Path, workdir: Path) -> dict[str, float]:
    """Time a contender in one subprocess, then trace its Python allocations in another."""
    results: dict[str, float] = {}
    for trace in (False, True):
        out = workdir / f"{name}-{'traced' if trace else 'timed'}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        done = subprocess.run(
            [sys.executable, __file__, "--child", name, "--input", str(source),
             "--output", str(out), *(["--trace"] if trace else [])],
            check=True, capture_output=True, text=True)
        data = json.loads(done.stdout.strip().splitlines()[-1])
        if trace:
            results["python_peak_mb"] = data["python_peak_mb"]
        else:
            results.update(data)
        shutil.rmtree(out, ignore_errors=True)
    return results


def benchmark(rows: int, workdir: Path) -> dict[str, dict[str, float]]:
    source = generate_amlworld(workdir / "Bench_Trans.csv", rows)
    results = {name: measure(name, source, workdir) for name in CONTENDERS}
    for data in results.values():
        data["rows_per_second"] = data["rows"] / data["seconds"]
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--child", choices=sorted(CONTENDERS))
    parser.add_argument("--input", type=Path)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.input, args.output, args.trace)
        return 0
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        results = benchmark(args.rows, Path(tmp))
    print(f"AMLworld import of {args.rows:,} rows "
          f"(machine: {os.cpu_count()} cores, same run)")
    print(f"{'contender':<10}{'seconds':>9}{'rows/s':>13}{'peak RSS MB':>13}"
          f"{'Python peak MB':>16}")
    for name, data in results.items():
        print(f"{name:<10}{data['seconds']:>9.2f}{data['rows_per_second']:>13,.0f}"
              f"{data['max_rss_mb']:>13.0f}{data['python_peak_mb']:>16.1f}")
    ratio = results["tocsin"]["rows_per_second"] / results["pandas"]["rows_per_second"]
    print(f"ratio tocsin/pandas: {ratio:.1f}x faster")
    same = (results["tocsin"]["rows"] == results["pandas"]["rows"]
            and results["tocsin"]["accounts"] == results["pandas"]["accounts"]
            and abs(results["tocsin"]["amount_total"] - results["pandas"]["amount_total"])
            <= 1e-6 * abs(results["pandas"]["amount_total"]))
    print(f"same output (rows, accounts, total amount): {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
