"""Export a transaction set, or a selection of it (e.g. a finding), for other tools.

* ``csv``: the transactions (a ``.csv`` path) or all three tables (a folder),
  with formula injection neutralised: a text cell beginning with ``= + - @``
  (or a tab or carriage return) is prefixed with a quote.
* ``ftm``: FollowTheMoney entities as JSON lines: parties (Person, Company,
  LegalEntity…), one BankAccount per account with an Ownership linking its
  holder, and one Payment per transaction. Accounts without a known holder get a
  stand-in LegalEntity so every Payment has its required payer and beneficiary;
  an end point that is only a party (``party:…``) is that party, without an
  account.
* ``gexf`` (GEXF 1.3) and ``graphml``: accounts as nodes (kind, label, bank,
  country), transactions aggregated per directed pair into one edge with the
  total amount in base currency and the count. Written with a streaming XML
  writer.

A :class:`Selection` narrows the export: the transactions named, plus those
between two selected accounts; the accounts selected plus every end point of
an exported transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from followthemoney import model
from followthemoney.proxy import EntityProxy
from lxml import etree

from tocsin.errors import InputError
from tocsin.money.dataset import TRANSACTIONS_FILE, StoredSet, open_set
from tocsin.money.ingest.entities import account_entity_id, holder_entity_id
from tocsin.types.cells import neutralise_table

EXPORT_FORMATS = ("csv", "ftm", "gexf", "graphml")
GEXF_NS = "http://gexf.net/1.3"
GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"


@dataclass
class Selection:
    """Which part of a set to export; ``None`` on both means everything."""

    accounts: set[str] | None = None
    transactions: set[str] | None = None

    @property
    def everything(self) -> bool:
        return self.accounts is None and self.transactions is None


@dataclass
class ExportReport:
    format: str
    path: Path
    transactions: int = 0
    accounts: int = 0
    entities: int = 0
    edges: int = 0
    files: list[Path] = field(default_factory=list)


def export_set(stored: StoredSet | Path, fmt: str, output: Path,
               selection: Selection | None = None) -> ExportReport:
    """Write ``stored`` (a set or its folder) in ``fmt`` to ``output``."""
    stored = stored if isinstance(stored, StoredSet) else open_set(Path(stored))
    selection = selection or Selection()
    name = fmt.strip().lower()
    output = Path(output)
    if name == "csv":
        return export_csv(stored, output, selection)
    if name == "ftm":
        return export_ftm(stored, output, selection)
    if name == "gexf":
        return export_graph(stored, output, selection, "gexf")
    if name == "graphml":
        return export_graph(stored, output, selection, "graphml")
    raise InputError.single("format", f"unknown export format {fmt!r}; use one of "
                                      f"{', '.join(EXPORT_FORMATS)}")


# -- selection ----------------------------------------------------------------------------


def _transaction_batches(stored: StoredSet, selection: Selection,
                         columns: list[str] | None = None) -> Iterator[pa.Table]:
    """The selected transactions, one Parquet batch at a time."""
    accounts = pa.array(sorted(selection.accounts), pa.string()) \
        if selection.accounts is not None else None
    txn_ids = pa.array(sorted(selection.transactions), pa.string()) \
        if selection.transactions is not None else None
    needed = None if columns is None else sorted({*columns, "txn_id", "source", "target"})
    for batch in pq.ParquetFile(stored.file(TRANSACTIONS_FILE)).iter_batches(
            batch_size=65_536, columns=needed):
        table = pa.Table.from_batches([batch])
        if not selection.everything:
            keep = pa.repeat(pa.scalar(False), table.num_rows)
            if txn_ids is not None:
                keep = pc.or_(keep, pc.is_in(table.column("txn_id"), value_set=txn_ids))
            if accounts is not None:
                both = pc.and_(pc.is_in(table.column("source"), value_set=accounts),
                               pc.is_in(table.column("target"), value_set=accounts))
                keep = pc.or_(keep, both)
            table = table.filter(keep)
        if table.num_rows:
            yield table.select(columns) if columns is not None else table


def _selected_accounts(stored: StoredSet, selection: Selection,
                       endpoints: Iterable[str]) -> pa.Table:
    accounts = stored.accounts()
    if selection.everything:
        return accounts
    wanted = set(selection.accounts or ()) | set(endpoints)
    return accounts.filter(pc.is_in(accounts.column("account_id"),
                                    value_set=pa.array(sorted(wanted), pa.string())))


def _endpoints(stored: StoredSet, selection: Selection) -> set[str]:
    found: set[str] = set()
    if selection.everything:
        return found
    for table in _transaction_batches(stored, selection, ["source", "target"]):
        found.update(pc.unique(table.column("source")).to_pylist())
        found.update(pc.unique(table.column("target")).to_pylist())
    return found


# -- CSV ----------------------------------------------------------------------------------


def _csv_ready(table: pa.Table) -> pa.Table:
    # ISO timestamps read better in a spreadsheet than Arrow's default rendering
    columns = []
    for col in table.columns:
        if pa.types.is_timestamp(col.type):
            seconds = pc.cast(col, pa.timestamp("s", tz="UTC"), safe=False)
            col = pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%SZ")
        columns.append(col)
    return neutralise_table(pa.Table.from_arrays(columns, names=table.column_names))


def _write_csv(tables: Iterable[pa.Table], path: Path, schema: pa.Schema) -> int:
    rows = 0
    writer: pacsv.CSVWriter | None = None
    try:
        for table in tables:
            ready = _csv_ready(table)
            if writer is None:
                writer = pacsv.CSVWriter(path, ready.schema)
            writer.write_table(ready)
            rows += table.num_rows
        if writer is None:  # nothing selected: still write the header
            writer = pacsv.CSVWriter(path, _csv_ready(schema.empty_table()).schema)
    finally:
        if writer is not None:
            writer.close()
    return rows


def export_csv(stored: StoredSet, output: Path, selection: Selection) -> ExportReport:
    txn_schema = pq.read_schema(stored.file(TRANSACTIONS_FILE))
    if output.suffix.lower() == ".csv":
        output.parent.mkdir(parents=True, exist_ok=True)
        count = _write_csv(_transaction_batches(stored, selection), output, txn_schema)
        return ExportReport("csv", output, transactions=count, files=[output])
    output.mkdir(parents=True, exist_ok=True)
    report = ExportReport("csv", output)
    report.transactions = _write_csv(_transaction_batches(stored, selection),
                                     output / "transactions.csv", txn_schema)
    accounts = _selected_accounts(stored, selection, _endpoints(stored, selection))
    report.accounts = _write_csv([accounts], output / "accounts.csv", accounts.schema)
    parties = stored.parties()
    if not selection.everything:
        ids = pc.drop_null(accounts.column("party_id"))
        parties = parties.filter(pc.is_in(parties.column("party_id"), value_set=ids))
    report.entities = _write_csv([parties], output / "parties.csv", parties.schema)
    report.files = [output / n for n in ("transactions.csv", "accounts.csv", "parties.csv")]
    return report


# -- FollowTheMoney -------------------------------------------------------------------------


def _write_entity(handle: TextIO, proxy: EntityProxy, report: ExportReport) -> None:
    handle.write(json.dumps(proxy.to_dict(), ensure_ascii=False, sort_keys=True))
    handle.write("\n")
    report.entities += 1


def _stored_entity(row: dict[str, Any]) -> EntityProxy:
    properties = json.loads(row["properties"]) if row.get("properties") else {}
    proxy = model.get_proxy({"id": row["party_id"], "schema": row["schema"],
                             "properties": properties}, cleaned=False)
    if row.get("name") and not proxy.has("name") and proxy.schema.get("name"):
        proxy.add("name", row["name"])
    return proxy


def export_ftm(stored: StoredSet, output: Path, selection: Selection) -> ExportReport:
    output.parent.mkdir(parents=True, exist_ok=True)
    accounts = _selected_accounts(stored, selection, _endpoints(stored, selection))
    parties = {row["party_id"]: row for row in stored.parties().to_pylist()}
    report = ExportReport("ftm", output, files=[output])
    base = stored.meta.base_currency
    holders: dict[str, str] = {}
    written: set[str] = set()
    with output.open("w", encoding="utf-8") as handle:
        for acct in accounts.to_pylist():
            account_id = acct["account_id"]
            party_id = acct.get("party_id")
            if account_id.startswith("party:") and party_id in parties:
                # an end point that is a person or company without a known account
                if party_id not in written:
                    _write_entity(handle, _stored_entity(parties[party_id]), report)
                    written.add(party_id)
                holders[account_id] = party_id
                report.accounts += 1
                continue
            entity_id = account_entity_id(account_id)
            stored_account = parties.get(entity_id)
            if stored_account is not None and stored_account["schema"] == "BankAccount":
                bank_account = _stored_entity(stored_account)
            else:
                bank_account = model.make_entity("BankAccount")
                bank_account.id = entity_id
                bank_account.add("accountNumber", account_id)
                bank_account.add("bankName", acct.get("bank"), quiet=True)
                bank_account.add("country", acct.get("country"), quiet=True)
            _write_entity(handle, bank_account, report)
            report.accounts += 1
            if party_id and party_id in parties:
                if party_id not in written:
                    _write_entity(handle, _stored_entity(parties[party_id]), report)
                    written.add(party_id)
                holders[account_id] = party_id
            else:
                holder = model.make_entity("LegalEntity")
                holder.id = holder_entity_id(account_id)
                holder.add("name", f"Holder of account {account_id}")
                holder.add("description", "Stand-in: the source does not identify the holder")
                _write_entity(handle, holder, report)
                holders[account_id] = str(holder.id)
            ownership = model.make_entity("Ownership")
            ownership.make_id("tocsin-ownership", holders[account_id], entity_id)
            ownership.add("owner", holders[account_id])
            ownership.add("asset", entity_id)
            _write_entity(handle, ownership, report)
        for table in _transaction_batches(stored, selection):
            for row in table.to_pylist():
                _write_entity(handle, _payment(row, holders, base), report)
                report.transactions += 1
    return report


def _amount(value: float) -> str:
    """An amount as FtM text: two decimals, or every digit when it has more (crypto-assets);
    FtM itself would round a number to two decimals and an import would read back less."""
    text = f"{value:.2f}"
    if float(text) == value:
        return text
    return format(Decimal(repr(value)), "f")


def _payment(row: dict[str, Any], holders: dict[str, str], base: str) -> EntityProxy:
    payment = model.make_entity("Payment")
    payment.make_id("tocsin-payment", row["txn_id"])
    payment.add("transactionNumber", row["txn_id"])
    payment.add("payer", holders[row["source"]])
    payment.add("beneficiary", holders[row["target"]])
    for prop, account in (("payerAccount", row["source"]), ("beneficiaryAccount", row["target"])):
        if not account.startswith("party:"):
            payment.add(prop, account_entity_id(account))
    payment.add("amount", _amount(row["amount_orig"]))
    payment.add("currency", row["currency_orig"], quiet=True)
    if base in ("EUR", "USD"):
        # converted at the import's rates (an import computes it again): cents suffice
        payment.add(f"amount{base.title()}", f"{row['amount']:.2f}")
    payment.add("date", row["ts"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    notes = [f"channel: {row['channel']}"] if row.get("channel") else []
    if row.get("label_pattern"):
        notes.append(f"laundering pattern: {row['label_pattern']}")
    elif row.get("label"):
        notes.append("labelled as laundering in the source")
    if notes:
        payment.add("description", "; ".join(notes))
    payment.add("recordId", row.get("source_ref"), quiet=True)
    return payment


# -- graphs ---------------------------------------------------------------------------------


def _edges(stored: StoredSet, selection: Selection) -> pa.Table:
    parts = [t.group_by(["source", "target"]).aggregate([("amount", "sum"), ("amount", "count")])
             for t in _transaction_batches(stored, selection, ["source", "target", "amount"])]
    if not parts:
        return pa.table({"source": pa.array([], pa.string()), "target": pa.array([], pa.string()),
                         "amount": pa.array([], pa.float64()), "count": pa.array([], pa.int64())})
    merged = pa.concat_tables(parts).group_by(["source", "target"]).aggregate(
        [("amount_sum", "sum"), ("amount_count", "sum")])
    merged = merged.rename_columns({"amount_sum_sum": "amount", "amount_count_sum": "count"})
    return merged.sort_by([("source", "ascending"), ("target", "ascending")])


NODE_ATTRIBUTES = (("kind", "string"), ("label", "boolean"), ("bank", "string"),
                   ("country", "string"))


def export_graph(stored: StoredSet, output: Path, selection: Selection,
                 kind: str) -> ExportReport:
    edges = _edges(stored, selection)
    endpoints = set(edges.column("source").to_pylist()) | set(edges.column("target").to_pylist())
    accounts = _selected_accounts(stored, selection, endpoints)
    output.parent.mkdir(parents=True, exist_ok=True)
    writer = _write_gexf if kind == "gexf" else _write_graphml
    writer(output, accounts, edges, stored)
    total = int(pc.sum(edges.column("count")).as_py() or 0)
    return ExportReport(kind, output, transactions=total, accounts=accounts.num_rows,
                        edges=edges.num_rows, files=[output])


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _write_graphml(output: Path, accounts: pa.Table, edges: pa.Table,
                   stored: StoredSet) -> None:
    with etree.xmlfile(str(output), encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("graphml", nsmap={None: GRAPHML_NS}):
            for name, kind in NODE_ATTRIBUTES:
                xf.write(etree.Element("key", {"id": name, "for": "node", "attr.name": name,
                                               "attr.type": kind}))
            xf.write(etree.Element("key", {"id": "amount", "for": "edge", "attr.name": "amount",
                                           "attr.type": "double"}))
            xf.write(etree.Element("key", {"id": "count", "for": "edge", "attr.name": "count",
                                           "attr.type": "long"}))
            with xf.element("graph", {"id": stored.path.name, "edgedefault": "directed"}):
                for row in accounts.to_pylist():
                    node = etree.Element("node", {"id": row["account_id"]})
                    for name, _ in NODE_ATTRIBUTES:
                        if row.get(name) is not None:
                            data = etree.SubElement(node, "data", {"key": name})
                            data.text = _text(row[name])
                    xf.write(node)
                for i, row in enumerate(edges.to_pylist()):
                    edge = etree.Element("edge", {"id": f"e{i}", "source": row["source"],
                                                  "target": row["target"]})
                    etree.SubElement(edge, "data", {"key": "amount"}).text = _text(
                        float(row["amount"]))
                    etree.SubElement(edge, "data", {"key": "count"}).text = str(row["count"])
                    xf.write(edge)


def _write_gexf(output: Path, accounts: pa.Table, edges: pa.Table, stored: StoredSet) -> None:
    with etree.xmlfile(str(output), encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("gexf", {"version": "1.3"}, nsmap={None: GEXF_NS}):
            meta = etree.Element("meta", {"lastmodifieddate":
                                          datetime.now(UTC).date().isoformat()})
            etree.SubElement(meta, "creator").text = "Tocsin"
            etree.SubElement(meta, "description").text = (
                f"Transaction set {stored.path.name}: accounts and aggregated flows in "
                f"{stored.meta.base_currency}")
            xf.write(meta)
            with xf.element("graph", {"mode": "static", "defaultedgetype": "directed"}):
                node_attrs = etree.Element("attributes", {"class": "node"})
                for i, (name, kind) in enumerate(NODE_ATTRIBUTES):
                    etree.SubElement(node_attrs, "attribute",
                                     {"id": str(i), "title": name, "type": kind})
                xf.write(node_attrs)
                edge_attrs = etree.Element("attributes", {"class": "edge"})
                etree.SubElement(edge_attrs, "attribute",
                                 {"id": "amount", "title": "amount", "type": "double"})
                etree.SubElement(edge_attrs, "attribute",
                                 {"id": "count", "title": "count", "type": "long"})
                xf.write(edge_attrs)
                with xf.element("nodes"):
                    for row in accounts.to_pylist():
                        node = etree.Element("node", {"id": row["account_id"],
                                                      "label": row["account_id"]})
                        values = etree.SubElement(node, "attvalues")
                        for i, (name, _) in enumerate(NODE_ATTRIBUTES):
                            if row.get(name) is not None:
                                etree.SubElement(values, "attvalue",
                                                 {"for": str(i), "value": _text(row[name])})
                        xf.write(node)
                with xf.element("edges"):
                    for i, row in enumerate(edges.to_pylist()):
                        amount = _text(float(row["amount"]))
                        edge = etree.Element("edge", {"id": str(i), "source": row["source"],
                                                      "target": row["target"],
                                                      "weight": amount})
                        values = etree.SubElement(edge, "attvalues")
                        etree.SubElement(values, "attvalue", {"for": "amount", "value": amount})
                        etree.SubElement(values, "attvalue",
                                         {"for": "count", "value": str(row["count"])})
                        xf.write(edge)
