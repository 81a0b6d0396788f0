"""Language helpers shared by every app: Babel formatting in the active
language, alphabetical order and names inside sentences, and the Swedish
source text of the translated model fields (django-modeltranslation)."""

import functools

import icu
from babel import Locale
from babel.dates import format_date, format_time
from babel.lists import format_list
from django.utils import translation

# Django language code -> Babel locale. English dates follow British usage
# (day before month, 24-hour clock), as Swedish readers expect. Tigrinya:
# most Tigrinya speakers in Sweden came from Eritrea.
BABEL_LOCALES = {
    "sv": "sv_SE",
    "en": "en_GB",
    "ar": "ar",
    "fa": "fa",
    "so": "so_SO",
    "ti": "ti_ER",
    "uk": "uk_UA",
}


def babel_locale(language=None):
    language = language or translation.get_language() or "sv"
    return BABEL_LOCALES.get(language.split("-")[0], "sv_SE")


def format_day(day, language=None):
    """'torsdag 26 november' / 'Thursday 26 November'."""
    return format_date(day, "EEEE d MMMM", locale=babel_locale(language))


def format_day_short(day, language=None):
    """'tors 26 nov' / 'Thu 26 Nov'."""
    return format_date(day, "EEE d MMM", locale=babel_locale(language))


def format_long_date(day, language=None):
    """'26 november 2026' / '26 November 2026'."""
    return format_date(day, "d MMMM y", locale=babel_locale(language))


def format_weekday(day, language=None):
    return format_date(day, "EEEE", locale=babel_locale(language))


# Språkrådet's Svenska skrivregler write the time of day with a full stop
# ("13.00-16.00"); English keeps the colon. Only text for people reads
# this: machine formats (datetime attributes, the calendar feed) use ISO.
CLOCK_PATTERNS = {"sv_SE": "HH.mm"}


def format_clock(value, language=None):
    """24-hour clock: '14.00' in Swedish, '14:00' in the other languages."""
    locale_name = babel_locale(language)
    return format_time(value, CLOCK_PATTERNS.get(locale_name, "HH:mm"), locale=locale_name)


def format_date_range(first, last, language=None):
    """'30 november–6 december 2026', '1–7 december 2026' (the month once
    when it is the same), '28 december 2026–3 januari 2027'. CLDR's own
    interval formats abbreviate the months, so the parts are put together
    here."""
    locale_name = babel_locale(language)
    if (first.year, first.month) == (last.year, last.month):
        start = format_date(first, "d", locale=locale_name)
    elif first.year == last.year:
        start = format_date(first, "d MMMM", locale=locale_name)
    else:
        start = format_date(first, "d MMMM y", locale=locale_name)
    return f"{start}–{format_date(last, 'd MMMM y', locale=locale_name)}"


def list_separator(language=None):
    """', ' between the items of a short list; Arabic and Persian write '، '."""
    language = (language or translation.get_language() or "sv").split("-")[0]
    return "، " if language in ("ar", "fa") else ", "


def format_and_list(items, language=None):
    """'svenska, engelska och arabiska' / 'Swedish, English and Arabic'."""
    return format_list(list(items), locale=babel_locale(language)) if items else ""


# Names CLDR (and so Babel) lacks, or gives in a form residents do not use:
# Dari and Kurmanji have no name there; Sorani is "centralkurdiska".
LANGUAGE_NAMES = {
    "sv_SE": {"prs": "dari", "kmr": "kurdiska (kurmanji)", "ckb": "kurdiska (sorani)"},
    "en_GB": {"prs": "Dari", "kmr": "Kurdish (Kurmanji)", "ckb": "Kurdish (Sorani)"},
    "fa": {"prs": "دری"},
}


def language_name(code, language=None):
    """The name of a language in the active language: 'arabiska' / 'Arabic';
    never a bare code where a name exists in either language."""
    locale_name = babel_locale(language)
    name = LANGUAGE_NAMES.get(locale_name, {}).get(code) or Locale.parse(locale_name).languages.get(code)
    return name or LANGUAGE_NAMES["en_GB"].get(code) or Locale.parse("en_GB").languages.get(code, code)


@functools.cache
def _collator(locale_name):
    # ICU's collators are safe to share between threads for comparing and
    # making keys (their const methods).
    return icu.Collator.createInstance(icu.Locale(locale_name))


def sort_key(text, language=None):
    """The key that puts ``text`` in the active language's alphabetical
    order, by ICU's collation (CLDR's rules): in Swedish å, ä and ö come
    after z, in that order, and "Ängel" is not filed under A. Babel has no
    collation, and stripping accents would file Ö under O."""
    return _collator(babel_locale(language)).getSortKey(text)


def in_running_text(name):
    """A name as it reads inside a sentence or a list in running text:
    'Dator och mobil' -> 'dator och mobil'. The first letter is lower-cased
    unless the first word has another capital, so names like 'BankID', 'CV'
    or 'SFI' keep theirs. Topics are named as common nouns; a proper noun
    with one capital (a product's name) belongs in the e-service's name."""
    first_word = name.split(" ", 1)[0]
    if any(char.isupper() for char in first_word[1:]):
        return name
    return name[:1].lower() + name[1:]


def is_known_language(code):
    return code in Locale.parse("en").languages


def in_every_language(obj, field):
    """Every language's text of a translated field, Swedish first, without
    the empty ones: what the help finder matches a query against."""
    from django.conf import settings

    texts = (getattr(obj, f"{field}_{code}", None) for code in settings.MODELTRANSLATION_LANGUAGES)
    return [text for text in texts if text]


class SwedishSourceText:
    """A model mixin for models with translated fields (django-modeltranslation):
    the original column of each translated field (``name`` beside ``name_sv``,
    ``name_en``, ...) holds the Swedish text, so what reads the column
    directly (the statistics, the database's order and constraints) reads
    Swedish whichever language the saving request had. modeltranslation
    writes the active language's text there, so a save runs in Swedish. A
    text given only in the original column (set while another language was
    active) becomes the Swedish one."""

    def _fill_swedish(self):
        from modeltranslation.translator import translator

        for field in translator.get_options_for_model(type(self)).fields:
            swedish_name = f"{field}_sv"
            if swedish_name in self.__dict__ and self.__dict__[swedish_name] is None:
                self.__dict__[swedish_name] = self.__dict__.get(field)  # never given; emptied is ""

    def clean_fields(self, exclude=None):
        # Before validation too: the Swedish column is the required one.
        self._fill_swedish()
        super().clean_fields(exclude)

    def save(self, *args, **kwargs):
        self._fill_swedish()
        with translation.override("sv"):
            super().save(*args, **kwargs)
