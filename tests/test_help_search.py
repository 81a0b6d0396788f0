"""The help finder: what a resident types, and which agency must come first.

The table runs against the demo data (``seed_demo``), loaded once for the
module. The whole suite also runs on PostgreSQL (``make test``), so the
table checks that both databases give the same answers: matching and
ranking happen in Python, never in the database's collation.
"""

import pytest
from django.core.management import call_command
from django.db import transaction

from agencies.demo import TOPICS as DEMO_TOPICS
from agencies.models import Municipality
from sessions.help_search import (
    MAX_QUERY_LENGTH,
    NO_WORDS,
    TOO_LONG,
    UNREADABLE,
    Words,
    check_query,
    normalise,
    phrase_score,
    search,
    within_one_edit,
)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data, loaded once for this module inside a transaction that
    is rolled back afterwards, so no other test module sees it. Each test's
    own transaction nests inside as a savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", force=True, verbosity=0)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo_db(demo, db):
    return None


# (what the resident types, the slug of the agency that must come first)
FIRST_ANSWER = [
    # Preschool: Swedish, without å/ä/ö, shouting, misspelt, in a sentence, English.
    ("förskoleplats", "mjolby-barnomsorg"),
    ("forskoleplats", "mjolby-barnomsorg"),
    ("FÖRSKOLEPLATS", "mjolby-barnomsorg"),
    ("forskolplats", "mjolby-barnomsorg"),
    ("dagis", "mjolby-barnomsorg"),
    ("hur tackar jag ja till förskoleplats", "mjolby-barnomsorg"),
    ("preschool place", "mjolby-barnomsorg"),
    ("nursery", "mjolby-barnomsorg"),
    ("skolval", "mjolby-barnomsorg"),
    # BankID, however it is written; both libraries help, Mjölby has more drop-ins.
    ("BankID", "mjolby-bibliotek"),
    ("bank id", "mjolby-bibliotek"),
    ("BANKID", "mjolby-bibliotek"),
    ("bnakid", "mjolby-bibliotek"),
    ("mobilt bank-id", "mjolby-bibliotek"),
    # Tax.
    ("deklaration", "skatteverket"),
    ("deklaraton", "skatteverket"),
    ("deklarera", "skatteverket"),
    ("tax return", "skatteverket"),
    ("skatteaterbaring", "skatteverket"),
    ("skateverket", "skatteverket"),
    ("Swedish tax agency", "skatteverket"),
    ("kivra", "skatteverket"),
    # Jobs and studies.
    ("söka jobb", "arbetsformedlingen"),
    ("soka jobb", "arbetsformedlingen"),
    ("cv", "arbetsformedlingen"),
    ("aktivitetsrapport", "arbetsformedlingen"),
    ("job search", "arbetsformedlingen"),
    ("arbetsformedlingen", "arbetsformedlingen"),
    ("komvux", "mjolby-studie-och-yrkesvagledning"),
    ("sfi", "mjolby-studie-och-yrkesvagledning"),
    ("student finance", "mjolby-studie-och-yrkesvagledning"),
    # Parents' benefits.
    ("vab", "forsakringskassan"),
    ("foraldrapenning", "forsakringskassan"),
    ("parental benefit", "forsakringskassan"),
    ("forsakringskasan", "forsakringskassan"),
    # The municipality's own services.
    ("försörjningsstöd", "mjolby-medborgarservice"),
    ("ekonomiskt bistand", "mjolby-medborgarservice"),
    ("income support", "mjolby-medborgarservice"),
    # The library's own help.
    ("ljudbok", "mjolby-bibliotek"),
    ("e-bok", "mjolby-bibliotek"),
    ("losenord", "mjolby-bibliotek"),
    ("Kalmar library", "kalmar-stadsbibliotek"),
]


@pytest.mark.parametrize(("query", "first"), FIRST_ANSWER)
def test_the_right_agency_comes_first(demo_db, query, first):
    result = search(query)
    assert not result.problem
    assert result.answers, f"nothing found for {query!r}"
    assert result.answers[0].agency.slug == first, [answer.agency.slug for answer in result.answers]


