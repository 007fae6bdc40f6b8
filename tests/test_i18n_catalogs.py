"""Languages: complete catalogs, no literal text left in templates, catalogs in step with them.

A template's text between tags, and the text of the attributes people read (``title``,
``placeholder``, ``aria-label``, ``alt``, ``label`` and the confirmation dialogs'
``data-confirm*``), must go through ``_()`` or ``{% trans %}``; the checker reads the
template's own text with Jinja's lexer (what is literal data, not code) and an HTML tokenizer.
"""

from __future__ import annotations

import ast
import json
import pickle
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from jinja2 import Environment
from markupsafe import Markup, escape

from tocsin import i18n
from tocsin.errors import InputError, Problem
from tocsin.reports.coherence import TEMPLATES as REPORT_TEMPLATES
from tocsin.web.templating import TEMPLATES

ROOT = Path(__file__).resolve().parent.parent
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "label", "data-confirm",
                   "data-confirm-action", "data-confirm-hint"}
#: Names and formats, the same in every language.
NOT_WORDS = {"Tocsin", "· Tocsin", "CSV", "Excel", "PDF", "JSON", "XML", "XLSX", "IATI", "GeoJSON",
             "GraphML", "DOCX"}
LETTER = re.compile(r"[^\W\d_]")
PLACEHOLDER = re.compile(r"%(?:\([a-z_0-9]+\)s|%)")
#: Jinja code, replaced by a mark that is neither a letter nor markup.
CODE_MARK = " \x01 "


def _catalog(language: str) -> Catalog:
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


