"""Bitcoin's wire format: blocks, transactions, output scripts and addresses.

A small parser of its own (no third-party dependency) for what an investigator
receives: raw blocks as hex dumps or ``blk*.dat`` files (magic bytes, length,
block), and the transactions inside them, SegWit included. Every failure is a
:class:`BitcoinFormatError` naming the byte offset and the reason.

Output scripts are classified into the standard types (P2PK, P2PKH, P2SH,
P2WPKH, P2WSH, P2TR, multisig, OP_RETURN), other witness versions, and
``nonstandard``; the address of a script is derived with Base58Check (legacy)
or Bech32/Bech32m (SegWit v0 / v1+), for mainnet or testnet.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from tocsin.errors import located
from tocsin.i18n import N_, N_plural, Number

#: Network magic bytes of ``blk*.dat`` files.
MAGIC = {
    bytes.fromhex("f9beb4d9"): "mainnet",
    bytes.fromhex("0b110907"): "testnet",
    bytes.fromhex("0a03cf40"): "signet",
    bytes.fromhex("fabfb5da"): "regtest",
}
#: Base58 version bytes (P2PKH, P2SH) and the Bech32 prefix of each network.
NETWORKS = {
    "mainnet": (0x00, 0x05, "bc"),
    "testnet": (0x6F, 0xC4, "tb"),
    "signet": (0x6F, 0xC4, "tb"),
    "regtest": (0x6F, 0xC4, "bcrt"),
}
SCRIPT_TYPES = ("p2pk", "p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr", "witness_unknown",
                "multisig", "op_return", "nonstandard")
#: A block is at most 4,000,000 weight units; nothing larger can be a block.
MAX_BLOCK_BYTES = 4_000_000
COINBASE_TXID = "00" * 32
COINBASE_VOUT = 0xFFFFFFFF


class BitcoinFormatError(ValueError):
    """Bytes that are not what Bitcoin's format says; ``offset`` is where it went wrong."""

    def __init__(self, offset: int, reason: str) -> None:
        self.offset = offset
        self.reason = reason
        super().__init__(located(f"byte offset {offset}", reason))


# --------------------------------------------------------------------------- hashing, addresses


def double_sha256(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def hash160(data: bytes) -> bytes:
    sha = hashlib.sha256(data).digest()
    try:
        return hashlib.new("ripemd160", sha).digest()
    except ValueError:  # OpenSSL 3 without the legacy provider
        return _ripemd160(sha)


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58check(version: int, payload: bytes) -> str:
    data = bytes([version]) + payload
    data += double_sha256(data)[:4]
    number = int.from_bytes(data, "big")
    chars = []
    while number:
        number, rest = divmod(number, 58)
        chars.append(_B58[rest])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(chars))


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32M_CONST = 0x2BC830A3


def _polymod(values: list[int]) -> int:
    generators = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            check ^= generators[i] if (top >> i) & 1 else 0
    return check


def segwit_address(hrp: str, version: int, program: bytes) -> str:
    """Bech32 (version 0) or Bech32m (version 1 and later) address of a witness program."""
    acc = bits = 0
    data = [version]
    for byte in program:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    const = 1 if version == 0 else _BECH32M_CONST
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    poly = _polymod(expanded + data + [0] * 6) ^ const
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[d] for d in data + checksum)


# --------------------------------------------------------------------------- scripts

_OP_0, _OP_1, _OP_16 = 0x00, 0x51, 0x60
_OP_RETURN, _OP_DUP, _OP_HASH160 = 0x6A, 0x76, 0xA9
_OP_EQUAL, _OP_EQUALVERIFY, _OP_CHECKSIG, _OP_CHECKMULTISIG = 0x87, 0x88, 0xAC, 0xAE


