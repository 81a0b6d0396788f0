"""The statistics page /staff/stats/: who may see what (with the users who
must be refused), the figures of the hand-built month on the page, bad input
answered with a message (never a 500), and a fixed number of queries."""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from tests import statistics_fixture as fx
from visitors.statistics import Period

pytestmark = pytest.mark.django_db
URL = "/staff/stats/"
NOVEMBER = {"period": "2026-11"}


@pytest.fixture
def world():
    return fx.build()


def page(client, user, params=None, language="sv"):
    client.force_login(user)
    return client.get(URL, params or NOVEMBER, HTTP_ACCEPT_LANGUAGE=language)


def cells(response, caption_start):
    """{row label: [cell texts]} of the table whose caption starts so."""
    html = response.content.decode()
    match = re.search(r"<caption[^>]*>\s*" + re.escape(caption_start) + r".*?</table>", html, re.S)
    assert match, caption_start
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", match.group(0), re.S):
        label = re.sub(r"<[^>]+>", "", re.search(r"<th[^>]*>(.*?)</th>", row, re.S).group(1)).strip()
        rows[label] = [c.strip() for c in re.findall(r'<td class="num">(.*?)</td>', row, re.S)]
    return rows


def test_the_url_is_named_and_the_staff_menu_links_to_it_for_users_who_may_see_it(client, world):
    assert reverse("visitors:stats") == URL
    client.force_login(world.users["sofia"])
    assert f'href="{URL}"' in client.get("/staff/").content.decode()
    client.force_login(world.users["olle"])
    assert f'href="{URL}"' not in client.get("/").content.decode()


def test_a_project_lead_sees_the_hand_counted_figures(client, world):
    response = page(client, world.users["anna"])
    assert response.status_code == 200
    html = response.content.decode()
    assert "Statistik: november 2026" in html
    assert cells(response, "Besök per verksamhet") == {
        "Verksamhet": [],
        "Skatteverket": ["10", "12"],
        "Barnomsorg Mjölby": ["5", "6"],
        "Kalmar medborgarservice": ["1", "1"],
        "Totalt": ["16", "19"],
    }
    series = cells(response, "Bemannade timmar och besök per bemannad timme, per serie")
    assert list(series)[1:] == [
        "Skatteverket – Kalmar stadsbibliotek – måndag varje vecka, 13.00–14.30",
        "Barnomsorg Mjölby – Mjölby bibliotek – torsdag varje vecka, 14.00–15.00",
        "Skatteverket – Mjölby bibliotek – andra tisdagen i varje månad, 10.00–12.00",
        "Utanför schemat",
        "Totalt",
    ]
    assert series["Utanför schemat"] == ["–", "–", "3", "–"]
    assert series["Totalt"] == ["12,5", "9", "16", "1,04"]
    heat = cells(response, "Besök per veckodag och timme")
    assert heat["tisdag"] == ["1", "2", "4", "0", "0", "0", "0", "0", "7"]
    referrals = cells(response, "Hänvisningar från verksamhet")
    assert referrals["Skatteverket"] == ["1", "1", "0", "2"]
    # Headline figures with both comparisons (Swedish digit grouping).
    assert "Förändring mot perioden innan: +15 (+1\u00a0500\u00a0%)" in html
    assert "Förändring mot ett år tidigare: +17 (+850\u00a0%)" in html


def test_series_rows_link_to_the_admin_for_users_who_can_open_it(client, world):
    lena = world.users["lena"]
    lena.is_staff = True
    lena.save()
    admin_url = f"/admin/schedule/staffedslot/{world.series['childcare'].pk}/change/"
    assert admin_url in page(client, lena).content.decode()
    assert admin_url not in page(client, world.users["sofia"]).content.decode()


def test_the_page_is_in_english_when_english_is_chosen(client, world):
    response = page(client, world.users["anna"], language="en")
    html = response.content.decode()
    assert "Statistics: November 2026" in html
    assert cells(response, "Visits per agency")["Swedish Tax Agency"] == ["10", "12"]
    assert "Outside the schedule" in html and "Utanför" not in html


