"""The demo workspace's fictional asset-recovery case.

It takes the demo's follow-the-money set (Operation Tidewater, invented) further: the
flagged money of the account that sent most of it is traced forward, the foreign
account where the largest share ended becomes an asset, a request for mutual legal
assistance goes to that State (with its letter), the account is frozen, the balance
confiscated. Every step goes through the same library functions as a user's would,
so every step is audited. The authorities it writes to are fictional too
(``data/demo_authorities.yaml``).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.access.policy import unguarded_select
from tocsin.access.principal import Principal
from tocsin.access.tables import User
from tocsin.cases import assets, letters, records, requests
from tocsin.cases.spec import (
    CaseSpec,
    LinkSpec,
    MemberSpec,
    NoteSpec,
    RequestSpec,
    StageSpec,
    StatusSpec,
    SubjectSpec,
    TaskSpec,
    TraceAssetSpec,
    ValuationSpec,
)
from tocsin.cases.tables import Authority, Case
from tocsin.i18n import N_, Number
from tocsin.money.tables import TransactionSet
from tocsin.settings import Settings

DIRECTORY = Path(__file__).parent / "data" / "demo_authorities.yaml"
PLATFORM = "the demo loader runs as the platform"
REFERENCE = "DEMO-TIDEWATER-AR-1"
TITLE = "Fictional case — Operation Tidewater asset recovery"


def start_account(set_dir: Path) -> str:
    """The account that sent the most flagged money in the set."""
    import duckdb

    with duckdb.connect() as con:
        row = con.execute(
            "SELECT source FROM read_parquet(?) WHERE label GROUP BY source "
            "ORDER BY sum(amount) DESC, source LIMIT 1",
            [str(set_dir / "transactions.parquet")]).fetchone()
    if row is None:
        raise LookupError("the demo set has no flagged payments")
    return str(row[0])


def load(session: Session, settings: Settings) -> str:
    """Load the fictional case once (idempotent); a line saying what was done."""
    from tocsin.money import jobs, sets, views
    from tocsin.money.demo import DEMO_NAME
    from tocsin.money.trace import TraceConfig

    existing = session.scalar(unguarded_select(Case.id, why=PLATFORM)
                              .where(Case.reference == REFERENCE))
    if existing is not None:
        return N_("%(title)s: already present (case %(id)s)", title=TITLE, id=existing)
    system = Principal.system()
    added = requests.load_directory(session, system, DIRECTORY)
    item = session.scalar(unguarded_select(TransactionSet, why=PLATFORM)
                          .where(TransactionSet.name == DEMO_NAME))
    if item is None:
        return N_("%(title)s: skipped, the fictional transaction set is missing", title=TITLE)
    set_dir = sets.set_path(settings, item)
    source = start_account(set_dir)
    trace = jobs.trace_now(session, system, settings, item.id, [source], [],
                           TraceConfig(max_nodes=jobs.WEB_TRACE_NODES))["trace"]
    foreign = [e for e in trace["end_points"] if e["end"] == "foreign bank"]
    end = max(foreign or trace["end_points"], key=lambda e: e["amount"])
    holder = views.account(set_dir, source)
    target = views.account(set_dir, end["account"])
    country = target.get("country") or "RS"

    case = records.create_case(session, system, CaseSpec(
        reference=REFERENCE, title=TITLE, crime_area="money_laundering",
        summary="Invented for the demo workspace: the flagged money of Operation Tidewater "
                "is traced to a foreign account, frozen there through mutual legal "
                "assistance and confiscated. No real person, account or authority.",
        opened_on=date(2024, 5, 2), handling="AMBER", owner_unit="tntd-spmu"))
    for username, role in (("analyst", "lead"), ("coordinator", "member")):
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            records.add_member(session, system, case.id, MemberSpec(username=username,
                                                                    role=role))
    records.add_subject(session, system, case.id, SubjectSpec.model_validate({
        "schema": "BankAccount", "properties": {
            "accountNumber": [source], "bankName": [str(holder.get("bank") or "")],
            "notes": ["Fictional: sender of the flagged payments"]}}))
    owner = records.add_subject(session, system, case.id, SubjectSpec.model_validate({
        "schema": "BankAccount", "properties": {
            "accountNumber": [end["account"]], "bankName": [str(target.get("bank") or "")],
            "country": [country.lower()],
            "notes": ["Fictional: foreign account where the traced money ended"]}}))
    records.add_link(session, system, case.id, LinkSpec(kind="transaction_set",
                                                        set_id=item.id))
    asset = assets.asset_from_trace(session, system, settings, case.id, TraceAssetSpec(
        set_id=item.id, accounts=[source], end_account=end["account"],
        identified_on=date(2024, 5, 10), country=country,
        description=f"Balance of foreign account {end['account']} (fictional)"))
    asset.owner_subject_id = owner.id
    authority = session.scalar(select(Authority).where(
        Authority.country == country, Authority.kind == "mla", Authority.fictional.is_(True)))
    request = requests.create_request(session, system, case.id, RequestSpec(
        kind="mla", direction="outgoing", reference="DEMO-MLA-1", counterpart_country=country,
        authority_id=authority.id if authority else None,
        requesting_authority="Fictional Public Prosecutor's Office (demo)",
        legal_basis="UNTOC art. 18 (fictional demo request)", urgency="urgent",
        deadline=date(2024, 6, 30), language="en",
        subject_matter="Fictional investigation of money laundering (Operation Tidewater), "
                       "conducted by the Fictional Public Prosecutor's Office",
        facts=f"Flagged payments of account {source} were traced forward; "
              f"{end['amount']:,.2f} reached account {end['account']} abroad (fictional).",
        assistance=f"Freeze the balance of account {end['account']}; provide the account "
                   "opening documents and statements for 2024.",
        procedure="Certified copies of bank records.",
        persons="The holder of the account (fictional, identity to be established).",
        purpose="Evidence for the prosecution and securing the balance for confiscation.",
        asset_ids=[asset.id], created_on=date(2024, 5, 12)))
    letters.generate(session, system, request.id, "docx", today=date(2024, 5, 13))
    letters.generate(session, system, request.id, "pdf", today=date(2024, 5, 13))
    for status, on in (("sent", date(2024, 5, 14)), ("acknowledged", date(2024, 5, 20)),
                       ("in_execution", date(2024, 6, 3)), ("executed", date(2024, 6, 28))):
        requests.set_request_status(session, system, request.id,
                                    StatusSpec(status=status, on_date=on))
    amount = asset.estimated_value
    assets.add_stage(session, system, asset.id, StageSpec(
        stage="freeze", on_date=date(2024, 6, 20), order_date=date(2024, 6, 18),
        authority="Fictional Higher Court (demo), executing the request",
        order_reference="DEMO-FRZ-7", legal_basis="UNTOC art. 12 and 13 (fictional order)",
        order_status="final", executed_on=date(2024, 6, 28), amount=amount))
    assets.add_valuation(session, system, asset.id, ValuationSpec(
        on_date=date(2024, 6, 28), amount=amount, currency=asset.currency, method="book",
        by="Fictional bank statement"))
    assets.add_stage(session, system, asset.id, StageSpec(
        stage="confiscate", on_date=date(2025, 3, 14), order_date=date(2025, 3, 14),
        authority="Fictional District Court (demo)", order_reference="DEMO-CONF-2",
        legal_basis="Criminal Code (fictional)", order_status="final", amount=amount))
    records.add_note(session, system, case.id, NoteSpec(
        text="Fictional: confiscation order final; ask for the balance under UNTOC art. 14."))
    records.add_task(session, system, case.id, TaskSpec(
        title="Send the disposal and sharing request (fictional)",
        due_on=date.today() + timedelta(days=7), assignee="analyst"))
    value = Decimal(str(end["amount"])).quantize(Decimal("0.01"))
    return N_("%(title)s: traced %(value)s %(currency)s to %(account)s (%(country)s), frozen "
              "and confiscated, MLA request executed; %(added)s fictional authorities",
              title=TITLE, value=Number(value, 2), currency=asset.currency,
              account=end["account"], country=country, added=added)
