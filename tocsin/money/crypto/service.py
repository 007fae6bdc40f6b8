"""Bitcoin sets under access control: what the command line and the web call.

Every function takes the session and the principal, reads the set through
:func:`tocsin.money.sets.get_set` (the read rule; reads above TLP:GREEN are
audited there) and works on the set's own folder. Storing a clustering or tags
changes what every reader sees, so it is a write of the set's owning unit
(:func:`tocsin.money.sets.may_store_results`) and is audited as an update; a
reader who may not write gets the clustering as a preview that stores nothing.
Exporting a cluster's addresses needs the export right and is audited.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.policy import require, require_write
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.errors import InputError, NotFound, Problem
from tocsin.i18n import N_, from_data, rewrite, to_data
from tocsin.money import sets
from tocsin.money.crypto import cluster as clustering
from tocsin.money.crypto import tags as tagging
from tocsin.money.crypto import taint
from tocsin.money.crypto.utxo import Utxo, btc, open_utxo
from tocsin.money.tables import TransactionSet
from tocsin.settings import Settings
from tocsin.types.cells import neutralise


@dataclass
class ClusterRun:
    result: clustering.Clustering
    stored: bool


def _bitcoin_set(session: Session, principal: Principal, settings: Settings,
                 set_id: int) -> tuple[TransactionSet, Path, Utxo]:
    item = sets.get_set(session, principal, set_id)
    folder = sets.set_path(settings, item)
    return item, folder, open_utxo(folder)


def run_clustering(session: Session, principal: Principal, settings: Settings, set_id: int,
                   config: clustering.ClusterConfig | None = None,
                   engine: str | None = None) -> ClusterRun:
    """Cluster the set's addresses; kept with the set when the principal may store results.

    ``engine`` is ``embedded`` or ``spark`` (default: the ``money_engine`` setting); both
    give the same clusters.
    """
    item, folder, model = _bitcoin_set(session, principal, settings, set_id)
    chosen = engine or settings.money_engine
    if chosen == "spark":
        from tocsin.money.crypto.spark_cluster import cluster_spark

        result = cluster_spark(model, config, master=settings.spark_master)
    elif chosen == "embedded":
        result = clustering.cluster(model, config)
    else:
        raise InputError.single("engine", N_("%(engine)s is unknown; use embedded or spark",
                                             engine=repr(chosen)))
    if not sets.may_store_results(principal, item):
        return ClusterRun(result, stored=False)
    sets._hold(session, item, touch=True)
    audit.record(session, principal, "update", item.record_type, item.id, item.handling,
                 detail=f"address clustering stored: {result.addresses.num_rows} addresses in "
                        f"{result.clusters.num_rows} clusters, {result.coinjoins.num_rows} "
                        "CoinJoin-like transactions left out"
                        + (f", {result.change_links.num_rows} change link(s) by "
                           f"{', '.join(result.config.change_heuristics)}"
                           if result.config.change_heuristics else ""))
    session.flush()
    clustering.store(folder, result)
    return ClusterRun(result, stored=True)


def stored_clustering(session: Session, principal: Principal, settings: Settings,
                      set_id: int) -> clustering.Clustering | None:
    _item, folder, _model = _bitcoin_set(session, principal, settings, set_id)
    return clustering.load(folder)


def _clustering(session: Session, principal: Principal, settings: Settings,
                set_id: int) -> tuple[TransactionSet, Path, Utxo, clustering.Clustering]:
    item, folder, model = _bitcoin_set(session, principal, settings, set_id)
    result = clustering.load(folder) or clustering.cluster(model)
    return item, folder, model, result


def clusters_view(session: Session, principal: Principal, settings: Settings, set_id: int,
                  limit: int = 100, search: str = "") -> dict[str, Any]:
    """The largest clusters (or the one holding ``search``) with their tags, for people."""
    _item, folder, _model, result = _clustering(session, principal, settings, set_id)
    rows = result.clusters.to_pylist()
    if search.strip():
        wanted = result.cluster_of(search.strip()) or search.strip()
        rows = [r for r in rows if r["cluster_id"] == wanted]
    by_cluster: dict[str, list[dict[str, Any]]] = {}
    for tag in tagging.cluster_tags(folder, result).to_pylist():
        by_cluster.setdefault(tag["cluster_id"], []).append(
            {"label": tag["label"], "category": tag["category"], "source": tag["source"],
             "via": tag["address"], "confidence": tag["confidence"], "actor": tag["actor"],
             "text": tagging.describe(tag)})
    tagged = [r for r in rows if r["cluster_id"] in by_cluster]
    others = [r for r in rows if r["cluster_id"] not in by_cluster]
    shown = (tagged + others)[:limit]
    links = _links_by_cluster(result, {r["cluster_id"] for r in shown})
    return {
        "stored": clustering.load(folder) is not None,
        "clusters": [dict(_cluster_row(r, by_cluster.get(r["cluster_id"], [])),
                          change_links=links.get(r["cluster_id"], [])) for r in shown],
        "change_link_count": result.change_links.num_rows,
        "total": len(rows),
        "coinjoins": result.coinjoins.to_pylist()[:limit],
        "coinjoin_count": result.coinjoins.num_rows,
    }


def _links_by_cluster(result: clustering.Clustering,
                      wanted: set[str]) -> dict[str, list[dict[str, Any]]]:
    """The change links that brought addresses into each wanted cluster, with their reasons."""
    if not result.change_links.num_rows:
        return {}
    cluster_of = dict(zip(result.addresses.column("address").to_pylist(),
                          result.addresses.column("cluster_id").to_pylist(), strict=True))
    out: dict[str, list[dict[str, Any]]] = {}
    for link in result.change_links.to_pylist():
        cid = cluster_of.get(link["change_address"])
        if cid in wanted:
            out.setdefault(cid, []).append({
                "txid": link["txid"], "address": link["change_address"],
                "input": link["input_address"], "heuristics": link["heuristics"].split(","),
                "confidence": link["confidence"], "reason": link["reason"]})
    return out


def _cluster_row(row: dict[str, Any], tags: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cluster_id": row["cluster_id"], "size": row["size"],
        "representative": row["representative"],
        "balance": row["balance"], "balance_text": btc(row["balance"]),
        "received": row["received"], "received_text": btc(row["received"]),
        "sent": row["sent"], "transactions": row["transactions"],
        "first_seen": row["first_seen"].isoformat(timespec="seconds"),
        "last_seen": row["last_seen"].isoformat(timespec="seconds"),
        "tags": tags,
    }


def _tagged_set(session: Session, principal: Principal, settings: Settings,
                set_id: int) -> tuple[TransactionSet, Path, str]:
    """The set, its folder and its chain: a Bitcoin set (with its UTXO files) or an
    Ethereum one."""
    item = sets.get_set(session, principal, set_id)
    folder = sets.set_path(settings, item)
    chain = tagging.chain_of(item.format)
    if chain == "bitcoin":
        open_utxo(folder)  # refused plainly when the set holds no Bitcoin transactions
    return item, folder, chain


def import_tags(session: Session, principal: Principal, settings: Settings, set_id: int,
                packs: Sequence[Path], names: Sequence[str] | None = None) -> dict[str, Any]:
    """Add TagPacks to a Bitcoin or Ethereum set (a write of its owning unit, audited)."""
    item, folder, chain = _tagged_set(session, principal, settings, set_id)
    require_write(principal, item.owner_unit_id)
    shown = list(names or [p.name for p in packs])
    try:
        # every pack checked first
        count = sum(tagging.read_tagpack(p, chain).num_rows for p in packs)
    except InputError as exc:
        for path, name in zip(packs, shown, strict=True):  # the files as the user knows them
            exc = _rename(exc, path.name, name)
        raise exc from None
    # the row is held and the audit entry flushed before the file changes, so a failure
    # there leaves the tags as they were
    sets._hold(session, item, touch=True)
    audit.record(session, principal, "update", item.record_type, item.id, item.handling,
                 detail=f"TagPack import of {', '.join(shown)}: {count} tag(s)")
    session.flush()
    added, notes = tagging.import_tagpacks(folder, list(packs), chain)
    return {"added": added, "notes": notes, "tags": tagging.load_tags(folder, chain).num_rows}


def _rename(exc: InputError, old: str, new: str) -> InputError:
    problems = [Problem(p.location.replace(old, new), p.reason) for p in exc.problems]
    return InputError(problems, summary=rewrite(exc.summary,
                                                lambda text: text.replace(old, new)))


def list_tags(session: Session, principal: Principal, settings: Settings,
              set_id: int) -> list[dict[str, Any]]:
    _item, folder, chain = _tagged_set(session, principal, settings, set_id)
    return [dict(row, text=tagging.describe(row))
            for row in tagging.load_tags(folder, chain).to_pylist()]


def run_trace(session: Session, principal: Principal, settings: Settings, set_id: int,
              start: str, config: taint.TraceConfig,
              engine: str | None = None) -> dict[str, Any]:
    """Trace from an address or transaction; the result as the pages and the API show it.

    ``engine`` is ``embedded`` (the set read into memory) or ``spark`` (the transactions
    the trace reaches read from Spark, hop by hop); both give the same trace. On Spark a
    set without a kept clustering is clustered on Spark too.
    """
    chosen = engine or settings.money_engine
    if chosen not in ("embedded", "spark"):
        raise InputError.single("engine", N_("%(engine)s is unknown; use embedded or spark",
                                             engine=repr(chosen)))
    if chosen == "embedded":
        _item, folder, model, result = _clustering(session, principal, settings, set_id)
        traced = taint.trace(model, start.strip(), config, set_folder=folder,
                             clustering=result)
        return trace_view(traced)
    from tocsin.money.crypto.spark_cluster import cluster_spark
    from tocsin.money.crypto.spark_trace import trace_spark
    from tocsin.money.engines.spark import spark_session

    _item, folder, model = _bitcoin_set(session, principal, settings, set_id)
    spark = spark_session(settings.spark_master)
    kept = clustering.load(folder) or cluster_spark(model, spark=spark)
    return trace_view(trace_spark(model, start.strip(), config, spark=spark, set_folder=folder,
                                  clustering=kept))


def trace_view(result: taint.TraceResult) -> dict[str, Any]:
    """The trace for the pages, the API and the command line. Each step's ``explanation``,
    each end point's ``reason`` and each drawn node's ``ends`` are English text (messages
    the pages translate where they show them), kept with their messages and values
    (``explanation_message``, ``reason_message``, ``ends_message``) for :func:`trace_shown`.
    """
    flows = taint.flows(result)
    for node in [*flows["nodes"], *flows["graph"]["nodes"]]:
        node["ends_message"] = [to_data(text) for text in node["ends"]]
    return {
        "start": result.start,
        "rule": result.config.rule,
        "direction": result.config.direction,
        "traced": result.traced, "traced_text": taint.coins(result.traced),
        "truncated": result.truncated,
        "steps": [{"hop": s.hop, "txid": s.txid, "explanation": s.explanation,
                   "explanation_message": to_data(s.explanation),
                   "entered": [{"from": name, "traced": t} for name, t in s.entered],
                   "moved": [{"to": name, "value": v, "traced": t} for name, v, t in s.moved]}
                  for s in result.steps],
        "flows": flows,
        "ends": [{"address": e.address, "amount": e.amount,
                  "amount_text": taint.coins(e.amount),
                  "reason": e.reason, "reason_message": to_data(e.reason),
                  "cluster_id": e.cluster_id, "tags": e.tags, "hop": e.hop}
                 for e in sorted(result.ends, key=lambda e: -e.amount)],
    }


def trace_shown(view: dict[str, Any]) -> dict[str, Any]:
    """A trace (:func:`trace_view`) with ``explanation_shown``, ``reason_shown``,
    ``ends_shown`` and the links' ``text_shown`` beside the English ``explanation``,
    ``reason``, ``ends`` and ``text``: their text in the current language (``0,15 BTC``),
    what the trace page's scripts show."""

    def shown(text: object, data: object) -> str:
        return str(from_data(data, str.__str__(text) if isinstance(text, str) else ""))

    def node(item: dict[str, Any]) -> dict[str, Any]:
        kept = item.get("ends_message") or []
        return {**item, "ends_shown": [shown(text, kept[i] if i < len(kept) else None)
                                       for i, text in enumerate(item.get("ends", []))]}

    def link(item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "text_shown": str(taint.coins(int(item["value"])))}

    flows = view.get("flows") or {}
    graph = flows.get("graph") or {}
    return {**view,
            "steps": [{**s, "explanation_shown": shown(s["explanation"],
                                                       s.get("explanation_message"))}
                      for s in view.get("steps", [])],
            "ends": [{**e, "reason_shown": shown(e["reason"], e.get("reason_message"))}
                     for e in view.get("ends", [])],
            "flows": {**flows, "nodes": [node(n) for n in flows.get("nodes", [])],
                      "links": [link(k) for k in flows.get("links", [])],
                      "graph": {**graph, "nodes": [node(n) for n in graph.get("nodes", [])],
                                "edges": [link(k) for k in graph.get("edges", [])]}}}