def test_the_table_is_big_enough_and_covers_both_languages():
    assert len(FIRST_ANSWER) >= 30


# Everyday words residents type, in Swedish and English, as the people in
# the brief would: (query, the agency that must come first). English and
# common words used to find nothing ("kindergarten", "daycare").
EVERYDAY_QUERIES = {
    "sv": [
        ("dagis", "mjolby-barnomsorg"),
        ("förskola", "mjolby-barnomsorg"),
        ("fritids", "mjolby-barnomsorg"),
        ("bankid", "mjolby-bibliotek"),
        ("mobilt bankid", "mjolby-bibliotek"),
        ("deklaration", "skatteverket"),
        ("skatt", "skatteverket"),
        ("flytta", "skatteverket"),
        ("adressändring", "skatteverket"),
        ("personbevis", "skatteverket"),
        ("jobb", "arbetsformedlingen"),
        ("arbete", "arbetsformedlingen"),
        ("arbetslös", "arbetsformedlingen"),
        ("cv", "arbetsformedlingen"),
        ("försäkringskassan", "forsakringskassan"),
        ("sjukpenning", "forsakringskassan"),
        ("sjukskriven", "forsakringskassan"),
        ("bostadsbidrag", "forsakringskassan"),
        ("lära mig svenska", "mjolby-studie-och-yrkesvagledning"),
        ("csn", "mjolby-studie-och-yrkesvagledning"),
        ("mejl", "mjolby-bibliotek"),
        ("telefon", "mjolby-bibliotek"),
    ],
    "en": [
        ("kindergarten", "mjolby-barnomsorg"),
        ("daycare", "mjolby-barnomsorg"),
        ("day care", "mjolby-barnomsorg"),
        ("preschool", "mjolby-barnomsorg"),
        ("mobile bankid", "mjolby-bibliotek"),
        ("tax return", "skatteverket"),
        ("taxes", "skatteverket"),
        ("change of address", "skatteverket"),
        ("moving house", "skatteverket"),
        ("job", "arbetsformedlingen"),
        ("work", "arbetsformedlingen"),
        ("unemployed", "arbetsformedlingen"),
        ("resume", "arbetsformedlingen"),
        ("employment office", "arbetsformedlingen"),
        ("sick pay", "forsakringskassan"),
        ("sick leave", "forsakringskassan"),
        ("sickness benefit", "forsakringskassan"),
        ("housing allowance", "forsakringskassan"),
        ("learn swedish", "mjolby-studie-och-yrkesvagledning"),
        ("student loan", "mjolby-studie-och-yrkesvagledning"),
        ("smartphone", "mjolby-bibliotek"),
    ],
}


@pytest.mark.parametrize(
    ("query", "first"),
    [pytest.param(query, first, id=f"{language}-{query}") for language, rows in EVERYDAY_QUERIES.items()
     for query, first in rows],
)  # fmt: skip
def test_everyday_words_find_the_right_agency(demo_db, query, first):
    answers = search(query).answers
    assert answers, f"nothing found for {query!r}"
    assert answers[0].agency.slug == first, [answer.agency.slug for answer in answers]


@pytest.mark.parametrize(("language", "query"), [("en", "kindergarten"), ("sv", "dagis")])
def test_the_help_page_answers_an_everyday_word(client, demo_db, language, query):
    client.cookies["django_language"] = language
    page = client.get(f"/mjolby/help/?q={query}").content.decode()
    assert 'class="answers"' in page
    assert "Utbildningsförvaltningen" in page or "Education Administration" in page


def test_both_agencies_that_handle_building_permits_are_answers(demo_db):
    slugs = [answer.agency.slug for answer in search("bygglov").answers]
    assert set(slugs) == {"mjolby-medborgarservice", "kalmar-kontaktcenter"}


