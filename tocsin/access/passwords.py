"""Password hashing with argon2id and the minimal strength rule."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from tocsin.errors import InputError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_LENGTH = 12


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InputError.single("password", f"must be at least {MIN_LENGTH} characters long")
    single_case = password.lower() == password or password.upper() == password
    if single_case and not any(ch.isdigit() for ch in password):
        raise InputError.single("password", "mix upper- and lower-case letters or add digits")


# A fixed hash to verify against when the user does not exist, so a login for an
# unknown name costs as much time as one for a known name.
DUMMY_HASH = _hasher.hash("not-a-real-password-0")
