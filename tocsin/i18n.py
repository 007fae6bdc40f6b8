"""Languages: message catalogs, the language of the current request, locale-aware formatting.

Catalogs are ``tocsin/locale/<lang>/LC_MESSAGES/messages.po``. They are compiled in memory
the first time a language is used (Babel's own compiler, a few milliseconds), so no
compiled ``.mo`` file is kept in the repository that could drift from its ``.po``.
Fuzzy and empty translations are left out, so they show in English.

The language of what is being rendered is a context variable: :func:`using` sets it for a
page, a report or a command, and ``_``, the Jinja filters and :func:`format_*` read it.
"""

from __future__ import annotations

import gettext as stdlib_gettext
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import IO, Self

from babel import Locale, UnknownLocaleError, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from markupsafe import escape

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT = "en"

#: Languages offered in the switch, each named in itself. Arabic is a starter catalog:
#: what it lacks shows in English.
LANGUAGES = {"en": "English", "fr": "Français", "ru": "Русский", "ar": "العربية"}

#: Catalogs that must be complete (tests/test_i18n_catalogs.py).
COMPLETE = ("fr", "ru")

_current: ContextVar[str] = ContextVar("tocsin_language", default=DEFAULT)


class Message(str):
    """A marked message and its values, translated where it is shown, not where it is made.

    Domain code raises and labels long before (and often outside) the page that shows
    them, so the message keeps its catalog id and values. As a ``str`` it is the English
    text: what is stored, logged, audited, compared in tests and sent by the JSON API.
    Shown, it is in the language of what is being rendered (:func:`using`): ``str()``,
    f-strings, ``%s``, Jinja's escaping (``__html__``) and the ``|translate`` filter all
    translate it. A value that is itself a :class:`Message` is translated with it.
    """

    id: str
    values: dict[str, object]

    def __new__(cls, message: str, values: dict[str, object] | None = None) -> Self:
        english = message % _fill(values, DEFAULT) if values else message
        self = super().__new__(cls, english)
        self.id = message
        self.values = dict(values) if values else {}
        return self

    def translated(self, language: str | None = None) -> str:
        """The message in ``language`` (default: the current one), values filled in."""
        language = language or current()
        text = self._catalog_text(translations(language))
        return text % _fill(self.values, language) if self.values else text

    def _catalog_text(self, catalog: stdlib_gettext.NullTranslations) -> str:
        return catalog.gettext(self.id)

    def __str__(self) -> str:
        return self.translated()

    def __format__(self, spec: str) -> str:
        return format(self.translated(), spec)

    def __html__(self) -> str:
        return str(escape(self.translated()))

    def __reduce__(self) -> tuple[type[Message], tuple[str, dict[str, object]]]:
        return Message, (self.id, self.values)


class Plural(Message):
    """A :class:`Message` with a count: the form of ``id`` (singular) or ``plural`` that the
    language uses for ``n`` (English two, Russian three: ``1 файл``, ``3 файла``,
    ``13 файлов``), chosen where it is shown. Both forms name the same placeholders, ``n``'s
    too, since a language may use its "singular" for 21."""

    plural: str
    n: int

    def __new__(cls, singular: str, plural: str, n: int,
                values: dict[str, object] | None = None) -> Plural:
        count = operator.index(n)  # a count, not 2.5
        self = super().__new__(cls, singular if count == 1 else plural, values)
        self.id, self.plural, self.n = singular, plural, count
        return self

    def _catalog_text(self, catalog: stdlib_gettext.NullTranslations) -> str:
        return catalog.ngettext(self.id, self.plural, self.n)

    def __reduce__(self) -> tuple[type[Plural], tuple[str, str, int, dict[str, object]]]:  # type: ignore[override]
        return Plural, (self.id, self.plural, self.n, self.values)


