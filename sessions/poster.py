"""The notice-board poster: one A4 page per venue for a week, readable from
across the room, with a QR code made here (segno), so nothing is fetched
from another host.

A week's sessions are printed as *offers*: one block per agency, what it
offers and in which languages, with its times ("Måndag–torsdag
13.00–16.00", "Fredag 10.00–12.00"), so a drop-in held every afternoon is
one block, not the same line five times. Cancelled sessions are listed in
their offer's block with the reason.

A page must never spill onto a second sheet, so the server picks the
layout: the largest type that holds the week (times and agencies never
below 20 pt, what a reader two metres away can read), in one or two
columns; past what the smallest holds, the first offers and a line saying
how many more sessions the QR code leads to. The fit is estimated from the
text length with the sizes in static/css/poster.css; the browser test
prints the demo and busy weeks in Chromium to keep the estimate honest. The
blocks are spread over the page's height, so a quiet week fills the sheet.
"""

import dataclasses
import math

import segno
from django.http import QueryDict
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from eserviceverkstad.i18n import format_and_list, format_clock, format_day, format_weekday, language_name
from eserviceverkstad.language_link import link_language

PT_PER_MM = 72 / 25.4
# The printable A4 area with 12 mm margins is 186 x 273 mm; a sheet is
# 266 mm tall (poster.css), the rest is slack for rounding.
PAGE_WIDTH_PT = 186 * PT_PER_MM
SHEET_PT = 266 * PT_PER_MM
# The head's and foot's margins, paddings and rules (poster.css).
HEAD_FIXED_PT = 24
FOOT_FIXED_PT = 25
PLACE_PT, WEEK_PT = 15, 17
KICKER_LINE_HEIGHT = 1.05
# The line saying how many more sessions the QR code leads to.
MORE_PT = 2 * 16 * 1.2 + 6
# Advance widths (thousandths of an em) of DejaVu Sans Bold and Book, what
# Debian's Chromium prints with, measured there with canvas measureText.
# Characters not listed count as a wide lower-case letter.
MEASURED = "abcdefghijklmnopqrstuvwxyzåäöéüABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖÉÜ0123456789 .,:;–-()'!?/"
BOLD_WIDTHS = (
    675, 716, 593, 716, 678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478,
    712, 652, 924, 645, 652, 582, 675, 675, 687, 678, 712, 774, 762, 734, 830, 683, 683, 821, 837, 372,
    372, 775, 637, 995, 837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 774, 774, 850,
    683, 812, *(696,) * 10, 348, 380, 380, 400, 400, 500, 415, 457, 457, 306, 456, 580, 365,
)  # fmt: skip
REGULAR_WIDTHS = (
    613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392,
    634, 592, 818, 592, 592, 525, 613, 613, 612, 615, 634, 684, 686, 698, 770, 632, 575, 775, 752, 295,
    295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 684, 684, 787,
    632, 732, *(636,) * 10, 318, 318, 318, 337, 337, 500, 361, 390, 390, 275, 401, 531, 337,
)  # fmt: skip
ADVANCE = {
    True: dict(zip(MEASURED, BOLD_WIDTHS, strict=True)),
    False: dict(zip(MEASURED, REGULAR_WIDTHS, strict=True)),
}
OTHER = {True: 720, False: 640}
# The browser's line breaking and kerning differ a little from a sum of
# advances: lines are taken as this much shorter than they are.
LINE_SAFETY = 0.97
LINE_HEIGHT = 1.2


def width_em(text, bold):
    advance, other = ADVANCE[bold], OTHER[bold]
    return sum(advance.get(char, other) for char in text) / 1000


def lines_of(text, width_pt, size_pt, bold):
    """How many lines ``text`` takes in ``width_pt``, wrapped between words
    as the browser does (a word wider than the line breaks anywhere)."""
    line_em = width_pt / size_pt * LINE_SAFETY
    space = width_em(" ", bold)
    lines, used = 1, 0.0
    for word in text.split():
        word_em = width_em(word, bold)
        if used and used + space + word_em > line_em:
            lines, used = lines + 1, 0.0
        if word_em > line_em:
            lines += math.ceil(word_em / line_em) - 1
            used = word_em % line_em
        else:
            used += word_em + (space if used else 0.0)
    return lines


