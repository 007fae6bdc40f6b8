"""Transaction sets: the registry row of an imported set (its rows are not indexed)."""

from __future__ import annotations

from tocsin.money.tables import TransactionSet
from tocsin.search.registry import Provider, SearchDoc, join_text, register, year_of


class TransactionSetProvider(Provider):
    record_type = "transaction_set"
    model = TransactionSet

    def document(self, record: TransactionSet) -> SearchDoc:
        return SearchDoc(
            record_type=self.record_type,
            record_id=str(record.id),
            title=record.name,
            body=join_text(
                record.description,
                f"{record.format} transaction set in {record.base_currency}: "
                f"{record.transaction_count:,} transactions, {record.account_count:,} accounts, "
                f"{record.party_count:,} parties"
                + (", with laundering labels" if record.has_labels else "")),
            handling=record.handling,
            owner_unit_id=record.owner_unit_id,
            url=f"/investigations/sets/{record.id}",
            year=year_of(record.created_at),
        )


register(TransactionSetProvider())