class Joined(Message):
    """Texts joined by ``separator``, each one that is a :class:`Message` translated where
    the whole is shown (a list of messages inside another message's value). A separator
    that is itself a :class:`Message` (:data:`SEMICOLON`) is translated too: French writes
    `` ; `` where English writes ``; ``."""

    items: tuple[object, ...]
    separator: str

    def __new__(cls, items: Iterable[object], separator: str = ", ") -> Joined:
        listed = tuple(items)
        english = str.__str__(separator).join(
            item.translated(DEFAULT) if isinstance(item, Message) else str(item)
            for item in listed)
        self = str.__new__(cls, english)
        self.id, self.values, self.items, self.separator = english, {}, listed, separator
        return self

    def translated(self, language: str | None = None) -> str:
        language = language or current()
        separator = self.separator.translated(language) if isinstance(self.separator, Message) \
            else self.separator
        return separator.join(item.translated(language) if isinstance(item, Message)
                              else str(item) for item in self.items)

    def __reduce__(self) -> tuple[type[Joined], tuple[tuple[object, ...], str]]:  # type: ignore[override]
        return Joined, (self.items, self.separator)


def _fill(values: dict[str, object], language: str) -> dict[str, object]:
    return {name: value.translated(language) if isinstance(value, Message | Number | Date)
            else value for name, value in values.items()}


class Number(str):
    """A figure inside a message, written the way the reader's language writes it: its
    text is the English form (``9,950.00``, Python's own rounding), shown it is
    ``9 950,00`` in French. ``digits`` fixes the decimals; ``group``: thousands grouped."""

    value: float | int
    digits: int | None
    group: bool

    def __new__(cls, value: float | int | Decimal, digits: int | None = None,
                group: bool = True) -> Number:
        number = value if isinstance(value, int) else float(value)
        spec = ("," if group else "") + (f".{digits}f" if digits is not None else "")
        self = super().__new__(cls, format(number, spec))
        self.value, self.digits, self.group = number, digits, group
        return self

    def translated(self, language: str | None = None) -> str:
        language = language or current()
        if language == DEFAULT:
            return str.__str__(self)
        pattern = ("#,##0" if self.group else "0") + (
            "." + "0" * self.digits if self.digits else "" if self.digits == 0 else ".###")
        return numbers.format_decimal(self.value, format=pattern, locale=_locale(language),
                                      decimal_quantization=True)

    def __reduce__(self) -> tuple[type[Number], tuple[float | int, int | None, bool]]:
        return Number, (self.value, self.digits, self.group)


class Date(str):
    """A day inside a message, written the way the reader's language writes it: its text is
    the English form (``05 Mar 2027``), shown it is ``05 mars 2027`` in French."""

    value: date

    def __new__(cls, value: date) -> Date:
        self = super().__new__(cls, f"{value:%d %b %Y}")
        self.value = value
        return self

    def translated(self, language: str | None = None) -> str:
        language = language or current()
        if language == DEFAULT:
            return str.__str__(self)
        return str(dates.format_date(self.value, format="dd MMM y", locale=_locale(language)))

    def __reduce__(self) -> tuple[type[Date], tuple[date]]:
        return Date, (self.value,)


def rewrite(text: str, change: Callable[[str], str]) -> str:
    """``text`` with ``change`` applied to its plain text: to each text value of a
    :class:`Message` (kept a message, e.g. server paths replaced by file names), else to
    the text itself."""
    if isinstance(text, Message):
        values = {name: rewrite(value, change) if isinstance(value, str)
                  and not isinstance(value, Number | Date) else value
                  for name, value in text.values.items()}
        if isinstance(text, Plural):
            return Plural(text.id, text.plural, text.n, values)
        return Message(text.id, values)
    return change(text)


