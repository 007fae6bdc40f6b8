"""Configuration held as YAML in the package, read into a pydantic model in one way.

A file that cannot be read or does not fit its model is a
:class:`~tocsin.errors.ConfigurationError` naming the file and every place that is wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from tocsin.errors import ConfigurationError, located, validation_reason
from tocsin.i18n import N_, Joined

M = TypeVar("M", bound=BaseModel)


def load_model(path: Path, model: type[M]) -> M:
    """``path`` (YAML) validated as ``model``."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return model.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(N_("%(path)s: cannot be read: %(why)s", path=str(path),
                                    why=str(exc))) from None
    except ValidationError as exc:
        where = Joined([located(".".join(str(p) for p in e["loc"]), validation_reason(e))
                        for e in exc.errors()], "; ")
        raise ConfigurationError(N_("%(location)s: %(reason)s", location=str(path),
                                    reason=where)) from None
