from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tocsin.cli.money_analysis import _targets, register

app = typer.Typer()
register(app)
runner = CliRunner()


def test_detectors_lists_every_detector_with_settings() -> None:
    result = runner.invoke(app, ["detectors", "--json"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert {d["name"] for d in items} >= {"fan_in", "cycle", "structuring", "pass_through"}
    assert all(d["description"] and d["config"] for d in items)


def test_detect_trace_score_evaluate(tiny_set: Path) -> None:
    base = ["--set-dir", str(tiny_set), "--engine", "embedded"]
    found = runner.invoke(app, ["detect", *base, "-d", "cycle", "--json"])
    assert found.exit_code == 0, found.output
    findings = json.loads(found.output)
    assert findings and all(f["detector"] == "cycle" for f in findings)
    first = findings[0]["transactions"][0]
    traced = runner.invoke(app, ["trace", *base, "-t", first, "--json"])
    assert traced.exit_code == 0, traced.output
    assert json.loads(traced.output)["roots"][0]["txn_id"] == first
    table = runner.invoke(app, ["score", *base, "--limit", "3"])
    assert table.exit_code == 0 and "risk" in table.output
    ev = runner.invoke(app, ["evaluate", *base, "--rules", "--json"])
    assert ev.exit_code == 0, ev.output
    judged = json.loads(ev.output)  # the flagged accounts: at most 2 % of the set
    assert 0 < judged["ranking"]["flagged"] <= 0.02 * judged["ranking"]["set_accounts"]
    assert judged["accounts"]["precision"] > 0.5
    # Weighed by the shipped model's account scores: never more flagged, and said so.
    weighed = runner.invoke(app, ["evaluate", *base, "--rules", "--weigh", "--json"])
    assert weighed.exit_code == 0, weighed.output
    both = json.loads(weighed.output)["ranking"]
    assert both["model"] == "shipped model"
    assert both["flagged"] <= judged["ranking"]["flagged"]
    refused = runner.invoke(app, ["evaluate", *base, "--weigh"])
    assert refused.exit_code != 0 and "--weigh" in refused.output
    every = runner.invoke(app, ["evaluate", *base, "--rules", "--all-findings", "--json"])
    assert every.exit_code == 0 and json.loads(every.output)["accounts"]["recall"] > 0.5
    rules = runner.invoke(app, ["score", *base, "--rules", "--limit", "3"])
    assert rules.exit_code == 0 and "top contributions" in rules.output
    assert "accounts flagged (at most 2%)" in rules.output
    shipped = runner.invoke(app, ["evaluate", *base, "--json"])  # the shipped model
    assert shipped.exit_code == 0, shipped.output
    judged = json.loads(shipped.output)
    assert judged["accounts"]["pr_auc"] > 0 and not judged["trained_on_this_set"]


def test_errors_are_reported_plainly(tmp_path: Path) -> None:
    result = runner.invoke(app, ["detect", "--set-dir", str(tmp_path), "--engine", "embedded"])
    assert result.exit_code == 1
    assert "is not a transaction set" in " ".join(result.output.split())


def test_set_folders_of_one_name_are_told_apart_by_their_parents(tmp_path: Path) -> None:
    # two banks' exports each in a folder named "set": the model's card named both "set"
    a, b = tmp_path / "bank-a" / "set", tmp_path / "bank-b" / "set"
    assert [t.name for t in _targets(None, [a, b], None)] == ["bank-a/set", "bank-b/set"]
    assert [t.name for t in _targets(None, [a, tmp_path / "other"], None)] == ["set", "other"]


def test_score_with_rules_refuses_what_only_the_model_does(tiny_set: Path,
                                                          tmp_path: Path) -> None:
    # `--rules` printed its table and ended well without writing the file asked for, and
    # ranked accounts when transactions or another model were asked for
    base = ["score", "--set-dir", str(tiny_set), "--engine", "embedded", "--rules"]
    out = tmp_path / "rules.csv"
    for extra, named in ((["--output", str(out)], "--output"),
                         (["--model", str(tmp_path / "m.json")], "--model"),
                         (["--level", "transaction"], "--level")):
        refused = runner.invoke(app, [*base, *extra])
        assert refused.exit_code == 1, refused.output
        said = " ".join(refused.output.split())
        assert said.startswith(f"Error: {named}:") and "--rules" in said
    assert not out.exists()


def test_an_output_that_cannot_be_written_is_refused_in_one_line(
        tiny_set: Path, env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a folder, or a file under a file, ended in a traceback; a training only once trained
    from tocsin.money import model

    tmp_path = env / "out"
    tmp_path.mkdir()
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    score = ["score", "--set-dir", str(tiny_set), "--engine", "embedded", "--level",
             "account", "--output"]
    for output in (tmp_path, a_file / "scores.csv"):
        refused = runner.invoke(app, [*score, str(output)])
        assert refused.exit_code == 1 and not isinstance(refused.exception, OSError)
        said = refused.output.strip()
        assert said.startswith(f"Error: {output}:") and "\n" not in said, said
    missing = tmp_path / "new" / "scores.csv"  # a missing folder is made, as before
    assert runner.invoke(app, [*score, str(missing)]).exit_code == 0 and missing.is_file()

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained although the model could not be written")

    monkeypatch.setattr(model, "load_set", never)
    refused = runner.invoke(app, ["train", "--set-dir", str(tiny_set), "--from-scratch",
                                  "-o", str(tmp_path)])
    assert refused.exit_code == 1, refused.output
    assert refused.output.strip() == (f"Error: {tmp_path}: a folder, not a file: name the "
                                      "file to write")


def test_judging_a_set_that_labels_nothing_as_laundering_says_so(tiny_set: Path,
                                                                 tmp_path: Path) -> None:
    # a label column of zeros imports with the note "labels: none positive"; judged, it
    # printed precision and recall 0.000 without a word, as if the detection had failed
    import pyarrow as pa
    import pyarrow.parquet as pq

    clean = tmp_path / "set"
    clean.mkdir()
    for name in ("transactions", "accounts"):
        table = pq.read_table(tiny_set / f"{name}.parquet")
        at = table.schema.get_field_index("label")
        table = table.set_column(at, "label", pa.repeat(pa.scalar(False), table.num_rows))
        if "label_pattern" in table.column_names:
            at = table.schema.get_field_index("label_pattern")
            table = table.set_column(at, "label_pattern", pa.nulls(table.num_rows, pa.string()))
        pq.write_table(table, clean / f"{name}.parquet")
    for name in ("meta.json", "parties.parquet"):
        if (tiny_set / name).exists():
            (clean / name).write_bytes((tiny_set / name).read_bytes())
    base = ["evaluate", "--set-dir", str(clean), "--engine", "embedded"]
    for extra in ([], ["--rules"]):
        judged = runner.invoke(app, [*base, *extra])
        assert judged.exit_code == 0, judged.output
        said = " ".join(judged.output.split())
        assert "Warning: the set labels nothing as laundering (labels: none positive)" in said
        assert "pattern" not in said  # no table of patterns without any
    labelled = runner.invoke(app, ["evaluate", "--set-dir", str(tiny_set), "--rules"])
    assert "none positive" not in labelled.output


def test_json_alone_on_standard_output(tiny_set: Path) -> None:
    # the progress shown while working wrote an empty line first on standard output when
    # it was not a terminal: `money detect --json | head -1` read nothing
    base = ["--set-dir", str(tiny_set), "--engine", "embedded", "--json"]
    for command in (["detect", "-d", "cycle"], ["score", "--limit", "2"],
                    ["evaluate", "--rules"]):
        done = runner.invoke(app, [*command, *base])
        assert done.exit_code == 0, done.output
        assert done.stdout[:1] in ("[", "{"), repr(done.stdout[:20])
        json.loads(done.stdout)
