"""IATI codes and the platform's own vocabularies as published in IATI files."""

from __future__ import annotations

VERSION = "2.03"

#: Sector vocabulary 99 ("reporting organisation"): the platform's crime areas.
CRIME_AREA_VOCABULARY = "99"
CRIME_AREA_URI = "urn:tocsin:vocabulary:crime-areas"
#: Sector vocabulary 98 ("reporting organisation 2"): justice-chain stages.
STAGE_VOCABULARY = "98"
STAGE_URI = "urn:tocsin:vocabulary:justice-chain-stages"
#: Tag vocabulary 99: the organization's structure implementing the activity.
STRUCTURE_TAG_VOCABULARY = "99"
STRUCTURE_URI = "urn:tocsin:vocabulary:structures"
#: Sector vocabulary 1: OECD-DAC 5-digit purpose codes.
DAC_VOCABULARY = "1"

#: IATI activity-date types.
DATE_FIELDS = {
    "1": "planned_start",
    "2": "actual_start",
    "3": "planned_end",
    "4": "actual_end",
}
#: IATI transaction types counted in the platform's finance per year: outgoing
#: commitments, and disbursements with expenditure as spending. Every
#: transaction of every type (1-13) is kept in the IATI register.
TRANSACTION_KINDS = {"2": "commitment", "3": "expenditure", "4": "expenditure"}
#: The transaction type a platform finance line is published as.
KIND_TRANSACTIONS = {"commitment": "2", "expenditure": "4"}
LEVEL_OF_HIERARCHY = {1: "programme", 2: "project", 3: "activity"}

RELATED_PARENT = "1"
RELATED_CHILD = "2"
#: Budget types: 1 original, 2 revised (a revised budget replaces the original).
BUDGET_ORIGINAL = "1"
BUDGET_REVISED = "2"

#: The IATI organisation identifier under which the platform reports the
#: organization's own activities unless told otherwise. It follows the IATI
#: pattern for multilateral bodies and is not a registered identifier: pass
#: the registered one (``--org-ref``) when publishing.
DEFAULT_ORG_REF = "XM-OSCE"
DEFAULT_ORG_TYPE = "40"  # multilateral