def test_a_municipality_help_finder_answers_with_its_own_and_national_agencies(demo_db):
    kalmar = Municipality.objects.get(slug="kalmar")
    assert [answer.agency.slug for answer in search("bygglov", municipality=kalmar).answers] == [
        "kalmar-kontaktcenter"
    ]
    tax = search("deklaration", municipality=kalmar).answers[0]
    assert tax.agency.slug == "skatteverket"
    assert {time.slot.venue.municipality_id for time in tax.next_times} == {kalmar.pk}


def test_an_answer_says_which_eservice_what_to_bring_and_when(demo_db):
    answer = search("förskoleplats").answers[0]
    names = {eservice.name for eservice in answer.eservices}
    assert "Tacka ja till förskoleplats" in names
    assert all(eservice.what_to_bring for eservice in answer.eservices)
    assert [topic.slug for topic in answer.topics][0] == "forskoleplats"
    assert answer.next_times, "the demo's childcare hour is monthly, so it is within the window"


def test_the_same_query_always_gives_the_same_order(demo_db):
    first = [(answer.agency.pk, round(answer.score, 6)) for answer in search("mina sidor").answers]
    second = [(answer.agency.pk, round(answer.score, 6)) for answer in search("MINA  SIDOR").answers]
    assert first == second
    assert len(first) >= 3


def test_nothing_found_gives_no_answers_and_the_topic_list(demo_db):
    result = search("pension från Pensionsmyndigheten")
    assert not result.problem
    assert result.answers == []
    assert len(result.topics) == len(DEMO_TOPICS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Förskole-Plats", "forskole plats"),
        ("  BANK   id ", "bank id"),
        ("Skatteåterbäring!", "skatteaterbaring"),
        ("Ärende/ÖVRIGT", "arende ovrigt"),
        ("!!! ???", ""),
    ],
)
def test_normalise_strips_accents_case_and_punctuation(text, expected):
    assert normalise(text) == expected


def test_spaces_and_hyphens_do_not_matter():
    assert Words.of("bank id").compact == Words.of("BankID").compact == Words.of("Bank-ID").compact
    assert phrase_score(Words.of("bank id"), Words.of("BankID")) == 1.0


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [
        ("bankid", "bankid", True),
        ("bankid", "bnakid", True),  # swapped letters
        ("forskolplats", "forskoleplats", True),  # one missing
        ("deklaratoin", "deklaration", True),
        ("skatteverkett", "skatteverket", True),  # one extra
        ("bankid", "banker", False),
        ("vab", "cv", False),
        ("forskola", "skola", False),
    ],
)
def test_one_typo_is_tolerated_two_are_not(a, b, close):
    assert within_one_edit(a, b) is close
    assert within_one_edit(b, a) is close


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("a" * 1000, TOO_LONG),
        ("x" * (MAX_QUERY_LENGTH + 1), TOO_LONG),
        ("bankid\x00", UNREADABLE),
        ("\x1b[31mbankid", UNREADABLE),
        ("!!! ??? ...", NO_WORDS),
        ("–—…", NO_WORDS),
        ("bank\tid", ""),
        ("x" * MAX_QUERY_LENGTH, ""),
    ],
)
def test_queries_we_cannot_use_are_named_before_anything_is_read(query, problem):
    assert check_query(query) == problem


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("a" * 1000, "Your search is too long"),
        ("bankid\x00", "We could not read your search"),
        ("\x07\x08", "We could not read your search"),
        ("!!! ???", "Write a word about what you need help with"),
    ],
)
def test_help_page_answers_odd_queries_with_a_plain_message(client, demo_db, query, message):
    client.cookies["django_language"] = "en"
    response = client.get("/mjolby/help/", {"q": query})
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert 'class="answers"' not in page


