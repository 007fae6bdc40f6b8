"""Tocsin: a platform for countering transnational organized crime.

The public API is what ``__all__`` lists; ``tests/test_public_api.py`` guards it.
"""

from tocsin.errors import (
    AuthenticationError,
    InputError,
    NotFound,
    PermissionDenied,
    Problem,
    ReferenceDataError,
    TocsinError,
)
from tocsin.settings import Settings, get_settings

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "InputError",
    "NotFound",
    "PermissionDenied",
    "Problem",
    "ReferenceDataError",
    "Settings",
    "TocsinError",
    "__version__",
    "get_settings",
]
