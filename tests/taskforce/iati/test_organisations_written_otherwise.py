"""IATI organisation files written the ways other tools write XML: imported the same.

The transformations of ``test_written_otherwise.py`` (another encoding, other line ends,
comments and processing instructions, CDATA, character references, quoting, attribute
order, namespaces declared elsewhere, a publisher's own extensions) applied to
organisation files: each file so written, imported from a path, a stream and a stream
that can be read only once, must give what the file as published gives: the partners
created or linked (name, kind, description, handling, owner), the stored organisations
(name, version, the element kept as published compared by its elements, attributes and
text), the budget and expenditure rows, and the report (counts, what is kept only as
published, problems, notes, warnings). Imported over the file as published, it is
reported unchanged. Organisation files are not exported: the stored element is what the
platform gives back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.taskforce.iati.test_round_trip import canonical
from tests.taskforce.iati.test_written_otherwise import (
    _METADATA,
    EXT,
    EXTENDING,
    PARTS,
    TRANSFORMATIONS,
    _sorted_attributes,
    _source,
    _stripped,
    _with_sample,
)
from tests.taskforce.programmes.factory import principal
from tocsin.access.principal import Principal
from tocsin.errors import InputError
from tocsin.taskforce.iati.organisations import OrganisationImport, import_organisations
from tocsin.taskforce.iati.schema import safe_parser
from tocsin.taskforce.iati.tables import IatiOrganisation, IatiOrgFinance
from tocsin.taskforce.partners.records import sync_reference_partners
from tocsin.taskforce.partners.tables import Partner

FIXTURES = Path(__file__).parents[2] / "fixtures" / "iati"
PUBLISHED = FIXTURES / "published"
#: The name the import is given (a path's own name would differ from a stream's).
LABEL = "organisations.xml"
#: What an organisation's extensions are counted as (see ``_extended``), by where they are.
PLACES = ("", *(f"{part}/" for part in PARTS["iati-organisation"]))

#: A representative few: IATI's 2.03 example (every element, CRLF), the Asian Development
#: Bank's own (namespaces declared on an element, budget lines, a region of its own),
#: the International Development Association's (no declaration, tabs, run-on elements)
#: and a portal's download of two organisations (no version on the root, the portal's
#: namespace there, a 2.03 and a 2.01 organisation, each its own version).
FILES = ["organisation-standard-example-annotated-2.03.xml", "asian-dev-bank-org-excerpt.xml",
         "worldbank-ida-org-excerpt.xml", "portal_organisations.xml"]
#: Every organisation file of 2.0x (or of no version) among the fixtures, those refused
#: among them (``-m slow``).
ALL_FILES = sorted({*FILES, *(
    path.name for path in [*FIXTURES.glob("*.xml"), *PUBLISHED.glob("*.xml")]
    if re.search(rb"<iati-organisations(?![^>]*version=\"1)", path.read_bytes()[:4096]))})
#: Where the file is read from (``_source``): a path, a stream, a stream read only once.
WAYS = ("path", "stream", "once")


@pytest.fixture(autouse=True)
def _reference_partners(session: Session) -> None:
    """The reference organizations' partners, which every import makes first, made once
    for the test rather than in each import undone after it."""
    sync_reference_partners(session)


def _path(name: str) -> Path:
    return FIXTURES / name if (FIXTURES / name).exists() else PUBLISHED / name


def _import(session: Session, source: Path | IO[bytes]) -> OrganisationImport:
    return import_organisations(session, Principal.system(), source,
                                owner_unit_id=principal(session, "analyst").unit_id,
                                name=LABEL)


def _stored(session: Session) -> dict[str, Any]:
    """What the registry holds of the organisations: partners by name, not by id."""
    partners = {p.id: (p.name, p.kind, p.description, p.handling, p.owner_unit_id,
                       p.ref_organization_code) for p in session.scalars(select(Partner))}
    parser = safe_parser(remove_comments=True, remove_pis=True)
    organisations = {}
    for org in session.scalars(select(IatiOrganisation)):
        rows = session.scalars(select(IatiOrgFinance).where(
            IatiOrgFinance.organisation_id == org.id).order_by(IatiOrgFinance.position))
        organisations[org.identifier] = {
            "partner": partners[org.partner_id], "name": org.name, "version": org.version,
            "source": org.source,
            "element": canonical(etree.fromstring(org.xml.encode("utf-8"), parser)),
            "finance": [(r.position, r.element, r.recipient, r.recipient_name, r.status,
                         r.period_start, r.period_end, r.value, r.currency, r.value_date)
                        for r in rows]}
    return organisations


def _report(report: OrganisationImport) -> dict[str, Any]:
    return {"version": report.version, "created": report.created, "updated": report.updated,
            "unchanged": report.unchanged, "changed": report.changed,
            "preserved": report.preserved,
            "warnings": [str(p) for p in report.warnings],
            # the portal's attributes a note names, in the order the file writes them
            "notes": [_METADATA.sub(_sorted_attributes, str(p)) for p in report.notes]}


def outcome(session: Session, source: Path | IO[bytes]) -> dict[str, Any]:
    """The import of ``source`` into the registry as it stands, and what it holds after;
    undone afterwards."""
    savepoint = session.begin_nested()
    try:
        try:
            report = _import(session, source)
        except InputError as caught:
            return {"problems": [str(p) for p in caught.problems]}
        return {"problems": [], **_report(report), "stored": _stored(session)}
    finally:
        savepoint.rollback()


_BASES: dict[str, tuple[bytes, dict[str, Any]]] = {}


def _base(session: Session, name: str, folder: Path) -> tuple[bytes, dict[str, Any]]:
    """The file with ``SAMPLE`` in its names, and its import."""
    if name not in _BASES:
        data = _with_sample(_path(name).read_bytes(), b"name")
        _BASES[name] = data, outcome(session, _source(data, "path", folder))
    return _BASES[name]


def _without_extensions(got: dict[str, Any]) -> dict[str, Any]:
    """``got`` as if the file had none of the extensions ``extensions`` adds."""
    if got["problems"]:
        return got
    out = {**got, "preserved": {k: n for k, n in got["preserved"].items() if EXT not in k}}
    out["stored"] = {identifier: {**org, "element": _stripped(org["element"])}
                     for identifier, org in got["stored"].items()}
    return out


def _check_extensions(got: dict[str, Any]) -> None:
    """Each organisation imported keeps its extensions, and the report counts them where
    they are (on the organisation, on its first total-budget and first country budget)."""
    if got["problems"]:
        return
    kept = {k: n for k, n in got["preserved"].items() if EXT in k}
    expected: dict[str, int] = {}
    for org in got["stored"].values():
        children = org["element"][3]
        assert children[-1][0] == f"{{{EXT}}}detail"
        for place in PLACES:
            if place and not any(c[0] == place[:-1] for c in children):
                continue
            for what in (f"{place}@{{{EXT}}}origin", f"{place}{{{EXT}}}detail"):
                expected[what] = expected.get(what, 0) + 1
    assert kept == expected


def _check(session: Session, name: str, transformation: str, folder: Path,
           ways: Iterable[str] = WAYS) -> bool:
    """Whether the file, written so, imports as published (False: it is written so already)."""
    data, base = _base(session, name, folder)
    written = TRANSFORMATIONS[transformation](data)
    if written == data:  # no declaration to take off, CRLF already …
        return False
    for way in ways:
        got = outcome(session, _source(written, way, folder))
        if transformation in EXTENDING:
            _check_extensions(got)
            got = _without_extensions(got)
        assert got == base, (name, way, [k for k in base if got.get(k) != base[k]])
    return True


# --- imported over the file as published ---------------------------------------------------


def _again(session: Session, name: str, transformation: str, folder: Path) -> bool:
    """The file as published, then written otherwise over it: the same organisations
    reported unchanged, nothing named as changed (the extensions a writing added named)."""
    data, base = _base(session, name, folder)
    written = TRANSFORMATIONS[transformation](data)
    if base["problems"] or written == data:  # refused; written so already
        return False
    savepoint = session.begin_nested()
    try:
        first = _import(session, _source(data, "path", folder))
        again = _import(session, _source(written, "once", folder))
        count = first.created + first.updated
        assert (again.created, again.updated) == (0, count)
        assert {k: session.get(Partner, v).name  # type: ignore[union-attr]
                for k, v in again.partners.items()} == {
            k: session.get(Partner, v).name  # type: ignore[union-attr]
            for k, v in first.partners.items()}
        if transformation in EXTENDING:
            assert again.unchanged == 0 and set(again.changed) == set(first.partners)
            allowed = {f"@{{{EXT}}}origin", f"{{{EXT}}}detail", *PARTS["iati-organisation"]}
            assert all(names and set(names) <= allowed for names in again.changed.values())
        else:
            assert (again.unchanged, again.changed) == (count, {})
        # and the registry holds what the file as published gives
        held = {"problems": [], "preserved": {}, "stored": _stored(session)}
        assert _without_extensions(held)["stored"] == base["stored"]
    finally:
        savepoint.rollback()
    return True


#: The ways of the ordinary run: a stream read once goes where a seekable one does.
FAST_WAYS = ("path", "once")


@pytest.mark.parametrize("transformation", list(TRANSFORMATIONS))
def test_an_organisation_file_written_otherwise_imports_the_same(
        session: Session, transformation: str, tmp_path: Path) -> None:
    # one test for the files (the registry's reference partners are made once a test)
    checked = [_check(session, name, transformation, tmp_path, FAST_WAYS) for name in FILES]
    checked.append(_again(session, FILES[0], transformation, tmp_path))
    if not any(checked):
        pytest.skip("every file is written so already")


@pytest.mark.slow
@pytest.mark.parametrize("transformation", list(TRANSFORMATIONS))
@pytest.mark.parametrize("name", ALL_FILES)
def test_every_organisation_file_written_otherwise_imports_the_same(
        session: Session, name: str, transformation: str, tmp_path: Path) -> None:
    if not (_check(session, name, transformation, tmp_path)
            | _again(session, name, transformation, tmp_path)):
        pytest.skip("the file is written so already")
