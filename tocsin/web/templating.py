"""Jinja2 environment and the ``render`` helper every page uses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.extract import extract
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from tocsin import i18n
from tocsin.access.policy import may_write
from tocsin.access.principal import Principal
from tocsin.access.roles import Action

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation; areas declare theirs as ``NAV`` in their router."""

    label: str
    path: str
    order: int
    admin_only: bool = False
    #: The menu it belongs to; empty: the one :data:`MENUS` gives its path, else its own.
    group: str = ""


#: The few menus of the top navigation (it must fit one row at 1280 px): path → menu.
MENUS = {
    "/framework": "Strategy", "/commitments": "Strategy", "/coherence": "Strategy",
    "/programmes": "Programmes", "/lessons": "Programmes", "/partners": "Programmes",
    "/events": "Programmes", "/experts": "Programmes",
    "/investigations": "Investigations", "/cases": "Investigations",
    "/screening": "Investigations",
}


#: The menu labels, marked for the catalogs (they are translated where the menu is shown).
MENU_LABELS = (i18n.N_("Strategy"), i18n.N_("Programmes"), i18n.N_("Investigations"))
#: The roles as the header shows them (``dp_officer`` → "dp officer"), marked likewise.
ROLE_LABELS = (i18n.N_("administrator"), i18n.N_("coordinator"), i18n.N_("analyst"),
               i18n.N_("fund manager"), i18n.N_("partner viewer"), i18n.N_("dp officer"))


@dataclass(frozen=True)
class Menu:
    label: str
    items: list[NavItem]

    def current(self, path: str) -> bool:
        return any(path.startswith(item.path.rsplit("/", 1)[0] if item.admin_only
                                   else item.path) for item in self.items)


def menus(items: list[NavItem]) -> list[Menu]:
    """Navigation items grouped into menus, in the order of each menu's first item."""
    grouped: dict[str, list[NavItem]] = {}
    for item in sorted(items, key=lambda i: i.order):
        grouped.setdefault(item.group or MENUS.get(item.path, item.label), []).append(item)
    return [Menu(label, entries) for label, entries in grouped.items()]


def label(value: object, kind: str) -> str:
    """The label people read for a code of a value type (``{{ code|label('crime area') }}``):
    ``money_laundering`` → "Money laundering", ``MD`` → "Moldova". An unknown code shows
    as itself, never as an error."""
    from tocsin import types

    if value is None or value == "":
        return ""
    try:
        return str(types.get(kind).label(value))
    except (KeyError, ValueError, LookupError):  # an unknown code shows as itself
        return str(value).replace("_", " ")


def structure_name(code: str, english: str = "") -> str:
    """A structure's name in the current language, from the reference YAML's ``names``."""
    from tocsin.reference.registry import load_registry

    try:
        return load_registry().structure(code).name_in(i18n.current())
    except KeyError:
        return english or code


def organization_name(code: str | None, english: str = "") -> str:
    """A reference partner organization's name in the current language, from the reference
    YAML's ``names`` (an unknown code: ``english``)."""
    from tocsin.reference.registry import load_registry

    try:
        return load_registry().organization(code or "").name_in(i18n.current())
    except KeyError:
        return english or code or ""


def unit_name(code: str | None, english: str = "") -> str:
    """An owning unit's name in the current language: units are made from the reference
    organizations and structures, so their ``names``; a unit none of them knows: ``english``."""
    from tocsin.reference.registry import load_registry

    registry = load_registry()
    for find in (registry.organization, registry.structure):
        try:
            return find(code or "").name_in(i18n.current())
        except KeyError:
            continue
    return english or code or ""


def partner_name(partner: Any) -> str:
    """A partner's name: a reference organization's or structure's in the current language
    while the row still carries the reference name; a partner users added, as written."""
    from tocsin.reference.registry import load_registry

    registry = load_registry()
    for code, find in ((partner.ref_organization_code, registry.organization),
                       (partner.ref_structure_code, registry.structure)):
        if not code:
            continue
        try:
            entry = find(code)
        except KeyError:
            break
        if entry.name == partner.name:
            return entry.name_in(i18n.current())
    return str(partner.name)


