"""The week page writes each entry's HTML in Python (sessions/week_entries.py),
not through the template engine's autoescaping. Whatever staff and admins
type into a series, a session, an agency, a venue or a topic must reach the
resident as text, never as markup, in a left-to-right and a right-to-left
language."""

import datetime
from html.parser import HTMLParser

import pytest
from django.core.cache import caches
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eserviceverkstad.i18n import in_running_text
from sessions.models import Format, Occurrence, OccurrenceStatus
from sessions.weeks import IsoWeek
from tests import factories

pytestmark = pytest.mark.django_db

HOSTILE = [
    '<script>alert("x")</script>',
    "<b>fet</b> & 'citat'",
    '"><img src=x onerror=alert(1)>',
    "&amp; &lt;redan kodad&gt;",
    "Tom & Jerry",
    "</li></ul><h1>Ny rubrik</h1>",
]

# Text as staff may type it: the hostile strings above, and any printable
# text Hypothesis finds (letters of every script, punctuation, < > & " ').
texts = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\u00a0"),
        min_size=1,
        max_size=40,
    ).filter(lambda text: text.strip() == text and text.strip()),
)


class EntryText(HTMLParser):
    """The text inside each element, by its class (or its tag when it has
    none), and the tags the page opens, as a browser would read them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open = []  # (class, text so far) of the elements being read
        self.texts = {}
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.open.append([dict(attrs).get("class") or tag, []])

    def handle_endtag(self, tag):
        if self.open:
            css_class, parts = self.open.pop()
            text = "".join(parts)
            self.texts.setdefault(css_class, []).append(text)
            if self.open:
                self.open[-1][1].append(text)

    def handle_data(self, data):
        if self.open:
            self.open[-1][1].append(data)


@pytest.fixture
def a_week_with_a_lecture_and_a_cancellation():
    """At Mjölby library next week: a bookable lecture on Thursday and a
    cancelled drop-in hour on Wednesday."""
    town = factories.municipality("Mjölby")
    library = factories.venue(town, slug="mjolby-bibliotek")
    agency = factories.agency(municipality=town, slug="konsumentvagledning")
    topic = factories.topic("Elavtal", slug="elavtal")
    lecture = factories.slot(agency, library, format=Format.LECTURE, capacity=20, topics=[topic])
    drop_in = factories.slot(agency, library, weekday=2)
    week = IsoWeek.containing(timezone.localdate()).next()
    wednesday = week.monday + datetime.timedelta(days=2)
    cancelled = Occurrence.objects.get(slot=drop_in, starts_at__date=wednesday)
    cancelled.status = OccurrenceStatus.CANCELLED
    cancelled.cancellation_reason = "Sjuk"
    cancelled.save()
    return {"week": week, "lecture": lecture, "cancelled": cancelled, "topic": topic}


def write_everywhere(world, text):
    lecture, cancelled = world["lecture"], world["cancelled"]
    lecture.title = lecture.note = text
    lecture.save()
    for obj in (lecture.agency, lecture.venue, world["topic"]):
        obj.name = text
        obj.save()
    lecture.venue.room = text
    lecture.venue.save()
    cancelled.cancellation_reason = text
    cancelled.save()
    caches["pages"].clear()


def read_week(client, world, language):
    response = client.get(f"/schedule/{world['week']}/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    parser = EntryText()
    parser.feed(response.content.decode())
    parser.close()
    return parser


@pytest.mark.parametrize("language", ["sv", "ar"])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts)
def test_what_staff_write_reaches_the_week_page_as_text_never_as_markup(
    client, a_week_with_a_lecture_and_a_cancellation, language, text
):
    world = a_week_with_a_lecture_and_a_cancellation
    write_everywhere(world, "Vanlig text")
    plain = read_week(client, world, language)
    write_everywhere(world, text)
    page = read_week(client, world, language)

    assert page.tags == plain.tags  # no element came from the text
    assert page.texts["entry-subtitle"] == [text]
    assert page.texts["entry-note"] == [text]
    assert page.texts[f"agency-badge agency-{world['lecture'].agency_id}"] == [text, text]
    [reason] = page.texts["entry-cancelled-reason"]
    assert reason.endswith(f": {text}")
    facts = page.texts["dd"]
    assert facts.count(f"{text}, {text} (Mjölby)") == 2  # the place of each entry
    assert in_running_text(text) in facts  # the lecture's topic
    assert any(hidden.startswith(f": {text} ") for hidden in page.texts["visually-hidden"])
