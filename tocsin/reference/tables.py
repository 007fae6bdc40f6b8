"""Database tables of the reference framework (crime areas, stages, structures…).

These tables hold the public framework shipped with the platform: they are not
``Guarded`` and carry no handling code, because their content is CLEAR by
definition. They are filled only by :func:`tocsin.reference.load.sync_reference`
from the YAML files; other topics reference them with foreign keys on the
stable codes. An entry that disappeared from the files while something still
points at it is kept with ``retired = True`` instead of being deleted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.store.base import Base

CODE = 64


class _Entry:
    """Columns every reference entry has: provenance, confidence and retirement."""

    name: Mapped[str] = mapped_column(String(300))
    #: ``verified`` | ``partial`` | ``unverified`` (carried over from the fact sheet).
    confidence: Mapped[str] = mapped_column(String(12))
    #: Source keys or citations, a JSON list of strings.
    source: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Caveats, including doubtful values that are not presented as certain.
    note: Mapped[str] = mapped_column(Text, default="")
    #: True when the entry left the shipped files but is still referenced.
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class RefMeta(Base):
    """Key/value facts about the loaded reference data, e.g. ``version``."""

    __tablename__ = "ref_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RefCrimeArea(_Entry, Base):
    """A crime area or typology (drug trafficking, money laundering…)."""

    __tablename__ = "ref_crime_areas"

    code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    definition: Mapped[str] = mapped_column(Text)
    #: OECD-DAC purpose code when one fits (e.g. ``"16063"``).
    dac_sector: Mapped[str | None] = mapped_column(String(10), nullable=True)


class RefCrimeAreaCrosswalk(Base):
    """One equivalent of a crime area in another scheme (SHERLOC, FollowTheMoney, FATF)."""

    __tablename__ = "ref_crime_area_crosswalks"

    crime_area_code: Mapped[str] = mapped_column(
        ForeignKey("ref_crime_areas.code", ondelete="CASCADE"), primary_key=True
    )
    #: ``sherloc`` | ``ftm_topic`` | ``fatf_category``.
    scheme: Mapped[str] = mapped_column(String(30), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), primary_key=True)
    confidence: Mapped[str] = mapped_column(String(12))


class RefStage(_Entry, Base):
    """A stage of the criminal-justice chain (prevention … victim and witness protection)."""

    __tablename__ = "ref_stages"

    code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    definition: Mapped[str] = mapped_column(Text)
    #: Framework elements relating to the stage: JSON list of {element, confidence}.
    elements: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class RefStructure(_Entry, Base):
    """A department, unit, institution or field operation of the organization."""

    __tablename__ = "ref_structures"

    code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    #: ``department`` | ``unit`` | ``institution`` | ``field_operation``.
    kind: Mapped[str] = mapped_column(String(20))
    acronym: Mapped[str] = mapped_column(String(30), default="")
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("ref_structures.code"), nullable=True, index=True
    )
    location: Mapped[str] = mapped_column(String(120), default="")
    region: Mapped[str] = mapped_column(String(60), default="")
    description: Mapped[str] = mapped_column(Text, default="")


class RefCountry(_Entry, Base):
    """A participating State or Partner for Co-operation, keyed by ISO 3166-1 alpha-2."""

    __tablename__ = "ref_countries"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    alpha3: Mapped[str] = mapped_column(String(3), unique=True)
    #: ``participating`` | ``partner_mediterranean`` | ``partner_asian``.
    status: Mapped[str] = mapped_column(String(30))
    region: Mapped[str] = mapped_column(String(60))


class RefOrganization(_Entry, Base):
    """A partner organization (UNODC, INTERPOL, FATF-style regional bodies…)."""

    __tablename__ = "ref_organizations"

    code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    acronym: Mapped[str] = mapped_column(String(30), default="")
    #: ``international_organization`` | ``regional_body`` | ``fatf_style_regional_body``
    #: | ``eu_agency`` | ``monitoring_body``.
    kind: Mapped[str] = mapped_column(String(40))
    founded: Mapped[str] = mapped_column(Text, default="")
    seat: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    historic: Mapped[bool] = mapped_column(Boolean, default=False)


class RefInstrument(_Entry, Base):
    """A decision, declaration, convention, protocol or standard of the acquis."""

    __tablename__ = "ref_instruments"

    code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    #: The official identifier, e.g. ``MC.DEC/3/05``.
    identifier: Mapped[str] = mapped_column(String(200))
    #: ``summit_document`` | ``mc_decision`` | ``mc_declaration`` | ``pc_decision``
    #: | ``fsc_document`` | ``convention`` | ``protocol`` | ``standard``
    #: | ``programme_of_action``.
    kind: Mapped[str] = mapped_column(String(30))
    body: Mapped[str] = mapped_column(String(120), default="")
    #: Set only when the day is certain; otherwise ``date_text`` says what is known.
    date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    date_text: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(120), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("ref_instruments.code"), nullable=True, index=True
    )


class RefInstrumentCrimeArea(Base):
    """Which crime areas an instrument concerns."""

    __tablename__ = "ref_instrument_crime_areas"

    instrument_code: Mapped[str] = mapped_column(
        ForeignKey("ref_instruments.code", ondelete="CASCADE"), primary_key=True
    )
    crime_area_code: Mapped[str] = mapped_column(
        ForeignKey("ref_crime_areas.code", ondelete="CASCADE"), primary_key=True
    )


class RefProvision(_Entry, Base):
    """An article or recommendation of an instrument, e.g. ``untoc:art13``, ``fatf:r38``.

    ``name`` holds the heading or title.
    """

    __tablename__ = "ref_provisions"

    key: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    instrument_code: Mapped[str] = mapped_column(ForeignKey("ref_instruments.code"), index=True)
    #: The number as written in the instrument (``"13"``, ``"R.38"``).
    number: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    chapter: Mapped[str] = mapped_column(String(200), default="")


class RefProvisionCrimeArea(Base):
    """Which crime areas a provision clearly applies to."""

    __tablename__ = "ref_provision_crime_areas"

    provision_key: Mapped[str] = mapped_column(
        ForeignKey("ref_provisions.key", ondelete="CASCADE"), primary_key=True
    )
    crime_area_code: Mapped[str] = mapped_column(
        ForeignKey("ref_crime_areas.code", ondelete="CASCADE"), primary_key=True
    )


class RefProvisionStage(Base):
    """Which justice-chain stages a provision clearly applies to."""

    __tablename__ = "ref_provision_stages"

    provision_key: Mapped[str] = mapped_column(
        ForeignKey("ref_provisions.key", ondelete="CASCADE"), primary_key=True
    )
    stage_code: Mapped[str] = mapped_column(
        ForeignKey("ref_stages.code", ondelete="CASCADE"), primary_key=True
    )
