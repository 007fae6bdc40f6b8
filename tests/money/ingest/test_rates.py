from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from tocsin.errors import InputError
from tocsin.money.rates import default_rates, load_rates, rates_from_mapping, resolve_rates


def test_shipped_table_covers_the_amlworld_currencies() -> None:
    table = default_rates()
    assert table.base == "EUR"
    for code in ("USD", "GBP", "CHF", "JPY", "CNY", "INR", "RUB", "AUD", "CAD", "MXN", "BRL",
                 "SAR", "ILS", "XBT"):
        assert table.knows(code), code


def test_rebasing_keeps_cross_rates() -> None:
    table = rates_from_mapping({"base": "EUR", "rates": {"USD": 0.8, "GBP": 1.2}})
    usd = table.rebased("USD")
    assert usd.rate("EUR") == pytest.approx(1.25)
    assert usd.rate("GBP") == pytest.approx(1.5)
    assert usd.rate("USD") == 1.0


def test_dated_rates_use_the_latest_rate_on_or_before_the_day() -> None:
    table = rates_from_mapping({"base": "EUR", "rates": {"USD": 0.9},
                                "dated": {"USD": {"2024-01-01": 0.8, "2024-02-01": 0.7}}})
    assert table.rate("USD", date(2023, 12, 31)) == 0.9  # before the series: the plain rate
    assert table.rate("USD", date(2024, 1, 15)) == 0.8
    assert table.rate("USD", date(2024, 3, 1)) == 0.7
    ts = pa.array([datetime(2024, 1, 2, tzinfo=UTC), datetime(2024, 2, 2, tzinfo=UTC),
                   datetime(2024, 2, 2, tzinfo=UTC)], pa.timestamp("us", tz="UTC"))
    out, unknown = table.convert(pa.array([10.0, 10.0, 5.0]), pa.array(["USD", "USD", "EUR"]), ts)
    assert out.to_pylist() == pytest.approx([8.0, 7.0, 5.0])
    assert unknown.to_pylist() == [False, False, False]


def test_unknown_currency_is_masked() -> None:
    table = rates_from_mapping({"base": "EUR", "rates": {"USD": 0.5}})
    out, unknown = table.convert(pa.array([2.0, 2.0]), pa.array(["USD", "ZZZ"]))
    assert out.to_pylist() == [1.0, None]
    assert unknown.to_pylist() == [False, True]


def test_bad_yaml_entries_name_their_key(tmp_path: Path) -> None:
    path = tmp_path / "rates.yaml"
    path.write_text("base: EUR\nrates:\n  USD: -1\n  dollars: 2\n")
    with pytest.raises(InputError) as caught:
        load_rates(path)
    assert any(p.location.endswith(":rates") for p in caught.value.problems)


def test_csv_table_with_dates(tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("currency,rate,date\nUSD,1,\nEUR,1.1,\nGBP,1.3,2024-01-01\nXX,2,\n")
    with pytest.raises(InputError) as caught:
        load_rates(path)
    assert caught.value.problems[0].location == f"{path}:5"
    path.write_text("currency,rate,date\nUSD,1,\nEUR,1.1,\nGBP,1.3,2024-01-01\n")
    table = load_rates(path)
    assert table.base == "USD"
    assert table.rate("GBP", date(2024, 6, 1)) == 1.3
    assert resolve_rates(path, "EUR").rate("USD") == pytest.approx(1 / 1.1)


def test_base_without_a_rate_is_refused() -> None:
    with pytest.raises(InputError, match="no rate for base currency"):
        resolve_rates(rates_from_mapping({"base": "EUR", "rates": {"USD": 0.9}}), "GBP")


def test_the_shipped_table_is_parsed_once_and_again_when_the_file_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from tocsin.money import rates as module

    path = tmp_path / "rates.yaml"
    path.write_text("base: EUR\nrates: {USD: 0.9}\n", encoding="utf-8")
    monkeypatch.setattr(module, "DEFAULT_RATES", path)
    monkeypatch.setattr(module, "_default", None)
    parsed: list[object] = []
    real = module.yaml.safe_load
    monkeypatch.setattr(module.yaml, "safe_load", lambda text: parsed.append(text) or real(text))
    first = default_rates()
    first.rates["USD"] = 5.0  # a caller changing its copy changes no one else's
    assert default_rates().rate("USD") == 0.9
    assert len(parsed) == 1
    path.write_text("base: EUR\nrates: {USD: 0.95, GBP: 1.2}\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert default_rates().rate("USD") == 0.95
    assert len(parsed) == 2
