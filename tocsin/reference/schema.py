"""Schema of the reference YAML files.

Each file is validated by one pydantic model (``extra="forbid"``: a misspelt
field is an error, not a silently ignored value). Checks that span entries or
files (unique codes, references to crime areas, stages, parents, instruments,
source keys) live in :func:`cross_check`, which returns every problem found.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from tocsin import types
from tocsin.errors import Problem
from tocsin.i18n import COLON, N_, Joined, Message

SNAKE_CODE = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
KEBAB_CODE = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
SOURCE_KEY = re.compile(r"^S\d{2}$")

SnakeCode = Annotated[str, StringConstraints(pattern=SNAKE_CODE, max_length=64)]
KebabCode = Annotated[str, StringConstraints(pattern=KEBAB_CODE, max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Prose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=20)]


class Confidence(StrEnum):
    """How far an entry is confirmed by a public source (from the fact sheet)."""

    verified = "verified"
    partial = "partial"
    unverified = "unverified"


class StructureKind(StrEnum):
    department = "department"
    unit = "unit"
    institution = "institution"
    field_operation = "field_operation"


#: The structure kinds as pages show them (``|term``), marked for the catalogs.
STRUCTURE_KIND_TERMS = (N_("department"), N_("unit"), N_("institution"),
                        N_("field operation"))


class StateStatus(StrEnum):
    participating = "participating"
    partner_mediterranean = "partner_mediterranean"
    partner_asian = "partner_asian"


#: The statuses as words for the pages (``|term``).
STATE_STATUS_WORDS = (N_("participating"), N_("partner mediterranean"), N_("partner asian"))


class Region(StrEnum):
    """The platform's grouping of States for coverage figures (not an official scheme)."""

    western_europe = "Western Europe"
    northern_europe = "Northern Europe"
    central_europe = "Central Europe"
    south_eastern_europe = "South-Eastern Europe"
    eastern_europe = "Eastern Europe"
    south_caucasus = "South Caucasus"
    central_asia = "Central Asia"
    north_america = "North America"
    mediterranean = "Mediterranean"
    asia_pacific = "Asia-Pacific"


class OrganizationKind(StrEnum):
    international_organization = "international_organization"
    regional_body = "regional_body"
    fatf_style_regional_body = "fatf_style_regional_body"
    eu_agency = "eu_agency"
    monitoring_body = "monitoring_body"


class InstrumentKind(StrEnum):
    summit_document = "summit_document"
    mc_decision = "mc_decision"
    mc_declaration = "mc_declaration"
    pc_decision = "pc_decision"
    fsc_document = "fsc_document"
    convention = "convention"
    protocol = "protocol"
    standard = "standard"
    programme_of_action = "programme_of_action"


class SherlocType(StrEnum):
    """Crime types of UNODC's SHERLOC case-law database (fact sheet, verified)."""

    corruption = "corruption"
    counterfeiting = "counterfeiting"
    cybercrime = "cybercrime"
    drug_offences = "drug offences"
    money_laundering = "money laundering"
    obstruction_of_justice = "obstruction of justice"
    participation_ocg = "participation in an organized criminal group"
    piracy = "piracy and maritime crime"
    smuggling_of_migrants = "smuggling of migrants"
    trafficking_in_firearms = "trafficking in firearms"
    trafficking_in_cultural_property = "trafficking in cultural property"
    wildlife_forest_fisheries = "wildlife, forest and fisheries crime"
    trafficking_in_persons = "trafficking in persons"
    falsified_medical_products = "falsified medical products"
    terrorism = "terrorism"


class FatfCategory(StrEnum):
    """FATF designated categories of offences (seen only in secondary sources: unverified)."""

    ocg_racketeering = "participation in an organised criminal group and racketeering"
    terrorism = "terrorism, including terrorist financing"
    thb_smuggling = "trafficking in human beings and migrant smuggling"
    sexual_exploitation = "sexual exploitation, including of children"
    drugs = "illicit trafficking in narcotic drugs and psychotropic substances"
    arms = "illicit arms trafficking"
    stolen_goods = "illicit trafficking in stolen and other goods"
    corruption = "corruption and bribery"
    fraud = "fraud"
    counterfeiting_currency = "counterfeiting currency"
    counterfeiting_products = "counterfeiting and piracy of products"
    environmental = "environmental crime"
    murder = "murder, grievous bodily injury"
    kidnapping = "kidnapping, illegal restraint and hostage-taking"
    robbery = "robbery or theft"
    smuggling = "smuggling (incl. customs and excise)"
    tax = "tax crimes (direct and indirect)"
    extortion = "extortion"
    forgery = "forgery"
    piracy = "piracy"
    market_abuse = "insider trading and market manipulation"


