"""Tables of cases: subjects, links, team, notes, tasks, assets and their stages,
co-operation requests, letters, the record of exchanges and the authorities directory.

Only :class:`Case` is guarded (handling code, owning unit and, when ``need_to_know``
is set, its team). Everything else hangs on a case through ``case_id`` and is read
and written under the case's rule: no child row has a relationship back to the case,
so nothing can be reached around the read rule.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    exists,
    false,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tocsin.i18n import N_
from tocsin.store.base import Base, Guarded, guarded_table_args, utcnow

Money = Numeric(20, 2)

CASE_STATUSES = ("open", "closed")
SUBJECT_SCHEMAS = ("Person", "Company", "BankAccount", "CryptoWallet")
LINK_KINDS = ("transaction_set", "finding", "trace", "screening", "document")
TASK_STATUSES = ("open", "done")

ASSET_KINDS = ("bank_balance", "real_estate", "vehicle", "vessel", "aircraft", "company_share",
               "crypto_asset", "cash", "valuables", "other")
IDENTIFIER_SCHEMES = ("iban", "account", "vin", "imo", "registration", "land_parcel",
                      "wallet", "company_register", "serial", "other")
#: The asset-recovery life cycle in order; freeze and seize share a rank.
STAGES = ("identify", "trace", "freeze", "seize", "confiscate", "manage", "dispose")
STAGE_RANK = {"identify": 0, "trace": 1, "freeze": 2, "seize": 2, "confiscate": 3,
              "manage": 4, "dispose": 5}
#: Stages that rest on an order of an authority.
ORDER_STAGES = ("freeze", "seize", "confiscate", "dispose")
ORDER_STATUSES = ("final", "under_appeal")
DISPOSAL_KINDS = ("sale", "destruction", "social_reuse", "return_to_victim", "return_to_state",
                  "sharing")
VALUATION_METHODS = ("estimate", "market", "expert", "book", "sale")

#: The codes above as pages show them (``|term``), marked for the catalogs.
TERMS = (N_("transaction set"), N_("finding"), N_("trace"), N_("screening"), N_("document"),
         N_("bank balance"), N_("real estate"), N_("vehicle"), N_("vessel"), N_("aircraft"),
         N_("company share"), N_("crypto asset"), N_("cash"), N_("valuables"),
         N_("identify"), N_("freeze"), N_("seize"), N_("confiscate"), N_("manage"),
         N_("dispose"), N_("final"), N_("under appeal"), N_("sale"), N_("destruction"),
         N_("social reuse"), N_("return to victim"), N_("return to state"), N_("sharing"),
         N_("sent"), N_("acknowledged"), N_("in execution"), N_("executed"),
         N_("partly executed"), N_("refused"), N_("postponed"), N_("withdrawn"))

REQUEST_KINDS = ("mla", "extradition", "jit", "confiscation", "disposal", "preservation")
REQUEST_DIRECTIONS = ("outgoing", "incoming")
REQUEST_STATUSES = ("draft", "sent", "acknowledged", "in_execution", "executed",
                    "partly_executed", "refused", "postponed", "withdrawn")
URGENCIES = ("normal", "urgent")
EXCHANGE_DIRECTIONS = ("sent", "received")


def _in(column: str, values: tuple[str, ...]) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)


class Case(Guarded, Base):
    """An investigation or asset-recovery case.

    ``need_to_know`` restricts reading to the case's team (and administrators)
    on top of the handling code and unit rule; :mod:`tocsin.access.policy` applies
    it through :meth:`team_clause` and :meth:`on_team`.
    """

    __tablename__ = "case_cases"
    __table_args__ = guarded_table_args(_in("status", CASE_STATUSES))
    record_type = "case"

    reference: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    crime_area: Mapped[str | None] = mapped_column(
        ForeignKey("ref_crime_areas.code"), nullable=True, index=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    need_to_know: Mapped[bool] = mapped_column(Boolean, default=False)

    members: Mapped[list[CaseMember]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CaseMember.user_id")
    subjects: Mapped[list[Subject]] = relationship(
        cascade="all, delete-orphan", order_by="Subject.id")
    links: Mapped[list[CaseLink]] = relationship(
        cascade="all, delete-orphan", order_by="CaseLink.id")
    notes: Mapped[list[CaseNote]] = relationship(
        cascade="all, delete-orphan", order_by="CaseNote.id")
    tasks: Mapped[list[CaseTask]] = relationship(
        cascade="all, delete-orphan", order_by="CaseTask.due_on")
    assets: Mapped[list[Asset]] = relationship(
        cascade="all, delete-orphan", order_by="Asset.id")
    requests: Mapped[list[CoopRequest]] = relationship(
        cascade="all, delete-orphan", order_by="CoopRequest.id")
    exchanges: Mapped[list[Exchange]] = relationship(
        cascade="all, delete-orphan", order_by="Exchange.at")

    @classmethod
    def team_clause(cls, user_id: int | None) -> ColumnElement[bool]:
        """SQL: the user is on the case's team."""
        if user_id is None:
            return false()
        return exists(select(CaseMember.case_id).where(CaseMember.case_id == cls.id,
                                                       CaseMember.user_id == user_id))

    def on_team(self, user_id: int | None) -> bool:
        return user_id is not None and any(m.user_id == user_id for m in self.members)


