"""Benchmark: Tocsin's AMLworld importer against the CSV readers of DuckDB and polars.

Generates an AMLworld-format transactions file (``--rows``, default 5,000,000),
then converts it, whole process each time (interpreter start, imports, work),
with:

* ``tocsin``: :func:`tocsin.money.ingest.ingest` — validation, timestamps, ISO
  currencies, base-currency amounts, ``bank:account`` ids, labels, line
  numbers, the accounts table with their kinds, Parquet output;
* ``duckdb``: ``COPY (SELECT * FROM read_csv(...)) TO '...parquet'`` — a plain
  CSV → Parquet conversion, no mapping: the floor;
* ``polars``: ``scan_csv(...).sink_parquet(...)`` — the same plain conversion;
* ``pandas`` (with ``--pandas``): ``read_csv`` plus Tocsin's conversions.

Rounds are interleaved (every round runs every contender once, in a rotated
order), each contender the same number of times; the script prints each one's
median seconds, the ratio of Tocsin's median to each baseline's median and each
one's peak resident memory (``VmHWM`` of its own process).

    .venv/bin/python bench/money_ingest.py --rows 5000000 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
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


# -- contenders (each runs in a fresh process) --------------------------------------------


def run_tocsin(source: Path, out: Path) -> Path:
    from tocsin.money.ingest import ingest

    ingest("amlworld", [source], out / "tocsin")
    return out / "tocsin"


def run_duckdb(source: Path, out: Path) -> Path:
    """DuckDB's CSV reader straight into Parquet (zstd), no mapping."""
    import duckdb

    target = out / "duckdb"
    target.mkdir(parents=True)
    src = str(source).replace("'", "''")
    dst = str(target / "transactions.parquet").replace("'", "''")
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{src}', header = true)) TO '{dst}' "
               "(FORMAT parquet, COMPRESSION zstd)")
    return target


def run_polars(source: Path, out: Path) -> Path:
    """polars' streaming CSV reader straight into Parquet (zstd), no mapping."""
    import polars as pl

    target = out / "polars"
    target.mkdir(parents=True)
    pl.scan_csv(source).sink_parquet(target / "transactions.parquet", compression="zstd")
    return target


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
    ids = pd.unique(pd.concat([out_df["source"], out_df["target"]]))
    crypto = set(out_df["source"][bitcoin | (paid_iso == "XBT")]) | \
        set(out_df["target"][bitcoin | (recv_iso == "XBT")])
    labelled = set(out_df["source"][out_df["label"]]) | set(out_df["target"][out_df["label"]])
    accounts = pd.DataFrame({"account_id": ids})
    accounts["bank"] = accounts["account_id"].str.split(":", n=1).str[0]
    accounts["kind"] = np.where(accounts["account_id"].isin(crypto), "crypto", "unknown")
    accounts["label"] = accounts["account_id"].isin(labelled)
    target = out / "pandas"
    target.mkdir(parents=True)
    out_df.to_parquet(target / "transactions.parquet", compression="zstd", index=False)
    accounts.to_parquet(target / "accounts.parquet", compression="zstd", index=False)
    return target


CONTENDERS = {"tocsin": run_tocsin, "duckdb": run_duckdb, "polars": run_polars,
              "pandas": run_pandas}


def _child(name: str, source: Path, out: Path) -> None:
    """Run one contender in this fresh process; print its rows and peak memory as JSON."""
    folder = CONTENDERS[name](source, out)
    rows = pq.read_metadata(folder / "transactions.parquet").num_rows
    result: dict[str, float] = {"rows": rows}
    if (folder / "accounts.parquet").is_file():
        result["accounts"] = pq.read_metadata(folder / "accounts.parquet").num_rows
        result["amount_total"] = float(pc.sum(pq.read_table(
            folder / "transactions.parquet", columns=["amount"])["amount"]).as_py())
    result["max_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started (``VmHWM``; ``ru_maxrss``
    would also count what the parent held before the exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name: str, source: Path, workdir: Path) -> dict[str, float]:
    """Whole-process wall time of one contender (start, imports, work, exit)."""
    out = workdir / f"{name}-out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--child", name, "--input", str(source),
                           "--output", str(out)], capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{name} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    seconds = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    data["seconds"] = seconds
    return data


def benchmark(rows: int, rounds: int, names: list[str], workdir: Path
              ) -> dict[str, list[dict[str, float]]]:
    source = generate_amlworld(workdir / "Bench_Trans.csv", rows)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            runs[name].append(measure(name, source, workdir))
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pandas", action="store_true", help="add the pandas contender")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--child", choices=sorted(CONTENDERS))
    parser.add_argument("--input", type=Path)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.input, args.output)
        return 0
    names = ["tocsin", "duckdb", "polars"] + (["pandas"] if args.pandas else [])
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        runs = benchmark(args.rows, args.rounds, names, Path(tmp))
    load = os.getloadavg()
    print(f"AMLworld CSV of {args.rows:,} rows, whole process, {args.rounds} interleaved rounds "
          f"(machine: {os.cpu_count()} cores, load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f})")
    print(f"{'contender':<10}{'median s':>10}{'min s':>8}{'max s':>8}{'rows/s':>13}"
          f"{'peak RSS MB':>13}")
    summary: dict[str, dict[str, float]] = {}
    for name in names:
        seconds = [r["seconds"] for r in runs[name]]
        med = statistics.median(seconds)
        peak = max(r["max_rss_mb"] for r in runs[name])
        summary[name] = {"median_seconds": round(med, 3), "peak_rss_mb": round(peak, 1),
                         "rows": runs[name][0]["rows"]}
        print(f"{name:<10}{med:>10.2f}{min(seconds):>8.2f}{max(seconds):>8.2f}"
              f"{args.rows / med:>13,.0f}{peak:>13.0f}")
    ours = summary["tocsin"]["median_seconds"]
    for name in names[1:]:
        ratio = ours / summary[name]["median_seconds"]
        summary[name]["tocsin_ratio"] = round(ratio, 2)
        print(f"tocsin / {name}: {ratio:.2f}x the time")
    same = all(summary[n]["rows"] == args.rows for n in names)
    tocsin_runs = runs["tocsin"][0]
    if "pandas" in runs:
        theirs = runs["pandas"][0]
        same = same and tocsin_runs["accounts"] == theirs["accounts"] and abs(
            tocsin_runs["amount_total"] - theirs["amount_total"]) <= 1e-6 * abs(
            theirs["amount_total"])
    also = " (and the same accounts and total as pandas)" if "pandas" in runs else ""
    print(f"every contender wrote every row{also}: {'yes' if same else 'NO'}")
    print(json.dumps({"rows": args.rows, "rounds": args.rounds, "load": load[0],
                      "contenders": summary}))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
