"""The command line starts quickly: command groups and heavy libraries load on first use."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from tocsin.cli import main

#: Libraries that take seconds to import; none may load before a command needs it.
HEAVY = ("sklearn", "matplotlib", "pandas", "pyspark", "followthemoney", "lightgbm", "scipy",
         "duckdb", "pyarrow", "weasyprint", "torch", "sentence_transformers")


def _modules_after(code: str) -> set[str]:
    """Every module a fresh interpreter holds after running ``code``."""
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120)
    return set(out.stdout.split())


def _loaded_after(code: str) -> set[str]:
    return {m.split(".")[0] for m in _modules_after(code)}


def test_importing_the_cli_loads_no_heavy_library() -> None:
    loaded = _loaded_after("import tocsin.cli.main")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert "typer" in loaded  # the probe sees what was imported


def test_help_lists_every_group_without_loading_one() -> None:
    code = ("import contextlib, io\nsys.argv = ['tocsin', '--help']\n"
            "from tocsin.cli.main import main\nbuf = io.StringIO()\n"
            "with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):\n"
            "    main()\nassert 'money' in buf.getvalue(), buf.getvalue()")
    modules = _modules_after(code)
    loaded = {m.split(".")[0] for m in modules}
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert not {g.module for g in main.GROUPS.values()} & modules


def test_the_listed_help_and_examples_are_the_groups_own() -> None:
    for name, group in main.GROUPS.items():
        app = main.load_group(name)
        assert app.info.name == name
        assert app.info.help == group.help, name
        examples = [main._example(c.callback.__doc__ if c.callback else None)
                    for c in app.registered_commands]
        assert group.example == next(e for e in examples if e), name


def test_a_group_loads_when_its_command_runs() -> None:
    result = CliRunner().invoke(main.app, ["money", "--help"])
    assert result.exit_code == 0, result.output
    for command in ("ingest", "detect", "trace", "score", "evaluate"):
        assert command in result.output
    result = CliRunner().invoke(main.app, ["nosuchgroup"])
    assert result.exit_code != 0 and "No such command" in result.output
