"""The notice-board poster: one A4 page per venue for a week, with a QR code
made here (segno), so nothing is fetched from another host.

A page must never spill onto a second sheet, so the server picks the layout:
large type in one column when the week fits, smaller type in two or three
columns when it is busy, and, past what three columns hold, the first
sessions and a line saying how many more the QR code leads to. The fit is
estimated from the text length with the sizes in static/css/poster.css
(CSS pixels on an A4 page with 12 mm margins); the browser test prints busy
weeks in Chromium to keep the estimate honest.
"""

import dataclasses
import math

import segno
from django.urls import reverse
from django.utils.translation import gettext as _

from eserviceverkstad.i18n import format_clock
from sessions.models import by_local_day

# Column balancing never fills every column to the last pixel.
BALANCE = 0.85
# Calibrated by printing the demo and busy weeks in Chromium (see the module
# docstring); room_px allows for an address that wraps onto two lines.


@dataclasses.dataclass(frozen=True)
class Layout:
    css_class: str
    columns: int
    chars_per_line: int  # a safe (low) count for the column width and type size
    line_px: float
    entry_px: float  # padding and rule around each session
    heading_px: float  # a day's heading with its margins
    room_px: float  # height left for the days in one column

    def entry_height(self, text):
        return math.ceil(max(len(text), 1) / self.chars_per_line) * self.line_px + self.entry_px

    def height(self, days):
        return sum(self.heading_px + sum(self.entry_height(text) for text in texts) for texts in days)

    def holds(self, days, spare_lines=0):
        room = self.room_px if self.columns == 1 else self.room_px * self.columns * BALANCE
        return self.height(days) + spare_lines * self.line_px <= room


LAYOUTS = [
    Layout("", columns=1, chars_per_line=58, line_px=27, entry_px=9, heading_px=46, room_px=620),
    Layout("poster-dense", columns=2, chars_per_line=38, line_px=20, entry_px=8, heading_px=38, room_px=620),
    Layout(
        "poster-densest", columns=3, chars_per_line=30, line_px=14, entry_px=5, heading_px=26, room_px=660
    ),
]


def qr_data_uri(url):
    """The QR code for ``url`` as an SVG data: URI for an <img>; the
    Content-Security-Policy allows data: images."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=4)


def live_schedule_url(request, venue):
    """Where the poster's QR code leads: this venue's current week, always
    up to date (the poster itself is the week it was printed for)."""
    return request.build_absolute_uri(reverse("schedule:week") + f"?venue={venue.slug}")


def entry_text(occurrence):
    """Roughly what the poster prints for a session, to measure it."""
    slot = occurrence.slot
    parts = [f"{format_clock(occurrence.local_start)}–{format_clock(occurrence.local_end)}"]
    parts += [slot.agency.display_name, slot.display_title or str(slot.get_format_display())]
    text = " ".join(parts)
    if occurrence.is_cancelled:
        text += f" {_('Cancelled')}: {occurrence.display_cancellation_reason}"
    return text


def fit(days):
    """The layout for ``days`` (a list of (date, [occurrence])), the days as
    shown, and how many sessions did not fit."""
    texts = [[entry_text(occurrence) for occurrence in entries] for _day, entries in days]
    for layout in LAYOUTS:
        if layout.holds(texts):
            return layout, days, 0
    densest = LAYOUTS[-1]
    shown = _first_that_fit(days, texts, densest)
    total = sum(len(entries) for _day, entries in days)
    return densest, shown, total - sum(len(entries) for _day, entries in shown)


def _first_that_fit(days, texts, layout):
    """The week's first sessions, in order, as many as ``layout`` holds with
    room for the line saying how many more there are."""
    shown, shown_texts = [], []
    for (day, entries), day_texts in zip(days, texts, strict=True):
        kept = 0
        while kept < len(entries) and layout.holds([*shown_texts, day_texts[: kept + 1]], spare_lines=2):
            kept += 1
        if kept:
            shown.append((day, entries[:kept]))
            shown_texts.append(day_texts[:kept])
        if kept < len(entries):
            break
    return shown


def poster_pages(request, venues, occurrences):
    """One page per venue: its days with sessions, and the QR code."""
    by_venue = {venue.pk: [] for venue in venues}
    for occurrence in occurrences:
        if occurrence.slot.venue_id in by_venue:
            by_venue[occurrence.slot.venue_id].append(occurrence)
    pages = []
    for venue in venues:
        url = live_schedule_url(request, venue)
        days = list(by_local_day(by_venue[venue.pk]).items())
        layout, shown, left_out = fit(days)
        pages.append(
            {
                "venue": venue,
                "days": [{"date": day, "entries": entries} for day, entries in shown],
                "left_out": left_out,
                "density": layout.css_class,
                "url": url,
                "qr": qr_data_uri(url),
            }
        )
    return pages
