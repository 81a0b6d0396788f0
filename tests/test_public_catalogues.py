"""The catalogues of the residents' languages (Arabic, Persian, Somali,
Tigrinya, Ukrainian) cover the public pages: every string a resident can meet
(tests/public_pages.py says which) is there, translated, not fuzzy, not the
English text copied, written in the language's own script, with the same
placeholders, and both GNU msgfmt --check-format and pybabel compile accept it.

Django has no catalogue for Somali or Tigrinya, so ours carry the Django form
errors a resident can meet; for Arabic, Persian and Ukrainian Django's own
catalogues must have them."""

import io
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import django
import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.conftest import skip_or_fail
from tests.public_pages import extract_with_locations, message_key, missing_gettext_tools, public_keys

BASE_DIR = Path(__file__).resolve().parent.parent
DJANGO_LOCALE = Path(django.__file__).parent / "conf" / "locale"

# Language code: (number of plural forms, the plural formula, the script most
# letters must be in). Somali is written in Latin letters like the English, so
# for it the check only catches text pasted from another script; the copy
# check below catches English.
RESIDENT_LANGUAGES = {
    "ar": (
        6,
        "(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5)",
        "ARABIC",
    ),
    "fa": (2, "(n > 1)", "ARABIC"),
    "so": (2, "(n != 1)", "LATIN"),
    "ti": (2, "(n > 1)", "ETHIOPIC"),
    "uk": (
        3,
        "(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)",
        "CYRILLIC",
    ),
}
LANGUAGES = sorted(RESIDENT_LANGUAGES)

# Django's own messages (its exact English msgids) that a resident can meet on
# the booking and report forms.
DJANGO_MESSAGES = [
    "This field is required.",
    "Enter a valid email address.",
    "Enter a valid value.",
    "Null characters are not allowed.",
    "Select a valid choice. %(value)s is not one of the available choices.",
    "Select a valid choice. That choice is not one of the available choices.",
    (
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
    ),
    "Enter a whole number.",
]
LANGUAGES_WITHOUT_DJANGO_CATALOGUE = {"so", "ti"}

# Names that stay the same in every language: a translation may consist of
# these (and placeholders) only.
NAMES = {"BankID", "E-serviceverkstad", "1177", "iCal", "QR", "Digg", "IMY", "WCAG", "DOS", "VR", "SMS"}
NAMES |= {"cookie"}  # the technical word, kept as is in Ukrainian ("файли cookie")

PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]+)\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
TAG = re.compile(r"<[^>]+>")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9@.+-]*")
NAME_LIKE = re.compile(r"[A-Z0-9@]")
PARENTHESISED = re.compile(r"\(([^)]*)\)")
# At least this share of the letters of a translation must be in the script.
SCRIPT_SHARE = 0.8


def catalogue_path(language):
    return BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"


def read_catalogue(path, **kwargs):
    with open(path, "rb") as handle:
        return read_po(handle, **kwargs)


def strings(message):
    return list(message.string) if message.pluralizable else [message.string]


def describe(key):
    return " | ".join(key) if isinstance(key, tuple) else key


def placeholders(text):
    return sorted(match.group(0) for match in PLACEHOLDER.finditer((text or "").replace("%%", "")))


def placeholder_problem(message):
    """None when the placeholders survive: a singular message has exactly
    those of its msgid. A plural form has nothing the English lacks, and the
    last form (the one for most numbers) all that singular and plural share;
    a form for one number only may leave out the count ("يومين", two days),
    which msgfmt --check-format, knowing the plural rule, checks form by form."""
    if not message.pluralizable:
        return None if placeholders(message.id) == placeholders(message.string) else message.string
    singular, plural = (set(placeholders(text)) for text in message.id)
    for form in message.string:
        if not set(placeholders(form)) <= singular | plural:
            return form
    if not singular & plural <= set(placeholders(message.string[-1])):
        return message.string[-1]
    return None


def _without_names(text, msgid_text):
    """The letters left once placeholders, tags, names and the names the
    English text also holds (words with a capital or a digit: agency names,
    standards, addresses) are gone, and so are Swedish names the English
    gives in parentheses ("(Myndigheten för digital förvaltning, Digg)").
    Lower-case English words stay, so a copied English sentence is caught."""
    text = TAG.sub(" ", PLACEHOLDER.sub(" ", text))
    for group in PARENTHESISED.findall(msgid_text):
        for name in filter(None, (part.strip() for part in group.split(","))):
            text = text.replace(name, " ")
    names_in_msgid = {word for word in LATIN_WORD.findall(msgid_text) if NAME_LIKE.search(word)}
    kept_words = names_in_msgid | NAMES
    text = LATIN_WORD.sub(lambda match: " " if match.group(0) in kept_words else match.group(0), text)
    return [character for character in text if character.isalpha()]


def script_share(text, msgid_text, script):
    letters = _without_names(text, msgid_text)
    if not letters:
        return 1.0
    in_script = sum(1 for letter in letters if unicodedata.name(letter, "").startswith(script))
    return in_script / len(letters)


def is_only_names(text):
    return not _without_names(text, "")


