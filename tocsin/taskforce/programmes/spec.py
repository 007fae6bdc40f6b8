"""An activity as plain data, independent of the database.

The IATI reader and writer, the CSV/Excel templates, the JSON API and the
library all exchange :class:`ActivitySpec`; :mod:`.records` turns it into rows
and back. Placement fields (``handling``, ``owner_unit``) are not part of IATI.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tocsin.i18n import N_

Level = Literal["programme", "project", "activity"]
FinanceKind = Literal["budget", "commitment", "expenditure"]

#: IATI ``hierarchy`` attribute for each level.
HIERARCHY = {"programme": 1, "project": 2, "activity": 3}
LEVEL_DEPTH = {"programme": 0, "project": 1, "activity": 2}

#: IATI codes with the labels people see (translated where shown).
ACTIVITY_STATUSES = {
    1: N_("pipeline/identification"),
    2: N_("implementation"),
    3: N_("finalisation"),
    4: N_("closed"),
    5: N_("cancelled"),
    6: N_("suspended"),
}
ORG_ROLES = {1: N_("funding"), 2: N_("accountable"), 3: N_("extending"), 4: N_("implementing")}
RESULT_TYPES = {1: N_("output"), 2: N_("outcome"), 3: N_("impact"), 9: N_("other")}
INDICATOR_MEASURES = {1: N_("unit"), 2: N_("percentage"), 3: N_("nominal"), 4: N_("ordinal"),
                      5: N_("qualitative")}


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParticipantSpec(_Spec):
    role: int = Field(description="1 funding, 2 accountable, 3 extending, 4 implementing")
    organization_code: str | None = Field(default=None, description="ref_organizations code")
    name: str = ""
    org_ref: str = Field(default="", description="IATI organisation identifier")
    org_type: str = Field(default="", description="IATI OrganisationType code")


class ShareSpec(_Spec):
    code: str
    percentage: Decimal | None = None


class RegionSpec(ShareSpec):
    vocabulary: str = "1"


class FinanceSpec(_Spec):
    year: int
    kind: FinanceKind
    amount: Decimal
    currency: str


class PeriodSpec(_Spec):
    start: date
    end: date
    target: str | None = None
    actual: str | None = None


class IndicatorSpec(_Spec):
    title: str
    description: str = ""
    measure: int = 1
    ascending: bool | None = None
    baseline_year: int | None = None
    baseline_value: str | None = None
    periods: list[PeriodSpec] = Field(default_factory=list)


class ResultSpec(_Spec):
    type: int = Field(description="1 output, 2 outcome, 3 impact, 9 other")
    title: str
    description: str = ""
    aggregation_status: bool | None = None
    indicators: list[IndicatorSpec] = Field(default_factory=list)


class DocumentSpec(_Spec):
    title: str
    url: str | None = None
    stored_path: str | None = None
    original_name: str = ""
    mime_type: str = ""
    category: str = "A01"
    language: str | None = None
    document_date: date | None = None


class ActivitySpec(_Spec):
    identifier: str
    level: Level = "activity"
    title: str
    description: str = ""
    parent_identifier: str | None = None
    implementing_structure: str | None = None
    status: int = 1
    planned_start: date | None = None
    actual_start: date | None = None
    planned_end: date | None = None
    actual_end: date | None = None
    reporting_org_ref: str
    reporting_org_name: str = ""
    reporting_org_type: str = "40"
    is_external: bool = False
    language: str = "en"
    default_currency: str | None = None
    participants: list[ParticipantSpec] = Field(default_factory=list)
    countries: list[ShareSpec] = Field(default_factory=list)
    regions: list[RegionSpec] = Field(default_factory=list)
    crime_areas: list[ShareSpec] = Field(default_factory=list)
    stages: list[ShareSpec] = Field(default_factory=list)
    finance: list[FinanceSpec] = Field(default_factory=list)
    results: list[ResultSpec] = Field(default_factory=list)
    documents: list[DocumentSpec] = Field(default_factory=list)
    #: Placement (not IATI): TLP handling code and owning unit code; ``None``
    #: means the importer's default.
    handling: str | None = None
    owner_unit: str | None = None

    @property
    def funding_sources(self) -> list[ParticipantSpec]:
        return [p for p in self.participants if p.role == 1]


def format_decimal(value: Decimal) -> str:
    """Shortest plain form: ``60.00`` → ``60``, ``12.50`` → ``12.5`` (never exponent)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def format_amount(value: Decimal) -> str:
    """Money with two decimals, as stored."""
    return format(value.quantize(Decimal("0.01")), "f")
