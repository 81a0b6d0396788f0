"""The public pages in seven languages, right to left in Arabic and Persian;
the staff pages in Swedish and English only."""

import datetime

import pytest
from django.contrib.auth.models import User

from agencies.models import Membership, Role
from eserviceverkstad import i18n
from sessions.weeks import IsoWeek
from tests import factories

pytestmark = pytest.mark.django_db

PUBLIC_LANGUAGES = ["sv", "en", "ar", "fa", "so", "ti", "uk"]
OWN_NAMES = ["Svenska", "English", "العربية", "فارسی", "Soomaali", "ትግርኛ", "Українська"]


@pytest.fixture
def thursday_childcare():
    town = factories.municipality("Mjölby")
    library = factories.venue(town, name="Mjölby bibliotek", slug="mjolby-bibliotek")
    childcare = factories.agency("Barnomsorg Mjölby", slug="barnomsorg", municipality=town)
    return factories.slot(childcare, library, languages="sv,ar")


@pytest.fixture(autouse=True)
def every_catalogue(settings, tmp_path):
    """Django accepts a language only when some catalogue of it exists, and
    it has none for Somali or Tigrinya: until ours are written, an empty
    one stands in (the translations are tested in test_translations.py)."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    for language in PUBLIC_LANGUAGES:
        if not (settings.BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.mo").exists():
            folder = tmp_path / language / "LC_MESSAGES"
            folder.mkdir(parents=True)
            with open(folder / "django.mo", "wb") as mo:
                write_mo(mo, Catalog(locale=language))
    settings.LOCALE_PATHS = [*settings.LOCALE_PATHS, tmp_path]


def next_week():
    return IsoWeek.containing(datetime.date.today()).next()


def page_in(client, language, url):
    client.cookies["django_language"] = language
    return client.get(url).content.decode()


def test_the_arabic_week_page_runs_right_to_left_with_the_mirrored_stylesheet(client, thursday_childcare):
    page = page_in(client, "ar", f"/schedule/{next_week()}/")
    assert '<html lang="ar" dir="rtl">' in page
    assert "vendor/bootstrap/bootstrap.rtl.min.css" in page
    assert "vendor/bootstrap/bootstrap.min.css" not in page
    # The times read left to right inside the Arabic text.
    assert '<bdi dir="ltr">14:00–15:00</bdi>' in page
    # "Previous week" points right, the way Arabic reads.
    assert '<span aria-hidden="true">→</span>' in page.split('rel="prev"', 1)[1].split("</a>", 1)[0]
    # The series' languages are named in Arabic, with the Arabic comma.
    assert "السويدية، العربية" in page


def test_a_persian_page_runs_right_to_left_and_a_swedish_one_left_to_right(client, thursday_childcare):
    assert '<html lang="fa" dir="rtl">' in page_in(client, "fa", "/")
    swedish = page_in(client, "sv", "/")
    assert '<html lang="sv">' in swedish
    assert "vendor/bootstrap/bootstrap.min.css" in swedish


@pytest.mark.parametrize("language", ["so", "ti", "uk"])
def test_somali_tigrinya_and_ukrainian_pages_offer_every_language_by_its_own_name(client, language):
    page = page_in(client, language, "/")
    assert f'<html lang="{language}">' in page
    assert page.count('name="language"') == len(OWN_NAMES) - 1
    for name in OWN_NAMES:
        assert name in page


def test_the_language_cookie_keeps_the_language_across_pages(client, thursday_childcare):
    response = client.post("/i18n/setlang/", {"language": "so", "next": "/"})
    assert response.cookies["django_language"].value == "so"
    assert '<html lang="so">' in client.get("/help/").content.decode()
    assert '<html lang="so">' in client.get(f"/schedule/{next_week()}/").content.decode()


@pytest.fixture
def desk_worker():
    """Staff at the library desk whose browser still has a resident's Arabic cookie."""
    user = User.objects.create_user("desk", password="pw-desk-2026")
    agency = factories.agency("Barnomsorg Mjölby", slug="barnomsorg-desk")
    Membership.objects.create(user=user, role=Role.STAFF, agency=agency)
    return user


