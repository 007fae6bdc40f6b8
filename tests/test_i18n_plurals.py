"""Messages with a count: the language's plural form, chosen where the message is shown."""

from __future__ import annotations

import copy
import gettext
import json
import pickle
import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.frontend import parse_keywords
from babel.messages.mofile import write_mo
from babel.support import Translations
from markupsafe import Markup

from tocsin import i18n
from tocsin.errors import InputError, Problem
from tocsin.i18n import N_, Message, N_plural, Number, Plural

ROOT = Path(__file__).resolve().parent.parent

FILES = ("%(count)s file in %(place)s", "%(count)s files in %(place)s")


def _russian() -> gettext.NullTranslations:
    """A tiny Russian catalog (three forms: 1 файл, 3 файла, 5 файлов) with a nested message,
    so the tests do not depend on what the real catalog holds today."""
    catalog = Catalog(locale="ru")
    catalog.add(FILES, ("%(count)s файл в %(place)s", "%(count)s файла в %(place)s",
                        "%(count)s файлов в %(place)s"))
    catalog.add("the archive", "архиве")
    catalog.add(("%(count)s problem", "%(count)s problems"),
                ("%(count)s проблема", "%(count)s проблемы", "%(count)s проблем"))
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain="messages")


@pytest.fixture
def russian(monkeypatch: pytest.MonkeyPatch) -> None:
    real = i18n.translations
    tiny = _russian()
    monkeypatch.setattr(i18n, "translations",
                        lambda language: tiny if language == "ru" else real(language))


def files(n: int) -> Plural:
    return N_plural(*FILES, n, count=n, place=N_("the archive"))


def test_the_english_text_is_the_form_for_the_count() -> None:
    assert files(1) == "1 file in the archive"
    assert files(2) == "2 files in the archive"
    assert files(0) == "0 files in the archive"
    assert str.__str__(files(21)) == "21 files in the archive"
    assert isinstance(files(1), Message) and files(1).id == FILES[0]
    assert (files(2).plural, files(2).n) == (FILES[1], 2)


@pytest.mark.usefixtures("russian")
def test_a_language_with_three_forms_takes_the_one_for_the_count() -> None:
    shown = {n: files(n).translated("ru") for n in (1, 3, 5, 11, 21, 22, 25, 101)}
    assert shown == {1: "1 файл в архиве", 3: "3 файла в архиве", 5: "5 файлов в архиве",
                     11: "11 файлов в архиве", 21: "21 файл в архиве",
                     22: "22 файла в архиве", 25: "25 файлов в архиве",
                     101: "101 файл в архиве"}
    with i18n.using("ru"):  # shown the usual ways, in the language being rendered
        assert str(files(3)) == f"{files(3)}" == i18n.translate(files(3)) == "3 файла в архиве"
        assert Markup("<b>%s</b>") % files(5) == Markup("<b>5 файлов в архиве</b>")
        assert i18n.as_text({"said": [files(1)]}) == {"said": ["1 файл в архиве"]}
    assert str(files(3)) == "3 files in the archive"  # English again outside the block


@pytest.mark.usefixtures("russian")
def test_a_message_value_is_translated_with_the_plural() -> None:
    assert files(22).translated("ru").endswith("в архиве")  # not "the archive"
    inner = N_plural("%(count)s problem", "%(count)s problems", 2, count=2)
    outer = N_("%(place)s: %(said)s", place="a.csv", said=inner)
    assert outer == "a.csv: 2 problems"
    assert outer.translated("ru") == "a.csv: 2 проблемы"
    # a figure inside: written the language's way, its count choosing the form
    big = N_plural("%(count)s problem", "%(count)s problems", 1234, count=Number(1234))
    assert big == "1,234 problems" and big.translated("ru") == "1\u00a0234 проблемы"


def test_a_language_without_the_message_shows_the_english_form_for_the_count() -> None:
    assert files(1).translated("ar") == "1 file in the archive"
    assert files(7).translated("ar") == "7 files in the archive"


@pytest.mark.usefixtures("russian")
def test_a_plural_crosses_a_process_boundary_whole() -> None:
    for message in (files(1), files(5), N_("%(where)s: %(said)s", where="x", said=files(3))):
        back = pickle.loads(pickle.dumps(message))
        assert type(back) is type(message) and back == message
        assert back.translated("ru") == message.translated("ru")
        assert copy.deepcopy(message).translated("ru") == message.translated("ru")
    back = pickle.loads(pickle.dumps(files(5)))
    assert (back.id, back.plural, back.n) == (FILES[0], FILES[1], 5)
    assert back.translated("ru") == "5 файлов в архиве"
    # an error carrying one, as the IATI workers send it back
    error = pickle.loads(pickle.dumps(InputError([Problem("a.xml", "bad")], summary=files(3))))
    assert isinstance(error.summary, Plural)
    assert error.summary.translated("ru") == "3 файла в архиве"


@pytest.mark.usefixtures("russian")
def test_a_plural_kept_as_data_chooses_its_form_again_when_shown() -> None:
    stored = json.loads(json.dumps(i18n.to_data(N_("%(a)s; %(b)s", a=files(21), b=files(3)))))
    back = i18n.from_data(stored, "ignored")
    assert back == "21 files in the archive; 3 files in the archive"
    assert isinstance(back, Message) and isinstance(back.values["a"], Plural)
    assert back.translated("ru") == "21 файл в архиве; 3 файла в архиве"
    # data kept before plurals (no count): the message as it was
    old = i18n.from_data({"id": FILES[0], "values": {"count": 4, "place": "x"}}, "ignored")
    assert type(old) is Message and old == "4 file in x"
    bad = {"id": FILES[0], "plural": FILES[1], "n": True, "values": {"count": 1, "place": "x"}}
    assert type(i18n.from_data(bad, "ignored")) is Message  # a flag is not a count


@pytest.mark.usefixtures("russian")
def test_rewriting_a_plural_keeps_its_count() -> None:
    rewritten = i18n.rewrite(N_plural(*FILES, 3, count=3, place="/srv/data/a.csv"),
                             lambda text: text.rsplit("/", 1)[-1])
    assert isinstance(rewritten, Plural) and rewritten == "3 files in a.csv"
    assert rewritten.translated("ru") == "3 файла в a.csv"


def test_the_count_must_be_a_whole_number() -> None:
    with pytest.raises(TypeError):
        N_plural(*FILES, 2.5, count=2.5, place="x")  # type: ignore[arg-type]


def test_the_extraction_command_reads_both_forms() -> None:
    """The command of docs/languages.md (and babel.cfg's note) extracts both forms of
    ``N_plural``, as one plural entry of the catalogs."""
    docs = (ROOT / "docs" / "languages.md").read_text(encoding="utf-8")
    command = re.search(r"frontend extract (.*?)-o tocsin/locale/messages.pot", docs, re.S)
    assert command is not None
    specs = re.findall(r"-k (\S+)", command.group(1))
    assert "N_plural:1,2" in specs
    assert "-k N_plural:1,2" in (ROOT / "babel.cfg").read_text(encoding="utf-8")
    keywords = {"_": None, "ngettext": (1, 2)} | parse_keywords(specs)
    source = b'N_plural("%(count)s row", "%(count)s rows", n, count=n)\n'
    found = [message for _, message, _, _ in extract("python", BytesIO(source), keywords)]
    assert found == [("%(count)s row", "%(count)s rows")]
