"""The other topics the coherence analysis draws on, through their own libraries:
lessons learned (:mod:`tocsin.taskforce.lessons.design`), agreements
(:mod:`tocsin.taskforce.partners.records`) and commitments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy.orm import Session

from tocsin.access.principal import Principal
from tocsin.coherence.gaps import CommitmentInfo
from tocsin.coherence.recommend import AgreementInfo, LessonMatch
from tocsin.i18n import N_

#: Agreements expiring within this many days are worth renewing now.
RENEWAL_WINDOW_DAYS = 365


def lessons_for_cells(session: Session, principal: Principal, cells: Sequence[tuple[str, str]],
                      geo: str, regions: Mapping[str, str], per_cell: int = 2,
                      ) -> dict[tuple[str, str], list[LessonMatch]]:
    """Lessons identified that a new project in each (crime area, place) should apply."""
    from tocsin.taskforce.lessons.design import lessons_for_design
    from tocsin.taskforce.lessons.spec import DesignDraft

    out: dict[tuple[str, str], list[LessonMatch]] = {}
    for area, place in cells:
        countries = ([place] if geo == "country" and len(place) == 2
                     else [c for c, r in regions.items() if r == place])
        draft = DesignDraft(title=f"New work on {area.replace('_', ' ')}",
                            crime_areas=[area], countries=countries)
        matches = [m for m in lessons_for_design(session, principal, draft, limit=per_cell)
                   if area in m.shared_crime_areas]
        out[(area, place)] = [
            LessonMatch(m.lesson.id, m.lesson.title, m.lesson.statement, m.score, m.explanation)
            for m in matches]
    return out


def expiring_agreements(session: Session, principal: Principal,
                        today: date | None = None) -> list[AgreementInfo]:
    from tocsin.taskforce.partners.records import expiring_agreements as expiring

    return [AgreementInfo(
        e.agreement.id, e.agreement.title, e.agreement.expires_on,  # type: ignore[arg-type]
        e.days_left, tuple(e.agreement.crime_areas),
        tuple(link.activity_id for link in e.agreement.activity_links),
        tuple(p.partner.label for p in e.agreement.parties))
        for e in expiring(session, principal, within_days=RENEWAL_WINDOW_DAYS, today=today)]


def commitments_without_programme(session: Session, principal: Principal
                                  ) -> tuple[list[CommitmentInfo], str]:
    """Commitments with no programme behind them, from the commitments library.

    Returns the commitments and a note for the pages when the library is not
    installed (then no commitment gap is shown rather than a guess).
    """
    try:
        from tocsin.taskforce.commitments import gaps, records
    except ImportError:
        return [], N_("Commitments without a programme are not shown: the commitments "
                      "library is not installed in this workspace.")
    found = gaps.commitments_without_programme(session, principal)
    linked = records.links(session, [c.id for c in found])
    return [CommitmentInfo(c.id, c.code, c.summary, c.priority,
                           tuple(linked[c.id].crime_areas), tuple(linked[c.id].stages),
                           c.deadline)
            for c in found], ""
