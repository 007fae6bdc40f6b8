"""The YAML column mapping of the generic CSV/Excel importer, validated with pydantic.

A mapping says which column holds what, in the spirit of FollowTheMoney
mappings::

    delimiter: ";"
    decimal: ","                 # decimal separator of amounts
    thousands: "."
    filters:
      - {column: Status, equals: [BOOKED]}
    transaction:
      id: Reference              # optional; default <file>:<line>
      date: {column: Booking date, format: "%d.%m.%Y"}   # time: a time-of-day column
      amount: {column: Amount, negative: swap}
      currency: {value: EUR}     # a constant instead of a column
      channel: Type
      label: {column: Suspicious, true_values: ["1"]}
      pattern: Typology          # of the rows the label marks
    source:
      account: Payer IBAN
      bank: Payer BIC
      country: Payer country
      kind: {value: domestic}
      party:
        name: Payer
        schema: {column: Payer type, map: {P: Person, C: Company}, default: LegalEntity}
    target:
      account: Payee IBAN
      party: {name: Payee}

A field is a column name, ``{column: …}`` or ``{value: …}``; ``map`` translates
the values read and ``default`` fills empty cells. Errors name the YAML key.
"""

from __future__ import annotations

import codecs
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from tocsin.errors import InputError, Problem, validation_reason
from tocsin.i18n import N_
from tocsin.money.ingest.entities import PARTY_SCHEMAS
from tocsin.money.schema import ACCOUNT_KINDS