def to_data(text: object) -> dict[str, object] | None:
    """A message as JSON data (``{"id": …, "values": {…}}``, and ``"plural"`` and ``"n"``
    for a :class:`Plural`) to keep beside its English text, so that a stored or queued
    message can be shown translated later (:func:`from_data`); None when ``text`` is not a
    :class:`Message`."""
    if not isinstance(text, Message):
        return None
    data: dict[str, object] = {
        "id": text.id, "values": {name: _value_data(v) for name, v in text.values.items()}}
    if isinstance(text, Plural):  # the count picks the form again when shown
        data |= {"plural": text.plural, "n": text.n}
    return data


def _value_data(value: object) -> object:
    if isinstance(value, Joined):
        return {"joined": [_value_data(item) for item in value.items],
                "separator": _value_data(value.separator)}
    if isinstance(value, Message):
        return to_data(value)
    if isinstance(value, Number):
        return {"number": value.value, "digits": value.digits, "group": value.group}
    if isinstance(value, Date):
        return {"date": value.value.isoformat()}
    if value is None or isinstance(value, bool | int | float):
        return value
    return str.__str__(value) if isinstance(value, str) else str(value)


def from_data(data: object, english: str = "") -> str:
    """The :class:`Message` kept by :func:`to_data`; ``english`` (the text stored beside
    it) when there is none or it cannot be rebuilt, so old records still show their text."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return english
    try:
        values = data.get("values") or {}
        if not isinstance(values, dict):
            return english
        filled = {name: _value_from(v) for name, v in values.items()}
        plural, n = data.get("plural"), data.get("n")
        if isinstance(plural, str) and isinstance(n, int) and not isinstance(n, bool):
            return Plural(data["id"], plural, n, filled)
        return Message(data["id"], filled)
    except (KeyError, TypeError, ValueError):
        return english


def _value_from(value: object) -> object:
    if isinstance(value, dict):
        if "number" in value:
            return Number(value["number"], value.get("digits"), bool(value.get("group", True)))
        if isinstance(value.get("date"), str):
            return Date(date.fromisoformat(value["date"]))
        if isinstance(value.get("joined"), list):
            separator = value.get("separator", ", ")
            return Joined([_value_from(item) for item in value["joined"]],
                          from_data(separator, "; ") if isinstance(separator, dict)
                          else str(separator))
        return from_data(value, str(value.get("id", "")))
    return value


def N_(message: str, /, **values: object) -> Message:
    """Mark a message for the catalogs, to be translated where it is shown (a
    :class:`Message`); ``values`` fill its ``%(name)s`` placeholders then. The message
    must be a literal string: the catalogs are extracted from the source."""
    return Message(message, values)


def N_plural(singular: str, plural: str, n: int, /, **values: object) -> Plural:
    """Mark a message with a count for the catalogs, both its forms (a :class:`Plural`):
    where it is shown, the language's form for ``n`` is taken and ``values`` fill its
    ``%(name)s`` placeholders, which both forms must name alike (``count=n`` among them).
    Both must be literal strings: the catalogs are extracted from the source
    (``-k N_plural:1,2``)."""
    return Plural(singular, plural, n, values)


#: The separator between the clauses of one sentence, as each language writes it
#: (``Joined(clauses, SEMICOLON)``).
SEMICOLON = N_("; ")
#: The separator between a place and what is said of it (``file: entry 'x': field 'y'``).
COLON = N_(": ")


def translate(value: object) -> str:
    """What the ``|translate`` filter shows: a :class:`Message` or a marked string in the
    current language; anything else as text."""
    if isinstance(value, Message):
        return value.translated()
    if isinstance(value, str):
        return gettext(value)
    return "" if value is None else str(value)


def as_text(value: object) -> object:
    """``value`` with every :class:`Message` in it (in dicts, lists, tuples) turned into its
    text in the current language: what a JSON answer hands a page's script to show."""
    if isinstance(value, Message | Number | Date):
        return value.translated()
    if isinstance(value, dict):
        return {key: as_text(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_text(item) for item in value]
    return value


@cache
def translations(language: str) -> stdlib_gettext.NullTranslations:
    """The compiled catalog of ``language``; English and unknown languages: the source text."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT or not path.exists():
        return stdlib_gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain="messages")


def current() -> str:
    """The language of what is being rendered now."""
    return _current.get()


@contextmanager
def using(language: str | None) -> Iterator[str]:
    """Render in ``language`` (an unsupported one: the default) inside the block."""
    chosen = language if language in LANGUAGES else DEFAULT
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def from_environment(environ: Mapping[str, str]) -> str:
    """The language a command speaks, from the locale variables the way gettext reads them
    (``LANGUAGE``, then ``LC_ALL``, ``LC_MESSAGES``, ``LANG``): ``fr_FR.UTF-8`` is French;
    ``C``, ``POSIX``, unset or a language not offered: English."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if not value:
            continue
        for tag in value.split(":"):  # LANGUAGE is a list of preferences
            base = tag.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
            if base in LANGUAGES:
                return base
        if name != "LANGUAGE":  # a set locale decides, even one not offered
            return DEFAULT
    return DEFAULT


def set_language(language: str | None) -> Token[str]:
    """Speak ``language`` from now on in this context (a command's run); give the token to
    :func:`restore` when it ends. Pages and reports use :func:`using` instead."""
    return _current.set(language if language in LANGUAGES else DEFAULT)


def restore(token: Token[str]) -> None:
    _current.reset(token)


def gettext(message: str) -> str:
    if isinstance(message, Message):
        return message.translated()
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    """The form of ``singular``/``plural`` the current language uses for ``n`` (Russian
    has three), with ``%(name)s`` placeholders filled in from ``values``; both forms must
    name the same placeholders, ``n``'s too (Russian says "21 файл", form one)."""
    text = translations(current()).ngettext(singular, plural, n)
    return text % values if values else text


def _(message: str, **values: object) -> str:
    """``message`` in the current language, with ``%(name)s`` placeholders filled in."""
    text = gettext(message)
    return text % values if values else text


def direction(language: str | None = None) -> str:
    """``rtl`` for right-to-left scripts (Arabic), else ``ltr``: the page's ``dir``."""
    return "rtl" if _locale(language or current()).character_order == "right-to-left" \
        else "ltr"


def negotiate(accept_language: str | None) -> str | None:
    """The best offered language for an ``Accept-Language`` header, or ``None``.

    Weights (``q=``) order the choices; ``fr-CA`` matches ``fr``; malformed parts are skipped.
    """
    if not accept_language:
        return None
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:40]):
        tag, _sep, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _eq, value = param.strip().partition("=")
            if key == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if tag and weight > 0:
            weighted.append((-weight, position, tag.strip().lower()))
    for _w, _p, tag in sorted(weighted):
        base = tag.replace("_", "-").split("-")[0]
        if base in LANGUAGES:
            return base
    return None