def test_publication_mode_shows_small_counts_as_less_than_five(client, world):
    response = page(client, world.users["anna"], {**NOVEMBER, "publication": "on"})
    agency = cells(response, "Besök per verksamhet")
    assert agency["Kalmar medborgarservice"] == ["&lt;5", "&lt;5"]
    assert agency["Barnomsorg Mjölby"] == ["&lt;5", "&lt;5"]
    assert agency["Skatteverket"] == ["10", "12"]
    assert 'name="publication" id="id_publication" value="on" checked' in response.content.decode()


def test_period_links_keep_the_filters_so_a_page_can_be_bookmarked(client, world):
    response = page(client, world.users["anna"], {**NOVEMBER, "municipality": "mjolby", "publication": "on"})
    links = re.findall(r'href="\?([^"]+)"', response.content.decode())
    queries = [parse_qs(urlsplit("?" + link.replace("&amp;", "&")).query) for link in links]
    assert {"period": ["2026-10"], "municipality": ["mjolby"], "publication": ["on"]} in queries
    assert {"period": ["2026-12"], "municipality": ["mjolby"], "publication": ["on"]} in queries
    assert {"period": ["2026-11"], "municipality": ["mjolby"]} in queries


def test_the_default_period_is_the_last_full_month(client, world):
    client.force_login(world.users["anna"])
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["report"].period == Period.last_full_month()


# --- Scope -------------------------------------------------------------------


def test_a_kalmar_coordinators_page_never_contains_a_mjolby_visit(client, world):
    response = page(client, world.users["karin"])
    html = response.content.decode()
    assert "Mjölby" not in html
    assert cells(response, "Besök per verksamhet")["Totalt"] == ["4", "4"]


def test_a_staff_member_sees_only_their_agency(client, world):
    response = page(client, world.users["sofia"])
    agency = cells(response, "Besök per verksamhet")
    assert agency == {"Verksamhet": [], "Barnomsorg Mjölby": ["5", "6"], "Totalt": ["5", "6"]}
    assert "Kalmar stadsbibliotek" not in response.content.decode()


def test_a_user_without_a_role_is_refused_and_an_anonymous_one_must_log_in(client, world):
    assert page(client, world.users["olle"]).status_code == 403
    client.logout()
    response = client.get(URL, NOVEMBER)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "params",
    [{"municipality": "mjolby"}, {"venue": "mjolby-bibliotek"}, {"agency": "barnomsorg"}],
)
def test_a_filter_outside_the_scope_is_not_found(client, world, params):
    response = page(client, world.users["karin"], {**NOVEMBER, **params})
    assert response.status_code == 404
    assert "Barnomsorg" not in response.content.decode()


def test_a_filter_inside_the_scope_narrows_the_figures(client, world):
    response = page(client, world.users["anna"], {**NOVEMBER, "municipality": "kalmar"})
    assert cells(response, "Besök per verksamhet")["Totalt"] == ["4", "4"]
    response = page(client, world.users["sam"], {**NOVEMBER, "venue": "mjolby-bibliotek"})
    assert cells(response, "Besök per verksamhet") == {
        "Verksamhet": [],
        "Skatteverket": ["7", "9"],
        "Totalt": ["7", "9"],
    }


# --- Bad input ---------------------------------------------------------------


