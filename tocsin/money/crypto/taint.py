"""Tracing coins on the UTXO graph: forward and backward, poison, haircut, FIFO, LIFO or TIHO.

A trace starts from the outputs an address received (or the outputs of a
transaction, or the outputs it spent when going backward) and follows coins
transaction by transaction. At each transaction a **taint model** says how much
of every output (forward) or input (backward) carries the traced coins:

* ``poison``: any traced coin in the inputs taints every output in full (the
  widest, an upper bound);
* ``haircut``: the traced share of the inputs is spread over the outputs in
  proportion to their values (``taint * output / inputs``);
* ``fifo``: the inputs are laid end to end in their order and so are the
  outputs (first in, first out, after Clayton's case); an output carries the
  traced satoshis its stretch overlaps. Within a coin that is partly traced,
  the traced satoshis are taken to come first.

Going backward the same models answer *where the traced coins came from*:
poison follows every input in full, haircut shares an output's value over the
inputs by value, FIFO maps the output's stretch back onto the inputs.

Each transaction is one **step** with its explanation. A trace stops at
outputs not spent within the set, at addresses tagged with a service category
(an exchange, a mixer, a market: a cash-out point), after ``max_depth``
transactions, at transactions with more than ``max_degree`` outputs (or
inputs, backward), below ``min_amount`` satoshi and after ``max_steps`` steps;
every stop is listed with its reason.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow.parquet as pq

from tocsin.errors import InputError
from tocsin.i18n import N_, Joined, Message, N_plural, Number
from tocsin.money.crypto import tags as tagging
from tocsin.money.crypto.cluster import Clustering
from tocsin.money.crypto.utxo import Utxo, btc

Rule = Literal["poison", "haircut", "fifo", "lifo", "tiho"]
RULES = ("poison", "haircut", "fifo", "lifo", "tiho")
Direction = Literal["forward", "backward"]
Outpoint = tuple[str, int]


@dataclass(frozen=True)
class TraceConfig:
    rule: Rule = "haircut"
    direction: Direction = "forward"
    max_depth: int = 6
    max_degree: int = 100
    min_amount: int = 1_000  # satoshi
    max_steps: int = 2_000
    stop_at_services: bool = True


@dataclass
class Step:
    """One transaction the traced coins pass through, explained."""

    hop: int
    txid: str
    traced_in: int  # satoshi of traced coins entering (forward) / asked for (backward)
    total_in: int
    moved: list[tuple[str, int, int]]  # (address or outpoint, value, traced satoshi)
    explanation: str
    #: The traced outputs the step starts from, (address, traced satoshi): forward the
    #: inputs carrying traced coins in, backward the outputs asked about.
    entered: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class EndPoint:
    """Where traced coins stop: an address (with its cluster and tags) and why."""

    address: str
    amount: int
    reason: str
    cluster_id: str | None = None
    tags: list[str] = field(default_factory=list)
    hop: int = 0


@dataclass
class TraceResult:
    config: TraceConfig
    start: str
    traced: int
    steps: list[Step]
    ends: list[EndPoint]
    truncated: bool

    def summary(self) -> list[tuple[str, int, str]]:
        """End points summed per address and reason, largest first."""
        sums: dict[tuple[str, str], int] = {}
        for end in self.ends:
            sums[(end.address, end.reason)] = sums.get((end.address, end.reason), 0) \
                + end.amount
        return sorted(((a, v, r) for (a, r), v in sums.items()), key=lambda x: -x[1])


class Graph:
    """The set's UTXO files in dictionaries: outputs by outpoint and by transaction,
    inputs by transaction. Built once per trace or path search."""

    def __init__(self, model: Utxo) -> None:
        outputs = pq.read_table(model.outputs, columns=["txid", "vout", "value", "address",
                                                         "script_type", "spent_by"]).to_pydict()
        self.outputs: dict[Outpoint, tuple[int, str, str | None]] = {}
        self.tx_outputs: dict[str, list[Outpoint]] = {}
        self.by_address: dict[str, list[Outpoint]] = {}
        for txid, vout, value, address, kind, spent_by in zip(
                outputs["txid"], outputs["vout"], outputs["value"], outputs["address"],
                outputs["script_type"], outputs["spent_by"], strict=True):
            name = address or f"{kind}:{txid}:{vout}"
            self.outputs[(txid, vout)] = (value, name, spent_by)
            self.tx_outputs.setdefault(txid, []).append((txid, vout))
            self.by_address.setdefault(name, []).append((txid, vout))
        inputs = pq.read_table(model.inputs, columns=["txid", "vin", "prev_txid", "prev_vout",
                                                       "value", "coinbase"]).to_pydict()
        self.tx_inputs: dict[str, list[tuple[Outpoint | None, int | None]]] = {}
        for txid, _vin, prev, prev_vout, value, coinbase in zip(
                inputs["txid"], inputs["vin"], inputs["prev_txid"], inputs["prev_vout"],
                inputs["value"], inputs["coinbase"], strict=True):
            point = None if coinbase or prev is None else (prev, int(prev_vout))
            self.tx_inputs.setdefault(txid, []).append((point, value))
        for items in self.tx_outputs.values():
            items.sort(key=lambda p: p[1])
        # an address's outputs in outpoint order, whatever order the files hold them in, so
        # that every engine seeds a trace alike
        for points in self.by_address.values():
            points.sort()

    def prepare(self, txids: list[str], with_sources: bool) -> None:
        """Make sure the transactions ``txids`` (and, ``with_sources``, the transactions
        their inputs spend) are at hand; everything already is here. A graph read piece by
        piece (:class:`tocsin.money.crypto.spark_trace.SparkGraph`) reads them now."""

    def ready(self, txid: str, with_sources: bool) -> bool:
        """Whether :meth:`prepare` has nothing to do for ``txid``."""
        return True

    def prepare_start(self, start: str) -> None:
        """Make sure what a trace from ``start`` begins with is at hand."""


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def spread(rule: Rule, sources: list[tuple[int, int]], targets: list[int], *,
           backward: bool = False) -> list[int]:
    """Traced satoshi of each target, given (value, traced) of each source, by the rule.

    Forward, sources are a transaction's inputs and targets its outputs;
    backward (``backward=True``), the outputs are the sources and the inputs
    the targets, so LIFO lays the targets from the last instead of the sources.
    """
    total = sum(v for v, _ in sources)
    traced = sum(t for _, t in sources)
    if traced <= 0:
        return [0 for _ in targets]
    if rule == "poison":
        return list(targets)
    if rule == "haircut":
        return [value * traced // total if total else 0 for value in targets]
    if rule == "tiho":
        return _highest_first(traced, targets)
    if rule == "lifo":
        # the last input is spent first: the inputs laid end to end from the last
        if backward:
            return _stretches(sources, targets[::-1])[::-1]
        return _stretches(sources[::-1], targets)
    return _stretches(sources, targets)


def _highest_first(traced: int, targets: list[int]) -> list[int]:
    """``traced`` satoshi poured into the targets from the highest value down (ties in order)."""
    result = [0 for _ in targets]
    left = traced
    for index in sorted(range(len(targets)), key=lambda k: (-targets[k], k)):
        if left <= 0:
            break
        result[index] = min(targets[index], left)
        left -= result[index]
    return result


def _stretches(sources: list[tuple[int, int]], targets: list[int]) -> list[int]:
    """FIFO overlap: traced satoshis sit at the front of each source's stretch."""
    stretches = []
    position = 0
    for value, taint in sources:
        stretches.append((position, position + taint))
        position += value
    result = []
    position = 0
    for value in targets:
        result.append(sum(_overlap(position, position + value, a, b) for a, b in stretches))
        position += value
    return result