@cache
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT)


# ---- formatting in the current language (also the Jinja filters of the same names) ----

def format_date(value: date | datetime | str | None, form: str = "medium") -> str:
    """A date (or the date of a timestamp) the way the current language writes it;
    an ISO text is parsed first; empty stays empty. English pages keep ISO 8601
    (2026-03-05): unambiguous for an international staff, and what exports carry."""
    if value is None or value == "":
        return ""
    if current() == DEFAULT:
        return value.isoformat()[:10] if isinstance(value, date) else str(value)
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return value  # not a date: shown as it came
    else:
        day = value.date() if isinstance(value, datetime) else value
    return str(dates.format_date(day, format=form, locale=_locale(current())))


def format_datetime(value: datetime | str | None, form: str = "medium") -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        moment = value
    return str(dates.format_datetime(moment, format=form, locale=_locale(current())))


def format_number(value: int | float | Decimal | None, digits: int | None = None) -> str:
    """Digits grouped the local way (1,234.5 / 1 234,5); ``digits`` fixes the decimals."""
    if value is None or value == "":
        return ""
    if digits is None:
        return numbers.format_decimal(value, locale=_locale(current()))
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return numbers.format_decimal(value, format=pattern, locale=_locale(current()),
                                  decimal_quantization=True)


def format_size(size: int | float) -> str:
    """A count of bytes for people, in the language's units and figures: 812 B, 4.2 MB
    (French 4,2 Mo, Russian 4,2 МБ); binary multiples, as file managers show them."""
    if size < 1024:
        return _("%(size)s B", size=format_number(size, 0))
    if size < 1024 ** 2:
        return _("%(size)s KB", size=format_number(size / 1024, 1))
    if size < 1024 ** 3:
        return _("%(size)s MB", size=format_number(size / 1024 ** 2, 1))
    return _("%(size)s GB", size=format_number(size / 1024 ** 3, 1))