def classify(script: bytes, network: str = "mainnet") -> tuple[str, str | None]:
    """The type of an output script and its address, where it has one.

    P2PK outputs get the P2PKH address of their public key, as block explorers
    and older Bitcoin Core versions show them; bare multisig, OP_RETURN and
    non-standard scripts have no address.
    """
    p2pkh, p2sh, hrp = NETWORKS[network]
    n = len(script)
    if n == 25 and script[:3] == bytes([_OP_DUP, _OP_HASH160, 20]) \
            and script[23:] == bytes([_OP_EQUALVERIFY, _OP_CHECKSIG]):
        return "p2pkh", base58check(p2pkh, script[3:23])
    if n == 23 and script[:2] == bytes([_OP_HASH160, 20]) and script[22] == _OP_EQUAL:
        return "p2sh", base58check(p2sh, script[2:22])
    if n == 22 and script[:2] == bytes([_OP_0, 20]):
        return "p2wpkh", segwit_address(hrp, 0, script[2:])
    if n == 34 and script[:2] == bytes([_OP_0, 32]):
        return "p2wsh", segwit_address(hrp, 0, script[2:])
    if n == 34 and script[:2] == bytes([_OP_1, 32]):
        return "p2tr", segwit_address(hrp, 1, script[2:])
    if 4 <= n <= 42 and (_OP_1 <= script[0] <= _OP_16) and script[1] == n - 2 \
            and 2 <= script[1] <= 40:
        return "witness_unknown", segwit_address(hrp, script[0] - _OP_1 + 1, script[2:])
    if n in (35, 67) and script[0] == n - 2 and script[-1] == _OP_CHECKSIG \
            and _is_pubkey(script[1:-1]):
        return "p2pk", base58check(p2pkh, hash160(script[1:-1]))
    if n >= 1 and script[0] == _OP_RETURN:
        return "op_return", None
    if _is_multisig(script):
        return "multisig", None
    return "nonstandard", None


def _is_pubkey(key: bytes) -> bool:
    return (len(key) == 33 and key[0] in (2, 3)) or (len(key) == 65 and key[0] == 4)


def _is_multisig(script: bytes) -> bool:
    if len(script) < 3 or script[-1] != _OP_CHECKMULTISIG:
        return False
    if not (_OP_1 <= script[0] <= _OP_16 and _OP_1 <= script[-2] <= _OP_16):
        return False
    pos, keys = 1, 0
    while pos < len(script) - 2:
        size = script[pos]
        if size not in (33, 65):
            return False
        pos += 1 + size
        keys += 1
    return pos == len(script) - 2 and keys == script[-2] - _OP_1 + 1 >= script[0] - _OP_1 + 1


# --------------------------------------------------------------------------- transactions


@dataclass
class TxIn:
    prev_txid: str
    prev_vout: int
    script_sig: bytes
    sequence: int
    witness: list[bytes] = field(default_factory=list)

    @property
    def is_coinbase(self) -> bool:
        return self.prev_txid == COINBASE_TXID and self.prev_vout == COINBASE_VOUT


@dataclass
class TxOut:
    value: int  # satoshi
    script: bytes


@dataclass
class Transaction:
    txid: str
    wtxid: str
    version: int
    locktime: int
    inputs: list[TxIn]
    outputs: list[TxOut]
    size: int
    offset: int  # where the transaction starts in its file

    @property
    def is_coinbase(self) -> bool:
        return len(self.inputs) == 1 and self.inputs[0].is_coinbase


@dataclass
class Block:
    hash: str
    version: int
    prev_hash: str
    merkle_root: str
    time: int
    bits: int
    nonce: int
    transactions: list[Transaction]
    offset: int
    size: int