class _Text(HTMLParser):
    """Collects literal words found in text nodes and read attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._raw = 0  # inside <script> or <style>

    def _check(self, text: str | None, where: str) -> None:
        if not text:
            return
        for piece in text.split(CODE_MARK.strip()):
            words = " ".join(piece.split())
            if words and LETTER.search(words) and words not in NOT_WORDS:
                self.found.append(f"{where}: {words!r}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._raw += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES:
                self._check(value, f"<{tag} {name}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._raw = max(0, self._raw - 1)

    def handle_data(self, data: str) -> None:
        if not self._raw:
            self._check(data, "text")


def literal_text(source: str, env: Environment | None = None) -> list[str]:
    """The user-facing words a template writes outside the translation functions."""
    env = env or Environment(extensions=["jinja2.ext.i18n"])
    literal: list[str] = []
    depth = 0  # inside {% trans %} … {% endtrans %}
    pending: list[str] = []
    for _line, kind, value in env.lex(source):
        if kind == "whitespace":
            continue
        if kind == "name" and value == "trans" and pending[-1:] == ["block_begin"]:
            depth += 1
        elif kind == "name" and value == "endtrans":
            depth -= 1
        pending.append(kind)
        if kind == "data":
            literal.append(CODE_MARK if depth else value)
        elif kind in ("block_begin", "variable_begin", "comment_begin"):
            literal.append(CODE_MARK)
    parser = _Text()
    parser.feed("".join(literal))
    parser.close()
    return parser.found


def _templates() -> list[Path]:
    """The pages' templates and the reports'."""
    return sorted([*TEMPLATES.rglob("*.html"), *REPORT_TEMPLATES.rglob("*.html")])


def test_the_checker_finds_literal_text_and_accepts_translated_text() -> None:
    found = literal_text('<h1>Cases</h1><input placeholder="Search here" name="q">'
                         '<p title="{{ _("Fine") }}">{{ _("Fine") }} {{ n }}</p>'
                         '{% trans %}Also fine{% endtrans %}<script>var x = "code";</script>'
                         '<a href="/x">Tocsin</a> <span>{{ x }}: 12</span>')
    assert found == ["text: 'Cases'", "<input placeholder>: 'Search here'"]


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_writes_literal_text(template: Path) -> None:
    assert literal_text(template.read_text(encoding="utf-8")) == [], (
        "wrap these in {{ _('…') }} and run pybabel extract/update (docs/languages.md)")


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    """What the templates and the code mark for translation today (babel.cfg)."""
    method_map = [("tocsin/**.py", "python"), ("tocsin/**/templates/**.html", "jinja2"),
                  ("tocsin/web/static/js/**.js", "javascript"),
                  ("tocsin/taskforce/lessons/cycle.yaml", "tocsin.i18n:extract_yaml_labels"),
                  ("tocsin/taskforce/iati/rulesets/**.yaml", "tocsin.i18n:extract_yaml_labels"),
                  ("tocsin/taskforce/iati/schema_messages.yaml",
                   "tocsin.i18n:extract_yaml_labels"),
                  ("tocsin/coherence/data/*.yaml", "tocsin.i18n:extract_yaml_labels")]
    options = {"tocsin/**/templates/**.html": {"extensions": "jinja2.ext.i18n",
                                                 "newstyle_gettext": "true"},
               "tocsin/taskforce/iati/rulesets/**.yaml": {"keys": "reason empty_reason"},
               "tocsin/taskforce/iati/schema_messages.yaml": {"keys": "reason kind words"},
               "tocsin/coherence/data/*.yaml": {"keys": "label unit levels"}}
    return {message[2] if isinstance(message[2], str) else message[2][0]
            for message in extract_from_dir(str(ROOT), method_map, options,
                                            keywords={"_": None, "N_": None,
                                                      "gettext": None,
                                                      "ngettext": (1, 2),
                                                      "N_plural": (1, 2)})}


def _marking_calls(tree: ast.AST) -> Iterator[ast.Call]:
    """Calls of ``N_``, ``_``, ``ngettext`` and ``N_plural`` (as names or attributes:
    ``i18n.N_``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else \
                node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if name in ("N_", "_", "ngettext", "N_plural"):
                yield node


def _plural(call: ast.Call) -> bool:
    return (call.func.id if isinstance(call.func, ast.Name) else
            call.func.attr if isinstance(call.func, ast.Attribute) else "") in (
        "ngettext", "N_plural")


def marking_problems(source: str, where: str) -> list[str]:
    """Python messages the extractor would miss or that could not be filled in: the message
    must be one literal string, and its values must be exactly its placeholders."""
    found = []
    tree = ast.parse(source)
    hidden = {id(call) for f in ast.walk(tree) if isinstance(f, ast.JoinedStr)
              for call in _marking_calls(f)}
    for call in _marking_calls(tree):
        at = f"{where}:{call.lineno}"
        if id(call) in hidden:
            found.append(f"{at}: marked inside an f-string, where the extractor cannot see it")
            continue
        texts = call.args[:2] if _plural(call) else call.args[:1]
        if not texts or not all(isinstance(t, ast.Constant) and isinstance(t.value, str)
                                for t in texts):
            found.append(f"{at}: the message is not a literal string")
            continue
        if any(k.arg is None for k in call.keywords):
            found.append(f"{at}: values given as **mapping cannot be checked")
            continue
        named = [set(re.findall(r"%\(([a-z_0-9]+)\)s", str(t.value)))  # type: ignore[attr-defined]
                 for t in texts]
        if named[0] != named[-1]:
            found.append(f"{at}: the singular and the plural name different placeholders")
            continue
        wanted = named[0]
        given = {k.arg for k in call.keywords if k.arg}
        if wanted != given:
            found.append(f"{at}: placeholders {sorted(wanted)} but values {sorted(given)}")
    return found


def test_the_python_checker_finds_unextractable_and_unfilled_messages() -> None:
    source = ('N_("ok %(n)s", n=1)\nN_(f"{x} bad")\nN_("missing %(n)s")\n'
              'i18n._("extra", n=2)\n_(label)\nN_("fine")\nf"[b]{_(\'Error:\')}[/]"\n'
              'ngettext("%(n)s file", "%(n)s files", n, n=n)\n'
              'ngettext("a file", "%(n)s files", n, n=n)\n'
              'i18n.N_plural("%(n)s row", "%(n)s rows", n, n=n)\n'
              'N_plural("%(n)s row", "rows", n, n=n)\nN_plural(row, "%(n)s rows", n, n=n)\n')
    assert marking_problems(source, "x.py") == [
        "x.py:2: the message is not a literal string",
        "x.py:3: placeholders ['n'] but values []",
        "x.py:4: placeholders [] but values ['n']",
        "x.py:5: the message is not a literal string",
        "x.py:9: the singular and the plural name different placeholders",
        "x.py:11: the singular and the plural name different placeholders",
        "x.py:12: the message is not a literal string",
        "x.py:7: marked inside an f-string, where the extractor cannot see it",  # deeper
    ]


def test_python_messages_are_literal_and_filled_in() -> None:
    found = []
    for path in sorted((ROOT / "tocsin").rglob("*.py")):
        if path.name == "i18n.py":  # defines the functions, marks nothing
            continue
        found += marking_problems(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert found == [], "mark a literal message; give exactly its %(name)s values"


def test_a_message_is_english_as_text_and_translated_where_shown() -> None:
    message = i18n.N_plural("%(count)s problem found; nothing was applied",
                            "%(count)s problems found; nothing was applied", 3, count=3)
    assert message == "3 problems found; nothing was applied"  # stored, logged, sent as JSON
    assert json.loads(json.dumps({"detail": message}))["detail"] == str.__str__(message)
    assert pickle.loads(pickle.dumps(message)) == message
    with i18n.using("fr"):
        shown = str(message)
        assert shown != message and "3" in shown
        assert f"{message}" == shown == i18n.translate(message)
        assert Markup("<b>%s</b>") % message == Markup(f"<b>{escape(shown)}</b>")
    with i18n.using("ru"):
        nested = i18n.N_("%(location)s: %(reason)s", location="title",
                         reason=i18n.N_("the title is empty"))
        assert str(nested) == "title: " + i18n.gettext("the title is empty")
        assert i18n.gettext("the title is empty") != "the title is empty"
    assert str(message) == message  # English again outside the block


def test_an_input_error_speaks_the_language_it_is_shown_in() -> None:
    error = InputError.single("title", i18n.N_("the title is empty"))
    # one problem, already the first line: said once
    assert str(error) == "title: the title is empty"
    with i18n.using("fr"):
        assert str(error) == "title : " + i18n.gettext("the title is empty")
    two = InputError([Problem("title", i18n.N_("the title is empty")),
                      Problem("year", "not a year")])
    assert str(two).splitlines()[1:] == ["  - title: the title is empty",
                                         "  - year: not a year"]


def test_yaml_extractor_reads_the_named_keys_and_each_text_of_a_list() -> None:
    from io import BytesIO

    source = ("kinds:\n  seizures: {label: Seizures, unit: seizures, weight: 1}\n"
              "groups:\n  size:\n    label: Size\n    note: not for readers\n"
              "    levels:\n      - Up to 5 members\n      - ''\n      - More than 50\n")
    found = [(line, text) for line, _, text, _ in i18n.extract_yaml_labels(
        BytesIO(source.encode()), None, None, {"keys": "label unit levels"})]
    assert sorted(found) == [(2, "Seizures"), (2, "seizures"), (5, "Size"),
                             (8, "Up to 5 members"), (10, "More than 50")]
    only_labels = [text for _, _, text, _ in i18n.extract_yaml_labels(
        BytesIO(source.encode()), None, None, None)]
    assert sorted(only_labels) == ["Seizures", "Size"]


def test_the_coherence_method_labels_are_extracted(extracted: set[str]) -> None:
    from tocsin.coherence.method import method, ocg_method

    kinds = method().indicator_kinds.values()
    grades = [*method().grading.source_reliability.values(),
              *method().grading.credibility.values()]
    texts = {k.label for k in kinds} | {k.unit for k in kinds} | {g.label for g in grades}
    for item in ocg_method().indicators.values():
        texts |= {item.label, *item.levels}
    assert sorted(texts - extracted) == []


@pytest.mark.parametrize("language", [*i18n.COMPLETE, "ar"])
def test_every_marked_message_is_in_the_catalog(language: str, extracted: set[str]) -> None:
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(language) if m.id}
    assert sorted(extracted - ids) == [], "run pybabel extract and update (docs/languages.md)"


@pytest.mark.parametrize("language", i18n.COMPLETE)
def test_complete_catalogs_have_no_untranslated_or_fuzzy_message(language: str) -> None:
    catalog = _catalog(language)
    assert not catalog.fuzzy
    untranslated = [m.id for m in catalog if m.id and not (
        all(m.string) if isinstance(m.string, tuple) else m.string)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


@pytest.mark.parametrize("language", [*i18n.COMPLETE, "ar"])
def test_translations_keep_placeholders_and_no_double_quotes(language: str) -> None:
    wrong = []
    for m in _catalog(language):
        if not m.id or not (any(m.string) if isinstance(m.string, tuple) else m.string):
            continue  # untranslated (a starter catalog's plural too): shown in English
        source = m.id if isinstance(m.id, str) else m.id[0]
        target = m.string if isinstance(m.string, str) else (m.string or ("",))[0]
        if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target)):
            wrong.append(f"placeholders differ: {source!r} → {target!r}")
        if '"' in target:  # translations are written into attributes as they are
            wrong.append(f"double quote: {target!r}")
    assert wrong == []


