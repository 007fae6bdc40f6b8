"""Files and folders only the platform's own account may read, and encrypted backups.

The data folder holds the database, uploaded documents and transaction sets: it is
created ``0700`` and the files the platform writes there ``0600``, whatever the
process's umask (the mode is set explicitly after creation).

An encrypted backup is the backup zip sealed with a passphrase: the key is derived
with scrypt (n=2**15, r=8, p=1, a random 16-byte salt) and the zip is encrypted in
1 MiB chunks with AES-256-GCM. Each chunk's nonce holds its number and whether it is
the last, and every chunk authenticates the header, so a chunk cannot be changed,
reordered, dropped or the file cut short without the restore refusing it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from tocsin.errors import InputError
from tocsin.i18n import N_

MAGIC = b"TOCSINE1"
CHUNK = 1024 * 1024
TAG = 16
SALT = 16
NONCE_PREFIX = 7
#: scrypt cost: log2(n), r, p (about 32 MiB of memory and a tenth of a second).
SCRYPT = (15, 8, 1)
HEADER = struct.Struct(f">{len(MAGIC)}sBBB{SALT}s{NONCE_PREFIX}s")


def private_folder(path: Path) -> Path:
    """Create ``path`` (and missing parents) and make it ``0700``."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_uid == os.getuid():
        path.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty if missing, and make it ``0600``."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    path.chmod(0o600)
    return path


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _key(passphrase: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    if not passphrase:
        raise InputError.single("passphrase", N_("an empty passphrase cannot protect a backup"))
    if not (10 <= log_n <= 22 and 1 <= r <= 32 and 1 <= p <= 16):
        raise InputError.single("backup", N_("unsupported key-derivation parameters"))
    return Scrypt(salt=salt, length=32, n=2**log_n, r=r, p=p).derive(passphrase.encode())


def _nonce(prefix: bytes, index: int, final: bool) -> bytes:
    return prefix + struct.pack(">I", index) + (b"\x01" if final else b"\x00")


def encrypt_file(source: Path, target: Path, passphrase: str) -> None:
    """Write ``source`` to ``target`` (``0600``) encrypted with ``passphrase``."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, prefix = secrets.token_bytes(SALT), secrets.token_bytes(NONCE_PREFIX)
    header = HEADER.pack(MAGIC, *SCRYPT, salt, prefix)
    cipher = AESGCM(_key(passphrase, salt, *SCRYPT))
    private_file(target)
    with source.open("rb") as plain, target.open("wb") as out:
        out.write(header)
        index = 0
        chunk = plain.read(CHUNK)
        while True:
            following = plain.read(CHUNK)
            final = not following
            out.write(cipher.encrypt(_nonce(prefix, index, final), chunk, header))
            if final:
                break
            chunk, index = following, index + 1
            if index >= 2**32:
                raise InputError.single(str(source), N_("too large to encrypt"))


def decrypt_file(source: Path, target: Path, passphrase: str) -> None:
    """Write the plain content of encrypted ``source`` to ``target`` (``0600``)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    where = source.name
    with source.open("rb") as sealed:
        header = sealed.read(HEADER.size)
        if len(header) != HEADER.size or not header.startswith(MAGIC):
            raise InputError.single(where, N_("not an encrypted Tocsin backup"))
        _magic, log_n, r, p, salt, prefix = HEADER.unpack(header)
        cipher = AESGCM(_key(passphrase, salt, log_n, r, p))
        private_file(target)
        with target.open("wb") as out:
            for index, chunk, final in _chunks(sealed):
                try:
                    out.write(cipher.decrypt(_nonce(prefix, index, final), chunk, header))
                except InvalidTag:
                    raise InputError.single(
                        where, "wrong passphrase, or the backup was changed or cut short"
                    ) from None


def _chunks(handle: IO[bytes]) -> Iterator[tuple[int, bytes, bool]]:
    size = CHUNK + TAG
    index = 0
    chunk = handle.read(size)
    while True:
        following = handle.read(size)
        yield index, chunk, not following
        if not following:
            return
        chunk, index = following, index + 1


@contextmanager
def opened_backup(source: Path, passphrase: str | None, work_dir: Path) -> Iterator[Path]:
    """The plain backup zip behind ``source``: itself, or a decrypted private copy."""
    if not is_encrypted(source):
        yield source
        return
    if passphrase is None:
        raise InputError.single(source.name, N_("the backup is encrypted; give its passphrase"))
    private_folder(work_dir)
    plain = work_dir / f".restore-{secrets.token_hex(6)}.zip"
    try:
        decrypt_file(source, plain, passphrase)
        yield plain
    finally:
        plain.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            work_dir.rmdir()  # only when empty