class Reader:
    """Bytes with a position; every read past the end names the offset and what was expected."""

    def __init__(self, data: bytes | memoryview, base: int = 0, end: int | None = None) -> None:
        self.data = memoryview(data)
        self.pos = 0
        self.base = base  # offset of data[0] in the file, for messages
        self.end = len(self.data) if end is None else end

    @property
    def offset(self) -> int:
        return self.base + self.pos

    def take(self, size: int, what: str) -> bytes:
        if size < 0 or self.pos + size > self.end:
            raise BitcoinFormatError(self.offset, N_plural(
                "truncated: %(what)s needs %(size)s byte, %(left)s left",
                "truncated: %(what)s needs %(size)s bytes, %(left)s left", size, what=what,
                size=size, left=self.end - self.pos))
        chunk = bytes(self.data[self.pos:self.pos + size])
        self.pos += size
        return chunk

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def u32(self, what: str) -> int:
        return int(struct.unpack("<I", self.take(4, what))[0])

    def i32(self, what: str) -> int:
        return int(struct.unpack("<i", self.take(4, what))[0])

    def u64(self, what: str) -> int:
        return int(struct.unpack("<Q", self.take(8, what))[0])

    def varint(self, what: str) -> int:
        first = self.u8(what)
        if first < 0xFD:
            return first
        size = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
        return int.from_bytes(self.take(size, what), "little")

    def count(self, what: str, least_bytes: int) -> int:
        """A count of items that each take at least ``least_bytes``: refuses impossible ones."""
        start = self.offset
        value = self.varint(what)
        if value * least_bytes > self.end - self.pos:
            raise BitcoinFormatError(start, N_plural(
                "truncated: %(count)s %(what)s cannot fit in the %(left)s byte left",
                "truncated: %(count)s %(what)s cannot fit in the %(left)s bytes left",
                self.end - self.pos, count=Number(value), what=what,
                left=Number(self.end - self.pos)))
        return value


def read_transaction(reader: Reader) -> Transaction:
    start = reader.pos
    offset = reader.offset
    version = reader.i32("transaction version")
    segwit = False
    marker_pos = reader.pos
    if reader.pos + 2 <= reader.end and reader.data[reader.pos] == 0:
        flag = reader.data[reader.pos + 1]
        if flag != 1:
            raise BitcoinFormatError(reader.offset, N_("SegWit marker with flag %(flag)s, "
                                                       "expected 1", flag=flag))
        reader.pos += 2
        segwit = True
    inputs_start = reader.pos
    inputs = []
    for _ in range(reader.count("inputs", 41)):
        prev = reader.take(32, "input outpoint")[::-1].hex()
        vout = reader.u32("input outpoint index")
        script = reader.take(reader.count("script bytes", 1), "input script")
        inputs.append(TxIn(prev, vout, script, reader.u32("input sequence")))
    outputs = []
    for _ in range(reader.count("outputs", 9)):
        value = reader.u64("output value")
        if value > 21_000_000 * 100_000_000:
            raise BitcoinFormatError(reader.offset - 8, N_(
                "output value %(amount)s satoshi exceeds the 21 million bitcoin supply",
                amount=value))
        outputs.append(TxOut(value, reader.take(reader.count("script bytes", 1),
                                                "output script")))
    outputs_end = reader.pos
    if segwit:
        for txin in inputs:
            txin.witness = [reader.take(reader.count("witness bytes", 1), "witness item")
                            for _ in range(reader.count("witness items", 1))]
    locktime_pos = reader.pos
    locktime = reader.u32("locktime")
    full = bytes(reader.data[start:reader.pos])
    if segwit:
        stripped = (bytes(reader.data[start:marker_pos])
                    + bytes(reader.data[inputs_start:outputs_end])
                    + bytes(reader.data[locktime_pos:reader.pos]))
    else:
        stripped = full
    txid = double_sha256(stripped)[::-1].hex()
    wtxid = double_sha256(full)[::-1].hex() if segwit else txid
    return Transaction(txid=txid, wtxid=wtxid, version=version, locktime=locktime,
                       inputs=inputs, outputs=outputs, size=len(full), offset=offset)


