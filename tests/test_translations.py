"""The Swedish catalogue is complete: every message is translated, none is
fuzzy, placeholders survive translation, and every UI string in the code and
templates is in the catalogue (so a new untranslated string fails here, not
in front of a resident).

The msgids are English; Swedish is the site's default language, so an
untranslated string would show English on a Swedish page. To add new strings:

    DEBUG=1 .venv/bin/python manage.py makemessages -l sv -l en --no-location \\
        --ignore=.venv --ignore=var --ignore=benchmarks --ignore=tests
    # translate the new entries in locale/sv/LC_MESSAGES/django.po
    make messages
"""

import os
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.public_pages import makemessages_in_copy, missing_gettext_tools

BASE_DIR = Path(__file__).resolve().parent.parent
SV_PO = BASE_DIR / "locale" / "sv" / "LC_MESSAGES" / "django.po"

# %(name)s, %(count)d, %s, %d ... but not the escaped %%.
PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]+)\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def read_catalogue(path):
    with open(path, "rb") as handle:
        return read_po(handle)


def message_key(message):
    """The msgid, or (singular, plural) for a plural message."""
    return tuple(message.id) if message.pluralizable else message.id


def strings(message):
    return list(message.string) if message.pluralizable else [message.string]


def placeholders(text):
    """The sorted placeholders of a python-format string, '%%' excluded."""
    return sorted(match.group(0) for match in PLACEHOLDER.finditer((text or "").replace("%%", "")))


def describe(key):
    return " | ".join(key) if isinstance(key, tuple) else key


@pytest.fixture(scope="module")
def swedish():
    return read_catalogue(SV_PO)


def test_swedish_header_names_the_language_and_plural_rule(swedish):
    assert not swedish.fuzzy, "Remove '#, fuzzy' above the header of the Swedish catalogue."
    assert str(swedish.locale) == "sv"
    assert swedish.plural_forms == "nplurals=2; plural=(n != 1);"
    assert swedish.charset.lower() == "utf-8"


def test_every_swedish_message_is_translated_and_not_fuzzy(swedish):
    untranslated = [describe(message_key(m)) for m in swedish if m.id and not all(strings(m))]
    fuzzy = [describe(message_key(m)) for m in swedish if m.id and m.fuzzy]
    problems = []
    if untranslated:
        problems.append(f"Translate these in {SV_PO.relative_to(BASE_DIR)}:\n" + "\n".join(untranslated))
    if fuzzy:
        problems.append("Check these translations and remove their '#, fuzzy' flag:\n" + "\n".join(fuzzy))
    assert not problems, "\n\n".join(problems)


def test_placeholders_survive_translation(swedish):
    wrong = []
    for message in swedish:
        if not message.id:
            continue
        if message.pluralizable:
            singular, plural = message.id
            expected = [singular] + [plural] * (len(message.string) - 1)
        else:
            expected = [message.id]
        for source, translation in zip(expected, strings(message), strict=True):
            if translation and placeholders(source) != placeholders(translation):
                wrong.append(f"{source!r} -> {translation!r}")
    assert not wrong, "Keep the placeholders of the English text exactly:\n" + "\n".join(wrong)


def test_every_ui_string_in_code_and_templates_is_in_the_swedish_catalogue(swedish, tmp_path):
    missing_tools = missing_gettext_tools()
    if missing_tools:
        reason = (
            f"GNU gettext is not installed ({', '.join(missing_tools)} not found), so the UI strings "
            "cannot be extracted. Install it with: apt-get install gettext"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)

    project = tmp_path / "project"
    result = makemessages_in_copy(project, "--no-location")
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"

    extracted = read_catalogue(project / "locale" / "sv" / "LC_MESSAGES" / "django.po")
    in_code = {message_key(m) for m in extracted if m.id}
    translated = {message_key(m) for m in swedish if m.id and all(strings(m)) and not m.fuzzy}
    missing = sorted(in_code - translated, key=describe)
    assert in_code, "makemessages found no strings at all; the copy of the project is wrong."
    assert not missing, (
        "These UI strings are not translated into Swedish. Run makemessages (see the top of "
        f"{Path(__file__).name}) and translate them:\n" + "\n".join(describe(key) for key in missing)
    )


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_catalogue_parses_without_a_broken_entry(language):
    """A merge can leave an msgid without its msgstr; Babel then drops it
    with a warning and the page falls back to English. Refuse that here."""
    with open(BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po", "rb") as handle:
        read_po(handle, abort_invalid=True)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_no_catalogue_is_marked_fuzzy_so_each_one_is_compiled(language):
    """`pybabel compile` skips a catalogue whose header is fuzzy, silently
    dropping every correction in it (this once happened to English)."""
    catalogue = read_catalogue(BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po")
    assert not catalogue.fuzzy