#: libyaml where PyYAML has it: five times faster than the Python loader, and it refuses
#: nesting deeper than 1,000 levels with a located error where the Python loader runs out
#: of stack (``RecursionError``, caught below for when libyaml is missing)
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldSpec(_Strict):
    """Where a value comes from: a column, or a constant ``value``."""

    column: str | None = None
    value: str | None = None
    map: dict[str, str] = {}
    default: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        return {"column": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        if (self.column is None) == (self.value is None):
            raise ValueError(N_("give exactly one of 'column' or 'value'"))
        return self


class DateSpec(FieldSpec):
    #: ``strptime`` format; ISO 8601 when omitted.
    format: str | None = None
    #: A column with the time of day (``HH:MM`` or ``HH:MM:SS``) when the date column holds
    #: the day alone, as SAML-D writes ``Time`` beside ``Date``.
    time: str | None = None

    @field_validator("format")
    @classmethod
    def _one_of_each(cls, value: str | None) -> str | None:
        # a directive given twice ("%m.%m") makes strptime's own pattern invalid (re.error
        # at every row); a bad directive is a ValueError there, told at each row as a value
        # that does not match the format
        if value is not None:
            try:
                datetime.strptime("", value)  # compiles the format; no text to match
            except re.error as exc:
                raise ValueError(f"not a date format: a directive is given twice ({exc.msg})"
                                 ) from None
            except ValueError:
                pass  # the empty text does not match: expected
        return value


class SignSpec(FieldSpec):
    #: The values of the sign column that make the amount negative ("Af", "S", "Debit").
    negative: list[str] = Field(min_length=1)


class AmountSpec(FieldSpec):
    #: What a negative amount means: an error, money flowing the other way, or only
    #: money out of the account whose payer and payee columns already say so (abs).
    negative: Literal["error", "swap", "abs"] = "error"
    #: A second column of debits (money out), read as negative amounts; ``column``
    #: then holds the credits. A row fills one of the two.
    debit: FieldSpec | None = None
    #: A column telling the sign ("Af Bij", "S/H") of amounts written without one.
    sign: SignSpec | None = None


class LabelSpec(FieldSpec):
    true_values: list[str] = ["1", "true", "yes", "y", "x"]


class PartySpec(_Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: FieldSpec
    #: FollowTheMoney schema of the party (Person, Company, Organization, LegalEntity).
    schema_: FieldSpec | None = Field(default=None, alias="schema")
    country: FieldSpec | None = None
    id_number: FieldSpec | None = None


class SideSpec(_Strict):
    account: FieldSpec | None = None
    bank: FieldSpec | None = None
    country: FieldSpec | None = None
    kind: FieldSpec | None = None
    party: PartySpec | None = None

    @model_validator(mode="after")
    def _identified(self) -> SideSpec:
        if self.account is None and self.party is None:
            raise ValueError(N_("give an 'account' or a 'party' (or both)"))
        if self.kind is not None and self.kind.value is not None \
                and self.kind.value not in ACCOUNT_KINDS:
            raise ValueError(N_("kind %(kind)s is not one of %(choices)s",
                                kind=repr(self.kind.value), choices=", ".join(ACCOUNT_KINDS)))
        return self


class TransactionSpec(_Strict):
    id: FieldSpec | None = None
    date: DateSpec
    amount: AmountSpec
    currency: FieldSpec
    channel: FieldSpec | None = None
    label: LabelSpec | None = None
    #: The typology of a laundering row (SAML-D's ``Laundering_type``); rows the label does
    #: not mark keep none, whatever the column says of them.
    pattern: FieldSpec | None = None

    @model_validator(mode="after")
    def _pattern_of_labelled(self) -> TransactionSpec:
        if self.pattern is not None and self.label is None:
            raise ValueError(N_("give a 'label' with the 'pattern': only the rows it marks "
                                "carry one"))
        return self


class FilterSpec(_Strict):
    column: str
    equals: list[str] | None = None
    not_equals: list[str] | None = None
    not_empty: bool = False


class Mapping(_Strict):
    format: Literal["csv", "xlsx"] | None = None
    delimiter: str = Field(",", min_length=1, max_length=1)
    encoding: str = "utf-8-sig"
    decimal: str = "."
    thousands: str | None = None
    sheet: str | None = None
    #: At most the rows an Excel sheet can hold.
    header_row: int = Field(1, ge=1, le=1_048_576)
    #: Records after the data (totals, closing balance) left unread and named in the notes.
    footer_rows: int = Field(0, ge=0, le=1000)
    filters: list[FilterSpec] = []
    transaction: TransactionSpec
    source: SideSpec
    target: SideSpec

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            known = codecs.lookup(value)
        except LookupError:
            raise ValueError(N_("unknown encoding %(value)s", value=repr(value))) from None
        if not getattr(known, "_is_text_encoding", True):
            raise ValueError(N_("%(value)s is not a text encoding", value=repr(value)))
        return value

    def columns(self) -> dict[str, str]:
        """Every column the mapping reads, by the YAML key that names it."""
        found: dict[str, str] = {}

        def visit(spec: Any, key: str) -> None:
            if isinstance(spec, FieldSpec):
                if spec.column is not None:
                    found[key] = spec.column
                for name in ("debit", "sign"):  # an amount's other columns
                    if isinstance(getattr(spec, name, None), FieldSpec):
                        visit(getattr(spec, name), f"{key}.{name}")
                if isinstance(spec, DateSpec) and spec.time is not None:
                    found[f"{key}.time"] = spec.time
            elif isinstance(spec, BaseModel):
                for name in type(spec).model_fields:
                    alias = "schema" if name == "schema_" else name
                    visit(getattr(spec, name), f"{key}.{alias}" if key else alias)
            elif isinstance(spec, list):
                for i, item in enumerate(spec):
                    visit(item, f"{key}[{i}]")

        visit(self, "")
        for i, flt in enumerate(self.filters):
            found[f"filters[{i}].column"] = flt.column
        return found


def load_mapping(path: Path) -> Mapping:
    """Read and validate a mapping file; every error names its YAML key."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506
    except OSError as exc:
        raise InputError.single(str(path), N_("cannot read the mapping: %(error)s",
                                              error=exc.strerror)) from None
    except UnicodeDecodeError as exc:
        raise InputError.single(str(path), N_("the mapping is not UTF-8 text (%(error)s at "
                                              "byte %(byte)s)", error=exc.reason,
                                              byte=exc.start)) from None
    except yaml.YAMLError as exc:
        raise InputError.single(str(path), N_("not valid YAML: %(error)s",
                                              error=str(exc))) from None
    except RecursionError:
        raise InputError.single(str(path), N_("not valid YAML: %(error)s",
                                              error="nested too deeply")) from None
    return parse_mapping(raw, str(path))


def parse_mapping(raw: Any, where: str = "mapping") -> Mapping:
    try:
        mapping = Mapping.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join("schema" if p == "schema_" else str(p) for p in err["loc"]
                           if not str(p).startswith("function-"))
            problems.append(Problem(f"{where}: {key or '(top)'}", validation_reason(err)))
        raise InputError(problems, summary=N_("%(where)s: the mapping is not valid",
                                              where=where)) from None
    _check_schemas(mapping, where)
    return mapping


def _check_schemas(mapping: Mapping, where: str) -> None:
    problems = []
    for side in ("source", "target"):
        party = getattr(mapping, side).party
        if party is None or party.schema_ is None:
            continue
        spec = party.schema_
        values = [spec.value, spec.default, *spec.map.values()]
        for value in values:
            if value is not None and value not in PARTY_SCHEMAS:
                problems.append(Problem(f"{where}: {side}.party.schema",
                                        N_("%(value)s is not one of %(choices)s",
                                           value=repr(value),
                                           choices=", ".join(PARTY_SCHEMAS))))
    if problems:
        raise InputError(problems, summary=N_("%(where)s: the mapping is not valid",
                                              where=where))
