"""What a batch of the IATI reader holds, in a form two reads can be compared by."""

from __future__ import annotations

from typing import Any

from tocsin.taskforce.iati.reader import ReadResult


def outline(batch: ReadResult) -> tuple[Any, ...]:
    """Everything a batch holds, comparable with ``==`` (problems fourth)."""
    return (batch.count, [spec.model_dump() for spec in batch.activities],
            {k: (v.xml, v.digest, v.transactions, v.budgets, v.sectors, v.recipients)
             for k, v in batch.iati.items()},
            batch.problems, batch.notes, batch.warnings, batch.children,
            batch.implicit_level, dict(batch.preserved), batch.broken, batch.locations)
