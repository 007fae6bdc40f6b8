"""``tocsin crypto``: cluster, tag and trace a Bitcoin transaction set.

Import blocks with ``tocsin money ingest bitcoin FILES…``; these commands then
work on that set, named by id or exact name and read as ``--as USER`` under the
read rule, through :mod:`tocsin.money.crypto.service` like the web.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer

from tocsin.cli.common import Table, acting_as, console, fail, transaction
from tocsin.errors import InputError, TocsinError
from tocsin.i18n import N_, _, format_number, ngettext
from tocsin.settings import get_settings

# The analytics (DuckDB, Arrow, numba) are imported inside the commands, so that loading
# the group for its help stays light.
RULES = ("haircut", "fifo", "lifo", "tiho", "poison")

app = typer.Typer(name="crypto", help="Bitcoin sets: cluster addresses, import TagPacks, trace "
                  "coins, find paths, export a cluster; TagPacks and exchange links on "
                  "Ethereum sets too.", no_args_is_help=True)

SET = typer.Argument(..., metavar="SET", help="Id or exact name of a Bitcoin transaction set "
                     "(or an Ethereum one, for tags and exchange-links).")
USER = typer.Option(None, "--as", "--user", help="Act as this user (default: the platform).")
JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")
T = TypeVar("T")


def _on_set(set_ref: str, as_user: str | None, call: Callable[..., T]) -> T:
    """``call(session, principal, settings, set_id)`` on the set, as ``as_user``."""
    from tocsin.money import sets

    try:
        with transaction() as session:
            who = acting_as(session, as_user)
            item = sets.find_set(session, who, set_ref)
            return call(session, who, get_settings(), item.id)
    except TocsinError as exc:
        raise fail(exc) from None


@app.command("cluster")
def cluster_cmd(
    set_ref: str = SET,
    min_inputs: int = typer.Option(3, help="CoinJoin: at least this many input addresses…"),
    min_equal: int = typer.Option(3, help="…and this many outputs of one equal value."),
    keep_coinjoins: bool = typer.Option(False, help="Join CoinJoin inputs too (not advised)."),
    change_heuristics: str = typer.Option(
        "", "--change-heuristics", help="Also join change addresses by these heuristics: all, "
        "or some of one_time_change, script_type, round_payment (comma-separated). Guesses: "
        "each link is kept with its heuristics and confidence."),
    round_to: int = typer.Option(100_000, help="round_payment: a round amount is a multiple "
                                 "of this many satoshi."),
    engine: str | None = typer.Option(None, "--engine", help="embedded or spark (default: "
                                      "TOCSIN_MONEY_ENGINE); both give the same clusters."),
    as_user: str | None = USER,
) -> None:
    """Cluster the set's addresses (multi-input heuristic, CoinJoins left out).

    Example: tocsin crypto cluster "Blocks 2010" --change-heuristics all --as analyst
    """
    from tocsin.money.crypto import service
    from tocsin.money.crypto.change import parse_names
    from tocsin.money.crypto.cluster import ClusterConfig

    try:
        names = parse_names(change_heuristics)
    except InputError as exc:
        raise fail(InputError.single("--change-heuristics", exc.problems[0].reason)) from None
    if round_to <= 0:
        raise fail(InputError.single("--round-to", N_("must be a positive number of satoshi")))
    config = ClusterConfig(min_inputs=min_inputs, min_equal_outputs=min_equal,
                           exclude_coinjoins=not keep_coinjoins, change_heuristics=names,
                           round_to=round_to)
    run = _on_set(set_ref, as_user, lambda s, who, cfg, set_id: service.run_clustering(
        s, who, cfg, set_id, config, engine))
    result = run.result
    console.print(ngettext("%(addresses)s addresses in %(clusters)s clusters; %(coinjoins)s "
                           "CoinJoin-like transaction left out; %(kept)s.",
                           "%(addresses)s addresses in %(clusters)s clusters; %(coinjoins)s "
                           "CoinJoin-like transactions left out; %(kept)s.",
                           result.coinjoins.num_rows,
                           addresses=format_number(result.addresses.num_rows),
                           clusters=format_number(result.clusters.num_rows),
                           coinjoins=format_number(result.coinjoins.num_rows),
                           kept=_("stored with the set") if run.stored
                           else _("preview, not stored")),
                  highlight=False)
    if names:
        console.print(ngettext("%(count)s change address joined by %(names)s (heuristics: see "
                               "each cluster's links).",
                               "%(count)s change addresses joined by %(names)s (heuristics: "
                               "see each cluster's links).", result.change_links.num_rows,
                               count=format_number(result.change_links.num_rows),
                               names=", ".join(names)), highlight=False)


@app.command("clusters")
def clusters_cmd(set_ref: str = SET,
                 address: str = typer.Option("", help="Show the cluster of this address."),
                 limit: int = typer.Option(20, help="Clusters to show."),
                 as_json: bool = JSON, as_user: str | None = USER) -> None:
    """The largest clusters, tagged ones first, with balance, first and last seen and tags."""
    from tocsin.money.crypto import service

    view = _on_set(set_ref, as_user, lambda s, who, cfg, set_id: service.clusters_view(
        s, who, cfg, set_id, limit, address))
    if as_json:
        console.print_json(json.dumps(view, default=str))
        return
    table = Table("cluster", "addresses", "balance", "received", "first seen", "last seen",
                  "tags", title=ngettext("%(count)s cluster", "%(count)s clusters",
                                         view["total"], count=format_number(view["total"])))
    for row in view["clusters"]:
        table.add_row(row["cluster_id"], str(row["size"]), row["balance_text"],
                      row["received_text"], row["first_seen"], row["last_seen"],
                      "\n".join(t["text"] for t in row["tags"]))
    console.print(table)
    for row in view["clusters"]:
        for link in row["change_links"]:
            console.print(f"{row['cluster_id']}: {link['reason']}", highlight=False)


@app.command("tags")
def tags_cmd(set_ref: str = SET,
             packs: list[Path] = typer.Argument(None, help="TagPack YAML files to add."),
             as_user: str | None = USER) -> None:
    """Add TagPacks to a Bitcoin or Ethereum set, or list its tags when no file is given.

    Example: tocsin crypto tags 4 exchanges.yaml --as analyst
    """
    from tocsin.money.crypto import service

    if packs:
        done = _on_set(set_ref, as_user, lambda s, who, cfg, set_id: service.import_tags(
            s, who, cfg, set_id, packs))
        console.print(ngettext("%(added)s tag added; the set has %(tags)s.",
                               "%(added)s tags added; the set has %(tags)s.", done["added"],
                               added=done["added"], tags=done["tags"]), highlight=False)
        for note in done["notes"]:
            console.print(f"  {note}", highlight=False)
        return
    for row in _on_set(set_ref, as_user, service.list_tags):
        console.print(row["text"], highlight=False)


@app.command("trace")
def trace_cmd(
    set_ref: str = SET,
    start: str = typer.Argument(..., help="An address or a transaction id."),
    rule: str = typer.Option("haircut", help=f"Taint model: {', '.join(RULES)}."),
    direction: str = typer.Option("forward", help="forward or backward."),
    depth: int = typer.Option(6, help="Transactions to follow at most."),
    degree: int = typer.Option(100, help="Do not cross transactions with more outputs."),
    min_amount: int = typer.Option(1000, help="Drop traced amounts below this (satoshi)."),
    steps: bool = typer.Option(False, "--steps", help="Print every step's explanation."),
    engine: str | None = typer.Option(None, "--engine", help="embedded (the set read into "
                                      "memory) or spark (the transactions the trace reaches "
                                      "read hop by hop; default: TOCSIN_MONEY_ENGINE); both "
                                      "give the same trace."),
    as_json: bool = JSON, as_user: str | None = USER,
) -> None:
    """Trace coins through the UTXOs. Example: tocsin crypto trace 4 1A1zP1… --rule fifo"""
    from tocsin.money.crypto import service
    from tocsin.money.crypto.taint import TraceConfig

    config = TraceConfig(rule=rule, direction=direction, max_depth=depth,  # type: ignore[arg-type]
                         max_degree=degree, min_amount=min_amount)
    if direction not in ("forward", "backward"):
        raise fail(InputError.single("--direction", N_("use forward or backward")))
    view = _on_set(set_ref, as_user, lambda s, who, cfg, set_id: service.run_trace(
        s, who, cfg, set_id, start, config, engine))
    if as_json:
        console.print_json(json.dumps(view, default=str))
        return
    if steps:
        for step in view["steps"]:  # in the command's language
            console.print(str(step["explanation"]), highlight=False)
    table = Table("address", "amount", "why it stops", "cluster", "tags",
                  title=f"{direction} trace ({rule}) of {view['traced_text']!s} from {start}"
                  + (" — truncated" if view["truncated"] else ""))
    for end in view["ends"]:
        table.add_row(end["address"], str(end["amount_text"]), str(end["reason"]),
                      end["cluster_id"] or "",
                      "\n".join(end["tags"]))
    console.print(table)


@app.command("path")
def path_cmd(set_ref: str = SET, source: str = typer.Argument(..., help="From this address."),
             target: str = typer.Argument(..., help="To this address."),
             depth: int = typer.Option(8, help="Transactions at most."),
             as_user: str | None = USER) -> None:
    """The shortest chain of transactions from one address to another."""
    from tocsin.money.crypto import service

    hops = _on_set(set_ref, as_user, lambda s, who, cfg, set_id: service.find_path(
        s, who, cfg, set_id, source, target, depth))
    if hops is None:
        console.print(_("No path from %(source)s to %(target)s within %(depth)s transactions.",
                        source=source, target=target, depth=depth), highlight=False)
        return
    for hop in hops:
        console.print(f"{hop['from']} → {hop['txid']} → {hop['to']} ({hop['value_text']})",
                      highlight=False)


@app.command("export-cluster")
def export_cluster(set_ref: str = SET, cluster_id: str = typer.Argument(...),
                   output: Path = typer.Option(..., help="CSV file to write."),
                   as_user: str | None = USER) -> None:
    """Write a cluster's addresses to CSV (export right; audited)."""
    from tocsin.money.crypto import service

    text = _on_set(set_ref, as_user, lambda s, who, cfg, set_id: service.cluster_csv(
        s, who, cfg, set_id, cluster_id))
    output.write_text(text, encoding="utf-8")
    written = text.count(chr(10)) - 1
    console.print(ngettext("%(count)s address written to %(path)s.",
                           "%(count)s addresses written to %(path)s.", written,
                           count=format_number(written), path=str(output)), highlight=False)