def test_a_staff_page_asked_for_in_arabic_shows_swedish_and_offers_only_sv_and_en(client, desk_worker):
    client.force_login(desk_worker)
    page = page_in(client, "ar", "/staff/")
    assert '<html lang="sv">' in page
    assert "English" in page
    for name in ["العربية", "فارسی", "Soomaali", "ትግርኛ", "Українська"]:
        assert name not in page


def test_a_staff_page_in_english_stays_english(client, desk_worker):
    client.force_login(desk_worker)
    assert '<html lang="en">' in page_in(client, "en", "/staff/")


def test_the_admin_asked_for_in_tigrinya_answers_in_swedish(client, desk_worker):
    page = page_in(client, "ti", "/admin/login/")
    assert '<html lang="sv"' in page


@pytest.mark.parametrize("language", PUBLIC_LANGUAGES)
def test_dates_and_times_are_written_by_babel_in_each_language(language):
    thursday = datetime.date(2026, 12, 3)
    day = i18n.format_day(thursday, language)
    assert day and day != i18n.format_day(thursday, "sv" if language != "sv" else "en")
    assert i18n.format_clock(datetime.time(14, 5), language) in ("14.05", "14:05")
    assert i18n.language_name("ar", language) not in ("", "ar")


# --- Texts in the database: one column per language, Swedish as fallback ---


def test_an_agency_page_in_arabic_shows_the_arabic_text_or_else_the_swedish_one(client):
    agency = factories.agency("Skatteverket", slug="skatteverket", description="Hjälp med deklarationen.")
    assert "Hjälp med deklarationen." in page_in(client, "ar", "/agencies/skatteverket/")
    agency.description_ar = ""  # an emptied translation is no text either
    agency.name_ar = "مصلحة الضرائب"
    agency.save()
    page = page_in(client, "ar", "/agencies/skatteverket/")
    assert "<h1>مصلحة الضرائب</h1>" in page
    assert "Hjälp med deklarationen." in page
    assert "<h1>Skatteverket</h1>" in page_in(client, "sv", "/agencies/skatteverket/")


def test_a_text_saved_while_english_is_active_keeps_the_swedish_one_in_the_source_column():
    from django.utils import translation

    from agencies.models import Agency

    agency = factories.agency("Skatteverket", slug="skatteverket")
    with translation.override("en"):
        agency.name = "Swedish Tax Agency"
        agency.save()
    # The statistics and the database's order read the original column.
    assert list(Agency.objects.rewrite(False).values_list("name", "name_sv", "name_en")) == [
        ("Skatteverket", "Skatteverket", "Swedish Tax Agency")
    ]


