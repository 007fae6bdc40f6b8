"""Run fuzz targets under libFuzzer (atheris), or replay inputs through one.

    python -m fuzz.run TARGET [--seconds S] [--runs N] [--timeout T] [--new-corpus DIR]
    python -m fuzz.run TARGET... | --all [--seconds S] [--logs DIR] [--new-corpus DIR]
    python -m fuzz.run TARGET --replay FILE...

Starts from the committed corpus in ``fuzz/corpus/TARGET``; new interesting
inputs go to ``--new-corpus`` (default: a scratch folder, so a short run never
changes the repository). A crash or hang leaves its input in ``--artifacts``
and ends with a non-zero exit code.

Several targets (or one with ``--logs``) run one after the other in a single
process: the importers are instrumented once, then each target gets its own
forked libFuzzer process, its own ``--new-corpus DIR/TARGET`` and, with
``--logs``, its own ``DIR/TARGET.log`` and a line in ``DIR/summary.json``.
The exit code is non-zero when any target failed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fuzz.targets import TARGETS, Target, prepare

INSTRUMENTED = (
    "tocsin.money.ingest", "tocsin.money.ingest.goaml", "tocsin.money.ingest.camt053",
    "tocsin.money.ingest.amlworld", "tocsin.money.ingest.amlsim", "tocsin.money.ingest.tabular",
    "tocsin.money.ingest.mapping", "tocsin.taskforce.iati.reader", "tocsin.coherence.threats",
    "tocsin.taskforce.tabular.exchange", "tocsin.store.backup",
    "tocsin.money.ingest.bitcoin", "tocsin.money.ingest.bitcoin_etl",
    "tocsin.money.ingest.ethereum", "tocsin.money.ingest.ftm", "tocsin.money.crypto.bitcoin",
    "tocsin.money.crypto.tags",
)
#: A forked target still running this long after its --seconds is killed and reported hung
#: (libFuzzer stops between inputs, and its own --timeout ends a single slow input).
GRACE_SECONDS = 120
#: Exit code of a forked target whose set-up raised before libFuzzer started.
SETUP_FAILED = 70


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help=f"one or more of: {', '.join(sorted(TARGETS))}")
    parser.add_argument("--all", action="store_true", help="every target, one after the other")
    parser.add_argument("--seconds", type=int, default=0,
                        help="stop each target after this long (0: no limit)")
    parser.add_argument("--runs", type=int, default=-1, help="stop after this many inputs")
    parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take")
    parser.add_argument("--rss-mb", type=int, default=2048, help="memory limit of the process")
    parser.add_argument("--max-len", type=int, default=65536, help="largest input tried")
    parser.add_argument("--new-corpus", type=Path,
                        help="where new inputs are kept (several targets: DIR/TARGET)")
    parser.add_argument("--artifacts", type=Path, default=Path("fuzz/crashes"))
    parser.add_argument("--logs", type=Path,
                        help="write each target's output to DIR/TARGET.log and the exit codes "
                             "to DIR/summary.json")
    parser.add_argument("--replay", type=Path, nargs="+", help="run these inputs once and stop")
    args = parser.parse_args(argv)
    names: list[str] = sorted(TARGETS) if args.all else args.targets
    if args.all and args.targets:
        parser.error("give target names or --all, not both")
    if not names:
        parser.error("name at least one target, or give --all")
    unknown = [name for name in names if name not in TARGETS]
    if unknown:
        parser.error(f"unknown target {', '.join(unknown)}; "
                     f"known: {', '.join(sorted(TARGETS))}")
    if len(set(names)) != len(names):
        parser.error("a target is named twice")

    if args.replay:
        if len(names) != 1:
            parser.error("--replay takes exactly one target")
        for path in args.replay:
            _once(TARGETS[names[0]].run, path.read_bytes())
        return 0

    _instrument()
    args.artifacts.mkdir(parents=True, exist_ok=True)
    if len(names) == 1 and args.logs is None:
        _fuzz(TARGETS[names[0]], args, args.new_corpus)  # libFuzzer exits the process
        return 0
    return _fuzz_each(names, args)


def _instrument() -> None:
    import atheris  # type: ignore[import-untyped]

    with atheris.instrument_imports(include=["tocsin"]):
        # every module a target reaches, instrumented before its first import
        for module in INSTRUMENTED:
            importlib.import_module(module)


def _fuzz(target: Target, args: argparse.Namespace, new: Path | None) -> None:
    """Fuzz one target in this process; libFuzzer ends the process when it stops."""
    import atheris

    errors = _expected()
    # warm the scratch database up outside the timed inputs
    with contextlib.suppress(*errors):
        target.run(b"")

    def one(data: bytes) -> None:
        with contextlib.suppress(*errors):
            target.run(data)

    new = new or Path(tempfile.mkdtemp(prefix=f"tocsin-corpus-{target.name}-"))
    new.mkdir(parents=True, exist_ok=True)
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


def _fuzz_each(names: list[str], args: argparse.Namespace) -> int:
    """Fuzz each target in a child forked from this instrumented process, one at a time."""
    # what every child would otherwise build again (and nothing that starts threads)
    prepare()
    if args.logs is not None:
        args.logs.mkdir(parents=True, exist_ok=True)
    summary: dict[str, dict[str, Any]] = {}
    for name in names:
        log = args.logs / f"{name}.log" if args.logs is not None else None
        new = args.new_corpus / name if args.new_corpus is not None else None
        if log is None:
            print(f"== {name}", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: libFuzzer's output goes to the log, and it never returns
            try:
                if log is not None:
                    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                    os.dup2(fd, 1)
                    os.dup2(fd, 2)
                    os.close(fd)
                _fuzz(TARGETS[name], args, new)
            except BaseException:
                traceback.print_exc()
                sys.stderr.flush()
            os._exit(SETUP_FAILED)
        code, hung = _wait(pid, started, args.seconds)
        seconds = round(time.monotonic() - started, 1)
        summary[name] = {"exit": code, "hung": hung, "seconds": seconds}
        if args.logs is not None:
            # rewritten after each target, so a run cut short still tells what finished
            (args.logs / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
        state = "killed, still running" if hung else f"exit {code}"
        print(f"{name}: {state} after {seconds} s", file=sys.stderr, flush=True)
    return 0 if all(r["exit"] == 0 and not r["hung"] for r in summary.values()) else 1


def _wait(pid: int, started: float, seconds: int) -> tuple[int, bool]:
    """The child's exit code (minus the signal number if a signal ended it), and whether
    it had to be killed for running GRACE_SECONDS past its time."""
    deadline = started + seconds + GRACE_SECONDS if seconds else None
    while True:
        done, status = os.waitpid(pid, 0 if deadline is None else os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), False
        if deadline is not None and time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status), True
        time.sleep(0.1)


def _expected() -> tuple[type[BaseException], ...]:
    from fuzz.targets import expected_errors

    return expected_errors()


def _once(run: Callable[[bytes], None], data: bytes) -> None:
    with contextlib.suppress(*_expected()):
        run(data)


if __name__ == "__main__":
    raise SystemExit(main())
