"""Country, currency and language codes from the ISO lists that ``pycountry`` ships.

The lists are read once per process, on first use (``pycountry`` loads its JSON lazily), so
importing this module stays cheap.
"""

from __future__ import annotations

from functools import cache

from tocsin import i18n
from tocsin.i18n import N_
from tocsin.types.base import Choice, ValueType, text_of

#: Codes in wide use that ISO 3166-1 has not (yet) assigned: Kosovo's user-assigned code,
#: used by the European Union, SWIFT and IBANs.
EXTRA_COUNTRIES: dict[str, tuple[str, str]] = {"XK": ("XKX", "Kosovo")}


@cache
def _countries() -> tuple[dict[str, str], dict[str, str]]:
    """``({alpha-2: name}, {alpha-3: alpha-2})`` for every ISO 3166-1 country."""
    import pycountry

    names = {c.alpha_2: c.name for c in pycountry.countries}
    alpha3 = {c.alpha_3: c.alpha_2 for c in pycountry.countries}
    for code, (three, name) in EXTRA_COUNTRIES.items():
        names[code] = name
        alpha3[three] = code
    return names, alpha3


#: Codes ISO 4217 withdrew (its list three) since the euro, with the year: records and
#: transactions from before the change still carry them, so they stay valid.
WITHDRAWN_CURRENCIES: dict[str, tuple[str, int]] = {
    "ANG": ("Netherlands Antillean Guilder", 2025), "ATS": ("Schilling", 2002),
    "AZM": ("Azerbaijanian Manat", 2006), "BEF": ("Belgian Franc", 2002),
    "BGN": ("Bulgarian Lev", 2026), "BYR": ("Belarusian Ruble", 2017),
    "CSD": ("Serbian Dinar", 2006), "CUC": ("Peso Convertible", 2022),
    "CYP": ("Cyprus Pound", 2008), "DEM": ("Deutsche Mark", 2002), "EEK": ("Kroon", 2011),
    "ESP": ("Spanish Peseta", 2002), "FIM": ("Markka", 2002), "FRF": ("French Franc", 2002),
    "GRD": ("Drachma", 2002), "HRK": ("Kuna", 2023), "IEP": ("Irish Pound", 2002),
    "ITL": ("Italian Lira", 2002), "LTL": ("Lithuanian Litas", 2015),
    "LUF": ("Luxembourg Franc", 2002), "LVL": ("Latvian Lats", 2014),
    "MRO": ("Ouguiya", 2018), "MTL": ("Maltese Lira", 2008),
    "NLG": ("Netherlands Guilder", 2002), "PTE": ("Portuguese Escudo", 2002),
    "ROL": ("Romanian Leu", 2006), "SIT": ("Tolar", 2007), "SKK": ("Slovak Koruna", 2009),
    "SLL": ("Leone", 2024), "STD": ("Dobra", 2018), "TMM": ("Turkmenistan Manat", 2009),
    "TRL": ("Turkish Lira", 2005), "VEF": ("Bolivar", 2018), "ZWL": ("Zimbabwe Dollar", 2024),
}
#: Crypto-assets that transaction data names with currency-style codes. ISO 4217 lists none;
#: ``XBT`` follows its X-prefix convention for Bitcoin, as AMLworld and many exchanges do.
CRYPTO_ASSETS: dict[str, str] = {"XBT": "Bitcoin", "BTC": "Bitcoin", "ETH": "Ether",
                                 "LTC": "Litecoin", "XMR": "Monero",
                                 # ERC-20 tokens of tocsin/money/crypto/data/tokens.yaml
                                 "USDT": "Tether USD", "USDC": "USD Coin", "DAI": "Dai",
                                 "WETH": "Wrapped Ether", "WBTC": "Wrapped Bitcoin"}


