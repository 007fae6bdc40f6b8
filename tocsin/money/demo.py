"""The fictional follow-the-money case of the demo workspace.

A small synthetic transaction set — a few thousand payments of ordinary
people, employers, merchants and landlords, into which every laundering
pattern the detectors know is injected (fan-out, fan-in, fan-in spread over
weeks, gather-scatter, scatter-gather, cycle, bipartite, stack, structuring, rapid
pass-through) —
written as a bank export with its column mapping and imported through the
transaction-set registry like any investigator's file. Every account, holder
and payment in it is invented.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd  # type: ignore[import-untyped]
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.access.policy import unguarded_select
from tocsin.access.principal import Principal
from tocsin.access.tables import Unit
from tocsin.errors import InputError
from tocsin.i18n import N_, Number
from tocsin.money import sets
from tocsin.money.synthetic import SyntheticConfig, generate
from tocsin.money.tables import TransactionSet
from tocsin.settings import Settings

#: Why the demo loaders look past the read rule.
PLATFORM = "the demo loader runs as the platform"

DEMO_NAME = "Fictional case — Operation Tidewater"
DEMO_UNIT = "tntd-spmu"
DEMO_HANDLING = "AMBER"
DEMO_DESCRIPTION = (
    "Invented for the demo workspace: a synthetic bank export with ordinary payments "
    "and every laundering pattern Tocsin detects. No real person, company or account."
)
#: A few thousand payments; three instances of every laundering pattern.
DEMO_CONFIG = SyntheticConfig(accounts=2_500, transactions=6_000, patterns=3, seed=2024,
                              pattern_counts={"SPREAD-FAN-IN": 3, "SPLIT-PAYMENTS": 2})

#: How the bank export below maps onto the canonical layout.
MAPPING = {
    "transaction": {
        "id": "Reference",
        "date": {"column": "Booked", "format": "%Y-%m-%dT%H:%M:%S"},
        "amount": "Amount",
        "currency": "Currency",
        "channel": "Channel",
        "label": {"column": "Flagged", "true_values": ["yes"]},
    },
    "source": {
        "account": "Payer account", "bank": "Payer bank", "country": "Payer country",
        "kind": "Payer account type",
        "party": {"name": "Payer", "schema": "Payer type", "country": "Payer country"},
    },
    "target": {
        "account": "Payee account", "bank": "Payee bank", "country": "Payee country",
        "kind": "Payee account type",
        "party": {"name": "Payee", "schema": "Payee type", "country": "Payee country"},
    },
}


def case_files(folder: Path, config: SyntheticConfig = DEMO_CONFIG) -> tuple[Path, Path]:
    """Write the fictional case as a CSV bank export and its YAML mapping into ``folder``."""
    transactions, accounts, parties = generate(config)
    txns = transactions.to_pandas()
    holders = accounts.to_pandas().merge(parties.to_pandas(), on="party_id", how="left",
                                         suffixes=("", "_party"))
    side = holders[["account_id", "bank", "country", "kind", "name", "schema"]]
    frame = (txns.merge(side.add_prefix("src_"), left_on="source", right_on="src_account_id")
             .merge(side.add_prefix("dst_"), left_on="target", right_on="dst_account_id"))
    export = pd.DataFrame({
        "Reference": frame["txn_id"],
        "Booked": frame["ts"].dt.strftime("%Y-%m-%dT%H:%M:%S"),
        "Amount": frame["amount"].map(lambda v: f"{v:.2f}"),
        "Currency": frame["currency_orig"],
        "Channel": frame["channel"],
        "Flagged": frame["label"].map({True: "yes", False: "no"}),
        "Payer account": frame["source"], "Payer bank": frame["src_bank"],
        "Payer country": frame["src_country"], "Payer account type": frame["src_kind"],
        "Payer": frame["src_name"], "Payer type": frame["src_schema"],
        "Payee account": frame["target"], "Payee bank": frame["dst_bank"],
        "Payee country": frame["dst_country"], "Payee account type": frame["dst_kind"],
        "Payee": frame["dst_name"], "Payee type": frame["dst_schema"],
    }).sort_values(["Booked", "Reference"])
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / "operation-tidewater.csv"
    mapping_path = folder / "operation-tidewater.yaml"
    export.to_csv(csv_path, index=False)
    mapping_path.write_text(yaml.safe_dump(MAPPING, sort_keys=False, allow_unicode=True),
                            encoding="utf-8")
    return csv_path, mapping_path


def load(session: Session, settings: Settings) -> str:
    """Register the fictional case once (owned by ``tntd-spmu``, TLP:AMBER); idempotent.

    Returns a line saying what was done.
    """
    existing = session.scalar(unguarded_select(TransactionSet, why=PLATFORM)
                              .where(TransactionSet.name == DEMO_NAME))
    if existing is not None:
        return N_("%(name)s: already present (transaction set %(id)s)", name=DEMO_NAME,
                  id=existing.id)
    unit = session.scalar(select(Unit).where(Unit.code == DEMO_UNIT))
    if unit is None:
        raise InputError.single("unit", f"{DEMO_UNIT} is missing; load the reference data "
                                        "first (tocsin reference sync)")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="demo-case-", dir=settings.data_dir) as tmp:
        csv_path, mapping_path = case_files(Path(tmp))
        item, report = sets.import_set(
            session, Principal.system(), settings, "csv", [csv_path], DEMO_NAME,
            DEMO_HANDLING, unit.id, description=DEMO_DESCRIPTION, mapping=mapping_path)
    return N_("%(name)s: %(transactions)s transactions, %(accounts)s accounts (transaction set "
              "%(id)s)", name=DEMO_NAME, transactions=Number(report.transactions),
              accounts=Number(report.accounts), id=item.id)