def partner_description(partner: Any) -> str:
    """A partner's description: a reference organization's from the catalogs (read from the
    reference YAML, ``babel.cfg``) while the row still carries it; otherwise as written."""
    from tocsin.reference.registry import load_registry

    text = str(partner.description or "")
    if partner.ref_organization_code:
        try:
            entry = load_registry().organization(partner.ref_organization_code)
        except KeyError:
            return text
        if entry.description == text:
            return i18n.gettext(text)
    return text


def facet_label(value: str, facet: str, english: str) -> str:
    """A search facet value's label in the current language (English: as the index gives it)."""
    if i18n.current() == i18n.DEFAULT:
        return english
    if facet == "type":
        return i18n.gettext(english)
    if facet in ("crime_area", "stage"):
        return label(value, facet.replace("_", " "))
    if facet == "country":
        return i18n.country_name(value, english)
    if facet == "structure":
        return structure_name(value, english)
    return english


def term(code: str | None) -> str:
    """A stored code (``in_force``) as words in the page's language: the catalog's
    translation of ``in force`` when it has one (vocabularies mark theirs), else the words."""
    if not code:
        return ""
    return i18n.gettext(str(code).replace("_", " "))


def share(value: int | float | Decimal | None) -> str:
    """A share given in per cent (0-100, as IATI and the forms write it) the way the page's
    language writes a percentage, with the decimals it has (at most two): ``25%``,
    ``33,33 %`` in French, ``25٪`` in Arabic. Empty for none."""
    if value is None or value == "":
        return ""
    exact = Decimal(str(value)).normalize()
    decimals = max(0, -int(exact.as_tuple().exponent))
    return i18n.format_percent(exact / 100, min(decimals, 2))


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.add_extension("jinja2.ext.i18n")
    env.autoescape = True
    # Compiled once per process: no stat of every template file on every page, and a
    # template changed on disk under a running server (an upgrade) cannot mix versions.
    env.auto_reload = False
    # The language is the current request's (tocsin.i18n.using, set by render), so macros
    # imported without context translate too. Newstyle: Jinja escapes the values filled in.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True)
    env.filters["label"] = label
    # a message made in Python (marked with N_, values and all): translated when the
    # catalog has it, else shown as it is; Jinja escapes the result like any value
    env.filters["translate"] = i18n.translate
    env.filters["term"] = term
    # a message kept with stored data (i18n.to_data) beside its English text:
    # {{ f.reason_message|message(f.reason) }} (the English text when none was kept)
    env.filters["message"] = i18n.from_data
    # |tojson writes UTF-8 as it is (the pages are UTF-8): Cyrillic stays one character,
    # not a six-byte escape; <, >, & and ' are still escaped for the HTML around it
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    env.filters["structure_name"] = structure_name
    env.filters["organization_name"] = organization_name
    env.filters["partner_name"] = partner_name
    env.filters["unit_name"] = unit_name
    env.filters["partner_description"] = partner_description
    env.filters["facet_label"] = facet_label
    env.filters["date"] = i18n.format_date
    env.filters["datetime"] = i18n.format_datetime
    env.filters["number"] = i18n.format_number
    env.filters["percent"] = i18n.format_percent
    env.filters["share"] = share
    env.filters["money"] = i18n.format_money
    env.filters["country_name"] = i18n.country_name
    env.filters["language_name"] = i18n.language_name
    return templates


#: The scripts whose messages (marked ``_("…")`` and ``ngettext("…", "…", n)``, see
#: static/js/text.js) pages carry.
SCRIPTS = Path(__file__).parent / "static" / "js"
#: Counts below this have their plural form looked up in the table a page hands its
#: scripts; a larger count takes the form of 100 + its last two digits, which is the same
#: in every language's rules the catalogs have (they look at n, n % 10 and n % 100).
PLURAL_TABLE = 200

ScriptMessage = str | tuple[str, str]


@cache
def script_messages() -> tuple[ScriptMessage, ...]:
    """The messages the scripts mark, read from the scripts with Babel's extractor (the
    same one that fills the catalogs), once per process: a message, or the singular and
    plural of one with a count."""
    found: dict[ScriptMessage, None] = {}
    for script in sorted(SCRIPTS.glob("*.js")):
        with script.open("rb") as source:
            for _line, message, _comments, _context in extract(
                    "javascript", source, keywords={"_": None, "ngettext": (1, 2)}):
                if isinstance(message, str):
                    found[message] = None
                elif isinstance(message, tuple) and len(message) >= 2 and all(
                        isinstance(m, str) for m in message[:2]):
                    found[(message[0], message[1])] = None
    return tuple(found)