def find_path(session: Session, principal: Principal, settings: Settings, set_id: int,
              source: str, target: str, max_depth: int = 8) -> list[dict[str, Any]] | None:
    _item, _folder, model = _bitcoin_set(session, principal, settings, set_id)
    hops = taint.find_path(model, source.strip(), target.strip(), max_depth=max_depth)
    if hops is None:
        return None
    return [{"from": h.source, "txid": h.txid, "to": h.target, "value": h.value,
             "value_text": btc(h.value)} for h in hops]


def cluster_csv(session: Session, principal: Principal, settings: Settings, set_id: int,
                cluster_id: str) -> str:
    """A cluster's addresses as CSV (export right needed; audited)."""
    require(principal, Action.EXPORT)
    item, folder, _model, result = _clustering(session, principal, settings, set_id)
    members = set(result.members(cluster_id))
    if not members:
        raise NotFound(f"cluster {cluster_id} not found")
    tags = tagging.address_tags(folder)
    per_address = _address_figures(_model, members)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["address", "cluster_id", "received_btc", "balance_btc", "outputs",
                     "first_seen", "last_seen", "tags"])
    for address in sorted(members):
        fig = per_address.get(address, {})
        labels = "; ".join(f"{t['label']} ({t['category']}, {t['source']})"
                           for t in tags.get(address, []))
        writer.writerow([neutralise(address), cluster_id,
                         f"{fig.get('received', 0) / 1e8:.8f}",
                         f"{fig.get('balance', 0) / 1e8:.8f}", fig.get("outputs", 0),
                         fig.get("first_seen", ""), fig.get("last_seen", ""),
                         neutralise(labels)])
    audit.record(session, principal, "export", item.record_type, item.id, item.handling,
                 detail=f"addresses of cluster {cluster_id} to CSV: {len(members)} addresses")
    return out.getvalue()


def _address_figures(model: Utxo, members: set[str]) -> dict[str, dict[str, Any]]:
    outputs = model.read("outputs.parquet", ["txid", "address", "value", "spent_by"]).to_pylist()
    times = {r["txid"]: r["time"] for r in
             model.read("transactions.parquet", ["txid", "time"]).to_pylist()}
    figures: dict[str, dict[str, Any]] = {}
    for row in outputs:
        if row["address"] not in members:
            continue
        fig = figures.setdefault(row["address"], {"received": 0, "balance": 0, "outputs": 0,
                                                  "first_seen": "", "last_seen": ""})
        fig["received"] += row["value"]
        fig["outputs"] += 1
        if row["spent_by"] is None:
            fig["balance"] += row["value"]
        when = times[row["txid"]].isoformat(timespec="seconds")
        fig["first_seen"] = min(fig["first_seen"] or when, when)
        fig["last_seen"] = max(fig["last_seen"], when)
    return figures
