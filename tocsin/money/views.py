"""Shapes of a transaction set for the investigation screens.

The network diagram needs the neighbourhood of an account as nodes and
aggregated edges, the timeline an account's payments in order with a running
balance, and the trace view its flow tree as a Sankey diagram plus the list of
allocation steps. The neighbourhood is read from the set's persisted index
(:mod:`tocsin.money.index`: an account's payments are a slice, so two hops
around an account cost milliseconds on millions of rows); the other views are
read with DuckDB straight from the set's Parquet files.
"""
# ruff: noqa: S608 -- SQL is assembled from fixed fragments; every value is a bound parameter.

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from tocsin.errors import InputError, NotFound, Problem
from tocsin.i18n import from_data, to_data
from tocsin.money.dataset import ACCOUNTS_FILE, PARTIES_FILE, TRANSACTIONS_FILE
from tocsin.money.findings import Finding
from tocsin.money.rank import Ranking

#: Account kinds drawn as end points (the money leaves the banking chain there).
END_POINT_KINDS = ("cash", "foreign", "crypto", "merchant")
#: A neighbourhood larger than this is cut to its heaviest edges.
MAX_EDGES = 400
MAX_HOPS = 4
MAX_TIMELINE = 5_000


@dataclass(frozen=True)
class Window:
    """Filters every graph view shares: a time window and a minimum amount."""

    since: datetime | None = None
    until: datetime | None = None
    min_amount: float = 0.0

    def __post_init__(self) -> None:
        problems = []
        if self.since and self.until and self.since > self.until:
            problems.append(Problem("window", "'since' is after 'until'"))
        if self.min_amount < 0:
            problems.append(Problem("window.min_amount", "must not be negative"))
        if problems:
            raise InputError(problems)

    def clause(self, alias: str = "x") -> tuple[str, list[Any]]:
        parts: list[str] = ["TRUE"]
        params: list[Any] = []
        if self.since is not None:
            parts.append(f"epoch_us({alias}.ts) >= ?")
            params.append(_micros(self.since))
        if self.until is not None:
            parts.append(f"epoch_us({alias}.ts) <= ?")
            params.append(_micros(self.until))
        if self.min_amount > 0:
            parts.append(f"{alias}.amount >= ?")
            params.append(self.min_amount)
        return " AND ".join(parts), params


def _micros(value: datetime) -> int:
    """Microseconds since the epoch; a naive time is taken as UTC."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1_000_000)


@contextmanager
def _connect(set_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A private in-memory DuckDB with the set's three files as views."""
    files = {name: Path(set_dir) / name for name in (TRANSACTIONS_FILE, ACCOUNTS_FILE,
                                                     PARTIES_FILE)}
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise InputError.single(missing[0], "missing; the transaction set is incomplete")
    con = duckdb.connect(config={"threads": 1})
    try:
        con.execute("SET TimeZone = 'UTC'")
        for view, name in (("txn", TRANSACTIONS_FILE), ("acct", ACCOUNTS_FILE),
                           ("party", PARTIES_FILE)):
            path = str(files[name]).replace("'", "''")
            con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet('{path}')")
        yield con
    finally:
        con.close()


