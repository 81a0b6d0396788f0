"""Every field of the coordinators' series page has an accessible name,
also the inputs in the table of upcoming occurrences, whose only visible
label is the column heading above them."""

import datetime
from html.parser import HTMLParser

import pytest
from django.utils import timezone, translation

from eserviceverkstad.i18n import format_long_date
from sessions.models import Weekday
from tests import factories
from tests.test_admin import change_url, make_coordinator

pytestmark = pytest.mark.django_db

NOT_TYPED_IN = {"hidden", "submit", "button", "reset", "image"}


class FormControls(HTMLParser):
    """The page's inputs, selects and text areas, and which of them a
    <label> names (by its for attribute, or by wrapping the control)."""

    def __init__(self):
        super().__init__()
        self.controls = []
        self.labelled_ids = set()
        self.open_labels = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if attrs.get("for"):
                self.labelled_ids.add(attrs["for"])
        elif tag in ("input", "select", "textarea") and attrs.get("type") not in NOT_TYPED_IN:
            self.controls.append({**attrs, "_tag": tag, "_in_label": self.open_labels > 0})

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1

    def unnamed(self):
        return [
            control
            for control in self.controls
            if not (
                control["_in_label"]
                or control.get("id") in self.labelled_ids
                or (control.get("aria-label") or "").strip()
                or control.get("aria-labelledby")
            )
        ]


@pytest.fixture
def series_page(client):
    """Lena's series page: Tuesdays from today, sixteen weeks of them in
    the table of upcoming occurrences."""
    town = factories.municipality("Mjölby")
    slot = factories.slot(
        factories.agency("Barnomsorg", municipality=town),
        factories.venue(town),
        weekday=Weekday.TUESDAY,
        first_date=timezone.localdate(),
        topics=[factories.topic()],
    )
    client.force_login(make_coordinator("lena.koordinator", town))
    response = client.get(change_url(slot))
    assert response.status_code == 200
    parser = FormControls()
    parser.feed(response.content.decode())
    return slot, parser


def test_every_field_of_the_series_page_has_an_accessible_name(series_page):
    _slot, page = series_page
    assert len(page.controls) > 100  # the inline table is there
    assert page.unnamed() == []


def test_every_select_of_the_series_page_has_a_name(series_page):
    _slot, page = series_page
    selects = [control for control in page.controls if control["_tag"] == "select"]
    assert len(selects) > 16
    assert [select for select in selects if not select.get("name")] == []


def test_the_occurrence_table_names_each_input_by_its_column_and_date(series_page):
    slot, page = series_page
    first = slot.occurrences.filter(ends_at__gt=timezone.now()).order_by("date").first()
    with translation.override("sv"):
        day = format_long_date(first.date)
    labels = [control.get("aria-label", "") for control in page.controls]
    assert f"Börjar, tid, tisdag {day}" in labels
    assert f"Rum, tisdag {day}" in labels
    assert f"Status, tisdag {day}" in labels
    assert (
        len({label for label in labels if label.startswith("Rum, ")})
        == slot.occurrences.filter(
            date__lte=timezone.localdate() + datetime.timedelta(weeks=16), ends_at__gt=timezone.now()
        ).count()
    )
