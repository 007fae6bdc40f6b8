"""Large IATI files are read in worker processes with exactly the result of one process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.bench_scripts import load_bench
from tests.taskforce.iati.outline import outline
from tocsin import limits
from tocsin.reference.registry import load_registry
from tocsin.taskforce.iati import reader
from tocsin.taskforce.iati.reader import iter_batches
from tocsin.taskforce.programmes.vocabulary import Vocabulary

VOCAB = Vocabulary.from_registry(load_registry())
#: Small batches so that a file of a few dozen activities goes through the workers.
SIZE = 12


def _generate(path: Path, megabytes: float) -> int:
    count: int = load_bench("iati_import").generate(path, megabytes)
    return count


def _read(path: Path, workers: int) -> list[tuple[Any, ...]]:
    with limits.override(import_workers=workers):
        return [outline(batch) for batch in iter_batches(path, VOCAB, size=SIZE)]


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("iati") / "large.xml"
    return path, _generate(path, 0.5)


def test_workers_read_what_one_process_reads(large: tuple[Path, int]) -> None:
    path, count = large
    assert count > 4 * SIZE
    alone = _read(path, 1)
    assert sum(len(batch[1]) for batch in alone) == count
    assert _read(path, 2) == alone


def test_problems_found_by_workers_are_those_found_alone(large: tuple[Path, int],
                                                         tmp_path: Path) -> None:
    path, count = large
    data = path.read_bytes()
    # a code-list problem (found while mapping) in the last activity, and the
    # identifier of the first one used again by the one before it
    late = data.rindex(b"<activity-status code=")
    data = data[:late] + b'<activity-status code="8"/>' + data[data.index(b"/>", late) + 2:]
    first_id = data[data.index(b"<iati-identifier>"):data.index(b"</iati-identifier>")]
    last_id = data.rindex(b"<iati-identifier>")
    before_last = data.rindex(b"<iati-identifier>", 0, last_id)
    data = (data[:before_last] + first_id
            + data[data.index(b"</iati-identifier>", before_last):])
    broken = tmp_path / "broken.xml"
    broken.write_bytes(data)
    alone = _read(broken, 1)
    problems = [(p.location, p.reason) for batch in alone for p in batch[3]]
    assert [location for location, _ in problems] == [
        f"/iati-activities/iati-activity[{count - 1}]/iati-identifier",
        f"/iati-activities/iati-activity[{count}]/activity-status"]
    assert "is also used by /iati-activities/iati-activity[1]" in problems[0][1]
    assert _read(broken, 2) == alone


def test_workers_note_the_files_linked_data_base_as_one_process_does(
        large: tuple[Path, int], tmp_path: Path) -> None:
    # the root's @linked-data-default reaches the workers: each activity without a
    # @linked-data-uri of its own is noted, the same read alone or by workers
    path, count = large
    data = path.read_bytes()
    assert data.count(b"<iati-activities ") == 1 and b"linked-data-uri" not in data
    based = tmp_path / "based.xml"
    based.write_bytes(data.replace(
        b"<iati-activities ", b'<iati-activities linked-data-default="http://data.example.org/" '))
    alone = _read(based, 1)
    noted = [note.location for batch in alone for note in batch[4]
             if "@linked-data-default 'http://data.example.org/'" in str(note.reason)]
    assert noted == [f"/iati-activities/iati-activity[{i}]" for i in range(1, count + 1)]
    assert _read(based, 2) == alone


def test_a_late_schema_error_stops_the_workers_and_is_named(large: tuple[Path, int],
                                                            tmp_path: Path) -> None:
    path, count = large
    data = path.read_bytes()
    late = data.rindex(b"<collaboration-type")
    broken = tmp_path / "schema.xml"
    broken.write_bytes(data[:late] + b"<not-iati/>" + data[late:])
    alone = _read(broken, 1)
    problems = [p for batch in alone for p in batch[3]]
    assert len(problems) == 1
    assert problems[0].location.startswith(f"/iati-activities/iati-activity[{count}]")
    assert _read(broken, 2) == alone


def test_an_early_schema_error_is_named_however_the_file_is_read(
        large: tuple[Path, int], tmp_path: Path) -> None:
    """An activity only the schema refuses, in the first batch of a long file.

    libxml2 raises a schema error only at the end of the file: the reader must
    not give out the batches read before then as if they were valid.
    """
    path, count = large
    data = path.read_bytes()
    # the second activity's title before its reporting-org: the mapping reads it
    # the same, the schema's sequence does not allow it
    second = data.index(b"<iati-activity ", data.index(b"<iati-activity ") + 1)
    org = data.index(b"    <reporting-org", second)
    title = data.index(b"    <title>", second)
    end = data.index(b"</title>", title) + len(b"</title>\n")
    data = data[:org] + data[title:end] + data[org:title] + data[end:]
    broken = tmp_path / "early.xml"
    broken.write_bytes(data)
    for workers in (1, 2):
        read = _read(broken, workers)
        problems = [p for batch in read for p in batch[3]]
        assert [p.location for p in problems] == [
            "/iati-activities/iati-activity[2]/title"], workers
        assert "not expected" in problems[0].reason
        assert sum(len(batch[1]) for batch in read) == count - 1
        assert [where for batch in read for where in batch[9]] == [
            "/iati-activities/iati-activity[2]"]


def test_small_files_never_start_workers(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "small.xml"
    count = _generate(path, 0.05)
    assert count <= 500

    def refuse(self: object) -> None:
        raise AssertionError("no worker for a small file")

    monkeypatch.setattr(reader._Readers, "_start", refuse)
    with limits.override(import_workers=2):
        read = [spec for batch in iter_batches(path, VOCAB) for spec in batch.activities]
    assert len(read) == count


def test_a_large_file_goes_to_the_workers_from_its_first_activity(
        large: tuple[Path, int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Over ``LARGE_FILE`` bytes no activity is read in the importing process, same result."""
    path, _ = large
    alone = _read(path, 1)
    here: list[str] = []
    evaluate = reader._evaluate

    def spy(element: Any, where: str, *args: Any) -> Any:
        here.append(where)
        return evaluate(element, where, *args)

    monkeypatch.setattr(reader, "LARGE_FILE", path.stat().st_size)
    monkeypatch.setattr(reader, "_evaluate", spy)  # only this process's calls are seen
    assert _read(path, 2) == alone
    assert here == []
    monkeypatch.setattr(reader, "LARGE_FILE", path.stat().st_size + 1)
    _read(path, 2)
    assert here == [f"/iati-activities/iati-activity[{i}]" for i in range(1, SIZE + 1)]


def test_a_process_with_threads_starts_its_workers_from_a_server(
        large: tuple[Path, int], monkeypatch: pytest.MonkeyPatch) -> None:
    """A web server runs threads: its workers are not forked from it, and read the same."""
    import multiprocessing
    import threading

    path, _ = large
    alone = _read(path, 1)
    methods: list[str | None] = []
    original = multiprocessing.get_context

    def spy(method: str | None = None) -> Any:
        methods.append(method)
        return original(method)

    monkeypatch.setattr(multiprocessing, "get_context", spy)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        assert threading.active_count() > 1
        assert _read(path, 2) == alone
        assert methods == ["forkserver"]
    finally:
        stop.set()
        other.join()