def test_help_page_with_a_match_shows_agency_eservice_what_to_bring_and_next_times(
    client, demo_db, django_assert_num_queries
):
    client.cookies["django_language"] = "en"
    # Queries: topics; agencies; e-services; e-service topics; the topics
    # each agency's series cover; the answers' next times.
    # Plus two: the schedule version, the page cache's key; the
    # municipality (the demo has two, so each has its help finder).
    with django_assert_num_queries(8):
        response = client.get("/mjolby/help/", {"q": "forskoleplats"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Education Administration – Childcare" in page
    assert "Accept a preschool place" in page
    assert "What to bring" in page
    assert "The letter or e-mail with the offer of a place." in page
    assert "Next times in the workshop" in page
    assert 'href="/mjolby/schedule/?agency=mjolby-barnomsorg"' in page
    assert 'value="forskoleplats"' in page  # the search box keeps the query


def test_help_page_in_swedish_for_a_query_without_accents(client, demo_db):
    page = client.get("/mjolby/help/", {"q": "forsakringskassan"}).content.decode()
    assert "Försäkringskassan" in page
    assert "Ansöka om föräldrapenning" in page
    assert "Datumen du vill vara ledig." in page  # what to bring, in Swedish


def test_help_page_without_a_match_says_so_and_lists_the_topics(client, demo_db, django_assert_num_queries):
    client.cookies["django_language"] = "en"
    # Queries: topics; agencies; e-services; e-service topics; series topics.
    # Plus two: the schedule version, the page cache's key; the municipality.
    with django_assert_num_queries(7):
        page = client.get("/mjolby/help/", {"q": "zzzz qqqq"}).content.decode()
    assert "We found nothing for “zzzz qqqq”" in page
    assert 'href="/mjolby/help/?q=Preschool%20place"' in page


def test_help_page_without_a_query_lists_the_topics(client, demo_db, django_assert_num_queries):
    # Queries: topics.
    # Plus two: the schedule version, the page cache's key; the municipality.
    with django_assert_num_queries(3):
        page = client.get("/mjolby/help/").content.decode()
    assert page.count('href="/mjolby/help/?q=') == len(DEMO_TOPICS)
    assert 'role="search"' in page


def test_bookable_next_times_cost_no_query_each(client, db, django_assert_num_queries):
    """Found by the region bench: a lecture's "Book" button names its agency."""
    from django.utils import timezone

    from sessions.models import Format
    from tests import factories

    # Its own municipality's page: the module's demo data may still be
    # loaded (two municipalities), and /help/ would then ask where one lives.
    town = factories.municipality("Solby", slug="solby")
    library = factories.venue(town, name="Solby bibliotek")
    tax = factories.agency("Solkraftsrådgivningen", slug="solkraft", level="national")
    topic = factories.topic("Solpaneler", slug="solpaneler")
    factories.slot(
        tax, library, format=Format.LECTURE, capacity=20, topics=[topic], first_date=timezone.localdate()
    )
    # Queries: as above, whatever the answers' sessions are.
    with django_assert_num_queries(8):
        page = client.get("/solby/help/", {"q": "solpaneler"}).content.decode()
    assert page.count('class="booking-state booking-state-bookable"') == 3


@pytest.mark.parametrize(
    "query",
    ["بنك آيدي", "بانک آیدی", "BankID", "банк айді", "ባንክ ኣይዲ"],
)
def test_the_help_finder_finds_bankid_in_each_language(demo_db, query):
    found = {topic.slug for answer in search(query).answers for topic in answer.topics}
    assert "bankid" in found


@pytest.mark.parametrize(
    "query",
    ["kindergarten", "дитячий садок", "روضة أطفال", "مهدکودک", "xanaanada carruurta", "መዋእለ ህጻናት"],
)
def test_the_help_finder_finds_the_preschool_place_in_each_language(demo_db, query):
    found = {topic.slug for answer in search(query).answers for topic in answer.topics}
    assert "forskoleplats" in found


def test_an_arabic_resident_reads_the_answer_in_arabic(client, demo_db):
    client.cookies["django_language"] = "ar"
    page = client.get("/mjolby/help/", {"q": "بنك اي دي"}).content.decode()
    assert "بنك آيدي" in page  # the topic's Arabic name, not the query