def coins(satoshi: int) -> Message:
    """Satoshi as a bitcoin amount inside a message, written as :func:`btc` writes it
    (``0.5 BTC`` keeps two decimals: ``0.50 BTC``) in the reader's language (``0,50 BTC``)."""
    text = btc(satoshi)
    digits = len(text.split(" ")[0].split(".")[1])
    return N_("%(amount)s BTC", amount=Number(satoshi / 100_000_000, digits, group=False))


def trace(model: Utxo, start: str, config: TraceConfig | None = None, *,
          set_folder: Path | None = None, clustering: Clustering | None = None,
          graph: Graph | None = None) -> TraceResult:
    """Trace from an address or a transaction id (``start``) through the set's UTXOs."""
    config = config or TraceConfig()
    if config.rule not in RULES:
        raise InputError.single("rule", N_("unknown taint model %(rule)s; use one of "
                                           "%(rules)s", rule=repr(config.rule),
                                           rules=", ".join(RULES)))
    graph = graph or Graph(model)
    graph.prepare_start(start)
    services = _services(set_folder, clustering)
    labels = _labels(set_folder, clustering)
    cluster_of = _cluster_lookup(clustering)
    forward = config.direction == "forward"
    # frontier items: (outpoint, traced satoshi, hop)
    frontier: deque[tuple[Outpoint, int, int]] = deque()
    if start in graph.tx_outputs and forward:
        seeds = [(p, graph.outputs[p][0]) for p in graph.tx_outputs[start]]
    elif start in graph.tx_inputs and not forward:
        seeds = [(p, v) for p, v in graph.tx_inputs[start] if p is not None and v is not None]
    elif start in graph.by_address:
        seeds = [(p, graph.outputs[p][0]) for p in graph.by_address[start]]
    else:
        raise InputError.single("start", N_("%(start)s is neither an address nor a "
                                            "transaction of this set", start=repr(start)))
    if not forward:  # a backward step first asks whether the seed's transaction is in the set
        graph.prepare(list(dict.fromkeys(p[0] for p, _ in seeds)), with_sources=False)
    for point, value in seeds:
        frontier.append((point, value, 0))
    traced = sum(v for _, v in seeds)
    steps: list[Step] = []
    ends: list[EndPoint] = []
    truncated = False
    pending: dict[tuple[str, int], dict[Outpoint, int]] = {}

    def end(point: Outpoint, amount: int, reason: Message, hop: int) -> None:
        name = graph.outputs[point][1] if point in graph.outputs else f"{point[0]}:{point[1]}"
        ends.append(EndPoint(address=name, amount=amount, reason=reason,
                             cluster_id=cluster_of(name), tags=labels.get(name, []), hop=hop))

    while frontier or pending:
        if not frontier:
            head = next(iter(pending))[0]
            if not graph.ready(head, with_sources=not forward):
                # the whole waiting batch at once: about one read per hop on a lazy graph
                graph.prepare(list(dict.fromkeys(t for t, _ in pending)),
                              with_sources=not forward)
            (txid, hop), amounts = next(iter(pending.items()))
            del pending[(txid, hop)]
            if len(steps) >= config.max_steps:
                truncated = True
                for point, amount in amounts.items():
                    end(point, amount, N_("step budget reached"), hop)
                continue
            step = _step(graph, txid, hop, amounts, config, forward)
            step.step.entered = [(graph.outputs[p][1] if p in graph.outputs else f"{p[0]}:{p[1]}",
                                  a) for p, a in amounts.items()]
            steps.append(step.step)
            for point, amount in step.next:
                frontier.append((point, amount, hop))  # outputs of the hop-th transaction
            for point, amount, reason in step.stops:
                end(point, amount, reason, hop)
            continue
        point, amount, hop = frontier.popleft()
        if amount < config.min_amount:
            continue
        name = graph.outputs[point][1] if point in graph.outputs else None
        if hop > 0 and name is not None and config.stop_at_services and name in services:
            end(point, amount, N_("reached a service: %(service)s", service=services[name]), hop)
            continue
        if forward:
            spent_by = graph.outputs[point][2] if point in graph.outputs else None
            if spent_by is None:
                end(point, amount, N_("not spent within the set"), hop)
                continue
            nxt = spent_by
        else:
            nxt = point[0]
            if nxt not in graph.tx_inputs:
                end(point, amount, N_("created outside the set"), hop)
                continue
        if hop >= config.max_depth:
            end(point, amount, N_("depth limit of %(count)s transactions",
                                  count=config.max_depth), hop)
            continue
        bucket = pending.setdefault((nxt, hop + 1), {})
        bucket[point] = bucket.get(point, 0) + amount
    return TraceResult(config=config, start=start, traced=traced, steps=steps, ends=ends,
                       truncated=truncated)


