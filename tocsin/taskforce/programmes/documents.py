"""Documents of activities: links, or uploaded files kept under ``<data_dir>/documents/``.

Files are stored once per content (named by their SHA-256, in a two-character
sub-folder) and written atomically; the original name and MIME type stay in the
database. Text extraction for search happens elsewhere, from ``stored_path``.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from tocsin import trash
from tocsin.access import audit
from tocsin.access.links import linked
from tocsin.access.policy import require_write, storable_id
from tocsin.access.principal import Principal
from tocsin.errors import InputError, NotFound, Problem
from tocsin.i18n import N_
from tocsin.settings import Settings
from tocsin.taskforce.programmes.check import DOCUMENT_CATEGORIES
from tocsin.taskforce.programmes.records import get_activity
from tocsin.taskforce.programmes.tables import Activity, Document

FOLDER = "documents"


def documents_dir(settings: Settings) -> Path:
    return settings.data_dir / FOLDER


def store_file(settings: Settings, content: bytes, original_name: str) -> tuple[str, str]:
    """Keep ``content`` under its hash; returns ``(stored_path, mime_type)``."""
    if len(content) > settings.upload_max_bytes:
        raise InputError.single(original_name or "upload", N_(
            "the file has %(size)s bytes; at most %(most)s are accepted", size=len(content),
            most=settings.upload_max_bytes))
    digest = hashlib.sha256(content).hexdigest()
    relative = f"{digest[:2]}/{digest}"
    target = documents_dir(settings) / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)  # atomic: a crash leaves no half file
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    mime = mimetypes.guess_type(original_name)[0] or "application/octet-stream"
    return relative, mime


def stored_file(settings: Settings, document: Document) -> Path:
    """The file of a stored document.

    ``NotFound`` for a link-only document and for a file gone from the data
    folder (a restore without ``documents/``, a disk cleaned by hand): the
    message says so instead of failing while the download streams.
    """
    if not document.stored_path:
        raise NotFound(f"document {document.id} has no stored file")
    path = (documents_dir(settings) / document.stored_path).resolve()
    if documents_dir(settings).resolve() not in path.parents:
        raise NotFound(f"document {document.id} has no stored file")
    if not path.is_file():
        name = document.original_name or "without a name"
        raise NotFound(f"the file of document {document.id} ({name}) is missing from the "
                       "data folder; an administrator can restore it from a backup")
    return path


def add_document(
    session: Session,
    principal: Principal,
    settings: Settings,
    activity_id: int,
    title: str,
    *,
    url: str | None = None,
    content: bytes | None = None,
    original_name: str = "",
    category: str = "A01",
    language: str | None = None,
    document_date: date | None = None,
) -> Document:
    """Attach a link or an uploaded file to an activity."""
    activity = get_activity(session, principal, activity_id)
    require_write(principal, activity.owner_unit_id)
    where = f"activity {activity.identifier!r}: document"
    problems = []
    if not title.strip():
        problems.append(Problem(f"{where} title", N_("the title is empty")))
    if category not in DOCUMENT_CATEGORIES:
        problems.append(Problem(f"{where} category", N_(
            "%(value)s is not an IATI document category", value=repr(category))))
    if content is None and not url:
        problems.append(Problem(f"{where} url or file", N_("give a URL or a file")))
    if url and not (url.startswith("https://") or url.startswith("http://")):
        problems.append(Problem(f"{where} url", N_("%(value)s is not an http(s) URL",
                                                   value=repr(url))))
    if problems:
        raise InputError(problems)
    stored_path, mime = (None, "")
    if content is not None:
        stored_path, mime = store_file(settings, content, original_name)
    elif url:
        mime = mimetypes.guess_type(url)[0] or "text/html"
    position = max((d.position for d in activity.documents), default=-1) + 1
    document = Document(position=position, title=title.strip(), url=url or None,
                        stored_path=stored_path, original_name=original_name, mime_type=mime,
                        category=category, language=language, document_date=document_date)
    activity.documents.append(document)
    session.flush()
    audit.record(session, principal, "update", Activity.record_type, activity.id,
                 activity.handling, detail=f"added document {document.id}")
    return document


def get_document(session: Session, principal: Principal, document_id: int) -> Document:
    """A document whose activity the principal may read; any other is "not found"."""
    document = session.get(Document, document_id) if storable_id(document_id) else None
    if document is None or linked(session, Activity, document.activity_id, principal) is None:
        raise NotFound.of('document', document_id)
    return document


def remove_document(session: Session, principal: Principal, document_id: int) -> None:
    """Detach a document (the stored file stays: another record may share its content)."""
    document = get_document(session, principal, document_id)
    activity = get_activity(session, principal, document.activity_id)
    require_write(principal, activity.owner_unit_id)
    audit.record(session, principal, "update", Activity.record_type, activity.id,
                 activity.handling, detail=f"removed document {document.id} (moved to the trash)")
    trash.discard(session, principal, document, title=f"{document.title} (document of "
                  f"{activity.title})", handling=activity.handling,
                  owner_unit_id=activity.owner_unit_id, record_type="document")
    session.expire(activity, ["documents"])
