"""Password hashing with argon2id, and the rules a new password must meet.

The rules follow NIST SP 800-63B and OWASP ASVS 2.1: a minimum length, and no
password found among the 30,000 most common ones (``data/common-passwords.txt``,
from zxcvbn, MIT licence: see ``data/common-passwords.LICENSE.txt``) — also when it is
only such a password with digits or symbols around it (``password1234``,
``Summer2026!``) or written with look-alike characters (``P@ssw0rd``).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from tocsin.errors import InputError
from tocsin.i18n import N_

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_LENGTH = 12
MAX_LENGTH = 1024  # argon2 takes any length; this bounds the work per attempt
MIN_DISTINCT = 5
_LOOK_ALIKES = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                              "@": "a", "$": "s", "!": "i", "+": "t"})
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords, lower-case."""
    text = resources.files("tocsin.access").joinpath("data/common-passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def hash_password(password: str, username: str = "") -> str:
    check_strength(password, username)
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _common_core(password: str) -> str | None:
    """The common password ``password`` is made of, if it is one."""
    common = common_passwords()
    lowered = password.lower()
    candidates = {lowered, _EDGES.sub("", lowered), lowered.translate(_LOOK_ALIKES)}
    candidates.add(_EDGES.sub("", lowered.translate(_LOOK_ALIKES)))
    # look-alikes first, then the digits and symbols around the word
    candidates.add(_EDGES.sub("", _EDGES.sub("", lowered).translate(_LOOK_ALIKES)))
    for candidate in candidates:
        if candidate in common:
            return candidate
    return None


def check_strength(password: str, username: str = "") -> None:
    """Refuse a password that is too short or too easy to guess; say why."""
    if len(password) < MIN_LENGTH:
        raise InputError.single("password", N_("must be at least %(count)s characters long",
                                                   count=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise InputError.single("password", N_("must be at most %(count)s characters long",
                                                   count=MAX_LENGTH))
    if len(set(password)) < MIN_DISTINCT:
        raise InputError.single("password", N_("use at least %(count)s different characters",
                                                   count=MIN_DISTINCT))
    if username and len(username) >= 3 and username.lower() in password.lower():
        raise InputError.single("password", N_("must not contain the username"))
    core = _common_core(password)
    if core is not None:
        raise InputError.single(
            "password", N_("is one of the most common passwords (%(core)s with a few characters "
                           "added or changed); choose a longer phrase of unrelated words",
                           core=repr(core)))


# A fixed hash to verify against when the user does not exist, so a login for an
# unknown name costs as much time as one for a known name.
DUMMY_HASH = _hasher.hash("not-a-real-password-0")