def _rows(con: duckdb.DuckDBPyConnection, query: str, params: Sequence[Any] = ()
          ) -> list[dict[str, Any]]:
    cursor = con.execute(query, list(params))
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _iso(micros: Any) -> str | None:
    """Microseconds since the epoch (how every query returns times) as ISO 8601 UTC."""
    if micros is None:
        return None
    return datetime.fromtimestamp(int(micros) / 1_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- accounts


def search_accounts(set_dir: Path, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Accounts whose id, bank or holder's name contains ``query`` (busiest first)."""
    text = query.strip()
    if not text:
        return []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with _connect(set_dir) as con:
        rows = _rows(con, """
            WITH hits AS (
              SELECT a.account_id, a.kind, a.bank, a.country, p.name AS holder
              FROM acct a LEFT JOIN party p ON p.party_id = a.party_id
              WHERE a.account_id ILIKE ? ESCAPE '\\' OR a.bank ILIKE ? ESCAPE '\\'
                 OR p.name ILIKE ? ESCAPE '\\'
              LIMIT 500)
            SELECT h.*, (SELECT count(*) FROM txn x
                         WHERE x.source = h.account_id OR x.target = h.account_id) AS payments
            FROM hits h ORDER BY payments DESC, account_id LIMIT ?""",
                     [pattern, pattern, pattern, max(1, min(limit, 100))])
    return rows


def account(set_dir: Path, account_id: str) -> dict[str, Any]:
    """One account with its holder and payment totals; :class:`NotFound` if absent."""
    with _connect(set_dir) as con:
        found = _account_rows(con, [account_id])
        if not found:
            raise NotFound(f"account {account_id} is not in this transaction set")
        totals = _rows(con, """
            SELECT count(*) FILTER (WHERE target = ?) AS payments_in,
                   coalesce(sum(amount) FILTER (WHERE target = ?), 0) AS amount_in,
                   count(*) FILTER (WHERE source = ?) AS payments_out,
                   coalesce(sum(amount) FILTER (WHERE source = ?), 0) AS amount_out,
                   min(epoch_us(ts)) AS first, max(epoch_us(ts)) AS last
            FROM txn WHERE source = ? OR target = ?""", [account_id] * 6)[0]
    info = found[account_id]
    info.update(payments_in=int(totals["payments_in"]), payments_out=int(totals["payments_out"]),
                amount_in=round(float(totals["amount_in"]), 2),
                amount_out=round(float(totals["amount_out"]), 2),
                first=_iso(totals["first"]), last=_iso(totals["last"]))
    return info


def _account_rows(con: duckdb.DuckDBPyConnection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = _rows(con, """
        WITH w AS (SELECT DISTINCT unnest(?::VARCHAR[]) AS id)
        SELECT w.id AS account_id, a.kind, a.bank, a.country, a.label, p.name AS holder
        FROM w LEFT JOIN acct a ON a.account_id = w.id
        LEFT JOIN party p ON p.party_id = a.party_id
        WHERE a.account_id IS NOT NULL
           OR EXISTS (SELECT 1 FROM txn x WHERE x.source = w.id OR x.target = w.id)""",
                 [wanted])
    return {r["account_id"]: _node(r) for r in rows}


def _node(row: dict[str, Any]) -> dict[str, Any]:
    kind = row.get("kind") or "unknown"
    return {
        "id": row["account_id"],
        "kind": kind,
        "bank": row.get("bank"),
        "country": row.get("country"),
        "holder": row.get("holder"),
        "end_point": kind in END_POINT_KINDS,
        "labelled": bool(row.get("label")),
    }


# --------------------------------------------------------------------------- graph


def round_cents(values: np.ndarray) -> list[float]:
    """``round(v, 2)`` of every value, the same floats Python's ``round`` gives, in a few
    numpy calls.

    ``rint(v * 100) / 100`` is Python's answer unless ``v * 100`` was rounded across a
    half (it lies within its own rounding error of one) or is too large to be exact;
    those few are handed to ``round``.
    """
    scaled = np.asarray(values, np.float64) * 100
    whole = np.rint(scaled)
    size = np.abs(scaled)
    doubtful = (np.abs(np.abs(scaled - whole) - 0.5) <= size * 2.0**-50) | (size >= 2.0**50) \
        | ~np.isfinite(scaled)
    out: list[float] = (whole / 100).tolist()
    for i in np.flatnonzero(doubtful).tolist():
        out[i] = round(float(values[i]), 2)
    return out


@dataclass
class _Graph:
    """A neighbourhood as columns: one list per field of the nodes (sorted by id) and of
    the edges (sorted by their ends), each made by one numpy or Arrow call."""

    ids: list[str]
    kinds: list[str]
    banks: list[str | None]
    countries: list[str | None]
    holders: list[str | None]
    end_points: list[bool]
    labelled: list[bool]
    starts: list[bool]
    sources: list[int]  # positions in the nodes
    targets: list[int]
    payments: list[int]
    totals: list[float]
    first: list[str]
    last: list[str]
    edge_labelled: list[bool]
    truncated: bool


def _graph(set_dir: Path, accounts: Sequence[str], hops: int, window: Window | None,
           max_edges: int) -> _Graph:
    window = window or Window()
    problems = []
    if not accounts:
        problems.append(Problem("accounts", "give at least one account"))
    if not 1 <= hops <= MAX_HOPS:
        problems.append(Problem("hops", f"must be between 1 and {MAX_HOPS}"))
    if problems:
        raise InputError(problems)
    from tocsin.money.index import open_index

    index = open_index(set_dir)
    codes = [index.code(a) for a in accounts]
    unknown = [a for a, c in zip(accounts, codes, strict=True) if c < 0]
    if unknown:
        raise NotFound(f"account {unknown[0]} is not in this transaction set")
    found = index.around_columns(
        codes, hops, _micros(window.since) if window.since else None,
        _micros(window.until) if window.until else None, window.min_amount, max_edges)
    # Codes sort like the ids, so the nodes come out sorted by id and edges by their ends.
    columns = index.node_columns(found.reached)
    kinds = [k or "unknown" for k in columns["kind"]]
    order = np.lexsort((found.dst, found.src))
    total = found.total[order]
    if not np.isfinite(total).all():
        raise ValueError(f"{set_dir}: a total of payments between two accounts is not a "
                         "finite number")

    n = len(order)
    times = np.datetime_as_string(np.concatenate([found.first[order], found.last[order]])
                                  .astype("datetime64[us]"), unit="s", timezone="UTC").tolist()
    starts = set(accounts)
    return _Graph(
        ids=columns["account_id"], kinds=kinds, banks=columns["bank"],
        countries=columns["country"], holders=columns["holder"],
        end_points=[k in END_POINT_KINDS for k in kinds],
        labelled=[bool(x) for x in columns["label"]],
        starts=[a in starts for a in columns["account_id"]],
        sources=np.searchsorted(found.reached, found.src[order]).tolist(),
        targets=np.searchsorted(found.reached, found.dst[order]).tolist(),
        payments=found.payments[order].tolist(), totals=round_cents(total),
        first=times[:n], last=times[n:],
        edge_labelled=found.labelled[order].tolist(), truncated=found.truncated)


def neighbourhood(
    set_dir: Path,
    accounts: Sequence[str],
    hops: int = 1,
    window: Window | None = None,
    max_edges: int = MAX_EDGES,
) -> dict[str, Any]:
    """Accounts within ``hops`` payments of ``accounts`` and the payments between them.

    Payments between the same two accounts in the same direction are drawn as
    one edge with their count and total. Edges are taken hop by hop, heaviest
    first, until ``max_edges``; ``truncated`` says when some were left out.
    """
    g = _graph(set_dir, accounts, hops, window, max_edges)
    ids = g.ids
    nodes = [{"id": account_id, "kind": kind, "bank": bank, "country": country,
              "holder": holder, "end_point": end_point, "labelled": labelled, "start": start}
             for account_id, kind, bank, country, holder, end_point, labelled, start in zip(
                 ids, g.kinds, g.banks, g.countries, g.holders, g.end_points, g.labelled,
                 g.starts, strict=True)]
    edges = [{"id": f"{ids[s]}->{ids[t]}", "source": ids[s], "target": ids[t],
              "payments": payments, "total": total, "first": first, "last": last,
              "labelled": labelled}
             for s, t, payments, total, first, last, labelled in zip(
                 g.sources, g.targets, g.payments, g.totals, g.first, g.last,
                 g.edge_labelled, strict=True)]
    return {"nodes": nodes, "edges": edges, "truncated": g.truncated}


_NODE = ('{"id":%s,"kind":%s,"bank":%s,"country":%s,"holder":%s,"end_point":%s,'
         '"labelled":%s,"start":%s}')
_EDGE = ('{"id":%s->%s,"source":%s,"target":%s,"payments":%d,"total":%r,"first":"%s",'
         '"last":"%s","labelled":%s}')
_BOOL = ("false", "true")


def neighbourhood_json(
    set_dir: Path,
    accounts: Sequence[str],
    hops: int = 1,
    window: Window | None = None,
    max_edges: int = MAX_EDGES,
) -> bytes:
    """:func:`neighbourhood` as JSON (UTF-8), written straight from its columns.

    What the API sends: the same answer as ``json.dumps(neighbourhood(...))`` with
    none of its dicts made (a two-hop answer has about 800 of them, which cost
    more than finding the edges).
    """
    g = _graph(set_dir, accounts, hops, window, max_edges)
    ids = [encode_basestring(a) for a in g.ids]

    def text(values: Sequence[str | None]) -> list[str]:
        return ["null" if v is None else encode_basestring(v) for v in values]

    nodes = ",".join(map(_NODE.__mod__, zip(
        ids, text(g.kinds), text(g.banks), text(g.countries), text(g.holders),
        [_BOOL[b] for b in g.end_points], [_BOOL[b] for b in g.labelled],
        [_BOOL[b] for b in g.starts], strict=True)))
    # An edge's id is its two ends' quoted ids joined by "->" (which needs no escaping).
    heads = [ids[s][:-1] for s in g.sources]
    tails = [ids[t][1:] for t in g.targets]
    edges = ",".join(map(_EDGE.__mod__, zip(
        heads, tails, [ids[s] for s in g.sources], [ids[t] for t in g.targets], g.payments,
        g.totals, g.first, g.last, [_BOOL[b] for b in g.edge_labelled], strict=True)))
    return (f'{{"nodes":[{nodes}],"edges":[{edges}],"truncated":{_BOOL[g.truncated]}}}'
            .encode())


def _edge(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"{r['source']}->{r['target']}",
        "source": r["source"],
        "target": r["target"],
        "payments": int(r["payments"]),
        "total": round(float(r["total"]), 2),
        "first": _iso(r["first"]),
        "last": _iso(r["last"]),
        "labelled": bool(r.get("labelled")),
    }


def transactions_graph(set_dir: Path, transactions: Sequence[str]) -> dict[str, Any]:
    """The accounts and aggregated edges of the given transactions (e.g. a finding's)."""
    if not transactions:
        raise InputError.single("transactions", "give at least one transaction")
    with _connect(set_dir) as con:
        rows = _rows(con, """
            SELECT x.source, x.target, count(*) AS payments, sum(x.amount) AS total,
                   min(epoch_us(x.ts)) AS first, max(epoch_us(x.ts)) AS last,
                   bool_or(coalesce(x.label, FALSE)) AS labelled
            FROM txn x WHERE x.txn_id IN (SELECT unnest(?::VARCHAR[]))
            GROUP BY x.source, x.target ORDER BY x.source, x.target""",
                     [list(dict.fromkeys(transactions))])
        ids = {r["source"] for r in rows} | {r["target"] for r in rows}
        nodes = _account_rows(con, ids)
    return {"nodes": [nodes[a] | {"start": False} for a in sorted(nodes)],
            "edges": [_edge(r) for r in rows], "truncated": False}


def payments(set_dir: Path, transactions: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The named payments by id: when, from and to which account, how much (in the set's
    currency and as the source wrote it), through which channel, and the file and line
    they were read from where the set keeps them."""
    if not transactions:
        return {}
    with _connect(set_dir) as con:
        rows = _rows(con, """
            SELECT *, epoch_us(ts) AS micros FROM txn
            WHERE txn_id IN (SELECT unnest(?::VARCHAR[]))""",
                     [list(dict.fromkeys(transactions))])
    return {r["txn_id"]: {
        "time": _iso(r["micros"]), "source": r["source"], "target": r["target"],
        "amount": round(float(r["amount"]), 2),
        "amount_orig": round(float(r["amount_orig"]), 2), "currency_orig": r["currency_orig"],
        "channel": r["channel"], "source_file": r.get("source_file"),
        "source_line": r.get("source_line")} for r in rows}


# --------------------------------------------------------------------------- timeline


def timeline(set_dir: Path, account_id: str, window: Window | None = None,
             limit: int = MAX_TIMELINE) -> dict[str, Any]:
    """An account's payments in time order with a running balance.

    The balance starts at zero because the set does not show the opening
    balance; a negative running balance therefore means money paid out that
    the set does not show coming in.
    """
    window = window or Window()
    where, params = window.clause("x")
    with _connect(set_dir) as con:
        if not _account_rows(con, [account_id]):
            raise NotFound(f"account {account_id} is not in this transaction set")
        rows = _rows(con, f"""
            SELECT x.txn_id, epoch_us(x.ts) AS ts, x.source, x.target, x.amount, x.amount_orig,
                   x.currency_orig, x.channel
            FROM txn x WHERE (x.source = ? OR x.target = ?) AND {where}
            ORDER BY x.ts, x.txn_id LIMIT ?""", [account_id, account_id, *params, limit + 1])
    truncated = len(rows) > limit
    balance, items = 0.0, []
    for r in rows[:limit]:
        outgoing = r["source"] == account_id
        incoming = r["target"] == account_id
        signed = 0.0 if outgoing and incoming else (-r["amount"] if outgoing else r["amount"])
        balance += signed
        items.append({
            "txn_id": r["txn_id"],
            "time": _iso(r["ts"]),
            "direction": "self" if outgoing and incoming else ("out" if outgoing else "in"),
            "counterparty": r["target"] if outgoing else r["source"],
            "amount": round(float(r["amount"]), 2),
            "amount_orig": round(float(r["amount_orig"]), 2),
            "currency_orig": r["currency_orig"],
            "channel": r["channel"],
            "balance": round(balance, 2),
        })
    return {"account": account_id, "transactions": items, "truncated": truncated}


# --------------------------------------------------------------------------- findings


def finding_key(finding: Finding) -> str:
    """A short stable id of a finding (same detector, subject and payments → same key)."""
    raw = "|".join([finding.detector, finding.subject, *finding.transactions])
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()[:12]


def finding_view(finding: Finding) -> dict[str, Any]:
    return {"id": finding_key(finding), **finding.to_dict()}


def ranked_findings(ranking: Ranking) -> list[dict[str, Any]]:
    """The findings of a ranking as the pages, the API and the stored run show them.

    Flagged findings first, then the ranked rest, each by its score after ranking.
    Each keeps the detector's own score and reason (``detector_score``, ``reason``)
    and says how the ranking judged it (``adjustment``, None when the detector's
    score stands unexamined) and which of its accounts it flags (``flags``).
    """
    rows = []
    for found in ranking.findings:
        judged = ranking.judgement(found)
        flags = ranking.flags(found)
        rows.append({"id": finding_key(found), **judged.original.to_dict(),
                     "score": found.score, "detector_score": judged.original.score,
                     "adjustment": judged.note or None,
                     "adjustment_message": to_data(judged.note), "flagged": bool(flags),
                     "flags": flags})
    rows.sort(key=lambda r: not r["flagged"])  # stable: by score within each part
    return rows


def flagged_accounts(ranking: Ranking) -> list[dict[str, Any]]:
    """The flagged accounts, highest first, with the findings that flag them."""
    return [{"account": a.account, "score": a.score,
             "findings": [finding_key(f) for f in a.findings
                          if a.account in ranking.flags(f)],
             **({"model": a.model} if a.model else {})}
            for a in ranking.accounts if a.flagged]


# --------------------------------------------------------------------------- trace


def sankey(trace: dict[str, Any]) -> dict[str, Any]:
    """A trace's flow tree (``TraceResult.to_dict()``) as Sankey nodes and links.

    An account can appear on several paths and at several hops; naming nodes
    by account *and* hop keeps the diagram acyclic even when the money went
    round in a cycle. Links always point the way the money moved, so a
    backward trace reads from the sources on the left to the start on the right.
    """
    backward = trace.get("direction") == "backward"
    nodes: dict[str, dict[str, Any]] = {}
    links: dict[tuple[str, str], dict[str, Any]] = {}
    steps: list[dict[str, Any]] = []

    def name(node: dict[str, Any]) -> str:
        if node.get("end") and node.get("txn_id") is None and node["hop"] > 0:
            return f"{node['account']} · {node['end']}"
        return f"{node['account']} · hop {node['hop']}"

    def add_node(node: dict[str, Any], key: str) -> None:
        if key not in nodes:
            nodes[key] = {"name": key, "account": node["account"], "kind": node["kind"],
                          "hop": node["hop"], "end": node.get("end"),
                          "end_message": node.get("end_message")}
        elif node.get("end") and not nodes[key]["end"]:
            nodes[key]["end"] = node["end"]
            nodes[key]["end_message"] = node.get("end_message")

    stack = [(root, None) for root in reversed(trace.get("roots", []))]
    while stack:
        node, parent = stack.pop()
        key = name(node)
        add_node(node, key)
        if parent is not None:
            steps.append({"hop": node["hop"], "from": parent["account"] if not backward
                          else node["account"],
                          "to": node["account"] if not backward else parent["account"],
                          "account": node["account"], "txn_id": node.get("txn_id"),
                          "time": node.get("time"), "amount": node["amount"],
                          "end": node.get("end"), "end_message": node.get("end_message"),
                          "explanation": node.get("explanation", ""),
                          "explanation_message": node.get("explanation_message")})
            pkey = name(parent)
            src, dst = (key, pkey) if backward else (pkey, key)
            link = links.setdefault((src, dst), {"source": src, "target": dst, "value": 0.0,
                                                 "transactions": []})
            link["value"] = round(link["value"] + float(node["amount"]), 2)
            if node.get("txn_id"):
                link["transactions"].append(node["txn_id"])
        elif node.get("explanation"):
            steps.append({"hop": 0, "from": None, "to": None, "account": node["account"],
                          "txn_id": node.get("txn_id"), "time": node.get("time"),
                          "amount": node["amount"], "end": node.get("end"),
                          "end_message": node.get("end_message"),
                          "explanation": node["explanation"],
                          "explanation_message": node.get("explanation_message")})
        for child in reversed(node.get("children", [])):
            stack.append((child, node))
    return {"nodes": list(nodes.values()),
            "links": [v for v in links.values() if v["value"] > 0],
            "steps": steps}


def trace_shown(result: dict[str, Any]) -> dict[str, Any]:
    """A trace answer (``trace`` and ``sankey``) with ``explanation_shown`` and
    ``end_shown`` beside each step's, node's and end point's English ``explanation`` and
    ``end``: their text in the current language, what the trace page shows."""

    def shown(item: dict[str, Any]) -> dict[str, Any]:
        out = dict(item)
        if "explanation" in item:
            out["explanation_shown"] = str(from_data(item.get("explanation_message"),
                                                     item.get("explanation") or ""))
        if item.get("end") is not None:
            out["end_shown"] = str(from_data(item.get("end_message"), item["end"]))
        return out

    trace, drawn = result.get("trace"), result.get("sankey")
    out = dict(result)
    if isinstance(trace, dict) and isinstance(trace.get("end_points"), list):
        out["trace"] = {**trace, "end_points": [shown(p) for p in trace["end_points"]]}
    if isinstance(drawn, dict):
        out["sankey"] = {**drawn, "nodes": [shown(n) for n in drawn.get("nodes", [])],
                         "steps": [shown(s) for s in drawn.get("steps", [])]}
    return out