@cache
def _currencies() -> dict[str, str]:
    """``{code: name}``: every current ISO 4217 currency (funds and metals included), the
    :data:`WITHDRAWN_CURRENCIES` and the :data:`CRYPTO_ASSETS`."""
    import pycountry

    found = {c.alpha_3: c.name for c in pycountry.currencies}
    for code, (name, year) in WITHDRAWN_CURRENCIES.items():
        found.setdefault(code, f"{name} (withdrawn {year})")
    for code, name in CRYPTO_ASSETS.items():
        found.setdefault(code, f"{name} (crypto-asset)")
    return found


@cache
def _languages() -> tuple[dict[str, str], dict[str, str]]:
    """``({code: name}, {alpha-3: code})``: ISO 639-1 where a language has it, else 639-3."""
    import pycountry

    names: dict[str, str] = {}
    alpha3: dict[str, str] = {}
    for lang in pycountry.languages:
        code = getattr(lang, "alpha_2", None) or lang.alpha_3
        names[code] = lang.name
        alpha3[lang.alpha_3] = code
        bibliographic = getattr(lang, "bibliographic", None)
        if bibliographic:
            alpha3[bibliographic] = code
    return names, alpha3


class CountryType(ValueType[str]):
    """An ISO 3166-1 country, stored as its alpha-2 code; alpha-3 and any case accepted."""

    name = "country"

    def clean(self, raw: object) -> str:
        text = text_of(raw).upper()
        names, alpha3 = _countries()
        if text in names:
            return text
        if text in alpha3:
            return alpha3[text]
        raise ValueError(N_("%(value)s is not an ISO 3166-1 country code (e.g. DE or DEU)",
                            value=repr(raw)))

    def known(self, code: str) -> bool:
        """Whether ``code`` is a country in its stored form (upper-case alpha-2)."""
        return code in _countries()[0]

    def label(self, value: str) -> str:
        english = _countries()[0].get(value, value)
        # other languages: the CLDR name Babel knows (pycountry's English where it has none)
        return english if i18n.current() == i18n.DEFAULT else i18n.country_name(value, english)

    def choices(self) -> list[Choice]:
        return sorted((Choice(code, self.label(code)) for code in _countries()[0]),
                      key=lambda c: c.label)

    def codes(self) -> frozenset[str]:
        return frozenset(_countries()[0])


class CurrencyType(ValueType[str]):
    """An ISO 4217 currency code, current or withdrawn, or a crypto-asset's; upper case."""

    name = "currency"

    def clean(self, raw: object) -> str:
        text = text_of(raw).upper()
        if text in _currencies():
            return text
        raise ValueError(N_("%(value)s is not an ISO 4217 currency code (e.g. EUR)",
                            value=repr(raw)))

    def known(self, code: str) -> bool:
        """Whether ``code`` is one in its stored form (upper case; a set lookup per row)."""
        return code in _currencies()

    def label(self, value: str) -> str:
        return _currencies().get(value, value)

    def choices(self) -> list[Choice]:
        return [Choice(code, f"{code} — {name}") for code, name in sorted(_currencies().items())]

    def codes(self) -> frozenset[str]:
        return frozenset(_currencies())


class LanguageType(ValueType[str]):
    """A language: ISO 639-1 two-letter code where one exists (as IATI wants), else 639-3."""

    name = "language"

    def clean(self, raw: object) -> str:
        text = text_of(raw).lower()
        names, alpha3 = _languages()
        if text in names:
            return text
        if text in alpha3:
            return alpha3[text]
        raise ValueError(N_("%(value)s is not an ISO 639 language code (e.g. en or eng)",
                            value=repr(raw)))

    def known(self, code: str) -> bool:
        """Whether ``code`` is a language in its stored form (lower case, 639-1 if any)."""
        return code in _languages()[0]

    def label(self, value: str) -> str:
        english = _languages()[0].get(value, value)
        return english if i18n.current() == i18n.DEFAULT else i18n.language_name(value, english)

    def choices(self) -> list[Choice]:
        # the two-letter languages: the ~180 that people pick from; 639-3 has ~7,900
        return sorted((Choice(code, self.label(code)) for code in _languages()[0]
                       if len(code) == 2), key=lambda c: c.label)
