"""Uploads kept for the user who sent them while a page asks something of them.

An upload is kept in a private folder of its own under ``<data_dir>/uploads`` beside a
state file that says whose it is; the folder's name is the *token* the page comes back
with. Only its uploader opens it again: for anyone else it is gone, as a removed one is.
The money import's guided steps and the programmes page's confirmation before an IATI
file or an activities table replaces what was changed in the platform keep their uploads
so; ``tocsin money
leftovers`` lists one left behind once it is an hour old.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

from tocsin.access.principal import Principal
from tocsin.errors import NotFound
from tocsin.i18n import N_
from tocsin.settings import Settings

#: What a page says of an upload that is not (or no longer, or not the caller's) there.
GONE = N_("this upload is no longer here; upload the file again")
#: A token is a folder's name directly under the uploads folder, nothing else.
_TOKEN = re.compile(r"^(?:upload|iati|table)-[A-Za-z0-9_-]{4,40}$")


def uploads_folder(settings: Settings) -> Path:
    folder = settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep(folder: Path, principal: Principal, state_file: str, **state: Any) -> str:
    """Write whose the upload in ``folder`` is (and ``state``); its token."""
    (folder / state_file).write_text(json.dumps({**state, "user": principal.user_id}),
                                     encoding="utf-8")
    return folder.name


def hold(settings: Settings, principal: Principal, data: bytes, prefix: str,
         state_file: str, **state: Any) -> str:
    """Keep ``data`` as ``upload`` in a new private folder (``<prefix>-<token>``); its
    token."""
    folder = uploads_folder(settings) / f"{prefix}-{secrets.token_urlsafe(24)}"
    folder.mkdir(mode=0o700)
    (folder / "upload").write_bytes(data)
    return keep(folder, principal, state_file, **state)


def opened(settings: Settings, principal: Principal, token: str,
           state_file: str) -> tuple[Path, dict[str, Any]]:
    """The caller's kept upload ``token``: its folder and state; :data:`GONE` for anyone
    else's, a removed one or a token that names no such folder."""
    folder = settings.data_dir / "uploads" / token
    state = read_state(folder, state_file) if _TOKEN.match(token) else {}
    if not state or state.get("user") != principal.user_id:
        raise NotFound(GONE)
    return folder, state


def read_state(folder: Path, state_file: str) -> dict[str, Any]:
    try:
        data = json.loads((folder / state_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