@cache
def script_catalog(language: str) -> dict[str, Any]:
    """What a page hands its scripts: the scripts' messages that ``language`` translates
    (``messages``), the forms of those with a count (``plurals``: the singular's forms in
    the catalog's order) and which form each count takes (``forms``, counts 0 to
    :data:`PLURAL_TABLE` - 1). English pages need none of it."""
    if language == i18n.DEFAULT:
        return {}
    catalog = i18n.translations(language)
    plural = getattr(catalog, "plural", lambda n: int(n != 1))
    forms = [int(plural(n)) for n in range(PLURAL_TABLE)]
    first = {form: forms.index(form) for form in sorted(set(forms))}  # a count of each form
    messages = {m: t for m in script_messages()
                if isinstance(m, str) and (t := catalog.gettext(m)) != m}
    plurals = {}
    form_of = catalog.ngettext  # messages read from the scripts, not marked here
    # each message's texts by the number of their form, the index ``forms`` gives: a form
    # no count of the table takes (French's for millions) is left empty, so a list never
    # shifts (French has forms 0 and 2 below 200; listed in a row, the 2 found nothing)
    for m in script_messages():
        if isinstance(m, tuple):
            texts = [form_of(m[0], m[1], first[form]) if form in first else ""
                     for form in range(max(first) + 1)]
            if texts != [(m[0] if first[form] == 1 else m[1]) if form in first else ""
                         for form in range(max(first) + 1)]:
                plurals[m[0]] = texts
    return {"messages": messages, "plurals": plurals, "forms": forms}


LANGUAGE_COOKIE = "tocsin_language"


def request_language(request: Request) -> str:
    """The user's saved choice, else the language cookie, else ``Accept-Language``,
    else English."""
    user = getattr(request.state, "user", None)
    for choice in (getattr(user, "language", None), request.cookies.get(LANGUAGE_COOKIE),
                   i18n.negotiate(request.headers.get("accept-language"))):
        if choice in i18n.LANGUAGES:
            return choice
    return i18n.DEFAULT


class Rights:
    """What the signed-in user may do, asked of the same policy functions as the routes.

    Templates show an action, a form or an export link only when ``rights`` allows it,
    e.g. ``{% if rights.write(record.owner_unit_id) %}`` or ``{% if rights.export %}``,
    so a page never offers what the server would refuse.
    """

    def __init__(self, principal: Principal | None) -> None:
        self.principal = principal

    def can(self, action: str) -> bool:
        return self.principal is not None and self.principal.can(Action(action))

    def write(self, unit_id: int | None = None) -> bool:
        """May change records of ``unit_id`` (without one: of their own unit)."""
        if self.principal is None:
            return False
        return may_write(self.principal, self.principal.unit_id if unit_id is None else unit_id)

    @property
    def create(self) -> bool:
        """May create records (in their own unit at least)."""
        return self.write()

    @property
    def export(self) -> bool:
        return self.can(Action.EXPORT)

    @property
    def judge(self) -> bool:
        return self.can(Action.JUDGE)

    @property
    def admin(self) -> bool:
        return self.can(Action.ADMINISTER)


def render(request: Request, template: str, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """Render a page with the user, CSRF token, navigation and demo flag filled in."""
    app_state = request.app.state
    user = getattr(request.state, "user", None)
    nav = [item for item in app_state.nav
           if user is not None and (not item.admin_only or user.role == "administrator")]
    with i18n.using(request_language(request)) as language:
        response: HTMLResponse = app_state.templates.TemplateResponse(
            request,
            template,
            {
                "user": user,
                "csrf_token": getattr(request.state, "csrf_token", ""),
                "nav": nav,
                "menus": menus(nav),
                "rights": Rights(getattr(request.state, "principal", None)),
                "demo": app_state.settings.demo,
                "language": language,
                "languages": i18n.LANGUAGES,
                "direction": i18n.direction(language),
                "script_text": script_catalog(language),
                **context,
            },
            status_code=status_code,
        )
    response.headers["Content-Language"] = language
    return response