def read_block(reader: Reader) -> Block:
    start = reader.pos
    offset = reader.offset
    header = reader.take(80, "block header")
    version, = struct.unpack("<i", header[:4])
    time_, bits, nonce = struct.unpack("<III", header[68:80])
    count = reader.count("transactions", 60)
    if count == 0:
        raise BitcoinFormatError(reader.offset, N_("a block without transactions"))
    txs = [read_transaction(reader) for _ in range(count)]
    if not txs[0].is_coinbase:
        raise BitcoinFormatError(txs[0].offset, N_("the first transaction of a block is not a "
                                                   "coinbase"))
    return Block(hash=double_sha256(header)[::-1].hex(), version=version,
                 prev_hash=header[4:36][::-1].hex(), merkle_root=header[36:68][::-1].hex(),
                 time=time_, bits=bits, nonce=nonce, transactions=txs, offset=offset,
                 size=reader.pos - start)


def merkle_root(txids: list[str]) -> str:
    """The Merkle root of transaction ids (hex, as displayed): checks a block is whole."""
    layer = [bytes.fromhex(t)[::-1] for t in txids]
    while len(layer) > 1:
        if len(layer) % 2:
            layer.append(layer[-1])
        layer = [double_sha256(layer[i] + layer[i + 1]) for i in range(0, len(layer), 2)]
    return layer[0][::-1].hex()


def check_block(block: Block) -> None:
    """Refuse a block whose transactions do not hash to the header's Merkle root."""
    root = merkle_root([tx.txid for tx in block.transactions])
    if root != block.merkle_root:
        raise BitcoinFormatError(block.offset, N_("the transactions do not match the block "
                                                  "header's Merkle root (block %(block)s)",
                                                  block=block.hash))


def parse_block(data: bytes, base: int = 0) -> Block:
    """One whole block: nothing may follow it."""
    reader = Reader(data, base)
    block = read_block(reader)
    if reader.pos != len(reader.data):
        left = len(reader.data) - reader.pos
        raise BitcoinFormatError(reader.offset, N_plural(
            "%(count)s byte after the end of the block",
            "%(count)s bytes after the end of the block", left, count=left))
    check_block(block)
    return block


def parse_transaction(data: bytes, base: int = 0) -> Transaction:
    reader = Reader(data, base)
    tx = read_transaction(reader)
    if reader.pos != len(reader.data):
        left = len(reader.data) - reader.pos
        raise BitcoinFormatError(reader.offset, N_plural(
            "%(count)s byte after the end of the transaction",
            "%(count)s bytes after the end of the transaction", left, count=left))
    return tx


def iter_blk(data: bytes | memoryview) -> Iterator[tuple[str, Block]]:
    """Blocks of a ``blk*.dat`` file: magic bytes, 4-byte length, block; zero padding ends it.

    Yields the network named by the magic bytes with each block. All blocks of
    a file must share one network.
    """
    view = memoryview(data)
    pos = 0
    network: str | None = None
    while pos < len(view):
        magic = bytes(view[pos:pos + 4])
        if magic == b"\0\0\0\0" or (len(magic) < 4 and not magic.strip(b"\0")):
            if bytes(view[pos:]).strip(b"\0"):
                raise BitcoinFormatError(pos, N_("data after the zero padding that ends the "
                                                 "file"))
            return
        if len(magic) < 4:
            raise BitcoinFormatError(pos, N_plural(
                "truncated: %(count)s byte where the magic bytes of a block should start",
                "truncated: %(count)s bytes where the magic bytes of a block should start",
                len(magic), count=len(magic)))
        name = MAGIC.get(magic)
        if name is None:
            raise BitcoinFormatError(pos, N_("wrong magic bytes %(magic)s (expected f9beb4d9 "
                                             "for mainnet, or another network's)",
                                             magic=magic.hex()))
        if network is not None and name != network:
            raise BitcoinFormatError(pos, N_("a %(block_network)s block in a %(network)s file",
                                             block_network=name, network=network))
        network = name
        if pos + 8 > len(view):
            raise BitcoinFormatError(pos + 4, N_("truncated: the block length is missing"))
        size = int.from_bytes(view[pos + 4:pos + 8], "little")
        if size < 81 or size > MAX_BLOCK_BYTES:
            raise BitcoinFormatError(pos + 4, N_("block length %(size)s is impossible",
                                                 size=Number(size)))
        if pos + 8 + size > len(view):
            raise BitcoinFormatError(pos + 8, N_plural(
                "truncated: the block should have %(size)s byte, the file has %(left)s",
                "truncated: the block should have %(size)s bytes, the file has %(left)s", size,
                size=Number(size), left=Number(len(view) - pos - 8)))
        reader = Reader(view[pos + 8:pos + 8 + size], pos + 8)
        block = read_block(reader)
        if reader.pos != size:
            raise BitcoinFormatError(reader.offset, N_plural(
                "the block ends %(count)s byte before the length its frame gives",
                "the block ends %(count)s bytes before the length its frame gives",
                size - reader.pos, count=size - reader.pos))
        check_block(block)
        yield name, block
        pos += 8 + size


