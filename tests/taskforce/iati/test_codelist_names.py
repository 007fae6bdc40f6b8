"""The names of IATI codes in the page's language: French where IATI publishes a French
name for the code (``data/codelists_fr.yaml``), English otherwise and in Russian and
Arabic, which IATI publishes no names in. The English name stays the text the API, the
reader and comparisons see."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from markupsafe import escape

from tocsin import i18n
from tocsin.reference.registry import load_registry
from tocsin.taskforce.iati import codelists
from tocsin.taskforce.iati.published import code_name
from tocsin.taskforce.iati.reader import read_activities
from tocsin.taskforce.programmes.check import region_name
from tocsin.taskforce.programmes.vocabulary import Vocabulary

FRENCH = codelists.DATA / "codelists_fr.yaml"
RICH = Path(__file__).parents[2] / "fixtures" / "iati" / "rich_2.03.xml"

#: How many codes of each bundled list IATI names in French. The lists left out have no
#: French names in the IATI files (BudgetIdentifier, GeographicLocationClass and -Reach,
#: IndicatorVocabulary, PolicySignificance, RelatedActivityType, TagVocabulary) or are
#: not IATI's own (Country, named by CLDR on the pages; RegionM49, the UN's).
COVERAGE = {
    "ActivityDateType": 4, "ActivityScope": 8, "ActivityStatus": 6,
    "BudgetIdentifierVocabulary": 5, "BudgetNotProvided": 3, "BudgetStatus": 2,
    "BudgetType": 2, "CRSAddOtherFlags": 4, "CollaborationType": 7, "ConditionType": 3,
    "ContactType": 4, "DescriptionType": 4, "DisbursementChannel": 4,
    "DocumentCategory": 30, "FlowType": 10, "GeographicExactness": 2,
    "GeographicVocabulary": 6, "HumanitarianScopeType": 2, "HumanitarianScopeVocabulary": 3,
    "IndicatorMeasure": 5, "LoanRepaymentPeriod": 4, "LoanRepaymentType": 4,
    "OrganisationRole": 4, "OrganisationType": 16, "OtherIdentifierType": 6,
    "PolicyMarker": 9,  # 10-12 (disaster risk reduction, disability, nutrition): none
    "PolicyMarkerVocabulary": 2,
    "Region": 17,  # the African, American and Pacific sub-regions 1027-1035: none
    "RegionVocabulary": 3, "ResultType": 4, "ResultVocabulary": 1,
    "Sector": 287, "SectorCategory": 42,  # 920, withdrawn, has no French name
    "SectorVocabulary": 12, "TiedStatus": 3, "TransactionType": 13,
}


def test_every_french_name_is_of_a_bundled_code_and_the_coverage_is_known() -> None:
    english = codelists.codelists()
    french = codelists.translated_names("fr")
    stray = [(name, code) for name, items in french.items() for code in items
             if code not in english.get(name, {})]
    assert stray == []
    assert {name: len(items) for name, items in french.items()} == COVERAGE
    # every list IATI names in French is whole where IATI is: the DAC sectors and the
    # lists the pages show
    for name in ("Sector", "TransactionType", "BudgetStatus", "BudgetType",
                 "DocumentCategory", "OrganisationType", "SectorVocabulary",
                 "RegionVocabulary"):
        assert french[name].keys() == english[name].keys(), name
    # transcribed names: no blank, no stray spaces around them
    assert all(text and text == text.strip() for items in french.values()
               for text in items.values())


def test_the_french_file_names_the_source_of_each_list() -> None:
    header = FRENCH.read_text(encoding="utf-8").split("\nActivityDateType:")[0]
    assert "CC BY 4.0" in header and "IATI Standard (http://iatistandard.org/)" in header
    for name in COVERAGE:
        assert re.search(rf"#   {name}: +IATI/IATI-Codelists(-NonEmbedded)? \S+ @ [0-9a-f]{{40}}",
                         header), name


def test_a_code_is_named_in_french_on_a_french_page() -> None:
    committed = code_name("BudgetStatus", 2)
    assert committed == "Committed"  # its text: what the API and comparisons see
    with i18n.using("fr"):
        assert str(committed) == "Engagé"
        assert str(code_name("BudgetType", "2")) == "Révisé"
        assert str(code_name("TransactionType", 5)) == "Paiements d\u2019intérêts"
        assert str(code_name("Sector", "15130")) == (
            "Développement des services légaux et judiciaires")
        assert str(code_name("SectorCategory", "152")) == "I.5.b. Conflits, paix et sécurité"
        assert str(code_name("SectorVocabulary", "1")) == (
            "Codes-secteurs OCDE CAD SNPC (5 chiffres)")
        assert str(code_name("DocumentCategory", "A05")) == "Budget"
        assert f"{code_name('OrganisationType', '10')}" == "Gouvernement"
        assert str(escape(code_name("Region", "389"))) == "Amérique N. &amp; C., régional"
        assert str(region_name("1", "489")) == "Amérique du Sud, régional"
        assert str(codelists.named("DocumentCategory")["B01"]) == "Rapport annuel"
    # the same name, shown later on an English page, is English again
    assert str(committed) == "Committed"


def test_a_code_without_a_french_name_stays_english() -> None:
    with i18n.using("fr"):
        assert str(code_name("Region", "1031")) == "Caribbean, regional"
        assert str(code_name("SectorCategory", "920")) == (
            "SUPPORT TO NON- GOVERNMENTAL ORGANISATIONS (NGOs)")
        assert str(code_name("PolicyMarker", "12")) == "Nutrition"
        assert str(code_name("RelatedActivityType", "1")) == "Parent"
        assert str(region_name("2", "150")) == "Europe"  # UN M49: not IATI's list
        assert code_name("Sector", "99999") == "" and code_name("Sector", None) == ""
        assert region_name("99", "A1") is None


@pytest.mark.parametrize("language", ["ru", "ar", "en"])
def test_russian_and_arabic_pages_show_the_english_name(language: str) -> None:
    with i18n.using(language):
        assert str(code_name("BudgetStatus", "2")) == "Committed"
        assert str(code_name("Sector", "15130")) == "Legal and judicial development"
    assert codelists.translated_names(language) == {}


def test_the_french_names_are_read_once_and_never_by_the_reader() -> None:
    codelists.translated_names.cache_clear()
    result = read_activities(io.BytesIO(RICH.read_bytes()),
                             Vocabulary.from_registry(load_registry()))
    assert result.count == 2
    assert codelists.translated_names.cache_info().currsize == 0  # the checks: English only
    with i18n.using("fr"):
        names = [str(code_name("Sector", code)) for code in ("16063", "15113", "15210")]
    assert names[0] == "Lutte contre le trafic de drogues"
    assert codelists.translated_names("fr") is codelists.translated_names("fr")
    assert codelists.translated_names.cache_info().currsize == 1
