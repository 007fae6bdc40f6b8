"""The canonical columnar layout of a transaction set.

Every importer writes these Arrow schemas to Parquet and every engine (embedded
DuckDB, Spark) reads them, so a detector written once runs on any engine.

A transaction set lives in ``<data_dir>/money/<dataset_id>/`` as
``transactions.parquet``, ``accounts.parquet`` and ``parties.parquet``.
Amounts are converted into the set's base currency at import; the original
amount and currency are kept beside them.
"""

from __future__ import annotations

import pyarrow as pa

#: What kind of end point an account is; traces stop and report at these.
ACCOUNT_KINDS = ("domestic", "foreign", "cash", "crypto", "merchant", "unknown")

TRANSACTIONS = pa.schema(
    [
        pa.field("txn_id", pa.string(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("source", pa.string(), nullable=False),  # account_id
        pa.field("target", pa.string(), nullable=False),  # account_id
        pa.field("amount", pa.float64(), nullable=False),  # in the set's base currency
        pa.field("amount_orig", pa.float64(), nullable=False),
        pa.field("currency_orig", pa.string(), nullable=False),  # ISO 4217
        pa.field("channel", pa.string()),  # payment format / transmode code
        pa.field("label", pa.bool_()),  # known laundering flag when the source has one
        pa.field("label_pattern", pa.string()),  # e.g. FAN-OUT, CYCLE (AMLworld patterns)
        pa.field("source_ref", pa.string()),  # file:line or XPath of the source record
        # Where the transaction came from: the file's name and the 1-based line of its
        # row (CSV), sheet row (Excel) or element start tag (XML); null when generated.
        pa.field("source_file", pa.string()),
        pa.field("source_line", pa.int64()),
    ]
)

ACCOUNTS = pa.schema(
    [
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("bank", pa.string()),
        pa.field("country", pa.string()),  # ISO 3166-1 alpha-2
        pa.field("kind", pa.string(), nullable=False),  # one of ACCOUNT_KINDS
        pa.field("party_id", pa.string()),
        pa.field("label", pa.bool_()),  # known fraud / mule flag when the source has one
        pa.field("source_ref", pa.string()),
    ]
)

PARTIES = pa.schema(
    [
        pa.field("party_id", pa.string(), nullable=False),
        pa.field("schema", pa.string(), nullable=False),  # FollowTheMoney schema: Person, Company…
        pa.field("name", pa.string()),
        pa.field("country", pa.string()),
        pa.field("properties", pa.string()),  # FollowTheMoney properties as JSON
        pa.field("source_ref", pa.string()),
    ]
)
