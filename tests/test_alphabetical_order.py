"""Names in Swedish alphabetical order (å, ä, ö after z, by ICU's
collation, never by stripping accents), and topic names lower-cased where
they are listed inside running text ("Hjälp med BankID, dator och mobil")."""

import datetime

import pytest
from django.utils import timezone

from agencies.models import AgencyLevel
from eserviceverkstad.i18n import in_running_text, sort_key
from sessions.weeks import IsoWeek
from tests import factories

# The order a Swedish dictionary uses; stripping accents would put Åtgärda
# and Ärenden among the A words and Överklaga among the O words.
SWEDISH_ORDER = ["Arbete", "Oliv", "Zon", "Åtgärda", "Ärenden", "Överklaga"]


def test_swedish_order_puts_a_ring_a_umlaut_and_o_umlaut_last():
    shuffled = ["Överklaga", "Zon", "Ärenden", "Arbete", "Åtgärda", "Oliv"]
    assert sorted(shuffled, key=lambda text: sort_key(text, "sv")) == SWEDISH_ORDER


def test_english_order_files_accented_letters_with_their_base_letter():
    words = ["Zon", "Överklaga", "Oliv", "Arbete"]
    assert sorted(words, key=lambda text: sort_key(text, "en")) == ["Arbete", "Oliv", "Överklaga", "Zon"]


def test_order_ignores_case_before_letters():
    assert sorted(["bygglov", "BankID", "Arbete"], key=lambda text: sort_key(text, "sv")) == [
        "Arbete",
        "BankID",
        "bygglov",
    ]


@pytest.mark.parametrize(
    ("name", "in_text"),
    [
        ("Dator och mobil", "dator och mobil"),
        ("Digital brevlåda", "digital brevlåda"),
        ("E-legitimation", "e-legitimation"),
        ("BankID", "BankID"),
        ("SFI", "SFI"),
        ("BankID-kort", "BankID-kort"),
        ("Preschool place", "preschool place"),
        ("Ö", "ö"),
        ("", ""),
    ],
)
def test_topic_names_are_lower_case_in_running_text_unless_they_are_written_in_capitals(name, in_text):
    assert in_running_text(name) == in_text


@pytest.fixture
def topics_with_swedish_letters(db):
    return [factories.topic(name, slug=f"amne-{n}") for n, name in enumerate(reversed(SWEDISH_ORDER))]


def test_the_help_finder_lists_topics_in_swedish_order(client, topics_with_swedish_letters):
    page = client.get("/help/").content.decode()
    listed = page.split('class="topic-links"')[1]
    positions = [listed.index(f">{name}</a>") for name in SWEDISH_ORDER]
    assert positions == sorted(positions)


def test_the_week_filter_lists_topics_in_swedish_order(client, topics_with_swedish_letters):
    page = client.get("/schedule/").content.decode()
    select = page.split('name="topic"')[1].split("</select>")[0]
    positions = [select.index(f">{name}</option>") for name in SWEDISH_ORDER]
    assert positions == sorted(positions)
    assert select.index("Alla ämnen") < positions[0]


def test_the_agency_list_puts_government_agencies_in_swedish_order(client, db):
    for name in reversed(SWEDISH_ORDER):
        factories.agency(name, level=AgencyLevel.NATIONAL)
    page = client.get("/agencies/").content.decode()
    positions = [page.index(f">{name}</a>") for name in SWEDISH_ORDER]
    assert positions == sorted(positions)


def test_a_session_lists_its_topics_in_running_text_in_swedish_order(client, db):
    library = factories.venue(factories.municipality("Mjölby"))
    names = ["Digital brevlåda", "Överklaga beslut", "BankID", "Dator och mobil"]
    topics = [factories.topic(name, slug=f"amne-{n}") for n, name in enumerate(names)]
    thursday = IsoWeek.containing(timezone.localdate()).next().monday + datetime.timedelta(days=3)
    factories.slot(factories.agency("Biblioteket"), library, first_date=thursday, topics=topics)
    page = client.get(f"/schedule/{IsoWeek.containing(thursday)}/").content.decode()
    assert "<dd>BankID, dator och mobil, digital brevlåda, överklaga beslut</dd>" in page