#: Confidence of each crosswalk scheme as a whole (stored with every crosswalk row).
CROSSWALK_CONFIDENCE: dict[str, Confidence] = {
    "sherloc": Confidence.verified,
    "ftm_topic": Confidence.verified,
    "fatf_category": Confidence.unverified,
}


@cache
def ftm_topics() -> frozenset[str]:
    """Topic values known to the installed ``followthemoney`` package."""
    from followthemoney import registry

    return frozenset(registry.topic.names)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


#: Languages a reference name may be given in: the six official languages of the United
#: Nations first, then any other ISO 639-1 code.
UN_LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]


class Named(Strict):
    """A name in other languages than English, with where it comes from."""

    #: ISO 639-1 code → the name in that language; only names whose wording is certain.
    names: dict[LanguageCode, Text] = Field(default_factory=dict)
    #: Where those names come from (an instrument's official title, the platform's own
    #: translation of its working name, …).
    names_source: str = ""

    @model_validator(mode="after")
    def _names_have_a_source(self) -> Named:
        if self.names and not self.names_source.strip():
            raise field_error("names_source", "names in other languages need their source")
        if "en" in self.names:
            raise field_error("names", "the English name is `name`, not `names.en`")
        return self

    def name_in(self, language: str) -> str:
        """The name in ``language``, else the English ``name``."""
        return self.names.get(language) or str(getattr(self, "name", ""))


class Entry(Strict):
    """Provenance every entry carries."""

    confidence: Confidence
    #: Source keys of the fact sheet (``S01``…) or free-text citations.
    source: list[Text] = Field(default_factory=list)
    #: What is doubtful, and which field it concerns; required unless verified.
    note: str = ""

    @model_validator(mode="after")
    def _provenance(self) -> Entry:
        if self.confidence is not Confidence.unverified and not self.source:
            raise field_error("source",
                              N_("a verified or partial entry needs at least one source"))
        if self.confidence is not Confidence.verified and not self.note.strip():
            raise field_error("note", N_(
                "a %(confidence)s entry needs a note saying what is unconfirmed",
                confidence=self.confidence.value))
        return self


def field_error(field: str, reason: str) -> PydanticCustomError:
    """An error found by a whole-entry check, attributed to one field of the entry."""
    return PydanticCustomError("entry_field", "{reason}", {"field": field, "reason": reason})


def _no_doubt_marks(values: Mapping[str, str]) -> None:
    for name, value in values.items():
        if "unverified" in value.lower():
            raise field_error(name, N_(
                "%(value)s carries a doubt mark; move it to 'note' and set 'confidence'",
                value=repr(value)))


# --- crime areas ----------------------------------------------------------------


class Crosswalks(Strict):
    sherloc: list[SherlocType] = Field(default_factory=list)
    ftm_topic: list[str] = Field(default_factory=list)
    fatf_category: list[FatfCategory] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_topics(self) -> Crosswalks:
        unknown = [t for t in self.ftm_topic if t not in ftm_topics()]
        if unknown:
            raise field_error("ftm_topic", N_("not a followthemoney topic: %(topics)s",
                                              topics=", ".join(unknown)))
        return self

    def pairs(self) -> list[tuple[str, str]]:
        """``(scheme, value)`` for every crosswalk value, in file order."""
        return [
            *(("sherloc", v.value) for v in self.sherloc),
            *(("ftm_topic", v) for v in self.ftm_topic),
            *(("fatf_category", v.value) for v in self.fatf_category),
        ]


class CrimeArea(Named, Entry):
    code: SnakeCode
    name: Text
    definition: Prose
    crosswalks: Crosswalks = Field(default_factory=Crosswalks)
    #: OECD-DAC purpose code where one fits.
    dac_sector: Annotated[str, StringConstraints(pattern=r"^\d{5}$")] | None = None

    @model_validator(mode="after")
    def _clean(self) -> CrimeArea:
        _no_doubt_marks({"name": self.name})
        return self


class CrimeAreasFile(Strict):
    crime_areas: list[CrimeArea] = Field(min_length=1)


# --- justice-chain stages -------------------------------------------------------


class StageElement(Strict):
    """A framework element (tool, article, decision) that relates to a stage."""

    element: Text
    confidence: Confidence
    source: list[Text] = Field(default_factory=list)


class Stage(Named, Entry):
    code: SnakeCode
    name: Text
    order: int = Field(ge=1)
    definition: Prose
    elements: list[StageElement] = Field(default_factory=list)


class StagesFile(Strict):
    stages: list[Stage] = Field(min_length=1)


# --- structures -----------------------------------------------------------------