@pytest.fixture(scope="module")
def public_messages(tmp_path_factory):
    missing = missing_gettext_tools()
    if missing:
        skip_or_fail(
            f"GNU gettext is not installed ({', '.join(missing)} not found; apt-get install gettext)",
            "the check of the public catalogues",
        )
    extracted = read_catalogue(extract_with_locations(tmp_path_factory.mktemp("extract")))
    keys = public_keys(extracted)
    assert len(keys) > 200, "Far too few public strings: is tests/public_pages.py out of date?"
    return keys


@pytest.fixture(scope="module", params=LANGUAGES)
def language(request):
    return request.param


@pytest.fixture(scope="module")
def catalogue(language):
    path = catalogue_path(language)
    assert path.exists(), f"{path.relative_to(BASE_DIR)} is missing."
    # A merge can leave an msgid without its msgstr; refuse it instead of dropping it.
    return read_catalogue(path, abort_invalid=True)


def test_the_header_names_the_language_and_its_plural_rule(language, catalogue):
    count, formula, _script = RESIDENT_LANGUAGES[language]
    assert not catalogue.fuzzy, "pybabel compile skips a catalogue whose header is fuzzy."
    assert str(catalogue.locale) == language
    assert catalogue.num_plurals == count
    assert catalogue.plural_expr.replace(" ", "") == formula.replace(" ", "")
    assert catalogue.charset.lower() == "utf-8"


def test_every_public_string_is_translated_and_not_fuzzy(language, catalogue, public_messages):
    by_key = {message_key(m): m for m in catalogue if m.id}
    missing = [k for k in public_messages if k not in by_key]
    untranslated = [k for k in public_messages if k in by_key and not all(strings(by_key[k]))]
    fuzzy = [k for k in public_messages if k in by_key and by_key[k].fuzzy]
    problems = []
    for what, keys in (("Missing", missing), ("Untranslated", untranslated), ("Fuzzy", fuzzy)):
        if keys:
            listed = "\n".join(sorted(map(describe, keys)))
            problems.append(f"{what} in locale/{language}:\n{listed}")
    assert not problems, "\n\n".join(problems)


def test_no_translation_is_the_english_text_copied(language, catalogue):
    copied = []
    for message in catalogue:
        if not message.id:
            continue
        english = set(message.id) if message.pluralizable else {message.id}
        copied += [form for form in strings(message) if form in english and not is_only_names(form)]
    assert not copied, f"Translate these in locale/{language} instead of copying the English:\n" + "\n".join(
        copied
    )


def test_translations_are_written_in_the_languages_own_script(language, catalogue):
    script = RESIDENT_LANGUAGES[language][2]
    wrong = []
    for message in catalogue:
        if not message.id:
            continue
        english = " ".join(message.id) if message.pluralizable else message.id
        for form in strings(message):
            if script_share(form, english, script) < SCRIPT_SHARE:
                wrong.append(form)
    assert not wrong, f"These translations in locale/{language} are not mostly in {script} letters:\n" + (
        "\n".join(wrong)
    )


def test_placeholders_survive_translation(language, catalogue):
    wrong = []
    for message in catalogue:
        if message.id and placeholder_problem(message) is not None:
            wrong.append(f"{describe(message_key(message))!r} -> {placeholder_problem(message)!r}")
    assert not wrong, "Keep the placeholders of the English text:\n" + "\n".join(wrong)


def test_msgfmt_check_format_accepts_the_catalogue(language, tmp_path):
    if shutil.which("msgfmt") is None:
        skip_or_fail("GNU msgfmt is not installed (apt-get install gettext)", "msgfmt --check-format")
    result = subprocess.run(
        ["msgfmt", "--check-format", "--check-header", "-o", tmp_path / "mo", catalogue_path(language)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_catalogue_compiles_with_babel(catalogue):
    """The checks `pybabel compile` (make messages) runs, then the compiling."""
    errors = [f"{describe(message_key(m))}: {', '.join(map(str, found))}" for m, found in catalogue.check()]
    assert not errors, "pybabel compile refuses:\n" + "\n".join(errors)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    assert buffer.getvalue()


def test_django_messages_a_resident_meets_are_translated(language, catalogue):
    if language in LANGUAGES_WITHOUT_DJANGO_CATALOGUE:
        source, where = catalogue, f"locale/{language}"
    else:
        source = read_catalogue(DJANGO_LOCALE / language / "LC_MESSAGES" / "django.po")
        where = f"Django's own {language} catalogue"
    by_key = {message_key(m): m for m in source if m.id}
    missing = [describe(k) for k in DJANGO_MESSAGES if k not in by_key or not all(strings(by_key[k]))]
    assert not missing, f"Not translated in {where}:\n" + "\n".join(missing)


def test_the_script_check_refuses_english_and_accepts_names():
    """Control texts: a check that passed English would pass anything."""
    english = "Book a time"
    assert script_share(english, english, "ARABIC") == 0
    assert script_share("احجز موعدًا في BankID", "Set up BankID", "ARABIC") == 1
    assert script_share("Забронюйте час", english, "CYRILLIC") == 1
    assert script_share("ሰዓት ሓዙ", english, "ETHIOPIC") == 1
    assert not is_only_names(english) and is_only_names("%(name)s BankID")
