"""Organized crime group profiles of the coherence analysis.

A profile has no page of its own: it is shown in the ranking of groups, where
the result links. Threat indicators are figures per crime area, country and
year without text or a page, so they are not indexed.
"""

from __future__ import annotations

from tocsin.coherence.tables import OcgProfile
from tocsin.search.registry import Provider, SearchDoc, register, year_of


class OcgProfileProvider(Provider):
    record_type = "ocg_profile"
    model = OcgProfile

    def document(self, record: OcgProfile) -> SearchDoc:
        return SearchDoc(
            record_type=self.record_type,
            record_id=str(record.id),
            title=record.name,
            body=record.summary or "",
            handling=record.handling,
            owner_unit_id=record.owner_unit_id,
            url="/coherence/groups",
            year=year_of(record.assessed_on),
            crime_areas=tuple(record.crime_areas or ()),
            countries=tuple(record.countries or ()),
        )


register(OcgProfileProvider())