@pytest.mark.django_db(transaction=True)
def test_the_english_texts_of_the_old_columns_survive_the_move_to_modeltranslation():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("agencies", "0010_venue_screen_languages"), ("schedule", "0006_booking_times")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    town = old_apps.get_model("agencies", "Municipality").objects.create(
        name="Mjölby", formal_name="Mjölby kommun", slug="mjolby"
    )
    old_apps.get_model("agencies", "Agency").objects.create(
        name="Barnomsorg", name_en="Childcare", slug="barnomsorg", kind="childcare", level="municipal",
        municipality=town, colour="#1f5f8b", description="Förskola", description_en="Preschool",
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from django.utils import translation

    from agencies.models import Agency

    agency = Agency.objects.get(slug="barnomsorg")
    assert (agency.name_sv, agency.name_en, agency.description_en) == ("Barnomsorg", "Childcare", "Preschool")
    with translation.override("en"):
        assert agency.name == "Childcare"
    with translation.override("uk"):
        assert agency.name == "Barnomsorg"


# --- Links that leave the browser carry the language ---


@pytest.fixture
def bankid_drop_in(thursday_childcare):
    bankid = factories.topic("BankID", slug="bankid", name_ar="بنك آيدي")
    thursday_childcare.topics.set([bankid])
    return thursday_childcare


def test_the_arabic_week_pages_calendar_link_gives_an_arabic_feed(client, bankid_drop_in):
    page = page_in(client, "ar", f"/schedule/{next_week()}/")
    assert 'href="/schedule.ics?lang=ar"' in page
    client.cookies.clear()  # a calendar program has no cookie
    feed = client.get("/schedule.ics?lang=ar")
    assert "بنك آيدي" in feed.content.decode()
    assert "Set-Cookie" not in feed.headers
    swedish = client.get("/schedule.ics").content.decode()
    assert "بنك آيدي" not in swedish and "BankID" in swedish


def test_the_arabic_posters_qr_code_leads_to_the_schedule_in_arabic_and_keeps_it(client, bankid_drop_in):
    page = page_in(client, "ar", f"/schedule/{next_week()}/print/")
    assert "http://testserver/mjolby/schedule/?venue=mjolby-bibliotek&amp;lang=ar" in page
    client.cookies.clear()  # a phone that never visited the site
    response = client.get("/mjolby/schedule/?venue=mjolby-bibliotek&lang=ar", follow=True)
    assert '<html lang="ar" dir="rtl">' in response.content.decode()
    assert client.cookies["django_language"].value == "ar"
    assert '<html lang="ar" dir="rtl">' in client.get("/help/").content.decode()


def test_a_cancellation_in_the_english_admin_keeps_the_swedish_reason_swedish(client, thursday_childcare):
    from django.utils import translation

    from sessions.models import Occurrence, OccurrenceStatus
    from sessions.schedule import cancel_occurrences

    occurrence = Occurrence.objects.filter(slot=thursday_childcare).first()
    with translation.override("en"):
        cancel_occurrences([occurrence], "Stängt för påsk", "Closed for Easter")
    occurrence.refresh_from_db()
    assert occurrence.status == OccurrenceStatus.CANCELLED
    assert (occurrence.cancellation_reason_sv, occurrence.cancellation_reason_en) == (
        "Stängt för påsk",
        "Closed for Easter",
    )
    with translation.override("ar"):
        assert occurrence.cancellation_reason == "Stängt för påsk"
    assert Occurrence.objects.rewrite(False).filter(cancellation_reason="Stängt för påsk").exists()


def test_a_municipality_made_in_code_while_english_is_active_validates_in_swedish():
    from django.utils import translation

    from agencies.models import Municipality

    with translation.override("en"):
        town = Municipality(name="Boxholm", slug="boxholm")
        town.formal_name = "Boxholms kommun"
        town.full_clean()
        town.save()
    town.refresh_from_db()
    assert town.formal_name_sv == "Boxholms kommun"


def test_a_cancellation_reason_written_in_arabic_on_the_occurrence_page_reaches_arabic_readers(
    admin_client, client, thursday_childcare
):
    from django.urls import reverse

    from sessions.models import Occurrence, OccurrenceStatus
    from tests.test_admin import form_data

    occurrence = (
        Occurrence.objects.filter(slot=thursday_childcare, date__gte=next_week().monday)
        .order_by("date")
        .first()
    )
    url = reverse("admin:schedule_occurrence_change", args=[occurrence.pk])
    page = admin_client.get(url)
    assert "cancellation_reason_ar" in page.content.decode()
    data = form_data(page, form_id="occurrence_form")
    data.update(
        status=[OccurrenceStatus.CANCELLED],
        cancellation_reason_ar=["الموظفون مرضى"],
    )
    data["cancellation_reason"] = ["Personalen är sjuk"]  # the form's Swedish field
    assert admin_client.post(url, data).status_code == 302
    occurrence.refresh_from_db()
    assert occurrence.status == OccurrenceStatus.CANCELLED
    assert (occurrence.cancellation_reason_sv, occurrence.cancellation_reason_ar) == (
        "Personalen är sjuk",
        "الموظفون مرضى",
    )
    week = f"/mjolby/schedule/{next_week()}/"
    assert "الموظفون مرضى" in page_in(client, "ar", week)
    assert "Personalen är sjuk" in page_in(client, "sv", week)
    assert "Personalen är sjuk" in page_in(client, "so", week)  # no Somali text: the Swedish one