def format_percent(value: int | float | Decimal | None, digits: int = 0) -> str:
    """A share (0.25) as a percentage in the local form: 25 %, 25 %, 25٪."""
    if value is None or value == "":
        return ""
    locale = _locale(current())
    pattern = locale.percent_formats[None].pattern  # keeps the local spacing: "25 %"
    if digits > 0:
        pattern = re.sub(r"0(?=[^0#,]|$)", "0." + "0" * digits, pattern)
    return numbers.format_percent(value, format=pattern, locale=locale)


def format_money(value: int | float | Decimal | None, currency: str | None = None,
                 whole: bool = False) -> str:
    """An amount with its currency the local way (€1,234.50 / 1 234,50 €), ``whole``: no
    decimals; without a currency, a plain number with two decimals (none if ``whole``)."""
    if value is None or value == "":
        return ""
    if not currency:
        return format_number(value, 0 if whole else 2)
    locale = _locale(current())
    pattern = None
    if whole:
        standard = locale.currency_formats["standard"].pattern
        pattern = re.sub(r"\.0+", "", standard)
    try:
        return numbers.format_currency(value, currency.upper(), format=pattern, locale=locale,
                                       currency_digits=not whole)
    except (numbers.UnknownCurrencyError, ValueError):
        return f"{format_number(value, 0 if whole else 2)} {currency}"


def country_name(code: str | None, default: str | None = None) -> str:
    """The name of an ISO 3166 country code in the current language (Babel's CLDR data);
    one CLDR does not know: ``default``, else the code itself."""
    if not code:
        return ""
    return str(_locale(current()).territories.get(code.upper(), default or code))


def language_name(code: str | None, default: str | None = None) -> str:
    """The name of an ISO 639 language code in the current language (CLDR)."""
    if not code:
        return ""
    return str(_locale(current()).languages.get(code.lower(), default or code))


def extract_yaml_labels(fileobj: IO[bytes], keywords: object, comment_tags: object,
                        options: Mapping[str, str] | None
                        ) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor for the ``label:`` values of configuration YAML (babel.cfg), e.g.
    the statuses of the lessons-learned cycle, which pages show through ``_()``; the
    option ``keys`` names other keys (``keys = reason``: the IATI rulesets' reasons). A
    key whose value is a list gives each text of the list (the coherence method's
    ``levels``)."""
    import yaml

    keys = set((options or {}).get("keys", "label").replace(",", " ").split())
    pending = [yaml.compose(fileobj.read().decode("utf-8"), Loader=yaml.SafeLoader)]
    while pending:
        node = pending.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                named = isinstance(key, yaml.ScalarNode) and key.value in keys
                if named and isinstance(value, yaml.ScalarNode) and value.value.strip():
                    yield value.start_mark.line + 1, "_", value.value.strip(), []
                elif named and isinstance(value, yaml.SequenceNode) and all(
                        isinstance(item, yaml.ScalarNode) for item in value.value):
                    for item in value.value:
                        if item.value.strip():
                            yield item.start_mark.line + 1, "_", item.value.strip(), []
                else:
                    pending.append(value)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
