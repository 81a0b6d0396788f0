"""What a Swedish editor fixed: language names residents use, recurrence
texts that read as Swedish, and menu words that are not internal jargon."""

import datetime

import pytest
from django.utils import translation

from eserviceverkstad.i18n import language_name
from sessions.models import OFFERED_LANGUAGES, Recurrence, StaffedSlot


@pytest.mark.parametrize(
    ("code", "swedish", "english"),
    [
        ("prs", "dari", "Dari"),
        ("kmr", "kurdiska (kurmanji)", "Kurdish (Kurmanji)"),
        ("ckb", "kurdiska (sorani)", "Kurdish (Sorani)"),
        ("ar", "arabiska", "Arabic"),
    ],
)
def test_languages_have_the_names_residents_use(code, swedish, english):
    assert language_name(code, "sv") == swedish
    assert language_name(code, "en") == english


@pytest.mark.parametrize("language", ["sv", "en"])
def test_no_offered_language_shows_as_a_bare_code(language):
    assert [code for code in OFFERED_LANGUAGES if language_name(code, language) == code] == []


def series(**fields):
    return StaffedSlot(
        start_time=datetime.time(14),
        end_time=datetime.time(15),
        first_date=datetime.date(2026, 1, 1),
        **fields,
    )


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"recurrence": Recurrence.WEEKLY, "weekday": 1, "interval": 2}, "tisdag med 2 veckors mellanrum"),
        ({"recurrence": Recurrence.MONTHLY, "weekday": 3, "interval": 1, "week_of_month": 2},
         "andra torsdagen i varje månad"),
    ],
)  # fmt: skip
def test_recurrence_reads_as_swedish(fields, text):
    with translation.override("sv"):
        assert text in series(**fields).describe_recurrence().lower()


@pytest.mark.django_db
def test_the_menu_says_schema_and_who_helps(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert ">Schema</a>" in page and ">Vem hjälper till?</a>" in page
    assert "Till drop in kommer du utan att boka." in page