@app.command("exchange-links")
def exchange_links_cmd(
    set_ref: str = SET,
    subject: str = typer.Argument(..., help="An exchange-tagged address, or on a Bitcoin set "
                                            "its cluster id."),
    window_days: float = typer.Option(3.0, help="Fiat transactions this many days around a "
                                                "deposit."),
    as_json: bool = JSON, as_user: str | None = USER,
) -> None:
    """From an exchange tag to the bank accounts of that exchange and their fiat flows.

    Works on Bitcoin and Ethereum sets; searches only the bank sets the user may read.
    Example:
    tocsin crypto exchange-links 4 1B2RGHLsp7n1Dz6paLWQpUW8fw3E4TNcLL --as analyst
    """
    from tocsin.money.crypto.fiat import LinkConfig, exchange_links

    view = _on_set(set_ref, as_user, lambda s, who, cfg, set_id: exchange_links(
        s, who, cfg, set_id, subject, LinkConfig(window_days=window_days)))
    if as_json:
        console.print_json(json.dumps(view, default=str))
        return
    if view.get("note"):
        console.print(str(view["note"]), highlight=False)
    for actor in view["actors"]:
        console.print(_("Tagged: %(actor)s", actor=actor["text"]), highlight=False)
    for deposit in view["deposits"]:
        where = (f"{deposit['txid']}:{deposit['vout']}" if deposit["vout"] is not None
                 else _("%(txid)s, from %(source)s", txid=deposit["txid"],
                        source=deposit["from"]))
        console.print(_("Deposit %(time)s %(value)s to %(address)s (%(where)s)",
                        time=f"{deposit['time']:%Y-%m-%d %H:%M}", value=deposit["value_text"],
                        address=deposit["address"], where=where), highlight=False)
    if view["deposits"] and not view["banks"]:
        console.print(_("No bank set you may read holds an account of this exchange."),
                      highlight=False)
    for bank in view["banks"]:
        accounts = ", ".join(_("%(account)s (%(holder)s, matched on %(key)s)",
                               account=a["account_id"], holder=a["holder"] or a["bank"] or "?",
                               key=a["matched_on"]) for a in bank["accounts"])
        console.print("\n" + _("Set %(id)s %(name)s (%(handling)s): %(accounts)s",
                               id=bank["set_id"], name=bank["set_name"],
                               handling=bank["handling"], accounts=accounts), highlight=False)
        table = Table("time", "id", "from", "to", "amount", "hours from deposit")
        for row in bank["transactions"]:
            table.add_row(f"{row['ts']:%Y-%m-%d %H:%M}", row["txn_id"], row["source"],
                          row["target"], f"{row['amount_orig']:,.2f} {row['currency_orig']}",
                          f"{row['hours_from_deposit']:+}")
        console.print(table)


@app.command("actor-accounts")
def actor_accounts_cmd(
    set_ref: str = typer.Argument(..., metavar="SET", help="Id or exact name of a bank set."),
    actor: str = typer.Argument(..., help="The actor as TagPacks name it (example-exchange)."),
    accounts: list[str] = typer.Argument(None, help="Its account ids in the set; none to "
                                                    "remove the actor."),
    as_user: str | None = USER,
) -> None:
    """Say which accounts of a bank set belong to an exchange (owning unit; audited).

    For an exchange banking under another name, so that exchange-links finds it.
    Example: tocsin crypto actor-accounts 7 example-exchange LT601010012345678901 --as analyst
    """
    from tocsin.money.crypto.fiat import map_actor

    table = _on_set(set_ref, as_user, lambda s, who, cfg, set_id: map_actor(
        s, who, cfg, set_id, actor, list(accounts or [])))
    for name, ids in sorted(table.items()):
        console.print(f"{name}: {', '.join(ids)}", highlight=False)
    if actor.strip() not in table:
        console.print(_("%(actor)s removed.", actor=actor), highlight=False)