@dataclass
class _StepResult:
    step: Step
    next: list[tuple[Outpoint, int]]
    stops: list[tuple[Outpoint, int, Message]]


def _step(graph: Graph, txid: str, hop: int, amounts: dict[Outpoint, int], config: TraceConfig,
          forward: bool) -> _StepResult:
    inputs = graph.tx_inputs.get(txid, [])
    outputs = graph.tx_outputs.get(txid, [])
    total_in = sum(v or 0 for _, v in inputs)
    total_out = sum(graph.outputs[p][0] for p in outputs)
    short = txid[:12] + "…"
    if forward:
        degree = len(outputs)
        # an input spending an output outside the set has no known value: the outputs' value
        # not covered by the known inputs is shared among such inputs
        known_in = sum(v for _, v in inputs if v is not None)
        unknown = [p for p, v in inputs if v is None]
        filler = max(0, total_out - known_in) // len(unknown) if unknown else 0
        sources = [(v if v is not None else filler, amounts.get(p, 0) if p is not None else 0)
                   for p, v in inputs]
        total_in = sum(v for v, _ in sources)
        traced_in = sum(t for _, t in sources)
        if degree > config.max_degree:
            wide = [(p, a, N_("transaction %(txid)s has %(count)s outputs, over the degree "
                              "limit of %(limit)s", txid=short, count=degree,
                              limit=config.max_degree)) for p, a in amounts.items()]
            return _StepResult(Step(hop, txid, traced_in, total_in, [],
                                    N_("hop %(hop)s: %(txid)s not followed: %(count)s outputs",
                                       hop=hop, txid=short, count=degree)),
                               [], wide)
        values = [graph.outputs[p][0] for p in outputs]
        shares = spread(config.rule, sources, values)
        moved = [(graph.outputs[p][1], v, s) for p, v, s in zip(outputs, values, shares,
                                                                  strict=True)]
        nxt = [(p, s) for p, s in zip(outputs, shares, strict=True) if s > 0]
        explanation = _explain(config.rule, hop, short, traced_in, total_in, total_out, moved,
                               forward=True)
        return _StepResult(Step(hop, txid, traced_in, total_in, moved, explanation), nxt, [])
    # backward: the outputs asked about are the sources; the inputs are the targets
    degree = len(inputs)
    if degree > config.max_degree:
        wide = [(p, a, N_("transaction %(txid)s has %(count)s inputs, over the degree limit "
                          "of %(limit)s", txid=short, count=degree, limit=config.max_degree))
                for p, a in amounts.items()]
        return _StepResult(Step(hop, txid, sum(amounts.values()), total_in, [],
                                N_("hop %(hop)s: %(txid)s not followed: %(count)s inputs",
                                   hop=hop, txid=short, count=degree)), [], wide)
    sources = [(graph.outputs[p][0], amounts.get(p, 0)) for p in outputs]
    if any(p is None for p, _ in inputs):
        moved = [("coinbase", total_out, sum(amounts.values()))]
        explanation = N_("hop %(hop)s: %(txid)s is a coinbase: %(amount)s traced back to "
                         "newly mined coins", hop=hop, txid=short,
                         amount=coins(sum(amounts.values())))
        mined = [(p, a, N_("newly mined coins (coinbase)")) for p, a in amounts.items()]
        return _StepResult(Step(hop, txid, sum(amounts.values()), total_in, moved, explanation),
                           [], mined)
    known = [(p, v) for p, v in inputs if p is not None and v is not None]
    targets = [v for _, v in known]
    shares = spread(config.rule, sources, targets, backward=True)
    if config.rule == "haircut":
        # the traced coins came from the inputs in proportion to their values (fee included)
        funded = max(sum(targets), total_out)
        shares = [v * sum(amounts.values()) // funded if funded else 0 for v in targets]
    moved = [(graph.outputs[p][1] if p in graph.outputs else f"{p[0]}:{p[1]}", v, s)
             for (p, v), s in zip(known, shares, strict=True)]
    nxt = [(p, s) for (p, _), s in zip(known, shares, strict=True) if s > 0]
    explanation = _explain(config.rule, hop, short, sum(amounts.values()), total_in, total_out,
                           moved, forward=False)
    outside = len(inputs) - len(known)
    stops: list[tuple[Outpoint, int, Message]] = []
    asked = sum(amounts.values())
    leftover = asked - sum(shares) if config.rule != "poison" else 0
    if outside:
        explanation = N_plural(
            "%(explanation)s; %(count)s input spends outputs outside the set and is not "
            "followed",
            "%(explanation)s; %(count)s inputs spend outputs outside the set and are not "
            "followed", outside, explanation=explanation, count=outside)
        if leftover > 0 or not known:
            rest = leftover if known else asked
            stops = [(p, a * rest // asked, N_("comes from outputs outside the set"))
                     for p, a in amounts.items() if asked]
    return _StepResult(Step(hop, txid, asked, total_in, moved, explanation), nxt, stops)


def _explain(rule: Rule, hop: int, short: str, traced: int, total_in: int, total_out: int,
             moved: list[tuple[str, int, int]], forward: bool) -> Message:
    parts: Message = Joined([
        N_("%(traced)s of %(value)s to %(address)s", traced=coins(s), value=coins(v),
           address=name) if forward else
        N_("%(traced)s of %(value)s from %(address)s", traced=coins(s), value=coins(v),
           address=name)
        for name, v, s in moved if s > 0], ", ")
    if not parts:
        parts = N_("nothing")
    if forward:
        how = {"poison": N_("poison: any traced coin taints every output in full"),
               "haircut": N_("haircut: each output carries the traced share %(share)s%% of its "
                             "value", share=Number(traced / total_in * 100 if total_in else 0,
                                                   1, group=False)),
               "fifo": N_("FIFO: inputs and outputs laid end to end in order; each output "
                          "carries the traced satoshis its stretch overlaps"),
               "lifo": N_("LIFO: the inputs laid end to end from the last, the outputs in "
                          "order; each output carries the traced satoshis its stretch overlaps"),
               "tiho": N_("TIHO: the traced satoshis fill the highest-valued outputs first")}[rule]
        return N_("hop %(hop)s: %(txid)s spends %(traced)s traced of %(total_in)s in, pays "
                  "%(total_out)s out; %(how)s: %(parts)s", hop=hop, txid=short,
                  traced=coins(traced), total_in=coins(total_in), total_out=coins(total_out),
                  how=how, parts=parts)
    how = {"poison": N_("poison: every input is taken as a source in full"),
           "haircut": N_("haircut: the traced amount comes from the inputs in proportion to "
                         "their values"),
           "fifo": N_("FIFO: the traced outputs' stretches mapped back onto the inputs laid end "
                      "to end"),
           "lifo": N_("LIFO: the traced outputs' stretches mapped back onto the inputs laid end "
                      "to end from the last"),
           "tiho": N_("TIHO: the traced amount drawn from the highest-valued inputs first")}[rule]
    return N_("hop %(hop)s: %(txid)s pays %(traced)s of the traced coins out of %(total_in)s "
              "in; %(how)s: %(parts)s", hop=hop, txid=short, traced=coins(traced),
              total_in=coins(total_in), how=how, parts=parts)


def _services(set_folder: Path | None, clustering: Clustering | None) -> dict[str, str]:
    """Addresses that are a service (by their own tag or their cluster's), with the words."""
    if set_folder is None:
        return {}
    words = tagging.vocabulary()
    found: dict[str, str] = {}
    for address, rows in tagging.address_tags(set_folder).items():
        for row in rows:
            if row["category"] in words.services:
                found[address] = N_("%(label)s (%(category)s)", label=row["label"],
                                    category=words.categories[row["category"]].label)
    if clustering is not None and found:
        for row in tagging.cluster_tags(set_folder, clustering).to_pylist():
            if row["category"] in words.services:
                text = N_("%(label)s (%(category)s, by the cluster of %(address)s)",
                          label=row["label"], category=words.categories[row["category"]].label,
                          address=row["address"])
                for member in clustering.members(row["cluster_id"]):
                    found.setdefault(member, text)
    return found


def _labels(set_folder: Path | None, clustering: Clustering | None) -> dict[str, list[str]]:
    if set_folder is None:
        return {}
    out: dict[str, list[str]] = {}
    for address, rows in tagging.address_tags(set_folder).items():
        out[address] = [tagging.describe(r) for r in rows]
    return out


def _cluster_lookup(clustering: Clustering | None) -> Callable[[str], str | None]:
    if clustering is None:
        return lambda _address: None
    mapping: dict[str, str] = dict(zip(clustering.addresses.column("address").to_pylist(),
                                       clustering.addresses.column("cluster_id").to_pylist(),
                                       strict=True))
    return mapping.get


# --------------------------------------------------------------------------- views


def flows(result: TraceResult) -> dict[str, Any]:
    """The trace as a Sankey (``nodes``, ``links``) and as a graph (``graph``) for the page.

    In the Sankey an address is one node per hop (``address · hop``), so coins that come back
    to an address do not make a cycle; links run in the direction the coins moved (backward,
    from the inputs found to the outputs asked about). In the graph an address is one node
    however often it is met; a transaction is a node per hop the trace crosses it at (each is
    a step with its own traced amounts).
    """
    forward = result.config.direction == "forward"
    nodes: dict[str, dict[str, Any]] = {}
    links: dict[tuple[str, str], int] = {}

    def address(name: str, hop: int) -> str:
        key = f"{name} · {hop}"
        nodes.setdefault(key, {"name": key, "label": name, "kind": "address", "hop": hop,
                               "start": hop == 0, "ends": [], "tags": []})
        return key

    def transaction(txid: str, hop: int) -> str:
        key = f"tx {txid} · {hop}"
        nodes.setdefault(key, {"name": key, "label": txid, "kind": "transaction", "hop": hop,
                               "start": False, "ends": [], "tags": []})
        return key

    def link(source: str, target: str, value: int) -> None:
        if value > 0:
            links[(source, target)] = links.get((source, target), 0) + value

    for step in result.steps:
        tx = transaction(step.txid, step.hop)
        for name, amount in step.entered:
            near = address(name, step.hop - 1)
            if forward:
                link(near, tx, amount)
            else:
                link(tx, near, amount)
        for name, _value, traced in step.moved:
            if traced > 0:
                far = address(name, step.hop)
                if forward:
                    link(tx, far, traced)
                else:
                    link(far, tx, traced)
    for end in result.ends:
        key = next((k for k in (f"{end.address} · {end.hop}", f"{end.address} · {end.hop - 1}")
                    if k in nodes), None)
        if key is not None:
            nodes[key]["ends"].append(N_("%(amount)s: %(reason)s", amount=coins(end.amount),
                                         reason=end.reason))
            nodes[key]["tags"] = list(dict.fromkeys(nodes[key]["tags"] + end.tags))
    sankey_links = [{"source": a, "target": b, "value": v, "text": btc(v)}
                    for (a, b), v in links.items()]
    # the graph: addresses merged over hops, transactions kept apart
    merged: dict[str, dict[str, Any]] = {}
    for node in nodes.values():
        key = node["label"] if node["kind"] == "address" else node["name"]
        item = merged.setdefault(key, {"id": key, "label": node["label"], "kind": node["kind"],
                                       "start": False, "ends": [], "tags": [], "hops": []})
        item["start"] = item["start"] or node["start"]
        item["ends"] += node["ends"]
        item["tags"] = list(dict.fromkeys(item["tags"] + node["tags"]))
        item["hops"].append(node["hop"])

    def graph_id(key: str) -> str:
        return nodes[key]["label"] if nodes[key]["kind"] == "address" else key

    edges: dict[tuple[str, str], int] = {}
    for (a, b), v in links.items():
        pair = (graph_id(a), graph_id(b))
        edges[pair] = edges.get(pair, 0) + v
    return {
        "nodes": list(nodes.values()), "links": sankey_links,
        "graph": {"nodes": list(merged.values()),
                  "edges": [{"id": f"e{n}", "source": a, "target": b, "value": v,
                             "text": btc(v)} for n, ((a, b), v) in enumerate(edges.items())]},
    }


# --------------------------------------------------------------------------- paths


@dataclass
class PathHop:
    source: str
    txid: str
    target: str
    value: int  # of the output paid to ``target``


def find_path(model: Utxo, source: str, target: str, max_depth: int = 8,
              max_degree: int = 200, graph: Graph | None = None) -> list[PathHop] | None:
    """The shortest chain of transactions by which coins of ``source`` reached ``target``.

    Breadth-first over addresses: from an address, every transaction spending
    one of its outputs leads to the addresses it pays (transactions with more
    than ``max_degree`` outputs are not crossed). ``None`` when there is none
    within ``max_depth`` transactions.
    """
    graph = graph or Graph(model)
    for name in (source, target):
        if name not in graph.by_address:
            raise InputError.single("address", f"{name!r} is not an address of this set")
    previous: dict[str, PathHop | None] = {source: None}
    queue: deque[tuple[str, int]] = deque([(source, 0)])
    while queue:
        address, depth = queue.popleft()
        if address == target:
            hops: list[PathHop] = []
            hop = previous[address]
            while hop is not None:
                hops.append(hop)
                hop = previous[hop.source]
            return hops[::-1]
        if depth >= max_depth:
            continue
        spenders = sorted({spent for p in graph.by_address[address]
                           if (spent := graph.outputs[p][2]) is not None})
        for txid in spenders:
            outs = graph.tx_outputs.get(txid, [])
            if len(outs) > max_degree:
                continue
            for point in outs:
                value, name, _ = graph.outputs[point]
                if name not in previous:
                    previous[name] = PathHop(address, txid, name, value)
                    queue.append((name, depth + 1))
    return None