@dataclasses.dataclass(frozen=True)
class Head:
    """What the top of a sheet says: the key message, the venue, its
    address and the week."""

    kicker: str
    venue: str
    place: str
    week: str


@dataclasses.dataclass(frozen=True)
class Layout:
    css_class: str
    columns: int
    big_pt: float  # times and agency names
    small_pt: float  # what is offered, languages, cancellations
    gap_pt: float  # around each offer: padding, its rule, the space between rows
    inset_mm: float  # an offer's coloured rule and left padding
    kicker_pt: float  # the key message, always the largest type
    venue_pt: float
    qr_mm: float

    @property
    def column_pt(self):
        """The width of an offer's text."""
        column_gap = 8 * PT_PER_MM
        return (PAGE_WIDTH_PT - column_gap * (self.columns - 1)) / self.columns - self.inset_mm * PT_PER_MM

    def room_pt(self, head):
        """The height left for the offers under ``head`` and above the foot."""
        head_pt = HEAD_FIXED_PT + sum(
            lines_of(text, PAGE_WIDTH_PT, size, bold) * size * height
            for text, size, bold, height in [
                (head.kicker.upper(), self.kicker_pt, True, KICKER_LINE_HEIGHT),
                (head.venue, self.venue_pt, True, LINE_HEIGHT),
                (head.place, PLACE_PT, False, LINE_HEIGHT),
                (head.week, WEEK_PT, True, LINE_HEIGHT),
            ]
        )
        return SHEET_PT - head_pt - FOOT_FIXED_PT - self.qr_mm * PT_PER_MM

    def offer_height(self, offer):
        texts = [offer.agency_name, *(f"{days} {clock}" for days, clock in offer.times)]
        big = sum(lines_of(text, self.column_pt, self.big_pt, bold=True) for text in texts)
        small = sum(lines_of(text, self.column_pt, self.small_pt, bold=False) for text in offer.small_lines())
        return (big * self.big_pt + small * self.small_pt) * LINE_HEIGHT + self.gap_pt

    def height(self, offers):
        # Offers fill the grid row by row; a row is as tall as its tallest.
        heights = [self.offer_height(offer) for offer in offers]
        rows = [heights[start : start + self.columns] for start in range(0, len(heights), self.columns)]
        return sum(max(row) for row in rows)

    def holds(self, offers, head, more=False):
        return self.height(offers) + (MORE_PT if more else 0) <= self.room_pt(head)


# From the largest type to the smallest; the first that holds the week wins.
ONE_COLUMN = {"columns": 1, "kicker_pt": 44, "venue_pt": 28, "qr_mm": 38}
# Two columns get a smaller head and QR code (the key message on one line).
TWO_COLUMNS = {"columns": 2, "inset_mm": 5, "kicker_pt": 28, "venue_pt": 24, "qr_mm": 30}
LAYOUTS = [
    Layout("poster-roomy", big_pt=28, small_pt=20, gap_pt=16, inset_mm=7, **ONE_COLUMN),
    Layout("", big_pt=24, small_pt=18, gap_pt=14, inset_mm=6, **ONE_COLUMN),
    Layout("poster-columns poster-dense", big_pt=24, small_pt=17, gap_pt=12, **TWO_COLUMNS),
    Layout("poster-columns poster-denser", big_pt=22, small_pt=16, gap_pt=12, **TWO_COLUMNS),
    Layout("poster-columns poster-densest", big_pt=20, small_pt=14, gap_pt=10, **TWO_COLUMNS),
]


@dataclasses.dataclass
class Offer:
    """One agency's offer in the week, as the poster prints it."""

    agency_id: int
    agency_name: str
    what: str
    languages: str = ""
    times: list = dataclasses.field(default_factory=list)  # [("Måndag–torsdag", "13.00–16.00")]
    cancelled: list = dataclasses.field(default_factory=list)
    sessions: int = 0

    def small_lines(self):
        return [text for text in (self.what, self.languages, *self.cancelled) if text]


