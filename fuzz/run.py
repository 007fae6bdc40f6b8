"""Run one fuzz target under libFuzzer (atheris), or replay inputs through it.

    python -m fuzz.run TARGET [--seconds S] [--runs N] [--timeout T] [--new-corpus DIR]
    python -m fuzz.run TARGET --replay FILE...

Starts from the committed corpus in ``fuzz/corpus/TARGET``; new interesting
inputs go to ``--new-corpus`` (default: a scratch folder, so a short run never
changes the repository). A crash or hang leaves its input in ``--artifacts``
and ends with a non-zero exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from fuzz.targets import TARGETS

INSTRUMENTED = (
    "tocsin.money.ingest", "tocsin.money.ingest.goaml", "tocsin.money.ingest.camt053",
    "tocsin.money.ingest.amlworld", "tocsin.money.ingest.amlsim", "tocsin.money.ingest.tabular",
    "tocsin.money.ingest.mapping", "tocsin.taskforce.iati.reader", "tocsin.coherence.threats",
    "tocsin.taskforce.tabular.exchange", "tocsin.store.backup",
    "tocsin.money.ingest.bitcoin", "tocsin.money.ingest.bitcoin_etl",
    "tocsin.money.ingest.ethereum", "tocsin.money.ingest.ftm", "tocsin.money.crypto.bitcoin",
    "tocsin.money.crypto.tags",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", choices=sorted(TARGETS))
    parser.add_argument("--seconds", type=int, default=0, help="stop after this long (0: no limit)")
    parser.add_argument("--runs", type=int, default=-1, help="stop after this many inputs")
    parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take")
    parser.add_argument("--rss-mb", type=int, default=2048, help="memory limit of the process")
    parser.add_argument("--max-len", type=int, default=65536, help="largest input tried")
    parser.add_argument("--new-corpus", type=Path, help="where new inputs are kept")
    parser.add_argument("--artifacts", type=Path, default=Path("fuzz/crashes"))
    parser.add_argument("--replay", type=Path, nargs="+", help="run these inputs once and stop")
    args = parser.parse_args(argv)
    target = TARGETS[args.target]

    if args.replay:
        for path in args.replay:
            _once(target.run, path.read_bytes())
        return 0

    import atheris

    with atheris.instrument_imports(include=["tocsin"]):
        # every module a target reaches, instrumented before its first import
        for module in INSTRUMENTED:
            importlib.import_module(module)
    errors = _expected()
    # warm the scratch database up outside the timed inputs
    with contextlib.suppress(errors):
        target.run(b"")

    def one(data: bytes) -> None:
        with contextlib.suppress(errors):
            target.run(data)

    new = args.new_corpus or Path(tempfile.mkdtemp(prefix=f"tocsin-corpus-{target.name}-"))
    new.mkdir(parents=True, exist_ok=True)
    args.artifacts.mkdir(parents=True, exist_ok=True)
    flags = [sys.argv[0], str(new), str(target.corpus),
             f"-timeout={args.timeout}", f"-rss_limit_mb={args.rss_mb}",
             f"-max_len={args.max_len}", f"-artifact_prefix={args.artifacts}/{target.name}-",
             "-print_final_stats=1"]
    if args.seconds:
        flags.append(f"-max_total_time={args.seconds}")
    if args.runs >= 0:
        flags.append(f"-runs={args.runs}")
    atheris.Setup(flags, one)
    atheris.Fuzz()
    return 0


def _expected() -> tuple[type[BaseException], ...]:
    from fuzz.targets import expected_errors

    return expected_errors()


def _once(run: Callable[[bytes], None], data: bytes) -> None:
    with contextlib.suppress(*_expected()):
        run(data)


if __name__ == "__main__":
    raise SystemExit(main())
