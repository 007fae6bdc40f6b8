"""What an imported activity's file said, for its page: the IATI register's rows with the
names of their codes, read from the code lists held as data (``data/codelists.yaml``):
each a :class:`~tocsin.taskforce.iati.codelists.CodeName`, English as text and shown in
the page's language where IATI names the code in it (French, ``data/codelists_fr.yaml``).

The platform's view of an activity holds the participating and partner States, the
crime areas and stages and three kinds of finance per year; a publisher's file says
more (every recipient country, sectors of every vocabulary, transactions of every type,
budgets over their real periods). Without these rows, a page showed a partner's activity
in the Bahamas with no country and its incoming funds nowhere. The rows are read only
through their activity, which the caller has already read with the reader's rights.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.taskforce.iati import codelists
from tocsin.taskforce.iati.codelists import code_name
from tocsin.taskforce.iati.tables import (
    IatiBudget,
    IatiOrganisation,
    IatiOrgFinance,
    IatiRecipient,
    IatiRecord,
    IatiSector,
    IatiTransaction,
)

_Row = TypeVar("_Row", IatiTransaction, IatiBudget, IatiSector, IatiRecipient)

#: The code list that names the codes of each sector vocabulary the platform bundles.
SECTOR_LISTS = {codelists.SECTOR_DAC5: "Sector", codelists.SECTOR_DAC3: "SectorCategory"}
#: Likewise for region vocabularies.
REGION_LISTS = {codelists.REGION_DAC: "Region", codelists.REGION_M49: "RegionM49"}


@dataclass(frozen=True)
class Recipient:
    kind: str  # "country" or "region"
    code: str
    name: str  # the code list's name ("" when it has none: an own vocabulary's code)
    vocabulary: str  # the region vocabulary's name ("" for a country)
    percentage: Decimal | None


@dataclass(frozen=True)
class Sector:
    code: str
    name: str  # the code list's name, else the publisher's narrative
    vocabulary: str  # the vocabulary's name, else its code
    percentage: Decimal | None


@dataclass(frozen=True)
class Transaction:
    type_code: int
    type_name: str
    date: date
    value: Decimal
    currency: str
    provider: str
    receiver: str
    description: str


@dataclass(frozen=True)
class Budget:
    planned_disbursement: bool
    type_name: str
    status_name: str
    start: date
    end: date | None
    value: Decimal
    currency: str


@dataclass(frozen=True)
class Published:
    version: str
    source: str
    imported_at: datetime
    recipients: list[Recipient]
    sectors: list[Sector]
    transactions: list[Transaction]
    budgets: list[Budget]


def _party(name: str, ref: str) -> str:
    return f"{name} ({ref})" if name and ref else name or ref


def published_of(session: Session, activity_id: int) -> Published | None:
    """The register's rows of an activity read from an IATI file, or ``None`` for one made
    in the platform. The caller has read the activity with the reader's rights."""
    record = session.execute(  # not the published element itself: the page does not show it
        select(IatiRecord.version, IatiRecord.source, IatiRecord.imported_at)
        .where(IatiRecord.activity_id == activity_id)).first()
    if record is None:
        return None

    def rows(model: type[_Row]) -> list[_Row]:
        return list(session.scalars(select(model).where(model.activity_id == activity_id)
                                    .order_by(model.position, model.id)))

    recipients = [Recipient(
        kind=r.kind, code=r.code,
        name=(code_name("Country", r.code) if r.kind == "country"
              else code_name(REGION_LISTS.get(r.vocabulary, ""), r.code)),
        vocabulary="" if r.kind == "country" else (
            code_name("RegionVocabulary", r.vocabulary) or r.vocabulary),
        percentage=r.percentage) for r in rows(IatiRecipient)]
    sectors = [Sector(
        code=s.code, name=code_name(SECTOR_LISTS.get(s.vocabulary, ""), s.code) or s.name,
        vocabulary=code_name("SectorVocabulary", s.vocabulary) or s.vocabulary,
        percentage=s.percentage) for s in rows(IatiSector)]
    transactions = [Transaction(
        type_code=t.type_code, type_name=code_name("TransactionType", t.type_code),
        date=t.transaction_date, value=t.value, currency=t.currency,
        provider=_party(t.provider_name, t.provider_ref),
        receiver=_party(t.receiver_name, t.receiver_ref),
        description=t.description) for t in rows(IatiTransaction)]
    budgets = [Budget(
        planned_disbursement=b.element == "planned-disbursement",
        type_name=code_name("BudgetType", b.type), status_name=code_name("BudgetStatus", b.status),
        start=b.period_start, end=b.period_end, value=b.value, currency=b.currency)
        for b in rows(IatiBudget)]
    return Published(version=record.version, source=record.source,
                     imported_at=record.imported_at, recipients=recipients, sectors=sectors,
                     transactions=transactions, budgets=budgets)


@dataclass(frozen=True)
class OrganisationLine:
    element: str  # total-budget, recipient-org-budget … total-expenditure
    recipient_code: str
    recipient_name: str  # the code list's name for a country or region, else as published
    status_name: str
    start: date
    end: date
    value: Decimal
    currency: str


@dataclass(frozen=True)
class PublishedOrganisation:
    identifier: str
    version: str
    source: str
    imported_at: datetime
    lines: list[OrganisationLine]


def _recipient_name(element: str, code: str, published: str) -> str:
    if element == "recipient-country-budget":
        return code_name("Country", code) or published
    if element == "recipient-region-budget":  # the register keeps no vocabulary: IATI's 1
        return code_name(REGION_LISTS[codelists.REGION_DAC], code) or published
    return published


def organisations_of(session: Session, partner_id: int) -> list[PublishedOrganisation]:
    """The IATI organisations of a partner's organisation files with their budget and
    expenditure lines, the codes named. The caller has read the partner with the reader's
    rights."""
    found = []
    for org in session.execute(
            select(IatiOrganisation.id, IatiOrganisation.identifier, IatiOrganisation.version,
                   IatiOrganisation.source, IatiOrganisation.imported_at)
            .where(IatiOrganisation.partner_id == partner_id)
            .order_by(IatiOrganisation.identifier)):
        rows = session.scalars(select(IatiOrgFinance)
                               .where(IatiOrgFinance.organisation_id == org.id)
                               .order_by(IatiOrgFinance.position, IatiOrgFinance.id))
        found.append(PublishedOrganisation(
            identifier=org.identifier, version=org.version, source=org.source,
            imported_at=org.imported_at, lines=[OrganisationLine(
                element=r.element, recipient_code=r.recipient,
                recipient_name=_recipient_name(r.element, r.recipient, r.recipient_name),
                status_name=code_name("BudgetStatus", r.status), start=r.period_start,
                end=r.period_end, value=r.value, currency=r.currency) for r in rows]))
    return found