class Structure(Named, Entry):
    code: KebabCode
    name: Text
    acronym: str = ""
    kind: StructureKind
    parent: KebabCode | None = None
    location: str = ""
    region: Region | None = None
    description: str = ""

    @model_validator(mode="after")
    def _field_operation_place(self) -> Structure:
        _no_doubt_marks({"name": self.name, "location": self.location})
        if self.kind is StructureKind.field_operation and not (self.location and self.region):
            raise field_error(
                "location" if not self.location else "region",
                "a field operation needs a location and a region",
            )
        return self


class StructuresFile(Strict):
    structures: list[Structure] = Field(min_length=1)


# --- States ---------------------------------------------------------------------


class State(Entry):
    #: ISO 3166-1 alpha-2 and alpha-3 of the same country (checked by tocsin.types).
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    alpha3: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    name: Text
    status: StateStatus
    region: Region

    @model_validator(mode="after")
    def _iso_codes(self) -> State:
        if not types.country.known(self.code):
            raise field_error("code", N_("%(code)s is not an ISO 3166-1 alpha-2 code",
                                         code=repr(self.code)))
        if not types.country.is_valid(self.alpha3) or types.country.clean(
                self.alpha3) != self.code:
            raise field_error("alpha3", N_(
                "%(alpha3)s is not the ISO 3166-1 alpha-3 code of %(code)s",
                alpha3=repr(self.alpha3), code=self.code))
        return self


class StatesFile(Strict):
    states: list[State] = Field(min_length=1)


# --- partner organizations ------------------------------------------------------


class Organization(Named, Entry):
    code: KebabCode
    name: Text
    acronym: str = ""
    kind: OrganizationKind
    founded: Text
    seat: Text
    description: Prose
    historic: bool = False

    @model_validator(mode="after")
    def _clean(self) -> Organization:
        _no_doubt_marks({"name": self.name, "seat": self.seat, "founded": self.founded})
        return self


class OrganizationsFile(Strict):
    organizations: list[Organization] = Field(min_length=1)


# --- instruments and provisions -------------------------------------------------


class Instrument(Entry):
    code: KebabCode
    identifier: Text
    title: Text
    kind: InstrumentKind
    body: Text
    #: Only when the day is certain; otherwise ``date_text``.
    date: dt.date | None = None
    date_text: str = ""
    place: str = ""
    subject: Prose
    crime_areas: list[SnakeCode] = Field(default_factory=list)
    #: The instrument this one belongs to (a protocol's convention).
    parent: KebabCode | None = None

    @model_validator(mode="after")
    def _dated(self) -> Instrument:
        _no_doubt_marks({"identifier": self.identifier, "title": self.title, "place": self.place})
        if self.date is None and not self.date_text.strip():
            raise field_error("date", "give 'date' (ISO, when certain) or 'date_text'")
        return self


class Provision(Entry):
    #: ``<instrument code>:<local part>``, e.g. ``untoc:art13``, ``fatf:r38``.
    key: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*:[a-z0-9][a-z0-9.-]*$")]
    number: Text
    name: Text
    chapter: str = ""
    crime_areas: list[SnakeCode] = Field(default_factory=list)
    stages: list[SnakeCode] = Field(default_factory=list)

    @property
    def instrument_code(self) -> str:
        return self.key.split(":", 1)[0]

    @model_validator(mode="after")
    def _clean(self) -> Provision:
        _no_doubt_marks({"name": self.name})
        return self


class InstrumentsFile(Strict):
    instruments: list[Instrument] = Field(default_factory=list)
    provisions: list[Provision] = Field(default_factory=list)


# --- meta -----------------------------------------------------------------------


class Meta(Strict):
    #: ``YYYY.MM.N`` (see docs/reference-data.md for the bump rules).
    version: Annotated[str, StringConstraints(pattern=r"^\d{4}\.\d{1,2}\.\d+$")]
    compiled_on: dt.date
    #: Source keys used in ``source`` lists, with what each one is.
    sources: dict[Annotated[str, StringConstraints(pattern=r"^S\d{2}$")], Text]


# --- cross-file checks ----------------------------------------------------------


def entry_label(code: object, index: int) -> Message:
    """``entry 'code'`` or, for an entry without a code, ``entry #3`` (its position)."""
    if isinstance(code, str) and code:
        return N_("entry %(code)s", code=f"'{code}'")
    return N_("entry #%(number)s", number=index + 1)


def field_label(name: str) -> Message:
    """``field 'name'``: the field of an entry a problem is about."""
    return N_("field %(name)s", name=f"'{name}'")


@dataclass(frozen=True)
class Located:
    """An entry with the file it came from and its position in that file."""

    file: str
    index: int
    entry: Any

    @property
    def label(self) -> Message:
        code = getattr(self.entry, "code", None) or getattr(self.entry, "key", None)
        return entry_label(code, self.index)

    def where(self, field: str) -> Message:
        return Joined([self.file, self.label, field_label(field)], COLON)