def test_a_catalog_translates_and_an_unknown_language_falls_back() -> None:
    with i18n.using("ru"):
        assert i18n.gettext("Sign in") == "Войти"
    with i18n.using("fr"):
        assert i18n.gettext("Sign in") == "Se connecter"
        assert i18n.gettext("no such message") == "no such message"
    with i18n.using("xx") as chosen:
        assert chosen == "en" and i18n.gettext("Sign in") == "Sign in"
    with i18n.using("ar"):
        assert i18n.direction() == "rtl"
        assert i18n.gettext("Search") == "بحث"
        assert i18n.gettext("Budget (rolled up)") == "Budget (rolled up)"  # starter: English


def test_a_hidden_or_missing_record_is_named_by_its_word() -> None:
    from tocsin.errors import RECORD_TYPE_WORDS, NotFound
    from tocsin.search.service import TYPE_LABELS

    missing = NotFound.guarded("transaction_set", 7, hidden=False)
    assert str(missing) == "transaction set 7 not found"
    assert missing.record_type == "transaction_set"  # the audit keeps the type
    with i18n.using("fr"):
        assert str(missing) == str(i18n.N_("%(record_type)s %(record_id)s not found",
                                           record_type=i18n.gettext("transaction set"),
                                           record_id=7))
        assert "transaction set" not in str(missing)
    # every searchable type is named by a word, its own where it is one
    catalogs = {language: _catalog(language) for language in ("fr", "ru")}
    for record_type in TYPE_LABELS:
        word = RECORD_TYPE_WORDS.get(record_type, record_type)
        assert "_" not in word
        for language, catalog in catalogs.items():
            entry = catalog.get(str(word))
            assert entry is not None and entry.string, (record_type, language)
