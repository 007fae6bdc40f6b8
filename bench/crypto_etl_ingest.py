"""Benchmark: a bitcoin-etl export into a set, against the plain loading floor.

A chain of ``--transactions`` bitcoin-etl transactions (JSON lines, enriched
inputs; blocks of 200 with a coinbase first; each spend takes 1 to 3 earlier
outputs and pays 2) is written once. Then, in alternating order, ``--rounds``
times each, in a fresh process each time (so peak memory is the process's own
high-water mark, DuckDB's native memory included; the modules are imported
before the clock starts):

* **Tocsin**: :func:`tocsin.money.ingest.ingest` with format ``bitcoin`` —
  every field checked, scripts classified, spends matched to outputs, fees,
  the account view, the canonical files, all or nothing;
* **Baseline** (the floor, not a rival): ``json.loads`` of every line and the
  transactions, inputs and outputs flattened into three Arrow tables written
  to Parquet, with no check, no classification and no matching — what any
  loader must at least do.

The script prints both medians, their ratio and each side's peak RSS.

    .venv/bin/python bench/crypto_etl_ingest.py --transactions 100000 --rounds 3
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _hash(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


def write_export(path: Path, count: int, seed: int = 7) -> None:
    """``count`` bitcoin-etl transactions whose sums, counts and scripts are consistent."""
    from tocsin.money.crypto import bitcoin as btc

    rng = random.Random(seed)
    keys = [bytes([i % 256, i // 256 % 256]) + bytes(18) for i in range(4096)]
    scripts = [bytes.fromhex("76a914") + k + bytes.fromhex("88ac") for k in keys]
    addresses = [btc.classify(s)[1] for s in scripts]
    unspent: list[tuple[str, int, int, int]] = []  # txid, vout, value, key
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            height = 600_000 + n // 200
            block = _hash("block", height)
            stamp = 1_570_000_000 + (n // 200) * 600
            coinbase = n % 200 == 0 or len(unspent) < 3
            txid = _hash("tx", n)
            inputs = []
            if not coinbase:
                for _ in range(rng.randint(1, 3)):
                    prev, vout, value, key = unspent.pop(rng.randrange(len(unspent)))
                    inputs.append({"index": len(inputs), "spent_transaction_hash": prev,
                                   "spent_output_index": vout, "script_asm": "",
                                   "script_hex": "", "sequence": 4294967295,
                                   "required_signatures": 1, "type": "pubkeyhash",
                                   "addresses": [addresses[key]], "value": value})
            total = 625_000_000 if coinbase else sum(i["value"] for i in inputs) - 1000
            first = total // 3 if total > 2 else total
            outputs = []
            for vout, value in enumerate((first, total - first)):
                key = rng.randrange(len(keys))
                outputs.append({"index": vout, "script_asm": "",
                                "script_hex": scripts[key].hex(), "required_signatures": 1,
                                "type": "pubkeyhash", "addresses": [addresses[key]],
                                "value": value})
                unspent.append((txid, vout, value, key))
            in_value = sum(i["value"] for i in inputs)
            out.write(json.dumps({
                "type": "transaction", "hash": txid, "size": 225, "virtual_size": 225,
                "version": 1, "lock_time": 0, "block_number": height, "block_hash": block,
                "block_timestamp": stamp, "is_coinbase": coinbase, "index": n % 200,
                "inputs": inputs, "outputs": outputs, "input_count": len(inputs),
                "output_count": 2, "input_value": in_value, "output_value": total,
                "fee": 0 if coinbase else in_value - total}) + "\n")


def run_tocsin(source: Path, target: Path) -> None:
    from tocsin.money.ingest import ingest

    ingest("bitcoin", [source], target)


def run_baseline(source: Path, target: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    txs, ins, outs = [], [], []
    with source.open(encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            txs.append({k: item[k] for k in ("hash", "block_number", "block_hash",
                                             "block_timestamp", "is_coinbase", "fee")})
            for i in item["inputs"]:
                ins.append({"txid": item["hash"], "vin": i["index"],
                            "prev_txid": i["spent_transaction_hash"],
                            "prev_vout": i["spent_output_index"], "value": i["value"],
                            "address": (i["addresses"] or [None])[0]})
            for o in item["outputs"]:
                outs.append({"txid": item["hash"], "vout": o["index"], "value": o["value"],
                             "type": o["type"], "address": (o["addresses"] or [None])[0],
                             "script": o["script_hex"]})
    target.mkdir(parents=True)
    for name, rows in (("transactions", txs), ("inputs", ins), ("outputs", outs)):
        pq.write_table(pa.Table.from_pylist(rows), target / f"{name}.parquet",
                       compression="zstd")


def child(contender: str, source: Path, target: Path) -> None:
    """One timed run in this process; prints seconds and the process's peak RSS in MB.

    The modules each side uses are imported before the clock starts: the time is the
    loading, not Python's start-up."""
    import importlib

    for module in (("tocsin.money.ingest", "tocsin.money.ingest.bitcoin")
                   if contender == "tocsin" else ("pyarrow", "pyarrow.parquet")):
        importlib.import_module(module)
    started = time.perf_counter()
    (run_tocsin if contender == "tocsin" else run_baseline)(source, target)
    seconds = time.perf_counter() - started
    peak = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("CONTENDER", "SOURCE", "TARGET"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    folder = Path(tempfile.mkdtemp(prefix="tocsin-etl-bench-"))
    try:
        source = folder / "transactions.json"
        write_export(source, args.transactions)
        size = source.stat().st_size / 1e6
        print(f"bitcoin-etl export of {args.transactions:,} transactions ({size:,.0f} MB), "
              f"{args.rounds} interleaved rounds, each run in a fresh process")
        results: dict[str, list[dict[str, float]]] = {"tocsin": [], "baseline": []}
        for round_ in range(args.rounds):
            order = ("tocsin", "baseline") if round_ % 2 == 0 else ("baseline", "tocsin")
            for name in order:
                target = folder / f"{name}-{round_}"
                done = subprocess.run(
                    [sys.executable, __file__, "--child", name, str(source), str(target)],
                    capture_output=True, text=True, check=True, cwd=ROOT,
                    env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
                results[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
                shutil.rmtree(target, ignore_errors=True)
        print(f"{'contender':<10} {'median s':>9} {'min s':>8} {'max s':>8} {'peak MB':>8} "
              f"{'tx/s':>9}")
        for name, runs in results.items():
            times = [r["seconds"] for r in runs]
            print(f"{name:<10} {statistics.median(times):>9.2f} {min(times):>8.2f} "
                  f"{max(times):>8.2f} {max(r['peak_mb'] for r in runs):>8.0f} "
                  f"{args.transactions / statistics.median(times):>9,.0f}")
        ratio = statistics.median(r["seconds"] for r in results["tocsin"]) / \
            statistics.median(r["seconds"] for r in results["baseline"])
        print(f"tocsin / baseline: {ratio:.2f}x the time (checks, spend matching, account "
              "view and canonical files on top of parsing)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
