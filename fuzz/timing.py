"""Time per input of fuzz targets, uninstrumented, on their committed seeds.

    python -m fuzz.timing TARGET... [--rounds N] [--profile]

Feeds every seed of each target (with the fresh seeds of a target that has them)
to :meth:`~fuzz.targets.Target.run` once to warm up, then ``--rounds`` times on
the clock, and prints the wall and CPU time per input (CPU counts every thread:
DuckDB and the Arrow CSV reader work on several). ``--profile`` prints where
the time went (cProfile, by cumulative time). What libFuzzer adds (coverage
instrumentation, mutation) comes on top; this is the importer's own cost.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import time

from fuzz.targets import TARGETS, expected_errors, prepare


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.timing", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="+", metavar="TARGET",
                        help=f"one or more of: {', '.join(sorted(TARGETS))}")
    parser.add_argument("--rounds", type=int, default=20, help="times each seed is timed")
    parser.add_argument("--profile", action="store_true", help="print where the time went")
    args = parser.parse_args(argv)
    unknown = [name for name in args.targets if name not in TARGETS]
    if unknown:
        parser.error(f"unknown target {', '.join(unknown)}; known: {', '.join(sorted(TARGETS))}")
    if args.rounds < 1:
        parser.error("--rounds takes 1 or more")
    prepare()
    errors = expected_errors()
    for name in args.targets:
        target = TARGETS[name]
        seeds = [path.read_bytes() for path in sorted(target.corpus.iterdir())]
        seeds += target.fresh() if target.fresh is not None else []
        accepted = 0
        for data in seeds:  # the warm-up, and which seeds are accepted
            with contextlib.suppress(*errors):
                target.run(data)
                accepted += 1
        profile = cProfile.Profile() if args.profile else None
        if profile is not None:
            profile.enable()
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.rounds):
            for data in seeds:
                with contextlib.suppress(*errors):
                    target.run(data)
        count = args.rounds * len(seeds)
        wall = (time.perf_counter() - wall) / count * 1000
        cpu = (time.process_time() - cpu) / count * 1000
        if profile is not None:
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        print(f"{name}: {len(seeds)} seeds ({accepted} accepted), {wall:.2f} ms per input "
              f"(wall), {cpu:.2f} ms CPU", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
