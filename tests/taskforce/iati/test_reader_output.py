"""The reader gives exactly what it gave before its speed work, activity by activity.

``tests/fixtures/iati/reader_output.json`` holds, for each input, a SHA-256 of
every activity's platform view, register rows, published copy and location,
and one of the file's problems, notes, ruleset warnings and preserved counts,
as the reader wrote them before it was made faster. The inputs are the rich
fixtures, the partners' file, a publisher-shaped file from the benchmark's
generator and the same file mutated element by element (missing elements and
attributes, odd values, dates in the future, broken percentages), so that the
mapping, the checks and every rule of the rulesets have something to find.

Regenerate the fixture only for an intended change of output:
``python -m tests.taskforce.iati.test_reader_output``.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.bench_scripts import load_bench
from tocsin import limits
from tocsin.reference.registry import load_registry
from tocsin.taskforce.iati.reader import iter_batches
from tocsin.taskforce.programmes.vocabulary import Vocabulary

FIXTURES = Path(__file__).parents[2] / "fixtures" / "iati"
EXPECTED = FIXTURES / "reader_output.json"
FILES = ("rich_2.01.xml", "rich_2.02.xml", "rich_2.03.xml", "partner_activities.xml")
#: Batches small enough that the generated files go through the worker processes.
SIZE = 10


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def summary(path: Path, workers: int = 1) -> dict[str, Any]:
    """Digests of everything the reader gives for ``path``."""
    vocab = Vocabulary.from_registry(load_registry())
    activities: dict[str, str] = {}
    found: dict[str, list[Any]] = {"problems": [], "notes": [], "warnings": [],
                                   "broken": [], "children": [], "implicit": [],
                                   "preserved": [], "count": []}
    with limits.override(import_workers=workers):
        for batch in iter_batches(path, vocab, size=SIZE):
            for spec in batch.activities:
                parts = batch.iati[spec.identifier]
                activities[spec.identifier] = _digest([
                    spec.model_dump(mode="json"), batch.locations[spec.identifier],
                    parts.version, parts.digest, hashlib.sha256(parts.xml.encode()).hexdigest(),
                    parts.transactions, parts.budgets, parts.sectors, parts.recipients])
            found["problems"] += [[p.location, str(p.reason)] for p in batch.problems]
            found["notes"] += [[p.location, str(p.reason)] for p in batch.notes]
            found["warnings"] += [[p.location, str(p.reason)] for p in batch.warnings]
            found["broken"] += sorted(batch.broken.items())
            found["children"] += sorted(batch.children.items())
            found["implicit"] += sorted(batch.implicit_level)
            found["preserved"].append(sorted(batch.preserved.items()))
            found["count"].append(batch.count)
    return {"activities": activities, "file": {k: _digest(v) for k, v in found.items()},
            "sizes": {k: len(v) for k, v in found.items()}}


XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
#: Elements a mutation may remove (some are required: the schema then refuses the activity).
REMOVABLE = ("sector", "recipient-country", "provider-org", "receiver-org", "narrative",
             "activity-date", "budget", "period-end", "value", "transaction-date",
             "participating-org", "iati-identifier")


def _edit(rng: random.Random, activity: etree._Element) -> None:
    elements = list(activity.iter())

    def having(attribute: str) -> list[etree._Element]:
        return [e for e in elements if e.get(attribute) is not None]

    edit = rng.randrange(9)
    if edit == 0 and (dated := having("iso-date") + having("value-date")):
        element = rng.choice(dated)
        name = "iso-date" if element.get("iso-date") is not None else "value-date"
        element.set(name, rng.choice(("2099-01-01", "2000-01-01", "2026-13-01", "2019")))
    elif edit == 1 and (shared := having("percentage")):
        element = rng.choice(shared)
        if rng.random() < 0.3:
            del element.attrib["percentage"]
        else:
            element.set("percentage", rng.choice(("150", "-5", "12.5", "0", "33.33", "x")))
    elif edit == 2 and (gone := [e for e in elements if e.tag in REMOVABLE]):
        element = rng.choice(gone)
        element.getparent().remove(element)
    elif edit == 3 and (named := having("ref")):
        rng.choice(named).set("ref", rng.choice(("A/B&C", "X?Y", "ok-ref", "")))
    elif edit == 4:
        for name in ("default-currency", XML_LANG, "last-updated-datetime", "hierarchy"):
            if rng.random() < 0.4 and name in activity.attrib:
                del activity.attrib[name]
        if rng.random() < 0.3:
            activity.set("last-updated-datetime", "2099-01-01T00:00:00Z")
    elif edit == 5 and (markers := [e for e in elements if e.tag == "policy-marker"]):
        marker = rng.choice(markers)
        marker.attrib.pop("significance", None)
        if rng.random() < 0.5:
            marker.set("vocabulary", "99")
    elif edit == 6 and (sectors := [e for e in elements if e.tag == "sector"]):
        sector = rng.choice(sectors)
        sector.set("vocabulary", rng.choice(("99", "98", "2", "1")))
        if rng.random() < 0.5:
            for narrative in sector.findall("narrative"):
                sector.remove(narrative)
    elif edit == 7 and (transactions := [e for e in elements if e.tag == "transaction"]):
        transaction = rng.choice(transactions)
        anchor = transaction.find("flow-type")
        if anchor is not None:  # where the schema puts them
            extra = etree.Element(rng.choice(("sector", "recipient-country")))
            extra.set("code", rng.choice(("15113", "MM")))
            anchor.addprevious(extra)
    elif edit == 8 and (values := [e for e in elements if e.tag == "value"]):
        value = rng.choice(values)
        value.attrib.pop("currency", None)


def mutate(source: Path, target: Path, seed: int = 7) -> None:
    """``source`` with one to three random edits per activity (deterministic)."""
    rng = random.Random(seed)
    tree = etree.parse(str(source))
    for activity in tree.getroot():
        for _ in range(rng.randint(1, 3)):
            _edit(rng, activity)
    tree.write(str(target), encoding="UTF-8", xml_declaration=True)


def inputs(directory: Path) -> dict[str, Path]:
    out = {name: FIXTURES / name for name in FILES}
    generated = directory / "generated.xml"
    load_bench("iati_import").generate(generated, 0.5)
    mutated = directory / "mutated.xml"
    mutate(generated, mutated)
    out["generated"], out["mutated"] = generated, mutated
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return inputs(tmp_path_factory.mktemp("iati-output"))


@pytest.mark.parametrize("name", [*FILES, "generated", "mutated"])
def test_reader_output_is_unchanged(files: dict[str, Path], name: str) -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))[name]
    got = summary(files[name])
    assert got["sizes"] == expected["sizes"]
    changed = [k for k, v in expected["activities"].items() if got["activities"].get(k) != v]
    assert not changed, f"activities read differently: {changed[:5]}"
    assert got["activities"].keys() == expected["activities"].keys()
    assert got["file"] == expected["file"]


def test_the_mutated_file_gives_the_rules_work(files: dict[str, Path]) -> None:
    """The mutations reach problems, notes and warnings (else the comparison proves little)."""
    sizes = json.loads(EXPECTED.read_text(encoding="utf-8"))["mutated"]["sizes"]
    assert sizes["problems"] > 10 and sizes["warnings"] > 10 and sizes["notes"] > 0


def test_workers_give_the_same_output(files: dict[str, Path]) -> None:
    assert summary(files["mutated"], workers=2) == summary(files["mutated"], workers=1)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        written = {name: summary(path) for name, path in inputs(Path(tmp)).items()}
    EXPECTED.write_text(json.dumps(written, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print({name: v["sizes"] for name, v in written.items()})
