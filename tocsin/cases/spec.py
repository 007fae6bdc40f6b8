"""What a user submits: cases, subjects, links, notes, tasks, assets and their stages,
valuations, custody, requests, status changes, exchanges and directory entries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

#: Longest free text a field takes (a request's facts, a note).
TEXT_MAX = 20_000


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              str_max_length=TEXT_MAX)


class CaseSpec(_Spec):
    reference: str = Field(max_length=60)
    title: str = Field(max_length=300)
    summary: str = ""
    crime_area: str | None = None
    #: ISO 3166 code of the State the case is investigated in.
    country: str | None = None
    opened_on: date | None = None
    need_to_know: bool = False
    handling: str = "AMBER"
    owner_unit: str | None = None


class MemberSpec(_Spec):
    username: str
    role: str = "member"


class SubjectSpec(_Spec):
    #: ``Person`` | ``Company`` | ``BankAccount`` | ``CryptoWallet`` (FollowTheMoney schemata).
    schema_: str = Field(alias="schema")
    #: FollowTheMoney property → values, e.g. ``{"name": ["…"], "nationality": ["md"]}``.
    properties: dict[str, list[str]] = Field(default_factory=dict, max_length=100)

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True,
                              str_max_length=TEXT_MAX)


class LinkSpec(_Spec):
    #: ``transaction_set`` | ``finding`` | ``trace`` | ``document``.
    kind: str
    set_id: int | None = None
    #: A finding's id, or a document's title or location.
    key: str = ""
    note: str = ""


class NoteSpec(_Spec):
    text: str = Field(max_length=20_000)


class TaskSpec(_Spec):
    title: str = Field(max_length=300)
    due_on: date
    assignee: str = ""


class Identifier(_Spec):
    scheme: str
    value: str = Field(max_length=200)


class AssetSpec(_Spec):
    kind: str
    description: str = Field(max_length=500)
    identifiers: list[Identifier] = Field(default_factory=list, max_length=50)
    owner_subject_id: int | None = None
    third_parties: str = ""
    encumbrances: str = ""
    country: str | None = None
    currency: str = "EUR"
    estimated_value: Decimal = Field(Decimal(0), ge=0, max_digits=18, decimal_places=2)
    identified_on: date


class TraceAssetSpec(_Spec):
    """An asset made from a trace: the funds that reached ``end_account``."""

    set_id: int
    accounts: list[str] = Field(min_length=1, max_length=50)
    end_account: str
    direction: str = "forward"
    rule: str = "fifo"
    hops: int = Field(6, ge=1, le=12)
    window_hours: float = Field(30 * 24.0, gt=0)
    kind: str = "bank_balance"
    description: str = ""
    identified_on: date
    country: str | None = None


class StageSpec(_Spec):
    stage: str
    on_date: date
    authority: str = ""
    order_reference: str = ""
    order_date: date | None = None
    legal_basis: str = ""
    #: ``final`` | ``under_appeal`` (stages resting on an order).
    order_status: str = ""
    executed_on: date | None = None
    amount: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=2)
    #: For ``dispose``: sale, destruction, social_reuse, return_to_victim, return_to_state, sharing.
    disposal: str = ""
    costs: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=2)
    note: str = ""


class ValuationSpec(_Spec):
    on_date: date
    amount: Decimal = Field(ge=0, max_digits=18, decimal_places=2)
    currency: str
    method: str = "estimate"
    by: str = ""


class CustodySpec(_Spec):
    custodian: str = Field(max_length=300)
    location: str = ""
    since: date
    until: date | None = None
    monthly_cost: Decimal = Field(Decimal(0), ge=0, max_digits=18, decimal_places=2)
    currency: str = "EUR"


class SaleSpec(_Spec):
    """An interlocutory sale: the asset sold before final confiscation, value kept."""

    sold_on: date
    amount: Decimal = Field(ge=0, max_digits=18, decimal_places=2)
    order_reference: str


class RequestSpec(_Spec):
    kind: str
    direction: str = "outgoing"
    reference: str = ""
    counterpart_country: str
    authority_id: int | None = None
    requesting_authority: str = ""
    requested_authority: str = ""
    legal_basis: str = ""
    urgency: str = "normal"
    deadline: date | None = None
    language: str = ""
    subject_matter: str = ""
    facts: str = ""
    assistance: str = ""
    procedure: str = ""
    persons: str = ""
    purpose: str = ""
    asset_ids: list[int] = Field(default_factory=list, max_length=500)
    created_on: date | None = None


class StatusSpec(_Spec):
    status: str
    on_date: date | None = None
    article: str = ""
    reason: str = ""


class ExchangeSpec(_Spec):
    direction: str
    what: str = Field(max_length=500)
    counterpart: str = Field(max_length=300)
    country: str | None = None
    channel: str = ""
    at: datetime | None = None
    handling: str = ""
    restrictions: str = ""
    request_id: int | None = None


class AuthoritySpec(_Spec):
    country: str
    kind: str
    name: str = Field(max_length=300)
    languages: list[str] = Field(default_factory=list, max_length=20)
    channels: list[str] = Field(default_factory=list, max_length=20)
    contact: str = ""
    source: str = Field(max_length=500)
    as_of: date
    fictional: bool = False
