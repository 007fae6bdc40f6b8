"""The shipped reference files: they validate, and their content holds together."""

from __future__ import annotations

from collections import Counter

from followthemoney import registry as ftm_registry

from tocsin.reference.registry import load_registry
from tocsin.reference.schema import Confidence, Region, StateStatus

REQUIRED_CRIME_AREAS = {
    "drug_trafficking",
    "trafficking_in_human_beings",
    "migrant_smuggling",
    "firearms_trafficking",
    "money_laundering",
    "cybercrime",
    "corruption",
    "terrorism_financing",
    "cultural_property_trafficking",
    "environmental_crime",
    "counterfeiting",
    "falsified_medical_products",
    "organized_criminal_group",
    "identity_document_fraud",
    "obstruction_of_justice",
}


def test_shipped_files_validate_and_are_loaded_once() -> None:
    registry = load_registry()
    assert registry is load_registry()
    assert registry.version.count(".") == 2


def test_states_and_partners() -> None:
    states = load_registry().states
    status = Counter(s.status for s in states)
    assert status[StateStatus.participating] == 57
    assert status[StateStatus.partner_mediterranean] == 6
    assert status[StateStatus.partner_asian] == 5
    codes = {s.code for s in states}
    assert "VA" in codes and "XK" not in codes  # Holy See in; Kosovo is not in the list
    assert load_registry().state("NO").name == "Norway"  # "NO" must not become YAML false
    assert load_registry().state("DEU").code == "DE"
    assert {s.region for s in states} <= set(Region)


def test_required_counts() -> None:
    registry = load_registry()
    assert len(registry.stages) == 9
    assert [s.order for s in registry.stages] == list(range(1, 10))
    assert len(registry.provisions_of("untoc")) == 41
    assert len(registry.provisions_of("uncac")) == 9
    assert len(registry.provisions_of("fatf")) == 40
    assert [p.key for p in registry.provisions_of("fatf")][37] == "fatf:r38"
    assert {a.code for a in registry.crime_areas} >= REQUIRED_CRIME_AREAS


def test_crosswalks_use_real_followthemoney_topics() -> None:
    topics = set(ftm_registry.topic.names)
    used = {t for a in load_registry().crime_areas for t in a.crosswalks.ftm_topic}
    assert used and used <= topics


def test_every_reference_points_at_an_existing_entry() -> None:
    registry = load_registry()
    areas = {a.code for a in registry.crime_areas}
    stages = {s.code for s in registry.stages}
    for item in registry.instruments:
        assert set(item.crime_areas) <= areas, item.code
        assert item.parent is None or registry.instrument(item.parent)
    for provision in registry.provisions:
        assert set(provision.crime_areas) <= areas, provision.key
        assert set(provision.stages) <= stages, provision.key
        assert registry.instrument(provision.instrument_code)
    for structure in registry.structures:
        assert structure.parent is None or registry.structure(structure.parent)


def test_doubt_is_never_presented_as_certain() -> None:
    registry = load_registry()
    groups = [registry.crime_areas, registry.stages, registry.structures, registry.states,
              registry.organizations, registry.instruments, registry.provisions]
    for group in groups:
        for item in group:
            if item.confidence is not Confidence.verified:
                assert item.note.strip(), item
    for item in registry.instruments:
        assert "unverified" not in (item.identifier + item.title).lower(), item.code
    # the fact sheet leaves these unconfirmed
    assert registry.provision("untoc:art13").confidence is Confidence.unverified
    assert registry.provision("untoc:art24").confidence is Confidence.partial
    assert registry.instrument("mc-dec-13-04").confidence is Confidence.unverified
    assert registry.instrument("mc-dec-3-05").confidence is Confidence.verified


def test_provisions_map_to_the_stages_they_serve() -> None:
    registry = load_registry()

    def stages(key: str) -> set[str]:
        return set(registry.provision(key).stages)

    assert {"untoc:art12", "untoc:art13", "untoc:art14"} == {
        p.key for p in registry.provisions_of("untoc") if "asset_recovery" in p.stages
    }
    assert all("international_cooperation" in stages(f"untoc:art{n}") for n in (16, 17, 18))
    assert all("victim_witness_protection" in stages(f"untoc:art{n}") for n in (24, 25))
    assert stages("fatf:r29") == {"intelligence"}
    assert all("international_cooperation" in stages(f"fatf:r{n}") for n in range(36, 41))


def test_units_codes_do_not_clash_and_field_operations_have_places() -> None:
    registry = load_registry()
    structures = {s.code for s in registry.structures}
    assert not structures & {o.code for o in registry.organizations}
    assert {"tntd", "tntd-spmu", "oceea", "cpc", "osr-cthb", "odihr", "hcnm", "rfom"} <= structures
    kosovo = registry.structure("fo-kosovo")
    assert (kosovo.location, kosovo.region) == ("Pristina", Region.south_eastern_europe)
    assert {s.code for s in registry.children("tntd")} >= {"tntd-atu", "tntd-bsmu", "tntd-spmu"}
    assert registry.organization("stability-pact").historic


def test_lookup_of_unknown_code_names_kind_and_code() -> None:
    try:
        load_registry().crime_area("piracy_on_the_danube")
    except KeyError as exc:
        assert "crime area 'piracy_on_the_danube'" in str(exc)
    else:
        raise AssertionError("expected KeyError")


def test_partner_organizations_have_their_official_names_with_a_source() -> None:
    registry = load_registry()
    unodc = registry.organization("unodc")
    assert unodc.name_in("fr") == "Office des Nations Unies contre la drogue et le crime"
    assert unodc.name_in("ru") == (
        "Управление Организации Объединенных Наций по наркотикам и преступности")
    assert registry.organization("coe").name_in("ru") == "Совет Европы"
    assert registry.organization("fatf").name_in("fr") == "Groupe d'action financière"
    # a name not certain in a language is not given: the English one shows
    assert registry.organization("selec").name_in("ru") == registry.organization("selec").name
    named = [o for o in registry.organizations if o.names]
    assert len(named) >= 8 and all(o.names_source for o in named)


def test_crime_areas_and_stages_are_named_in_the_six_official_languages() -> None:
    # English, French, German, Italian, Russian and Spanish: the organization's languages
    registry = load_registry()
    for entry in [*registry.crime_areas, *registry.stages]:
        assert {"fr", "de", "it", "ru", "es"} <= set(entry.names), entry.code
        assert entry.names_source
    assert registry.crime_area("trafficking_in_human_beings").name_in("de") == "Menschenhandel"
    assert registry.stage("asset_recovery").name_in("it") == "Recupero dei beni"
