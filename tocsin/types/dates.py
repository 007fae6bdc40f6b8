"""Calendar dates, written and read as ISO 8601 (``2024-03-31``)."""

from __future__ import annotations

import re
from datetime import date, datetime

from tocsin.i18n import N_
from tocsin.types.base import ValueType, text_of

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class DateType(ValueType[date]):
    """A calendar date; a datetime gives its date, text must be ``YYYY-MM-DD``."""

    name = "date"

    def clean(self, raw: object) -> date:
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        text = text_of(raw)
        if not _ISO_DATE.match(text):
            raise ValueError(N_("%(value)s is not a date written YYYY-MM-DD", value=repr(raw)))
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(N_("%(value)s is not a date of the calendar",
                                    value=repr(raw))) from None

    def label(self, value: date) -> str:
        return value.isoformat()
