"""Guarded records are loaded through the read rule, or through a named escape hatch.

A static check: every module of ``tocsin/`` outside ``tocsin/access/`` is parsed and
any ``session.get(Model, …)``, ``session.query(Model…)``, ``select(Model…)``,
``select(Model.column…)`` or ``….select_from(Model)`` whose ``Model`` is a guarded
class (a subclass of :class:`tocsin.store.base.Guarded`) fails the test. Code loads
guarded records with :func:`tocsin.access.policy.readable`, ``get_readable``,
``readable_rows`` or :mod:`tocsin.access.links`; code that must see every record
says why with ``unguarded_select(…, why=…)`` / ``unguarded_get(…, why=…)``.

Relationships to guarded classes cannot be seen by a scan of calls, so a second
test lists each one with how it is kept under the rule: a new one fails until it
is reviewed and added here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import tocsin
from tocsin.store.base import Base, Guarded
from tocsin.store.migrate import import_all_tables

PACKAGE = Path(tocsin.__file__).parent
EXEMPT = PACKAGE / "access"

#: Relationship → why following it cannot show a record its reader may not read.
REVIEWED_RELATIONSHIPS = {
    "Lesson.actions": "remedial actions are part of their lesson (same handling code and "
                      "unit) and are only shown on the lesson's own page and API",
    "Assessment.commitment": "an assessment is reached only through its commitment",
    "Activity.parent": "lazy='raise': the hierarchy is read with records.ancestors()",
    "Activity.children": "lazy='raise': the hierarchy is read with records.children_of()",
    "AgreementParty.partner": "parties are shown through tocsin.access.links.visible() and "
                              "indexed through search.registry.shared()",
}


@dataclass(frozen=True)
class Load:
    path: str
    line: int
    code: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.code}"


def _guarded_names() -> set[str]:
    import_all_tables()

    def below(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    return {f"{c.__module__}.{c.__name__}" for c in below(Guarded) if hasattr(c, "__table__")}


def _unguarded_loads(source: str, module: str, guarded: set[str], where: str) -> list[Load]:
    """Calls in ``source`` that load a guarded class past the read rule."""
    tree = ast.parse(source)
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.ClassDef):
            names[node.name] = f"{module}.{node.name}"

    def is_guarded(expr: ast.expr) -> bool:
        while isinstance(expr, ast.Attribute):  # Model.column → Model
            expr = expr.value
        return isinstance(expr, ast.Name) and names.get(expr.id) in guarded

    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        hit = (name == "get" and isinstance(func, ast.Attribute) and bool(node.args)
               and isinstance(node.args[0], ast.Name) and is_guarded(node.args[0]))
        hit = hit or (name in ("select", "select_from", "query")
                      and any(is_guarded(arg) for arg in node.args))
        if hit:
            found.append(Load(where, node.lineno, ast.unparse(node)[:120]))
    return found


def test_no_guarded_record_is_loaded_past_the_read_rule() -> None:
    guarded = _guarded_names()
    assert "tocsin.taskforce.programmes.tables.Activity" in guarded
    found: list[Load] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if EXEMPT in path.parents:
            continue
        relative = path.relative_to(PACKAGE.parent)
        module = ".".join(relative.with_suffix("").parts)
        found += _unguarded_loads(path.read_text(encoding="utf-8"), module, guarded,
                                  str(relative))
    assert not found, (
        "guarded records loaded without the read rule; use tocsin.access.policy.readable(), "
        "get_readable(), readable_rows(), tocsin.access.links, or unguarded_select/"
        "unguarded_get(…, why=…) when every record must be seen:\n"
        + "\n".join(str(f) for f in found))


@pytest.mark.parametrize("source", [
    "from tocsin.taskforce.programmes.tables import Activity\n"
    "def f(session, i):\n    return session.get(Activity, i)\n",
    "from sqlalchemy import select\nfrom tocsin.taskforce.partners.tables import Partner as P\n"
    "def f(session):\n    return session.scalars(select(P.name))\n",
    "from sqlalchemy import func, select\n"
    "from tocsin.taskforce.lessons.tables import Lesson\n"
    "def f(session):\n    return session.scalar(select(func.count()).select_from(Lesson))\n",
])
def test_the_scan_finds_plain_loads(source: str) -> None:
    assert _unguarded_loads(source, "tocsin.example", _guarded_names(), "example.py")


def test_the_scan_lets_the_policy_and_the_escape_hatch_through() -> None:
    source = (
        "from sqlalchemy import select\n"
        "from tocsin.access.policy import readable, unguarded_select\n"
        "from tocsin.access.tables import Unit\n"
        "from tocsin.taskforce.programmes.tables import Activity, Document\n"
        "def f(session, p):\n"
        "    session.scalars(readable(Activity, p))\n"
        "    session.scalars(unguarded_select(Activity.id, why='unique identifiers'))\n"
        "    session.get(Document, 1)\n"
        "    session.scalars(select(Unit))\n")
    assert _unguarded_loads(source, "tocsin.example", _guarded_names(), "example.py") == []


def test_every_relationship_to_a_guarded_record_is_reviewed() -> None:
    import_all_tables()
    found = {f"{mapper.class_.__name__}.{rel.key}"
             for mapper in Base.registry.mappers for rel in mapper.relationships
             if issubclass(rel.mapper.class_, Guarded)}
    unreviewed = sorted(found - set(REVIEWED_RELATIONSHIPS))
    assert not unreviewed, (
        f"relationships to guarded records that nobody reviewed: {unreviewed}; load the "
        "target with tocsin.access.links (or make the relationship lazy='raise') and list "
        "it in REVIEWED_RELATIONSHIPS with the reason")
    assert not set(REVIEWED_RELATIONSHIPS) - found, "remove relationships that are gone"


def test_unguarded_reads_must_say_why() -> None:
    from tocsin.access.policy import unguarded_select
    from tocsin.taskforce.programmes.tables import Activity

    with pytest.raises(ValueError, match="say why"):
        unguarded_select(Activity.id, why=" ")
