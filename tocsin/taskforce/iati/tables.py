"""Tables of the IATI register: what a publisher's file says, kept in full.

An activity read from an IATI file keeps, next to its platform record
(``tf_activities`` and its shares and finance lines):

* ``tf_iati_records``: the ``iati-activity`` element exactly as published, the
  version it was written in and a digest, so that nothing the platform does not
  model is lost and a newer file can be compared with it;
* typed rows for what the platform computes with: every transaction of every
  type (``tf_iati_transactions``), budgets and planned disbursements with their
  real periods (``tf_iati_budgets``), sectors of every vocabulary
  (``tf_iati_sectors``) and every recipient country and region
  (``tf_iati_recipients``).

IATI organisation files land in ``tf_iati_organisations`` (linked to a partner)
with their budgets and expenditure in ``tf_iati_org_finance``.

All of these hang off a guarded record (an activity or a partner) and are read
only through it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from functools import cache
from operator import gt, itemgetter
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.store.base import Base, utcnow

#: IATI values: wider than the platform's amounts, and with room for sub-cent values.
Value = Numeric(22, 4)
Percentage = Numeric(7, 4)


class IatiRecord(Base):
    """The ``iati-activity`` element of an activity as its publisher wrote it."""

    __tablename__ = "tf_iati_records"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), primary_key=True)
    #: The IATI version of the file (2.01, 2.02 or 2.03).
    version: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(300), default="")
    xml: Mapped[str] = mapped_column(Text)
    #: SHA-256 of ``xml``: a re-import compares it before anything else.
    digest: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class IatiTransaction(Base):
    """One ``transaction`` of any type (1 incoming funds … 13 incoming pledge)."""

    __tablename__ = "tf_iati_transactions"
    __table_args__ = (CheckConstraint("type_code BETWEEN 1 AND 13", name="type_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    type_code: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str] = mapped_column(String(200), default="")
    humanitarian: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    transaction_date: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Value)
    currency: Mapped[str] = mapped_column(String(3))
    value_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    provider_ref: Mapped[str] = mapped_column(String(200), default="")
    provider_type: Mapped[str] = mapped_column(String(4), default="")
    provider_activity_id: Mapped[str] = mapped_column(String(200), default="")
    provider_name: Mapped[str] = mapped_column(String(300), default="")
    receiver_ref: Mapped[str] = mapped_column(String(200), default="")
    receiver_type: Mapped[str] = mapped_column(String(4), default="")
    receiver_activity_id: Mapped[str] = mapped_column(String(200), default="")
    receiver_name: Mapped[str] = mapped_column(String(300), default="")
    disbursement_channel: Mapped[str] = mapped_column(String(4), default="")
    flow_type: Mapped[str] = mapped_column(String(4), default="")
    finance_type: Mapped[str] = mapped_column(String(4), default="")
    #: ``vocabulary:code`` pairs separated by spaces (2.03 allows several aid types).
    aid_types: Mapped[str] = mapped_column(String(200), default="")
    tied_status: Mapped[str] = mapped_column(String(4), default="")
    sector_vocabulary: Mapped[str] = mapped_column(String(4), default="")
    sector_code: Mapped[str] = mapped_column(String(40), default="")
    recipient_country: Mapped[str] = mapped_column(String(2), default="")
    region_vocabulary: Mapped[str] = mapped_column(String(4), default="")
    recipient_region: Mapped[str] = mapped_column(String(40), default="")


class IatiBudget(Base):
    """A ``budget`` or a ``planned-disbursement`` with its real period."""

    __tablename__ = "tf_iati_budgets"
    __table_args__ = (
        CheckConstraint("element IN ('budget', 'planned-disbursement')", name="element"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    element: Mapped[str] = mapped_column(String(24))
    #: BudgetType 1 original, 2 revised (for both elements).
    type: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: BudgetStatus 1 indicative, 2 committed (budgets only).
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    value: Mapped[Decimal] = mapped_column(Value)
    currency: Mapped[str] = mapped_column(String(3))
    value_date: Mapped[date] = mapped_column(Date)
    provider_ref: Mapped[str] = mapped_column(String(200), default="")
    provider_activity_id: Mapped[str] = mapped_column(String(200), default="")
    provider_name: Mapped[str] = mapped_column(String(300), default="")
    receiver_ref: Mapped[str] = mapped_column(String(200), default="")
    receiver_activity_id: Mapped[str] = mapped_column(String(200), default="")
    receiver_name: Mapped[str] = mapped_column(String(300), default="")


class IatiSector(Base):
    """A ``sector`` of any vocabulary (DAC 5 and 3 digit, COFOG, SDG, own …)."""

    __tablename__ = "tf_iati_sectors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    vocabulary: Mapped[str] = mapped_column(String(4), default="1")
    vocabulary_uri: Mapped[str] = mapped_column(String(500), default="")
    code: Mapped[str] = mapped_column(String(100))
    percentage: Mapped[Decimal | None] = mapped_column(Percentage, nullable=True)
    name: Mapped[str] = mapped_column(String(500), default="")


class IatiRecipient(Base):
    """A ``recipient-country`` (any ISO 3166-1 country) or ``recipient-region``."""

    __tablename__ = "tf_iati_recipients"
    __table_args__ = (CheckConstraint("kind IN ('country', 'region')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("tf_activities.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(8))
    #: RegionVocabulary for regions (1 OECD-DAC, 2 UN M49, 99 own); empty for countries.
    vocabulary: Mapped[str] = mapped_column(String(4), default="")
    vocabulary_uri: Mapped[str] = mapped_column(String(500), default="")
    code: Mapped[str] = mapped_column(String(40), index=True)
    percentage: Mapped[Decimal | None] = mapped_column(Percentage, nullable=True)


class IatiOrganisation(Base):
    """An ``iati-organisation`` from an organisation file, linked to its partner."""

    __tablename__ = "tf_iati_organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("tf_partners.id", ondelete="CASCADE"), index=True)
    identifier: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(300), default="")
    xml: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class IatiOrgFinance(Base):
    """A budget or expenditure line of an organisation file."""

    __tablename__ = "tf_iati_org_finance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("tf_iati_organisations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: total-budget, recipient-org-budget, recipient-region-budget,
    #: recipient-country-budget or total-expenditure.
    element: Mapped[str] = mapped_column(String(30))
    #: The recipient (country code, region code or organisation identifier).
    recipient: Mapped[str] = mapped_column(String(200), default="")
    #: The recipient's name as published (its narrative in the organisation's language,
    #: else the first): the only name of a recipient organisation published without @ref.
    recipient_name: Mapped[str] = mapped_column(String(300), default="", server_default="")
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Value)
    currency: Mapped[str] = mapped_column(String(3))
    #: The value's @value-date (the date of its exchange rate); None on rows imported
    #: before the column existed.
    value_date: Mapped[date | None] = mapped_column(Date, nullable=True)


@cache
def text_columns(table: type[Base]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The String columns of ``table`` that declare a length, and those lengths."""
    text = [(c.name, c.type.length) for c in table.__table__.columns
            if isinstance(c.type, String) and c.type.length]
    return tuple(name for name, _ in text), tuple(length for _, length in text)