def qr_data_uri(url):
    """The QR code for ``url`` as an SVG data: URI for an <img>; the
    Content-Security-Policy allows data: images."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=4)


def live_schedule_url(request, venue):
    """Where the poster's QR code leads: this venue's current week, always
    up to date (the poster itself is the week it was printed for), on its
    municipality's page, which stays at its address however many
    municipalities the site serves."""
    query = QueryDict(mutable=True)
    query["venue"] = venue.slug
    if language := link_language():  # a poster in Arabic leads to the schedule in Arabic
        query["lang"] = language
    week = reverse("municipality:week", args=[venue.municipality.slug])
    return request.build_absolute_uri(week + "?" + query.urlencode())


def clock_range(occurrence):
    return f"{format_clock(occurrence.local_start)}–{format_clock(occurrence.local_end)}"


def describe_days(days):
    """'tisdag 1 december' for one day; 'måndag–torsdag' for three or more
    days in a row; 'måndag, onsdag och fredag' otherwise."""
    if len(days) == 1:
        return format_day(days[0])
    runs = []
    for day in sorted(days):
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{format_weekday(run[0])}–{format_weekday(run[-1])}")
        else:
            parts.extend(format_weekday(day) for day in run)
    return format_and_list(parts)


def _time_lines(scheduled):
    by_clock = {}
    for occurrence in scheduled:
        by_clock.setdefault(clock_range(occurrence), []).append(occurrence.local_start.date())
    return [(capfirst(describe_days(days)), clock) for clock, days in by_clock.items()]


def _cancelled_line(occurrence):
    return _("Cancelled %(day)s %(time)s: %(reason)s") % {
        "day": format_day(occurrence.local_start.date()),
        "time": clock_range(occurrence),
        "reason": occurrence.cancellation_reason,
    }


def offers_of(occurrences):
    """The week's ``occurrences`` (in start order) as offers, in the order
    of their first session: one per agency, title or kind, and languages."""
    grouped = {}
    for occurrence in occurrences:
        slot = occurrence.slot
        what = slot.title or str(slot.get_format_display())
        key = (slot.agency_id, what, tuple(slot.language_codes))
        grouped.setdefault(key, []).append(occurrence)
    offers = []
    for (agency_id, what, codes), found in grouped.items():
        names = [language_name(code) for code in codes]
        offer = Offer(
            agency_id=agency_id,
            agency_name=found[0].slot.agency.name,
            what=what,
            languages=_("Help in %(languages)s") % {"languages": format_and_list(names)} if names else "",
            times=_time_lines([o for o in found if not o.is_cancelled]),
            cancelled=[_cancelled_line(o) for o in found if o.is_cancelled],
            sessions=len(found),
        )
        offers.append(offer)
    return offers


def fit(offers, head):
    """The layout for ``offers`` under ``head``, the offers shown, and how
    many sessions did not fit."""
    for layout in LAYOUTS:
        if layout.holds(offers, head):
            return layout, offers, 0
    smallest = LAYOUTS[-1]
    shown = []
    for offer in offers:
        if not smallest.holds([*shown, offer], head, more=True):
            break
        shown.append(offer)
    return smallest, shown, sum(offer.sessions for offer in offers[len(shown) :])


def head_of(venue, week):
    place = f"{venue.room}, {venue.address}" if venue.room else venue.address
    return Head(_("Free help with e-services"), venue.name, place, f"{week.title()} · {week.date_range()}")


def poster_pages(request, week, venues, occurrences):
    """One page per venue: its offers of the week, and the QR code."""
    by_venue = {venue.pk: [] for venue in venues}
    for occurrence in occurrences:
        if occurrence.slot.venue_id in by_venue:
            by_venue[occurrence.slot.venue_id].append(occurrence)
    pages = []
    for venue in venues:
        url = live_schedule_url(request, venue)
        layout, shown, left_out = fit(offers_of(by_venue[venue.pk]), head_of(venue, week))
        pages.append(
            {
                "venue": venue,
                "offers": shown,
                "left_out": left_out,
                "density": layout.css_class,
                "url": url,
                "qr": qr_data_uri(url),
            }
        )
    return pages
