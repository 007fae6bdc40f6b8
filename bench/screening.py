"""Screening: quality on the labelled pair set and batch throughput against a 50,000-entry list.

Quality: the pair set of :mod:`tocsin.screening.evaluate` with a seed the scorer
was not tuned on; Tocsin at its default threshold against rapidfuzz's token-set
ratio over all names, whose threshold is chosen on the other half of the pairs
(the best F1 it can reach there).

Throughput: a synthetic list of ``--entries`` persons and companies, indexed
once; ``--subjects`` queries (variants of listed names and unlisted names) are
screened by Tocsin's blocking index + explained scorer and by the all-pairs
baseline (``rapidfuzz.process.extract`` with the token-set ratio over every
name of the list, in C++), interleaved over ``--rounds`` rounds, timing CPU
seconds. Prints the median rate of each side, the ratio, and peak memory.

    .venv/bin/python bench/screening.py
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time

from tocsin.screening import evaluate, matching


def quality(seed: int) -> None:
    pairs = evaluate.generate_pairs(seed=seed)
    tune, held = evaluate.split(pairs)
    ours = evaluate.quality(evaluate.tocsin_scores(held), matching.THRESHOLD)
    base_t = evaluate.best_threshold(evaluate.baseline_scores(tune))
    base = evaluate.quality(evaluate.baseline_scores(held), base_t)
    print(f"pairs: {len(pairs)} (held out {len(held)}: {sum(p.same for p in held)} same, "
          f"{sum(not p.same for p in held)} different)")
    print(f"tocsin   {ours}")
    print(f"baseline {base}  (rapidfuzz token-set ratio, threshold tuned on the other half)")
    print(f"F1 ratio {ours.f1 / base.f1:.2f}x")


def synthetic_list(rng: random.Random, size: int) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    while len(out) < size:
        if rng.random() < 0.75:
            p = evaluate._person(rng)
            out.append(p.entry())
        else:
            words, _short, long = evaluate._org(rng)
            out.append({"schema": "Company", "properties": {"name": [f"{words} {long}"]}})
    return out


def queries(rng: random.Random, listed: list[dict[str, object]], n: int
            ) -> list[dict[str, object]]:
    out = []
    for _ in range(n):
        if rng.random() < 0.5:
            entry = rng.choice(listed)
            name = entry["properties"]["name"][0]  # type: ignore[index]
            words = name.split()
            rng.shuffle(words)
            out.append({"schema": entry["schema"], "properties": {"name": [" ".join(words)]}})
        else:
            p = evaluate._person(rng)
            out.append({"schema": "Person", "properties": {"name": [p.name],
                                                           "birthDate": [p.dob]}})
    return out


def throughput(entries: int, subjects: int, rounds: int, seed: int) -> None:
    from rapidfuzz import fuzz, process, utils

    rng = random.Random(seed)
    listed = synthetic_list(rng, entries)
    started = time.process_time()
    index = matching.Index([matching.IndexEntry(str(i), str(e["properties"]["name"][0]),  # type: ignore[index]
                                                matching.prepare(matching.entity_from_dict(e)))
                            for i, e in enumerate(listed)])
    build = time.process_time() - started
    choices = [utils.default_process(str(e["properties"]["name"][0])) for e in listed]  # type: ignore[index]
    print(f"list: {entries} entries, index built in {build:.1f} CPU-s, "
          f"{len(index.postings)} keys")
    qs = queries(rng, listed, subjects)
    prepared_once = [matching.prepare(matching.entity_from_dict(q), query=True) for q in qs]
    del prepared_once  # warms rigour's tagger, which loads once per process

    def ours() -> float:
        t = time.process_time()
        for q in qs:
            index.match(matching.prepare(matching.entity_from_dict(q), query=True), limit=10,
                        candidates=30, cutoff=matching.REVIEW)
        return len(qs) / (time.process_time() - t)

    def baseline() -> float:
        t = time.process_time()
        for q in qs:
            name = utils.default_process(str(q["properties"]["name"][0]))  # type: ignore[index]
            process.extract(name, choices, scorer=fuzz.token_set_ratio, limit=10,
                            score_cutoff=50, processor=None)
        return len(qs) / (time.process_time() - t)

    mine, theirs = [], []
    for _ in range(rounds):
        mine.append(ours())
        theirs.append(baseline())
    a, b = statistics.median(mine), statistics.median(theirs)
    print(f"tocsin   {a:.0f} subjects/CPU-s (rounds {', '.join(f'{x:.0f}' for x in mine)})")
    print(f"baseline {b:.0f} subjects/CPU-s (rounds {', '.join(f'{x:.0f}' for x in theirs)}) "
          "(rapidfuzz all pairs, token-set ratio)")
    print(f"ratio    {a / b:.1f}x; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--subjects", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    if not args.skip_quality:
        quality(args.seed)
    throughput(args.entries, args.subjects, args.rounds, args.seed)


if __name__ == "__main__":
    main()