# --------------------------------------------------------------------------- RIPEMD-160


def _ripemd160(message: bytes) -> bytes:
    """RIPEMD-160 for Pythons whose OpenSSL no longer offers it (written from the spec)."""
    r1 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 7, 4, 13, 1, 10, 6, 15, 3, 12,
          0, 9, 5, 2, 14, 11, 8, 3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12, 1, 9, 11,
          10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2, 4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11,
          6, 15, 13]
    r2 = [5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12, 6, 11, 3, 7, 0, 13, 5, 10, 14,
          15, 8, 12, 4, 9, 1, 2, 15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13, 8, 6, 4,
          1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14, 12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14,
          0, 3, 9, 11]
    s1 = [11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8, 7, 6, 8, 13, 11, 9, 7, 15, 7,
          12, 15, 9, 11, 7, 13, 12, 11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5, 11,
          12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12, 9, 15, 5, 11, 6, 8, 13, 12, 5, 12,
          13, 14, 11, 8, 5, 6]
    s2 = [8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6, 9, 13, 15, 7, 12, 8, 9, 11, 7,
          7, 12, 7, 6, 15, 13, 11, 9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5, 15, 5,
          8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8, 8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6,
          5, 15, 13, 11, 11]
    k1 = [0x00000000, 0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xA953FD4E]
    k2 = [0x50A28BE6, 0x5C4DD124, 0x6D703EF3, 0x7A6D76E9, 0x00000000]
    mask = 0xFFFFFFFF

    def f(j: int, x: int, y: int, z: int) -> int:
        if j < 16:
            return x ^ y ^ z
        if j < 32:
            return (x & y) | (~x & mask & z)
        if j < 48:
            return (x | (~y & mask)) ^ z
        if j < 64:
            return (x & z) | (y & (~z & mask))
        return x ^ (y | (~z & mask))

    def rol(x: int, n: int) -> int:
        return ((x << n) | (x >> (32 - n))) & mask

    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
    padded = message + b"\x80" + b"\0" * ((55 - len(message)) % 64) \
        + struct.pack("<Q", len(message) * 8)
    for chunk in range(0, len(padded), 64):
        x = struct.unpack("<16I", padded[chunk:chunk + 64])
        a1, b1, c1, d1, e1 = h
        a2, b2, c2, d2, e2 = h
        for j in range(80):
            t = (rol((a1 + f(j, b1, c1, d1) + x[r1[j]] + k1[j // 16]) & mask, s1[j]) + e1) & mask
            a1, e1, d1, c1, b1 = e1, d1, rol(c1, 10), b1, t
            t = (rol((a2 + f(79 - j, b2, c2, d2) + x[r2[j]] + k2[j // 16]) & mask, s2[j])
                 + e2) & mask
            a2, e2, d2, c2, b2 = e2, d2, rol(c2, 10), b2, t
        t = (h[1] + c1 + d2) & mask
        h[1] = (h[2] + d1 + e2) & mask
        h[2] = (h[3] + e1 + a2) & mask
        h[3] = (h[4] + a1 + b2) & mask
        h[4] = (h[0] + b1 + c2) & mask
        h[0] = t
    return struct.pack("<5I", *h)