@cache
def scaled_columns(table: type[Base]) -> tuple[tuple[str, int], ...]:
    """The Numeric columns of ``table`` that declare a scale, each with it."""
    return tuple((c.name, c.type.scale) for c in table.__table__.columns
                 if isinstance(c.type, Numeric) and c.type.scale is not None)


def overprecise(table: type[Base],
                rows: Sequence[Mapping[str, Any]]) -> list[tuple[int, str, Decimal, int]]:
    """``(row index, column, value, scale)`` of each number of ``rows`` with more decimals
    than its column of ``table`` keeps (the database rounds it without a word); trailing
    zeros (``162964.120000``) lose nothing and are not counted."""
    columns = scaled_columns(table)
    return [(index, name, value, scale) for index, row in enumerate(rows)
            for name, scale in columns
            if isinstance(value := row.get(name), Decimal)
            and isinstance(exponent := value.as_tuple().exponent, int) and exponent < -scale
            and value != value.quantize(Decimal(1).scaleb(-scale), ROUND_DOWN)]


def overlong(table: type[Base],
             rows: Sequence[Mapping[str, Any]]) -> list[tuple[int, str, int, int]]:
    """``(row index, column, length, limit)`` of each text value of ``rows`` longer than its
    column of ``table``: PostgreSQL refuses such a row, SQLite keeps more than the column
    says. Each row carries every column :func:`text_columns` names (None for some)."""
    columns, lengths = text_columns(table)
    if not rows or not columns:
        return []
    # almost every row fits: one pass in C over the rows' text first (it runs per activity)
    values = map(itemgetter(*columns), rows) if len(columns) > 1 else (
        (row[columns[0]],) for row in rows)
    if not any(any(map(gt, map(len, map(str, row)), lengths)) for row in values):
        return []
    return [(index, column, len(value), limit) for index, row in enumerate(rows)
            for column, limit in zip(columns, lengths, strict=True)
            if isinstance(value := row[column], str) and len(value) > limit]
