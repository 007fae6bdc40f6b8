"""Files written where a user asks (exports, scores, models, reports): refused before the
work when they could not be written at its end, in one line naming the file and why."""

from __future__ import annotations

from pathlib import Path

from tocsin.errors import InputError
from tocsin.i18n import N_


def writable(path: Path) -> Path:
    """``path``, refused now if it is a folder or its folder cannot be made (missing
    folders are made); else a traceback would come once the work is done."""
    if path.is_dir():
        raise InputError.single(str(path), N_("a folder, not a file: name the file to write"))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise not_written(path, exc) from None
    return path


def not_written(path: Path, exc: OSError) -> InputError:
    """The refusal of a file the system would not let be written."""
    return InputError.single(str(path), N_("cannot write: %(error)s",
                                           error=exc.strerror or str(exc)))
