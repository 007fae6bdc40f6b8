"""Text of attached files (PDF, DOCX, plain text) for the search index."""

from __future__ import annotations

import mimetypes
import zipfile
from pathlib import Path

from tocsin import limits
from tocsin.errors import InputError
from tocsin.i18n import N_

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/csv"})
SUPPORTED = frozenset({PDF, DOCX, *TEXT_TYPES})

#: Defaults: files larger than this are refused; extracted text is cut at ``max_chars``.
MAX_BYTES = 50 * 1024 * 1024
MAX_CHARS = 200_000
MAX_PDF_PAGES = 2_000


def guess_mime(path: Path, mime: str | None = None) -> str:
    """The declared type, or one guessed from the name when none or a generic one is given."""
    declared = (mime or "").split(";")[0].strip().lower()
    if declared and declared != "application/octet-stream":
        return declared
    guessed, _ = mimetypes.guess_type(path.name)
    if path.suffix.lower() == ".docx":
        guessed = DOCX
    return guessed or declared or "application/octet-stream"


def extract_text(path: Path | str, mime: str | None = None, *, max_bytes: int = MAX_BYTES,
                 max_chars: int = MAX_CHARS) -> str:
    """The plain text of a PDF, DOCX or text file, cut at ``max_chars`` characters.

    Raises :class:`InputError` naming the file for a missing, too large,
    unsupported or corrupt file.
    """
    path = Path(path)
    where = path.name or str(path)
    if not path.is_file():
        raise InputError.single(where, N_("file not found"))
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError.single(where, N_("file is %(size)s bytes; the limit is %(most)s",
                                           size=size, most=max_bytes))
    kind = guess_mime(path, mime)
    if kind not in SUPPORTED:
        allowed = ", ".join(sorted(SUPPORTED))
        raise InputError.single(where, N_("cannot extract text from %(kind)s; supported: "
                                           "%(allowed)s", kind=repr(kind), allowed=allowed))
    try:
        if kind == PDF:
            text = _pdf(path, max_chars)
        elif kind == DOCX:
            text = _docx(path, max_chars)
        else:
            text = _plain(path, max_chars)
    except InputError:
        raise
    except Exception as exc:  # the parsers raise many unrelated types on a damaged file
        raise InputError.single(where, N_("damaged or unreadable %(kind)s file (%(why)s)",
                                           kind=kind, why=str(exc))) from exc
    return text[:max_chars]


def _plain(path: Path, max_chars: int) -> str:
    raw = path.read_bytes()[: max_chars * 4]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _pdf(path: Path, max_chars: int) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            raise InputError.single(path.name, N_("PDF is encrypted; upload an unprotected "
                                                   "copy"))
        parts: list[str] = []
        length = 0
        for number, page in enumerate(reader.pages):
            if number >= MAX_PDF_PAGES or length >= max_chars:
                break
            text = page.extract_text() or ""
            parts.append(text)
            length += len(text)
    except PdfReadError as exc:
        raise InputError.single(path.name, N_("not a readable PDF (%(why)s)",
                                               why=str(exc))) from exc
    return "\n".join(parts)


def _docx(path: Path, max_chars: int) -> str:
    if not zipfile.is_zipfile(path):
        raise InputError.single(path.name, N_("not a DOCX file (not a zip archive)"))
    # refuse a zip bomb before parsing it: the platform's limits, and a ratio for text
    limits.check_archive(path, path.name, kind="DOCX file")
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > 20 * max(path.stat().st_size, 1024 * 1024):
        raise InputError.single(path.name, N_("DOCX unpacks to %(size)s bytes; refused",
                                               size=unpacked))
    import docx

    document = docx.Document(str(path))
    parts: list[str] = []
    length = 0
    for paragraph in document.paragraphs:
        parts.append(paragraph.text)
        length += len(paragraph.text)
        if length >= max_chars:
            return "\n".join(parts)
    for table in document.tables:
        for row in table.rows:
            line = " | ".join(cell.text for cell in row.cells)
            parts.append(line)
            length += len(line)
            if length >= max_chars:
                return "\n".join(parts)
    return "\n".join(parts)