class CaseMember(Base):
    __tablename__ = "case_members"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("case_cases.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    #: ``lead`` or ``member``.
    role: Mapped[str] = mapped_column(String(10), default="member")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class Subject(Base):
    """A person, company, bank account or crypto wallet of the case, as a FtM entity."""

    __tablename__ = "case_subjects"
    __table_args__ = (_in("schema", SUBJECT_SCHEMAS),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_cases.id", ondelete="CASCADE"),
                                         index=True)
    schema: Mapped[str] = mapped_column(String(20))
    caption: Mapped[str] = mapped_column(String(300))
    #: FollowTheMoney properties: name → list of values (cleaned by the FtM model).
    properties: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    #: The screening result, once a screening service has judged the subject.
    screening: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseLink(Base):
    """A link from the case to a transaction set, a finding, a trace or a document."""

    __tablename__ = "case_links"
    __table_args__ = (_in("kind", LINK_KINDS),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_cases.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(20))
    set_id: Mapped[int | None] = mapped_column(
        ForeignKey("money_transaction_sets.id", ondelete="SET NULL"), nullable=True, index=True)
    #: The finding's key, the trace's parameters or a document's location.
    key: Mapped[str] = mapped_column(String(500), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseNote(Base):
    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_cases.id", ondelete="CASCADE"),
                                         index=True)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseTask(Base):
    __tablename__ = "case_tasks"
    __table_args__ = (_in("status", TASK_STATUSES),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_cases.id", ondelete="CASCADE"),
                                         index=True)
    title: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    assignee: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    def overdue(self, today: date) -> bool:
        return self.status != "done" and self.due_on < today


class Asset(Base):
    """An asset of the case and where it stands in the recovery life cycle."""

    __tablename__ = "case_assets"
    __table_args__ = (_in("kind", ASSET_KINDS), _in("stage", STAGES))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_cases.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(500))
    #: ``[{"scheme": "iban", "value": "…"}]``.
    identifiers: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    owner_subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_subjects.id", ondelete="SET NULL"), nullable=True)
    third_parties: Mapped[str] = mapped_column(Text, default="")
    encumbrances: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    estimated_value: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    identified_on: Mapped[date] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(12), default="identify")
    #: The trace the asset came from: set, direction, rule, start and end account, amount.
    trace: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    set_id: Mapped[int | None] = mapped_column(
        ForeignKey("money_transaction_sets.id", ondelete="SET NULL"), nullable=True)
    sold_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    sale_amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    sale_order: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    stages: Mapped[list[AssetStage]] = relationship(
        cascade="all, delete-orphan", lazy="selectin",
        order_by="(AssetStage.on_date, AssetStage.id)")
    valuations: Mapped[list[Valuation]] = relationship(
        cascade="all, delete-orphan", lazy="selectin",
        order_by="(Valuation.on_date, Valuation.id)")
    custody: Mapped[list[Custody]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="(Custody.since, Custody.id)")


class AssetStage(Base):
    """One step of the life cycle, with the order it rests on."""

    __tablename__ = "case_asset_stages"
    __table_args__ = (_in("stage", STAGES),
                      CheckConstraint("order_status IN ('', 'final', 'under_appeal')",
                                      name="order_status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("case_assets.id", ondelete="CASCADE"),
                                          index=True)
    stage: Mapped[str] = mapped_column(String(12))
    on_date: Mapped[date] = mapped_column(Date)
    authority: Mapped[str] = mapped_column(String(300), default="")
    order_reference: Mapped[str] = mapped_column(String(200), default="")
    order_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    legal_basis: Mapped[str] = mapped_column(String(300), default="")
    order_status: Mapped[str] = mapped_column(String(12), default="")
    executed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: Value the order covers (freeze, confiscate) or realised (dispose).
    amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    disposal: Mapped[str] = mapped_column(String(20), default="")
    #: Costs of the disposal itself (auction fees, destruction).
    costs: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(80), default="")


