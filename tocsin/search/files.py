"""Where attached files live and their text, cached by content.

Uploaded files are stored under ``<data_dir>/documents/`` named by their
content hash, so the extracted text of one stored path never changes and is
cached in memory; reindexing an activity does not parse its PDFs again.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from sqlalchemy.orm import Session

from tocsin.errors import InputError
from tocsin.search.extract import extract_text

log = logging.getLogger(__name__)

#: ``session.info`` key naming the data folder (else the process settings are used).
DATA_DIR_KEY = "data_dir"


def documents_dir(session: Session) -> Path:
    configured = session.info.get(DATA_DIR_KEY)
    if configured is None:
        from tocsin.settings import get_settings

        configured = get_settings().data_dir
    return Path(configured) / "documents"


def attached_text(session: Session, stored_path: str | None, mime: str | None) -> str:
    """Text of a stored file, or ``""`` (logged) when it is missing or cannot be read.

    Indexing never fails a user's write: an unreadable file is still findable
    by its title and name.
    """
    if not stored_path:
        return ""
    root = documents_dir(session).resolve()
    path = (root / stored_path).resolve()
    if not path.is_relative_to(root):
        log.warning("attached file %s is outside the documents folder; not indexed", stored_path)
        return ""
    try:
        stat = path.stat()
    except OSError:
        log.warning("attached file %s not found; indexed by title only", path)
        return ""
    return _cached_text(str(path), mime or "", stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=256)
def _cached_text(path: str, mime: str, _size: int, _mtime: int) -> str:
    try:
        return extract_text(path, mime)
    except InputError as exc:
        log.warning("attached file not indexed: %s", exc)
        return ""
