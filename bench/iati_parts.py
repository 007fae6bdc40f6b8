"""Benchmark: each part of an IATI import on its own, CPU time per activity.

Generates the publisher-shaped file of ``bench/iati_import.py`` (``--megabytes``),
then times, in this process, best of ``--repeat`` passes over every activity
(``time.process_time``, which the other jobs of a shared machine disturb less than
wall time): what the importing process does (scanning the file's bytes for the
activities, unpickling the workers' outcomes; ``iterparse`` of the file, the
ordinary way where the scan cannot vouch for a file, for comparison) and what a
worker does (parsing an activity from its bytes inside the root's start tag,
serialising its published copy, the schema, the mapping, the platform checks,
the rulesets, pickling the outcomes 25 to a message, as ``reader._Readers`` sends
them). The writes are not here: ``bench/iati_import.py`` gives the whole import.

    .venv/bin/python bench/iati_parts.py --megabytes 10 --repeat 5
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import pickle
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import Any

from lxml import etree


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "iati_import", Path(__file__).with_name("iati_import.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


def measure(path: Path, repeat: int) -> list[tuple[str, str, float]]:
    """``(process, part, CPU ms per activity)`` for each part."""
    from tocsin.reference.registry import load_registry
    from tocsin.taskforce.iati import reader
    from tocsin.taskforce.iati.rules import check_element
    from tocsin.taskforce.iati.scan import Scan
    from tocsin.taskforce.iati.scan import parse as parse_activity
    from tocsin.taskforce.iati.schema import safe_parser, schema_errors
    from tocsin.taskforce.programmes.check import check_activity
    from tocsin.taskforce.programmes.vocabulary import Vocabulary

    vocab = Vocabulary.from_registry(load_registry())
    context = reader._Context(vocab, None, "2.03", True, reader.ReadResult(version="2.03"))
    parser = safe_parser(remove_comments=True, remove_pis=True)
    datas: list[bytes] = []

    raws: list[bytes] = []
    head = b""

    def scan() -> None:
        nonlocal head
        raws.clear()
        with path.open("rb") as stream:
            scanner = Scan(stream)
            head = scanner.start()
            raws.extend(scanner)

    def parse() -> None:
        for _ in reader._walk(reader._iterparse(path)):
            pass

    scan()
    count = len(raws)

    def best(run: Callable[[], object]) -> float:
        fastest = float("inf")
        for _ in range(repeat):
            started = time.process_time()
            run()
            fastest = min(fastest, time.process_time() - started)
        return fastest / count * 1e3

    out = [("importer", "scanning the file's bytes for the activities", best(scan))]
    out.append(("importer", "iterparse, freeing each activity (the floor; the ordinary way)",
                best(parse)))
    elements = [etree.fromstring(raw, parser) for raw in raws]
    out.append(("worker", "parsing each activity from its bytes",
                best(lambda: [etree.fromstring(raw, parser) for raw in raws])))

    def serialise() -> None:
        datas.clear()
        datas.extend(etree.tostring(e, encoding="UTF-8") for e in elements)

    out.append(("worker", "serialising each published copy", best(serialise)))
    # as a worker makes the copy (scan.parse): both at once, the tail added
    assert [parse_activity(head, raw, parser)[1] for raw in raws[:3]] == [
        data + raw[len(raw.rstrip()):] for data, raw in zip(datas, raws[:3], strict=False)]
    out.append(("worker", "schema", best(lambda: [schema_errors(e, "2.03") for e in elements])))
    out.append(("worker", "mapping (spec, register rows, finance, SHA-256)",
                best(lambda: [reader._ActivityReader(e, context, "/a").read(data)
                              for e, data in zip(elements, datas, strict=True)])))
    specs = [reader._ActivityReader(e, context, "/a").read(data)[0]
             for e, data in zip(elements, datas, strict=True)]
    out.append(("worker", "platform checks",
                best(lambda: [check_activity(spec, vocab) for spec in specs])))
    out.append(("worker", "IATI rulesets", best(lambda: [check_element(e) for e in elements])))

    def evaluate() -> list[Any]:
        return [reader._evaluate(e, f"/a[{i}]", context, data)
                for i, (e, data) in enumerate(zip(elements, datas, strict=True), start=1)]

    out.append(("worker", "whole evaluation (schema, mapping, checks, rulesets, the rest)",
                best(evaluate)))
    outcomes = evaluate()  # sent back with the published copy, as the worker makes it
    chunks = [outcomes[i:i + reader.WORKER_CHUNK]
              for i in range(0, count, reader.WORKER_CHUNK)]
    blobs: list[bytes] = []

    def dump() -> None:
        blobs.clear()
        blobs.extend(bytes(ForkingPickler.dumps(chunk)) for chunk in chunks)

    out.append(("worker", "pickling the outcomes", best(dump)))
    out.append(("importer", "unpickling the outcomes",
                best(lambda: [pickle.loads(blob) for blob in blobs])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.repeat < 1 or args.megabytes <= 0:
        parser.error("--megabytes and --repeat must be positive")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    workdir = Path(tempfile.mkdtemp(prefix="tocsin-iati-parts-"))
    # as an import runs: the young generation collected less often (reader.fewer_collections)
    gc.set_threshold(50_000, *gc.get_threshold()[1:])
    try:
        path = workdir / "activities.xml"
        count = _generator()(path, args.megabytes)
        print(f"{count} activities ({path.stat().st_size / 2**20:.1f} MiB), "
              f"best of {args.repeat} passes")
        for process, part, ms in measure(path, args.repeat):
            print(f"{process:9s} {ms:7.3f} ms  {part}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
