"""Tags on Bitcoin addresses and transactions, imported from TagPacks, shown on clusters.

A TagPack is a YAML file (the format investigators exchange attribution in)::

    title: Exchange deposit addresses seen in case 12
    creator: FIU analyst
    source: https://example.org/report       # header fields are defaults for every tag
    confidence: service_data
    tags:
      - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa
        label: Example Exchange
        category: exchange
        actor: example-exchange
      - tx_hash: 4a5e1e4b…                      # a transaction instead of an address
        label: Ransom payment
        category: ransomware

Every tag has a label, a category (``data/tags.yaml``), a source, a confidence
(a level name of ``data/tags.yaml`` or a number from 0 to 100), an optional actor, and
exactly one of ``address`` and ``tx_hash``. The whole pack is checked before
anything is kept; each problem names the file and the tag (``tags[3].category``).

A cluster carries the tags of all its addresses, each shown with the address
it came from and its source (:func:`cluster_tags`). An Ethereum set takes
TagPacks too (``currency: ETH``, addresses ``0x`` and 40 hexadecimal digits),
kept in its ``ethereum/`` folder; it has no clusters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from tocsin.errors import InputError, Problem
from tocsin.i18n import N_, Message, N_plural, Number
from tocsin.money.crypto.cluster import Clustering
from tocsin.money.crypto.utxo import FOLDER

TAGS_FILE = "tags.parquet"
MAX_TAGS = 200_000

TAGS = pa.schema([
    pa.field("address", pa.string()),
    pa.field("txid", pa.string()),
    pa.field("label", pa.string(), nullable=False),
    pa.field("category", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("confidence", pa.int64(), nullable=False),
    pa.field("confidence_name", pa.string()),
    pa.field("actor", pa.string()),
    pa.field("pack", pa.string(), nullable=False),  # the TagPack's title, else its file name
    pa.field("pack_file", pa.string(), nullable=False),
])


# Labels and descriptions are a closed vocabulary the platform ships: messages, read into
# the catalogs from data/tags.yaml (babel.cfg), shown in the reader's language. A TagPack's
# own labels stay as written (user data).
@dataclass(frozen=True)
class Category:
    id: str
    label: Message
    description: Message
    service: bool
    risk: str


@dataclass(frozen=True)
class Confidence:
    id: str
    label: Message
    level: int
    description: Message


@dataclass(frozen=True)
class Vocabulary:
    categories: dict[str, Category]
    confidence: dict[str, Confidence]

    @property
    def services(self) -> set[str]:
        return {c.id for c in self.categories.values() if c.service}


@cache
def vocabulary() -> Vocabulary:
    """The tag categories and confidence levels shipped in ``tocsin/money/crypto/data``."""
    text = resources.files("tocsin.money.crypto").joinpath("data/tags.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    categories = {key: Category(id=key, label=Message(str(v["label"])),
                                description=Message(str(v["description"])),
                                service=bool(v["service"]), risk=str(v["risk"]))
                  for key, v in raw["categories"].items()}
    confidence = {key: Confidence(id=key, label=Message(str(v["label"])), level=int(v["level"]),
                                  description=Message(str(v["description"])))
                  for key, v in raw["confidence"].items()}
    return Vocabulary(categories, confidence)


_HEADER = ("title", "creator", "description", "source", "category", "confidence", "actor",
           "label", "currency", "is_public", "lastmod", "tags", "context")
_TAG = ("address", "tx_hash", "label", "category", "source", "confidence", "actor", "currency",
        "context", "lastmod", "is_public")


#: libyaml where PyYAML has it: five times faster than the Python loader, and it refuses
#: nesting deeper than 1,000 levels with a located error where the Python loader runs out
#: of stack (``RecursionError``, caught below for when libyaml is missing)
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _PackLoader(_SAFE_LOADER):
    """YAML as TagPacks are written: an unquoted ``0x…`` word (an Ethereum address or
    transaction hash) stays text, where YAML 1.1 would read it as a number and lose the
    leading zeros."""


_PackLoader.yaml_implicit_resolvers = {
    first: list(resolvers) for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_PackLoader.yaml_implicit_resolvers["0"].insert(
    0, ("tag:yaml.org,2002:str", re.compile(r"^0[xX][0-9a-fA-F]+$")))


def read_tagpack(path: Path, chain: str = "bitcoin") -> pa.Table:
    """Read and check one TagPack for a set of ``chain`` (``bitcoin`` or ``ethereum``);
    :class:`InputError` lists every problem with its place."""
    kind = CHAINS[chain]
    path = Path(path)
    name = path.name
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_PackLoader)  # noqa: S506
    except UnicodeDecodeError:
        raise InputError.single(name, N_("not UTF-8 text")) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        raise InputError.single(where, N_("not valid YAML (%(error)s)",
                                          error=str(getattr(exc, "problem", exc)))) from None
    except RecursionError:
        raise InputError.single(name, N_("not valid YAML (%(error)s)",
                                         error="nested too deeply")) from None
    if not isinstance(raw, dict):
        raise InputError.single(name, N_("a TagPack is a mapping with a 'tags' list"))
    problems: list[Problem] = []
    for key in raw:
        if key not in _HEADER:
            problems.append(Problem(f"{name}: {key}", N_("unknown field of a TagPack header")))
    tags = raw.get("tags")
    if not isinstance(tags, list) or not tags:
        problems.append(Problem(f"{name}: tags", N_("expected a non-empty list of tags")))
        raise InputError(problems)
    if len(tags) > MAX_TAGS:
        raise InputError.single(f"{name}: tags", N_("%(count)s tags; at most %(most)s per pack",
                                                    count=Number(len(tags)),
                                                    most=Number(MAX_TAGS)))
    currency = str(raw.get("currency", kind.currency)).upper()
    if currency != kind.currency:
        problems.append(Problem(f"{name}: currency", N_("%(currency)s tags cannot go on a "
                                                        "%(chain)s set", currency=currency,
                                                        chain=kind.title)))
    words = vocabulary()
    pack = str(raw.get("title") or name)
    rows: list[dict[str, Any]] = []
    for index, tag in enumerate(tags):
        at = f"{name}: tags[{index}]"
        if not isinstance(tag, dict):
            problems.append(Problem(at, N_("expected a mapping")))
            continue
        for key in tag:
            if key not in _TAG:
                problems.append(Problem(f"{at}.{key}", N_("unknown field of a tag")))
        merged = {k: raw.get(k) for k in ("label", "category", "source", "confidence", "actor")}
        merged.update({k: v for k, v in tag.items() if v is not None})
        address, txid = tag.get("address"), tag.get("tx_hash")
        if (address is None) == (txid is None):
            problems.append(Problem(at, N_("give exactly one of address and tx_hash")))
        if txid is not None and not kind.is_txid(txid):
            problems.append(Problem(f"{at}.tx_hash", N_("%(value)s is not a transaction id",
                                                        value=repr(txid))))
        if address is not None and not kind.is_address(address):
            problems.append(Problem(f"{at}.address",
                                    N_("%(value)s is not an %(chain)s address",
                                       value=repr(address), chain=kind.title)
                                    if kind.article == "an" else
                                    N_("%(value)s is not a %(chain)s address",
                                       value=repr(address), chain=kind.title)))
        elif address is not None:
            address = kind.normalise(address)
        if str(tag.get("currency", currency)).upper() != kind.currency:
            problems.append(Problem(f"{at}.currency",
                                    N_("only %(currency)s tags go on an %(chain)s set",
                                       currency=kind.currency, chain=kind.title)
                                    if kind.article == "an" else
                                    N_("only %(currency)s tags go on a %(chain)s set",
                                       currency=kind.currency, chain=kind.title)))
        for key in ("label", "source"):
            value = merged.get(key)
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(f"{at}.{key}", N_("missing (in the tag or the header)")))
        category = merged.get("category")
        if not isinstance(category, str) or category not in words.categories:
            problems.append(Problem(f"{at}.category",
                                    N_("unknown category %(value)s; one of %(choices)s",
                                       value=repr(category),
                                       choices=", ".join(sorted(words.categories)))))
        level, level_name = _confidence(merged.get("confidence"), f"{at}.confidence", problems)
        rows.append({
            "address": address, "txid": txid.lower() if isinstance(txid, str) else None,
            "label": str(merged.get("label") or "").strip(), "category": str(category),
            "source": str(merged.get("source") or "").strip(), "confidence": level,
            "confidence_name": level_name,
            "actor": str(merged["actor"]) if merged.get("actor") is not None else None,
            "pack": pack, "pack_file": name,
        })
    if problems:
        raise InputError(problems, summary=N_plural(
            "%(count)s problem in the TagPack %(pack)s; no tag was kept",
            "%(count)s problems in the TagPack %(pack)s; no tag was kept", len(problems),
            count=len(problems), pack=name))
    return pa.Table.from_pylist(rows, schema=TAGS)


def _confidence(value: Any, where: str, problems: list[Problem]) -> tuple[int, str | None]:
    levels = vocabulary().confidence
    if isinstance(value, str) and value in levels:
        return levels[value].level, value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100:
        return value, None
    problems.append(Problem(where, N_("%(value)s is neither a confidence level (%(levels)s) "
                                      "nor a number from 0 to 100", value=repr(value),
                                      levels=", ".join(levels))))
    return 0, None


def _is_txid(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and \
        all(c in "0123456789abcdefABCDEF" for c in value)


def _is_eth_address(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 42 and value[:2].lower() == "0x" and \
        all(c in "0123456789abcdefABCDEF" for c in value[2:])


def _is_eth_txid(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 66 and value[:2].lower() == "0x" and \
        _is_txid(value[2:])


@dataclass(frozen=True)
class ChainKind:
    """What a TagPack's addresses and transactions look like on one chain, and where the
    set keeps its tags."""

    title: str
    article: str
    currency: str
    folder: str
    is_address: Callable[[Any], bool]
    is_txid: Callable[[Any], bool]
    normalise: Callable[[str], str]


_ADDRESS_CHARS = set("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")


def _is_address(value: Any) -> bool:
    if not isinstance(value, str) or not 14 <= len(value) <= 90:
        return False
    lower = value.lower()
    if lower.startswith(("bc1", "tb1", "bcrt1")):
        return all(c in "qpzry9x8gf2tvdw0s3jn54khce6mua7l" for c in lower.split("1", 1)[1])
    return set(value) <= _ADDRESS_CHARS


#: The chains a TagPack can go on; Ethereum addresses are kept lower-case, as the importer
#: keeps them.
CHAINS = {
    "bitcoin": ChainKind("Bitcoin", "a", "BTC", FOLDER, _is_address, _is_txid, str),
    "ethereum": ChainKind("Ethereum", "an", "ETH", "ethereum", _is_eth_address, _is_eth_txid,
                          str.lower),
}


def chain_of(set_format: str) -> str:
    """The chain whose tags a set of ``set_format`` holds."""
    return "ethereum" if set_format == "ethereum" else "bitcoin"


# --------------------------------------------------------------------------- storage


def tags_path(set_folder: Path, chain: str = "bitcoin") -> Path:
    return Path(set_folder) / CHAINS[chain].folder / TAGS_FILE


def import_tagpacks(set_folder: Path, packs: list[Path],
                    chain: str = "bitcoin") -> tuple[int, list[str]]:
    """Check every pack, then add their tags to the set's (all or nothing).

    A tag already present (same address or transaction, label, category and
    source) is not added twice. Returns the number of new tags and notes.
    """
    tables = [read_tagpack(p, chain) for p in packs]
    new = pa.concat_tables(tables) if tables else TAGS.empty_table()
    current = load_tags(set_folder, chain)
    seen = {_key(r) for r in current.to_pylist()}
    fresh = []
    for row in new.to_pylist():
        if _key(row) not in seen:
            seen.add(_key(row))
            fresh.append(row)
    merged = pa.concat_tables([current, pa.Table.from_pylist(fresh, schema=TAGS)])
    target = tags_path(set_folder, chain)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{TAGS_FILE}.partial")
    pq.write_table(merged, temp, compression="zstd")
    temp.replace(target)
    notes = []
    if len(fresh) < new.num_rows:
        notes.append(f"{new.num_rows - len(fresh)} tag(s) were already there")
    return len(fresh), notes


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["address"], row["txid"], row["label"], row["category"], row["source"])


def load_tags(set_folder: Path, chain: str = "bitcoin") -> pa.Table:
    path = tags_path(set_folder, chain)
    return pq.read_table(path, schema=TAGS) if path.is_file() else TAGS.empty_table()


def address_tags(set_folder: Path, chain: str = "bitcoin") -> dict[str, list[dict[str, Any]]]:
    tags: dict[str, list[dict[str, Any]]] = {}
    for row in load_tags(set_folder, chain).to_pylist():
        if row["address"]:
            tags.setdefault(row["address"], []).append(row)
    return tags


def cluster_tags(set_folder: Path, clustering: Clustering) -> pa.Table:
    """Every address tag on the cluster of its address: cluster_id, the tag, and ``via``
    (the address it was put on) so a reader sees where each attribution comes from."""
    tags = load_tags(set_folder).filter(pc.invert(pc.is_null(pc.field("address"))))
    if tags.num_rows == 0:
        return pa.table({"cluster_id": pa.array([], pa.string()), **{
            f.name: pa.array([], f.type) for f in TAGS}})
    codes = pc.index_in(tags.column("address"), value_set=clustering.addresses.column("address"))
    ids = pc.take(clustering.addresses.column("cluster_id"), codes)
    table = tags.append_column("cluster_id", ids)
    return table.filter(pc.invert(pc.is_null(pc.field("cluster_id"))))


def describe(row: dict[str, Any]) -> Message:
    """A tag in words: label, category, actor, source, confidence and where it was put; a
    message, so the platform's words are in the reader's language where it is shown (the
    TagPack's label, actor, source and title as written)."""
    words = vocabulary()
    category = words.categories.get(row["category"])
    name = row.get("confidence_name")
    level = Number(row["confidence"])
    confidence = N_("confidence %(value)s/100 (%(level)s)", value=level,
                    level=words.confidence[name].label) if name in words.confidence \
        else N_("confidence %(value)s/100", value=level)
    on = N_("address %(address)s", address=row["address"]) if row.get("address") \
        else N_("transaction %(txid)s", txid=row["txid"])
    kind = category.label if category else row["category"]
    if row.get("actor"):
        return N_("%(label)s (actor %(actor)s): %(category)s, on %(on)s, source %(source)s, "
                  "%(confidence)s, from the TagPack %(pack)s", label=row["label"],
                  actor=row["actor"], category=kind, on=on, source=row["source"],
                  confidence=confidence, pack=row["pack"])
    return N_("%(label)s: %(category)s, on %(on)s, source %(source)s, %(confidence)s, from the "
              "TagPack %(pack)s", label=row["label"], category=kind, on=on,
              source=row["source"], confidence=confidence, pack=row["pack"])
