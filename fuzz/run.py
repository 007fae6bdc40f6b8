"""Run fuzz targets under libFuzzer (atheris), or replay inputs through one.

    python -m fuzz.run TARGET [--seconds S] [--runs N] [--timeout T] [--new-corpus DIR]
    python -m fuzz.run TARGET... | --all [--seconds S] [--logs DIR] [--jobs J] [--new-corpus DIR]
    python -m fuzz.run TARGET --replay FILE...
    python -m fuzz.run TARGET... --write ...
    python -m fuzz.run TARGET... --and-write TARGET... --logs DIR ...

Targets whose import writes (a transaction set, a restored database) are fuzzed
through the import's check, which reads, parses and validates exactly as the
import does and writes nothing; ``--write`` fuzzes the full import instead,
and ``--and-write`` the full import of the targets it names, after the checks,
in the same run (their logs, inputs kept and new inputs in a ``write`` folder
of ``--logs``, ``--artifacts`` and ``--new-corpus``).

Starts from the committed corpus in ``fuzz/corpus/TARGET``; new interesting
inputs go to ``--new-corpus`` (default: a scratch folder, so a short run never
changes the repository). A crash or hang leaves its input in ``--artifacts``
and ends with a non-zero exit code.

Several targets (or one with ``--logs``) run from a single process: the
importers are instrumented once, then each target gets its own forked libFuzzer
process (``--jobs`` of them at a time, one by default) with its own scratch
folder, ``--new-corpus DIR/TARGET`` and, with ``--logs``, its own
``DIR/TARGET.log`` and a line in ``DIR/summary.json``. The exit code is
non-zero when any target failed. Instrumenting and preparing take about
fifteen seconds, which ``--and-write`` spends once for both kinds of run.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import hashlib
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

from fuzz.targets import TARGETS, Target, own_scratch, prepare

INSTRUMENTED = (
    "tocsin.money.ingest", "tocsin.money.ingest.goaml", "tocsin.money.ingest.camt053",
    "tocsin.money.ingest.amlworld", "tocsin.money.ingest.amlsim", "tocsin.money.ingest.tabular",
    "tocsin.money.ingest.mapping", "tocsin.taskforce.iati.reader", "tocsin.coherence.threats",
    "tocsin.taskforce.iati.scan", "tocsin.taskforce.tabular.exchange", "tocsin.store.backup",
    "tocsin.money.ingest.bitcoin", "tocsin.money.ingest.bitcoin_etl",
    "tocsin.money.ingest.ethereum", "tocsin.money.ingest.ftm", "tocsin.money.crypto.bitcoin",
    "tocsin.money.crypto.tags",
)
#: A forked target still running this long after its --seconds is killed and reported hung
#: (libFuzzer stops between inputs, and its own --timeout ends a single slow input).
GRACE_SECONDS = 120
#: Exit code of a forked target whose set-up raised before libFuzzer started (libFuzzer
#: itself uses 1, 70 for a timeout, 71 for memory, 77 for a crash).
SETUP_FAILED = 3


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
    parser.add_argument("--jobs", type=int, default=1,
                        help="targets fuzzed at the same time, each in its own process "
                             "(needs --logs when above 1)")
    parser.add_argument("--replay", type=Path, nargs="+", help="run these inputs once and stop")
    parser.add_argument("--write", action="store_true",
                        help="fuzz the full import, writing what it imports, not its check")
    parser.add_argument("--and-write", nargs="+", default=[], metavar="TARGET",
                        help="then fuzz the full import of these targets (that write) in the "
                             "same run; needs --logs, their results go to a write folder in "
                             "--logs, --artifacts and --new-corpus")
    args = parser.parse_args(argv)
    names: list[str] = sorted(TARGETS) if args.all else args.targets
    if args.all and args.targets:
        parser.error("give target names or --all, not both")
    if not names and not args.and_write:
        parser.error("name at least one target, or give --all")
    unknown = [name for name in [*names, *args.and_write] if name not in TARGETS]
    if unknown:
        parser.error(f"unknown target {', '.join(unknown)}; "
                     f"known: {', '.join(sorted(TARGETS))}")
    if len(set(names)) != len(names) or len(set(args.and_write)) != len(args.and_write):
        parser.error("a target is named twice")
    if args.jobs < 1 or (args.jobs > 1 and args.logs is None):
        parser.error("--jobs takes 1, or more with --logs (the outputs would mix)")
    if args.and_write:
        reading = [name for name in args.and_write if not TARGETS[name].writes]
        if reading:
            parser.error(f"--and-write: {', '.join(reading)} only read")
        if args.write or args.replay or args.logs is None:
            parser.error("--and-write needs --logs, and goes with neither --write nor --replay")

    if args.replay:
        if len(names) != 1:
            parser.error("--replay takes exactly one target")
        target = TARGETS[names[0]]
        for path in args.replay:
            _once(target.write if args.write else target.run, path.read_bytes())
        return 0

    _instrument()
    # what every target (and every forked child) would otherwise build again, on the clock;
    # nothing here starts a thread, so forking after it is safe
    prepare()
    if len(names) == 1 and args.logs is None:
        # libFuzzer exits the process
        _fuzz(TARGETS[names[0]], args, args.write, args.artifacts, args.new_corpus)
        return 0
    return _fuzz_each([(name, args.write) for name in names]
                      + [(name, True) for name in args.and_write], args)


def _instrument() -> None:
    import atheris  # type: ignore[import-untyped]

    with atheris.instrument_imports(include=["tocsin"]):
        # every module a target reaches, instrumented before its first import
        for module in INSTRUMENTED:
            importlib.import_module(module)


def _fuzz(target: Target, args: argparse.Namespace, write: bool, artifacts: Path,
          new: Path | None) -> None:
    """Fuzz one target (its full import if ``write``) in this process, keeping crashes in
    ``artifacts``; libFuzzer ends the process when it stops."""
    import atheris

    errors = _expected()
    artifacts.mkdir(parents=True, exist_ok=True)
    feed = target.write if write else target.run
    # warm up outside the timed inputs: the scratch database, and what an importer loads
    # on its first real input (the FollowTheMoney model takes seconds, ten and more on a
    # busy machine, which libFuzzer would report as a slow input)
    largest = max(target.corpus.iterdir(), key=lambda path: path.stat().st_size, default=None)
    for data in (b"", largest.read_bytes() if largest is not None else b""):
        with contextlib.suppress(*errors):
            feed(data)

    def one(data: bytes) -> None:
        with contextlib.suppress(*errors):
            feed(data)

    new = new or Path(tempfile.mkdtemp(prefix=f"tocsin-corpus-{target.name}-"))
    new.mkdir(parents=True, exist_ok=True)
    for data in target.fresh() if target.fresh is not None else []:
        # a committed seed of an earlier schema would be refused before its rows are read
        (new / f"fresh-{hashlib.sha1(data, usedforsecurity=False).hexdigest()}").write_bytes(data)
    flags = [sys.argv[0], str(new), str(target.corpus),
             f"-timeout={args.timeout}", f"-rss_limit_mb={args.rss_mb}",
             f"-max_len={args.max_len}", f"-artifact_prefix={artifacts}/{target.name}-",
             "-print_final_stats=1"]
    if args.seconds:
        flags.append(f"-max_total_time={args.seconds}")
    if args.runs >= 0:
        flags.append(f"-runs={args.runs}")
    atheris.Setup(flags, one)
    atheris.Fuzz()


def _fuzz_each(jobs: list[tuple[str, bool]], args: argparse.Namespace) -> int:
    """Fuzz each (target, whether its full import) in a child forked from this instrumented
    process, ``--jobs`` at a time; the exit code is 1 when any target failed."""
    summaries: dict[bool, dict[str, dict[str, Any]]] = {False: {}, True: {}}
    waiting = list(jobs)
    running: dict[int, tuple[str, bool, float]] = {}  # pid: target, write, start
    while waiting or running:
        while waiting and len(running) < args.jobs:
            name, write = waiting.pop(0)
            running[_start(name, write, args)] = (name, write, time.monotonic())
        for pid, (name, write, started) in list(running.items()):
            outcome = _ended(pid, started, args.seconds)
            if outcome is None:
                continue
            del running[pid]
            code, hung = outcome
            seconds = round(time.monotonic() - started, 1)
            summary = summaries[write and bool(args.and_write)]
            summary[name] = {"exit": code, "hung": hung, "seconds": seconds}
            if args.logs is not None:
                # rewritten after each target, so a run cut short still tells what finished
                (_own(args.logs, write, args) / "summary.json").write_text(
                    json.dumps(summary, indent=1) + "\n")
            state = "killed, still running" if hung else f"exit {code}"
            kind = " (full import)" if write and args.and_write else ""
            print(f"{name}{kind}: {state} after {seconds} s", file=sys.stderr, flush=True)
        time.sleep(0.1)
    return 0 if all(r["exit"] == 0 and not r["hung"]
                     for summary in summaries.values() for r in summary.values()) else 1


def _own(folder: Path, write: bool, args: argparse.Namespace) -> Path:
    """``folder``, or its ``write`` folder for a full import named by --and-write (made)."""
    own = folder / "write" if write and args.and_write else folder
    own.mkdir(parents=True, exist_ok=True)
    return own


def _start(name: str, write: bool, args: argparse.Namespace) -> int:
    """Fork a child that fuzzes ``name`` (its full import if ``write``), its output in its
    log; the child's pid."""
    log = _own(args.logs, write, args) / f"{name}.log" if args.logs is not None else None
    new = (_own(args.new_corpus, write, args) / name if args.new_corpus is not None
           else None)
    if log is None:
        print(f"== {name}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    try:  # the child: it ends when libFuzzer stops
        if log is not None:
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.close(fd)
        own_scratch()
        _fuzz(TARGETS[name], args, write, _own(args.artifacts, write, args), new)
    except SystemExit as stop:
        # atheris ends a crashed target this way; the C library's exit runs libFuzzer's exit
        # handler, which keeps the input and sets the exit code (the interpreter's own
        # shutdown is skipped: this process is a copy of the parent's)
        sys.stderr.flush()
        ctypes.CDLL(None).exit(stop.code if isinstance(stop.code, int) else 1)
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
    os._exit(SETUP_FAILED)


def _ended(pid: int, started: float, seconds: int) -> tuple[int, bool] | None:
    """None while the child runs; then its exit code (minus the signal number if a signal
    ended it) and whether it was killed for running GRACE_SECONDS past its time."""
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        return os.waitstatus_to_exitcode(status), False
    if seconds and time.monotonic() > started + seconds + GRACE_SECONDS:
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status), True
    return None


def _expected() -> tuple[type[BaseException], ...]:
    from fuzz.targets import expected_errors

    return expected_errors()


def _once(run: Callable[[bytes], None], data: bytes) -> None:
    with contextlib.suppress(*_expected()):
        run(data)


if __name__ == "__main__":
    raise SystemExit(main())
