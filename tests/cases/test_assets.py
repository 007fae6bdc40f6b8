"""The asset register: stage order and dates, orders, valuations, custody costs,
interlocutory sale, net proceeds, statistics (both engines)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.cases.helpers import case, user
from tocsin.cases import assets, stats
from tocsin.cases.spec import AssetSpec, CustodySpec, SaleSpec, StageSpec, ValuationSpec
from tocsin.errors import InputError, NotFound
from tocsin.store.database import Database

FREEZE = {"authority": "Fictional District Court", "order_reference": "FZ-1",
          "legal_basis": "Criminal Procedure Code s. 1 (fictional)", "order_status": "final"}


def _asset(s, lead, c, **changes):  # type: ignore[no-untyped-def]
    values = {"kind": "real_estate", "description": "Fictional flat, 3 Harbour Lane",
              "identifiers": [{"scheme": "land_parcel", "value": "LP-0001"}],
              "currency": "EUR", "estimated_value": "250000", "country": "MD",
              "identified_on": "2030-02-01"} | changes
    return assets.create_asset(s, lead, c.id, AssetSpec.model_validate(values))


def test_life_cycle_in_order_with_orders(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst")
        c = case(s, lead)
        flat = _asset(s, lead, c)
        assert flat.stage == "identify" and flat.valuations[0].amount == Decimal("250000.00")
        assets.add_stage(s, lead, flat.id, StageSpec(
            stage="freeze", on_date=date(2030, 3, 1), order_date=date(2030, 2, 28),
            executed_on=date(2030, 3, 2), amount=Decimal("240000"), **FREEZE))
        assets.add_stage(s, lead, flat.id, StageSpec(
            stage="confiscate", on_date=date(2031, 1, 10), order_date=date(2031, 1, 10),
            authority="Fictional Court of Appeal", order_reference="CF-9",
            legal_basis="Criminal Code art. 1 (fictional)", order_status="under_appeal"))
        assert flat.stage == "confiscate"
        # nothing goes back, nothing is dated before what it follows
        with pytest.raises(InputError) as err:
            assets.add_stage(s, lead, flat.id, StageSpec(stage="freeze",
                                                         on_date=date(2031, 2, 1), **FREEZE))
        assert err.value.problems[0].location == "stage.stage"
        assert "cannot follow confiscate" in err.value.problems[0].reason
        with pytest.raises(InputError) as err:
            assets.add_stage(s, lead, flat.id, StageSpec(stage="manage",
                                                         on_date=date(2030, 12, 1)))
        assert {p.location for p in err.value.problems} == {"stage.on_date"}
        stage = assets.set_order_status(s, lead, flat.stages[-1].id, "final",
                                        executed_on=date(2031, 3, 1))
        assert stage.order_status == "final"


def test_impossible_dates_and_missing_orders_name_the_field(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst")
        c = case(s, lead, opened_on=date(2030, 1, 10))
        with pytest.raises(InputError) as err:
            _asset(s, lead, c, identified_on="2029-12-31", currency="XXQ", kind="spaceship",
                   identifiers=[{"scheme": "dna", "value": ""}])
        assert {p.location for p in err.value.problems} == {
            "asset.identified_on", "asset.currency", "asset.kind",
            "asset.identifiers[0].scheme", "asset.identifiers[0].value"}
        flat = _asset(s, lead, c)
        # an order before the asset was identified, missing order fields
        with pytest.raises(InputError) as err:
            assets.add_stage(s, lead, flat.id, StageSpec(
                stage="freeze", on_date=date(2030, 3, 1), order_date=date(2030, 1, 15),
                authority="Court", order_reference="", legal_basis="", order_status=""))
        where = {p.location for p in err.value.problems}
        assert where == {"stage.order_date", "stage.order_reference", "stage.legal_basis",
                         "stage.order_status"}
        with pytest.raises(InputError, match=r"order .* comes after"):
            assets.add_stage(s, lead, flat.id, StageSpec(
                stage="freeze", on_date=date(2030, 3, 1), order_date=date(2030, 3, 5),
                **FREEZE))
        with pytest.raises(InputError, match="confiscation before the disposal"):
            assets.add_stage(s, lead, flat.id, StageSpec(
                stage="dispose", on_date=date(2030, 3, 1), order_date=date(2030, 3, 1),
                disposal="sale", **FREEZE))
        assert flat.stage == "identify" and len(flat.stages) == 1  # nothing half-written


def test_custody_costs_sale_and_net_proceeds(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst")
        c = case(s, lead)
        car = _asset(s, lead, c, kind="vehicle", description="Fictional sports car",
                     identifiers=[{"scheme": "vin", "value": "WDB0000000FICTION"}],
                     estimated_value="80000")
        assets.add_stage(s, lead, car.id, StageSpec(
            stage="seize", on_date=date(2030, 3, 1), order_date=date(2030, 3, 1), **FREEZE))
        assets.add_custody(s, lead, car.id, CustodySpec(
            custodian="Fictional Asset Management Office", location="Depot 4",
            since=date(2030, 3, 1), until=date(2030, 8, 31), monthly_cost=Decimal("300")))
        # March to August: six started months
        assert assets.figures(car, date(2031, 1, 1)).accumulated_cost == Decimal("1800.00")
        assets.add_valuation(s, lead, car.id, ValuationSpec(
            on_date=date(2030, 6, 1), amount=Decimal("70000"), currency="EUR",
            method="expert", by="Fictional appraiser"))
        assert assets.figures(car, date(2031, 1, 1)).current_value == Decimal("70000.00")
        with pytest.raises(InputError, match=r"valuation\.currency"):
            assets.add_valuation(s, lead, car.id, ValuationSpec(
                on_date=date(2030, 6, 1), amount=Decimal(1), currency="ZZZ"))
        with pytest.raises(InputError, match="before the asset was frozen or seized"):
            assets.record_sale(s, lead, car.id, SaleSpec(sold_on=date(2030, 2, 1),
                                                         amount=Decimal(1),
                                                         order_reference="IS-1"))
        assets.record_sale(s, lead, car.id, SaleSpec(sold_on=date(2030, 9, 1),
                                                     amount=Decimal("68000"),
                                                     order_reference="IS-1"))
        assets.add_stage(s, lead, car.id, StageSpec(
            stage="confiscate", on_date=date(2031, 2, 1), order_date=date(2031, 2, 1),
            **FREEZE))
        assets.add_stage(s, lead, car.id, StageSpec(
            stage="dispose", on_date=date(2031, 3, 1), order_date=date(2031, 3, 1),
            disposal="sale", costs=Decimal("500"), **FREEZE))
        f = assets.figures(car, date(2031, 6, 1))
        # the interlocutory sale's proceeds, less custody and the disposal's costs
        assert f.realised == Decimal("68000.00")
        assert f.net_proceeds == Decimal("68000.00") - Decimal("1800.00") - Decimal("500.00")


def test_statistics_by_year_and_stage(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst")
        outsider = user(s, "analyst", "oceea", name="outsider")
        c = case(s, lead, handling="AMBER+STRICT")
        flat = _asset(s, lead, c)
        assets.add_stage(s, lead, flat.id, StageSpec(
            stage="freeze", on_date=date(2030, 3, 1), order_date=date(2030, 3, 1),
            executed_on=date(2030, 3, 2), amount=Decimal("240000"), **FREEZE))
        assets.add_custody(s, lead, flat.id, CustodySpec(
            custodian="Fictional office", since=date(2030, 11, 1), until=date(2031, 2, 28),
            monthly_cost=Decimal("100")))
        found = stats.facts(s, lead, today=date(2031, 6, 1))
        rows = {(r.metric, r.key): (r.count, r.value) for r in stats.aggregate(found)}
        assert rows[("freezing_orders_issued", ("2030", "EUR"))] == (1, Decimal("240000.00"))
        assert rows[("freezing_orders_executed", ("2030", "EUR"))][0] == 1
        assert rows[("management_costs", ("2030", "EUR"))][1] == Decimal("200.00")
        assert rows[("management_costs", ("2031", "EUR"))][1] == Decimal("200.00")
        assert rows[("assets_under_management", ("2031", "EUR"))][0] == 1
        by_stage = stats.aggregate(found, ["stage", "country"])
        assert {r.key for r in by_stage if r.metric == "freezing_orders_issued"} == {
            ("freeze", "MD", "EUR")}
        # a reader of another unit counts nothing of a case they may not read
        assert stats.facts(s, outsider, today=date(2031, 6, 1)) == []
        text = stats.to_csv(s, lead, stats.aggregate(found), ["year"])
        assert text.splitlines()[0] == "metric,year,currency,count,value"
        with pytest.raises(InputError, match="by"):
            stats.aggregate(found, ["colour"])


def test_assets_of_hidden_cases_are_not_found(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst")
        colleague = user(s, "analyst", name="colleague")
        c = case(s, lead, need_to_know=True)
        flat = _asset(s, lead, c)
        with pytest.raises(NotFound, match=f"asset {flat.id} not found"):
            assets.get_asset(s, colleague, flat.id)