def _unique(
    items: Sequence[Located], attr: str, what: str, problems: list[Problem]
) -> dict[str, Located]:
    seen: dict[str, Located] = {}
    for item in items:
        value = getattr(item.entry, attr)
        first = seen.get(value)
        if first is None:
            seen[value] = item
            continue
        problems.append(
            Problem(
                Joined([item.file, N_("entry %(code)s (#%(number)s)", code=f"'{value}'",
                                      number=item.index + 1), field_label(attr)], COLON),
                N_("duplicate %(what)s %(value)s; first used in %(file)s entry #%(number)s",
                   what=what, value=repr(value), file=first.file, number=first.index + 1),
            )
        )
    return seen


def _sources(items: Sequence[Located], known: Mapping[str, str], problems: list[Problem]) -> None:
    for item in items:
        cited = [("source", v) for v in item.entry.source]
        for i, element in enumerate(getattr(item.entry, "elements", [])):
            cited += [(f"elements[{i}].source", v) for v in element.source]
        for field, value in cited:
            if SOURCE_KEY.match(value) and value not in known:
                problems.append(
                    Problem(item.where(field), N_("unknown source key %(key)s (see meta.yaml)",
                                                  key=repr(value)))
                )


def _parents(items: Mapping[str, Located], problems: list[Problem]) -> None:
    """Every parent exists and no entry is its own ancestor."""
    for code, item in items.items():
        parent = item.entry.parent
        if parent is None:
            continue
        if parent not in items:
            problems.append(Problem(item.where("parent"), N_("unknown parent %(code)s",
                                                             code=repr(parent))))
            continue
        chain = {code}
        while parent is not None and parent in items:
            if parent in chain:
                problems.append(Problem(item.where("parent"), N_("parents form a cycle")))
                break
            chain.add(parent)
            parent = items[parent].entry.parent


def cross_check(
    *,
    meta: Meta | None,
    crime_areas: Sequence[Located] | None,
    stages: Sequence[Located] | None,
    structures: Sequence[Located] | None,
    states: Sequence[Located] | None,
    organizations: Sequence[Located] | None,
    instruments: Sequence[Located] | None,
    provisions: Sequence[Located] | None,
) -> list[Problem]:
    """Checks across entries and files. ``None`` means the file did not validate."""
    problems: list[Problem] = []
    area_codes = set(_unique(crime_areas, "code", N_("code"), problems)) if crime_areas else None
    stage_codes = None
    if stages is not None:
        stage_codes = set(_unique(stages, "code", N_("code"), problems))
        _unique(stages, "order", N_("order"), problems)
    if structures is not None:
        _parents(_unique(structures, "code", N_("code"), problems), problems)
    if states is not None:
        _unique(states, "code", N_("ISO alpha-2 code"), problems)
        _unique(states, "alpha3", N_("ISO alpha-3 code"), problems)
    if organizations is not None:
        _unique(organizations, "code", N_("code"), problems)
    if structures is not None and organizations is not None:
        # Structures and partners both become owning units, keyed by code.
        by_code = {s.entry.code: s for s in structures}
        for org in organizations:
            if org.entry.code in by_code:
                problems.append(
                    Problem(
                        org.where("code"),
                        N_("code %(code)s is already used by a structure in %(file)s",
                           code=repr(org.entry.code), file=by_code[org.entry.code].file),
                    )
                )
    instrument_codes = None
    if instruments is not None:
        by_instrument = _unique(instruments, "code", N_("code"), problems)
        _parents(by_instrument, problems)
        instrument_codes = set(by_instrument)
    if provisions is not None:
        _unique(provisions, "key", N_("key"), problems)
    for group in (instruments or [], provisions or []):
        for item in group:
            if area_codes is not None:
                for code in item.entry.crime_areas:
                    if code not in area_codes:
                        problems.append(
                            Problem(item.where("crime_areas"),
                                    N_("unknown crime area %(code)s", code=repr(code)))
                        )
    for item in provisions or []:
        if stage_codes is not None:
            for code in item.entry.stages:
                if code not in stage_codes:
                    problems.append(Problem(item.where("stages"), N_("unknown stage %(code)s",
                                                                     code=repr(code))))
        if instrument_codes is not None and item.entry.instrument_code not in instrument_codes:
            problems.append(
                Problem(item.where("key"), N_("unknown instrument %(code)s",
                                              code=repr(item.entry.instrument_code)))
            )
    if meta is not None:
        groups: tuple[Sequence[Located] | None, ...] = (
            crime_areas,
            stages,
            structures,
            states,
            organizations,
            instruments,
            provisions,
        )
        for entries in groups:
            _sources(entries or [], meta.sources, problems)
    return problems