@pytest.mark.parametrize(
    "params, message",
    [
        ({"period": "2026-13"}, "Skriv perioden som en månad"),
        ({"period": "november"}, "Skriv perioden som en månad"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "Välj högst 5 år åt gången."),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "Den sista dagen är före den första."),
        ({"from": "2026-11-01"}, "Välj både första och sista dag"),
        ({"from": "2026-02-30", "to": "2026-03-01"}, "Från"),
        ({"municipality": "atlantis"}, "Det valet finns inte: atlantis."),
        ({"agency": "<script>"}, "Det valet finns inte: &lt;script&gt;."),
        ({"format": "party"}, "Typ av tillfälle"),
        ({"publication": "maybe"}, "Välj på eller av."),
        ({"venue": "kalmar-bibliotek", "municipality": "mjolby"}, "Platsen finns inte i den kommun du valt."),
    ],
)
def test_bad_input_gets_a_clear_message_and_no_figures(client, world, params, message):
    response = page(client, world.users["anna"], params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html and "Statistiken kunde inte visas" in html
    assert "Besök per verksamhet" not in html


def test_a_range_of_exactly_five_years_is_allowed(client, world):
    response = page(client, world.users["anna"], {"from": "2021-12-01", "to": "2026-11-30"})
    assert response.status_code == 200
    assert cells(response, "Besök per verksamhet")["Totalt"] == ["18", "22"]  # V1-V17 and V19


# --- Queries -----------------------------------------------------------------


def test_the_page_makes_the_same_number_of_queries_with_few_and_many_visits(
    client, world, django_assert_num_queries
):
    # Session, user, memberships (scope); municipalities, venues, agencies
    # (filter form); from the daily rollup: headline counts; visits per
    # agency, topic, e-service, outcome, mode, language, device, age band,
    # first visit; from the occurrences: staffed hours per series; from the
    # rollup again: visits per series; heatmap visits; from the occurrences:
    # heatmap scheduled hours; from the rollup: referral matrix; 12-month
    # trend; from the bookings: bookings per series.
    client.force_login(world.users["anna"])
    with django_assert_num_queries(23):
        assert client.get(URL, NOVEMBER).status_code == 200
    for n in range(60):
        fx.visit(world, f"more{n}", fx.at(1 + n % 28, 9 + n % 8, n % 60), agency="tax", venue="kalmar",
                 topics=["tax", "bankid"], eservices=["declare"], referred_to="childcare",
                 outcome="referred")  # fmt: skip
    with django_assert_num_queries(23):
        response = client.get(URL, {**NOVEMBER, "publication": "on"})
    assert cells(response, "Besök per verksamhet")["Totalt"] == ["76", "79"]


# --- Any GET parameters: never a 500 -------------------------------------------

FIELD_VALUES = {
    "period": st.one_of(
        st.sampled_from(["2026-11", "2026-Q4", "2026-q1", "2026", "2025-12"]),
        st.builds("{}-{:02d}".format, st.integers(1990, 2110), st.integers(0, 13)),
        st.builds("{}-Q{}".format, st.integers(1999, 2101), st.integers(0, 5)),
    ),
    "from": st.one_of(
        st.dates(datetime.date(1990, 1, 1), datetime.date(2110, 1, 1)).map(str), st.just("2026-02-30")
    ),
    "to": st.one_of(
        st.dates(datetime.date(1990, 1, 1), datetime.date(2110, 1, 1)).map(str), st.just("31/12/2026")
    ),
    "municipality": st.sampled_from(["mjolby", "kalmar", "nowhere", ""]),
    "venue": st.sampled_from(["mjolby-bibliotek", "kalmar-bibliotek", "x"]),
    "agency": st.sampled_from(["barnomsorg", "skatteverket", "kalmar-service", "nope"]),
    "format": st.sampled_from(["drop_in", "booked", "lecture", "try", "", "x"]),
    "publication": st.sampled_from(["on", "off", "", "1", "maybe"]),
}
junk = st.one_of(st.text(max_size=20), st.just("9" * 40), st.just("\x00"), st.just("2026-11\n"))
params = st.fixed_dictionaries(
    {}, optional={name: st.one_of(values, values, junk) for name, values in FIELD_VALUES.items()}
)


class StatisticsParametersFuzzTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = fx.build()

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(query=params, who=st.sampled_from(["anna", "karin", "sofia"]))
    def test_any_parameters_give_figures_a_message_or_not_found_never_an_error(self, query, who):
        self.client.force_login(self.world.users[who])
        response = self.client.get(URL, query)
        assert response.status_code in (200, 400, 404), (query, response.status_code)
        if response.status_code == 400:
            assert "Statistiken kunde inte visas" in response.content.decode()
        if who == "karin" and response.status_code == 200:
            assert "Mjölby" not in response.content.decode()
        type(self).seen = getattr(type(self), "seen", set()) | {response.status_code}

    @classmethod
    def tearDownClass(cls):
        seen = getattr(cls, "seen", set())
        super().tearDownClass()
        # The strategy must also reach the figures and the messages.
        assert {200, 400} <= seen, seen
