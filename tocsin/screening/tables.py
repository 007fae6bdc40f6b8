"""Screening rows: lists and their versions, entries, subjects, judgements, matches, alerts.

Sanctions lists are public documents, so lists, versions and entries are not
guarded. What the platform screened (a person from a case, a party of a
transaction set) is: a :class:`ScreenedSubject` carries the handling code and
owning unit of where it came from, and its judgements, matches and alerts are
read only through it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.store.base import Base, Guarded, guarded_table_args, utcnow


class ScreeningList(Base):
    """A sanctions or watch list; its entries live in versions, one of them active."""

    __tablename__ = "scr_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Short name used in URLs and in ``/match/{dataset}``: ``un_sc``, ``ofac_sdn``…
    key: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    #: Reader that imports it: un, ofac_csv, ofac_xml, eu, ftm.
    format: Mapped[str] = mapped_column(String(20))
    #: The version screens use; the previous one stays active while an import fails.
    active_version_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ListVersion(Base):
    """One import of a list, with what changed against the version before it."""

    __tablename__ = "scr_versions"
    __table_args__ = (UniqueConstraint("list_id", "number", name="uq_scr_versions_list_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("scr_lists.id", ondelete="CASCADE"),
                                         index=True)
    number: Mapped[int] = mapped_column(Integer)
    source_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    #: The date the publisher gave the file, when it says.
    published: Mapped[str | None] = mapped_column(String(40), nullable=True)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(80))
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)


class ListEntry(Base):
    """A listed person, organisation, vessel… as a FollowTheMoney entity, in one version."""

    __tablename__ = "scr_entries"
    __table_args__ = (UniqueConstraint("version_id", "entity_id",
                                       name="uq_scr_entries_version_entity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("scr_versions.id", ondelete="CASCADE"),
                                            index=True)
    entity_id: Mapped[str] = mapped_column(String(200))
    schema: Mapped[str] = mapped_column(String(40))
    caption: Mapped[str] = mapped_column(String(500))
    #: Of the entity and its related entities; equal checksums mean an unchanged entry.
    checksum: Mapped[str] = mapped_column(String(64))
    programme: Mapped[str] = mapped_column(String(300), default="")
    listed_on: Mapped[str | None] = mapped_column(String(20), nullable=True)
    #: The publisher's reference: UN ``QDi.001``, OFAC ``ent_num``, EU ``EU.27.28``.
    reference: Mapped[str] = mapped_column(String(200), default="")
    #: ``{"id", "schema", "properties"}`` of the listed entity.
    entity: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Sanction, Address and Identification entities about it.
    related: Mapped[list[Any]] = mapped_column(JSON, default=list)


class EntryChange(Base):
    """An entry added, removed or changed by a version (against the one before it)."""

    __tablename__ = "scr_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("scr_versions.id", ondelete="CASCADE"),
                                            index=True)
    entity_id: Mapped[str] = mapped_column(String(200))
    #: added, removed or changed.
    change: Mapped[str] = mapped_column(String(10))
    caption: Mapped[str] = mapped_column(String(500))
    #: Properties whose values differ (for ``changed``).
    fields: Mapped[list[Any]] = mapped_column(JSON, default=list)


class ScreenedSubject(Guarded, Base):
    """Someone or something the platform screened, kept so judgements and re-screens apply."""

    __tablename__ = "scr_subjects"
    __table_args__ = guarded_table_args(
        UniqueConstraint("owner_unit_id", "subject_key", name="uq_scr_subjects_unit_subject"))
    record_type = "screened_subject"

    #: The FollowTheMoney id of the subject (stable across screens).
    subject_key: Mapped[str] = mapped_column(String(200))
    schema: Mapped[str] = mapped_column(String(40))
    caption: Mapped[str] = mapped_column(String(500))
    properties: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Where it came from: ``form``, ``api``, ``set:12``, ``case:3``…
    origin: Mapped[str] = mapped_column(String(200), default="form")
    screened_at: Mapped[datetime] = mapped_column(default=utcnow)


class Judgement(Base):
    """An analyst's decision on one subject and one list entry, respected by later screens."""

    __tablename__ = "scr_judgements"
    __table_args__ = (UniqueConstraint("subject_id", "list_key", "entity_id",
                                       name="uq_scr_judgements_subject_entry"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("scr_subjects.id", ondelete="CASCADE"),
                                            index=True)
    list_key: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(200))
    #: match, no_match or unsure.
    verdict: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                nullable=True)
    username: Mapped[str] = mapped_column(String(80))
    judged_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class MatchRow(Base):
    """The latest candidate of one screen of a subject against one list entry."""

    __tablename__ = "scr_matches"
    __table_args__ = (
        UniqueConstraint("subject_id", "list_key", "entity_id",
                         name="uq_scr_matches_subject_entry"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("scr_subjects.id", ondelete="CASCADE"),
                                            index=True)
    list_key: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(200))
    version_id: Mapped[int] = mapped_column(Integer)
    caption: Mapped[str] = mapped_column(String(500))
    score: Mapped[float] = mapped_column(Float)
    #: match (at or over the threshold) or review (in the review band).
    band: Mapped[str] = mapped_column(String(10))
    features: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    screened_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    """A new or changed list entry that a re-screen found for a subject screened before."""

    __tablename__ = "scr_alerts"
    __table_args__ = (Index("ix_scr_alerts_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("scr_subjects.id", ondelete="CASCADE"),
                                            index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("scr_versions.id", ondelete="CASCADE"),
                                            index=True)
    list_key: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(200))
    caption: Mapped[str] = mapped_column(String(500))
    score: Mapped[float] = mapped_column(Float)
    #: added or changed: what the new version did to the entry.
    change: Mapped[str] = mapped_column(String(10))
    #: open or closed.
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
