"""Size budgets for everything a user hands to the platform.

Three kinds of limit, each a setting (``docs/settings.md``):

* the size of an upload (``TOCSIN_UPLOAD_MAX_BYTES``), checked from ``Content-Length``
  and by a streaming counter before the body is parsed (:mod:`tocsin.web.guard`),
  and again by :func:`read_upload` for files read into memory;
* the unpacked size and entry count of zip-based files (xlsx, docx, backups), checked
  from the archive's directory by :func:`check_archive` before anything is
  decompressed (Python's ``zipfile`` never returns more than an entry's declared size);
* the rows or elements read from one file (``TOCSIN_IMPORT_MAX_ROWS``), counted by
  :func:`capped` as a reader yields them;
* the transactions streamed into one money set (``TOCSIN_IMPORT_MAX_TRANSACTIONS``):
  they are written to Parquet block by block, so memory does not grow with them and
  the cap is a bound on time and disk, set for the public datasets of the field
  (AMLworld's sets run from 5 to 180 million rows).

Each refusal is an :class:`~tocsin.errors.InputError` (or :class:`TooLarge`, its
subclass answered with 413) naming the file and the limit.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, TypeVar

from tocsin.errors import InputError, Problem, located
from tocsin.i18n import N_, Message

T = TypeVar("T")


#: The words limits' messages use for what they count or open (translated where shown).
WORDS = (N_("rows"), N_("zip archive"), N_(".xlsx workbook"), N_("DOCX file"))


class TooLarge(InputError):
    """Input over a size limit (answered 413 on the web)."""

    @classmethod
    def single(cls, location: str, reason: str) -> TooLarge:
        return cls([Problem(location, reason)], summary=located(location, reason))


@dataclass(frozen=True)
class Limits:
    upload_max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 2_000_000
    max_transactions: int = 200_000_000
    archive_max_unpacked_bytes: int = 512 * 1024 * 1024
    archive_max_entries: int = 10_000
    #: Reader processes for large IATI files (0: one per core, at most 4; 1: none).
    import_workers: int = 0


_active: Limits | None = None


def configure(settings: Any) -> Limits:
    """Use the limits of ``settings`` (a :class:`tocsin.settings.Settings`) process-wide."""
    global _active
    _active = Limits(upload_max_bytes=settings.upload_max_bytes,
                     max_rows=settings.import_max_rows,
                     max_transactions=settings.import_max_transactions,
                     archive_max_unpacked_bytes=settings.archive_max_unpacked_bytes,
                     archive_max_entries=settings.archive_max_entries,
                     import_workers=settings.import_workers)
    return _active


def active() -> Limits:
    """The limits in force: configured ones, else those of the environment's settings."""
    if _active is not None:
        return _active
    from tocsin.settings import get_settings

    return configure(get_settings())


@contextmanager
def override(**changes: int) -> Iterator[Limits]:
    """Temporarily change some limits (tests, one-off imports)."""
    global _active
    before = _active
    _active = replace(active(), **changes)
    try:
        yield _active
    finally:
        _active = before


def capped(items: Iterable[T], where: str, what: str = "rows",
           limit: int | None = None) -> Iterator[T]:
    """Yield ``items``, refusing the file once more than the row limit have come."""
    most = limit if limit is not None else active().max_rows
    for count, item in enumerate(items, start=1):
        if count > most:
            raise TooLarge.single(where, N_("more than %(most)s %(what)s; the limit is set "
                                            "by TOCSIN_IMPORT_MAX_ROWS", most=f"{most:,}",
                                            what=Message(what)))
        yield item


def read_upload(stream: IO[bytes], where: str, limit: int | None = None) -> bytes:
    """Read an uploaded file into memory, refusing one over the upload limit."""
    most = limit if limit is not None else active().upload_max_bytes
    data = stream.read(most + 1)
    if len(data) > most:
        raise TooLarge.single(where, N_("larger than the limit of %(size)s bytes",
                                        size=f"{most:,}"))
    return data


def decode_text(data: bytes, where: str, encoding: str = "utf-8") -> str:
    """Decode an uploaded text file, naming the line of the first undecodable byte."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise InputError.single(N_("%(where)s: line %(line)s", where=where, line=line), N_(
            "not %(encoding)s text (byte %(byte)s at position %(column)s)",
            encoding=encoding.upper(), byte=f"{data[exc.start]:#04x}", column=column)) from None


def check_archive(source: Path | IO[bytes], where: str, *, max_unpacked: int | None = None,
                  max_entries: int | None = None, kind: str = "zip archive") -> None:
    """Refuse a zip-based file that unpacks too big or holds too many entries.

    Reads only the central directory; the file position of a stream is restored.
    """
    limits = active()
    most_bytes = max_unpacked if max_unpacked is not None else limits.archive_max_unpacked_bytes
    most_entries = max_entries if max_entries is not None else limits.archive_max_entries
    position = None if isinstance(source, Path) else source.tell()
    try:
        with zipfile.ZipFile(source) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        # NotImplementedError: a zip version or compression method Python cannot read
        raise InputError.single(where, N_("not a readable %(kind)s (%(why)s)",
                                          kind=Message(kind), why=str(exc))) from None
    finally:
        if position is not None and not isinstance(source, Path):
            source.seek(position)
    if len(entries) > most_entries:
        raise TooLarge.single(where, N_("the %(kind)s holds %(count)s entries; at most "
                                        "%(most)s are accepted", kind=Message(kind),
                                        count=f"{len(entries):,}", most=f"{most_entries:,}"))
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > most_bytes:
        raise TooLarge.single(where, N_("the %(kind)s unpacks to %(size)s bytes; at most "
                                        "%(most)s are accepted", kind=Message(kind),
                                        size=f"{unpacked:,}", most=f"{most_bytes:,}"))