class Valuation(Base):
    __tablename__ = "case_valuations"
    __table_args__ = (_in("method", VALUATION_METHODS),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("case_assets.id", ondelete="CASCADE"),
                                          index=True)
    on_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(10))
    by: Mapped[str] = mapped_column(String(200), default="")


class Custody(Base):
    """Who keeps the asset, where, and what it costs per month."""

    __tablename__ = "case_custody"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("case_assets.id", ondelete="CASCADE"),
                                          index=True)
    custodian: Mapped[str] = mapped_column(String(300))
    location: Mapped[str] = mapped_column(String(300), default="")
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date, nullable=True)
    monthly_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3))


class Authority(Base):
    """A competent national authority for one kind of request (the directory)."""

    __tablename__ = "case_authorities"
    __table_args__ = (_in("kind", REQUEST_KINDS),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    #: ISO 639 codes, e.g. ``["en", "fr"]``.
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(500))
    as_of: Mapped[date] = mapped_column(Date)
    fictional: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str] = mapped_column(String(80), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CoopRequest(Base):
    """An incoming or outgoing request for international co-operation."""

    __tablename__ = "case_requests"
    __table_args__ = (_in("kind", REQUEST_KINDS), _in("direction", REQUEST_DIRECTIONS),
                      _in("status", REQUEST_STATUSES), _in("urgency", URGENCIES))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_cases.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str] = mapped_column(String(100), default="")
    counterpart_country: Mapped[str] = mapped_column(String(2), index=True)
    authority_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_authorities.id", ondelete="SET NULL"), nullable=True)
    requesting_authority: Mapped[str] = mapped_column(String(300), default="")
    requested_authority: Mapped[str] = mapped_column(String(300), default="")
    legal_basis: Mapped[str] = mapped_column(String(300), default="")
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    language: Mapped[str] = mapped_column(String(3), default="")
    # the content of UNTOC art. 18(15), point by point
    subject_matter: Mapped[str] = mapped_column(Text, default="")
    facts: Mapped[str] = mapped_column(Text, default="")
    assistance: Mapped[str] = mapped_column(Text, default="")
    procedure: Mapped[str] = mapped_column(Text, default="")
    persons: Mapped[str] = mapped_column(Text, default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_on: Mapped[date] = mapped_column(Date)
    sent_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    asset_ids: Mapped[list[int]] = mapped_column(JSON, default=list)

    history: Mapped[list[RequestStatus]] = relationship(
        cascade="all, delete-orphan", lazy="selectin",
        order_by="(RequestStatus.on_date, RequestStatus.id)")


class RequestStatus(Base):
    __tablename__ = "case_request_statuses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("case_requests.id", ondelete="CASCADE"),
                                            index=True)
    status: Mapped[str] = mapped_column(String(16))
    on_date: Mapped[date] = mapped_column(Date)
    #: The article a refusal or postponement rests on, e.g. ``UNTOC art. 18(21)(b)``.
    article: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(80), default="")


class CaseDocument(Base):
    """A generated letter (DOCX or PDF), kept as a numbered version in the case."""

    __tablename__ = "case_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_cases.id", ondelete="CASCADE"),
                                         index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_requests.id", ondelete="CASCADE"), nullable=True, index=True)
    version: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(4))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    handling: Mapped[str] = mapped_column(String(12))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Exchange(Base):
    """One piece of information sent to or received from another authority."""

    __tablename__ = "case_exchanges"
    __table_args__ = (_in("direction", EXCHANGE_DIRECTIONS),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_cases.id", ondelete="CASCADE"),
                                         index=True)
    direction: Mapped[str] = mapped_column(String(10))
    what: Mapped[str] = mapped_column(String(500))
    counterpart: Mapped[str] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    channel: Mapped[str] = mapped_column(String(60), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    handling: Mapped[str] = mapped_column(String(12))
    restrictions: Mapped[str] = mapped_column(Text, default="")
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_requests.id", ondelete="SET NULL"), nullable=True)
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_documents.id", ondelete="SET NULL"), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(80), default="")
