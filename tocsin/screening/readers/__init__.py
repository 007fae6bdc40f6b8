"""Readers of list files; :func:`read_list` picks one by format name."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tocsin.errors import InputError
from tocsin.i18n import N_
from tocsin.screening.formats import FORMATS
from tocsin.screening.readers.base import ListEntity, ListRead


def read_list(fmt: str, sources: Sequence[Path | str]) -> ListRead:
    """Read a list file (the OFAC CSV set: several files) in format ``fmt``."""
    paths = [Path(s) for s in sources]
    if fmt not in FORMATS:
        raise InputError.single("format", N_("unknown list format %(format)s; use one of "
                                             "%(choices)s", format=repr(fmt),
                                             choices=", ".join(FORMATS)))
    if not paths:
        raise InputError.single("files", N_("no file given"))
    if fmt == "ofac_csv":
        from tocsin.screening.readers import ofac

        return ofac.read_csv(paths)
    if len(paths) != 1:
        raise InputError.single("files", N_("the %(format)s format is one file; %(count)s given",
                                            format=fmt, count=len(paths)))
    path = paths[0]
    if fmt == "un":
        from tocsin.screening.readers import un

        return un.read(path)
    if fmt == "ofac_xml":
        from tocsin.screening.readers import ofac

        return ofac.read_xml(path)
    if fmt == "eu":
        from tocsin.screening.readers import eu

        return eu.read(path)
    if fmt == "uk":
        from tocsin.screening.readers import uk

        return uk.read(path)
    if fmt == "ofsi":
        from tocsin.screening.readers import ofsi

        return ofsi.read(path)
    from tocsin.screening.readers import ftm

    return ftm.read(path)


def sniff(path: Path) -> str | None:
    """Guess the format of one file from its first bytes (None when unsure)."""
    head = path.open("rb").read(4096).decode("utf-8", "replace")
    if "<CONSOLIDATED_LIST" in head:
        return "un"
    if "<ArrayOfFinancialSanctionsTarget" in head:
        return "ofsi"
    if "<Designations" in head:  # before OFAC's: its <SanctionsImposed> starts alike
        return "uk"
    if "<Sanctions" in head or "<sdnList" in head or "<sanctionsData" in head:
        return "ofac_xml"
    if "fpi/fsd/export" in head or "<export" in head:
        return "eu"
    if head.lstrip().startswith("{"):
        return "ftm"
    return None


__all__ = ["FORMATS", "ListEntity", "ListRead", "read_list", "sniff"]
