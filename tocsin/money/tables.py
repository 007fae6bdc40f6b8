"""The registry of transaction sets: one guarded row per set stored under ``<data_dir>/money/``."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.store.base import Base, Guarded, guarded_table_args


class TransactionSet(Guarded, Base):
    """An imported transaction set; its rows live in Parquet files, not in the database."""

    __tablename__ = "money_transaction_sets"
    __table_args__ = guarded_table_args()
    record_type = "transaction_set"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Source format: amlworld, amlsim, goaml, camt053, ftm or csv.
    format: Mapped[str] = mapped_column(String(20))
    base_currency: Mapped[str] = mapped_column(String(3))
    #: Folder name under ``<data_dir>/money/``; never derived from user input.
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    transaction_count: Mapped[int] = mapped_column(Integer, default=0)
    account_count: Mapped[int] = mapped_column(Integer, default=0)
    party_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Whether the source carries known laundering labels (AMLworld, AMLSim, a mapped column).
    has_labels: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
