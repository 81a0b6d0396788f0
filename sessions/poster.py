"""The notice-board poster: one A4 page per venue for a week, with a QR code
made here (segno), so nothing is fetched from another host."""

import segno
from django.urls import reverse

# Above this many sessions in a week a venue's page uses smaller type in two
# columns, so that it still fits one A4 page.
DENSE_FROM = 12


def qr_data_uri(url):
    """The QR code for ``url`` as an SVG data: URI for an <img>; the
    Content-Security-Policy allows data: images."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=4)


def live_schedule_url(request, venue):
    """Where the poster's QR code leads: this venue's current week, always
    up to date (the poster itself is the week it was printed for)."""
    return request.build_absolute_uri(reverse("schedule:week") + f"?venue={venue.slug}")


def poster_pages(request, venues, occurrences):
    """One page per venue: its days with sessions, and the QR code."""
    by_venue = {venue.pk: {} for venue in venues}
    for occurrence in occurrences:
        days = by_venue.get(occurrence.slot.venue_id)
        if days is not None:
            days.setdefault(occurrence.local_start.date(), []).append(occurrence)
    pages = []
    for venue in venues:
        days = by_venue[venue.pk]
        url = live_schedule_url(request, venue)
        count = sum(len(entries) for entries in days.values())
        pages.append(
            {
                "venue": venue,
                "days": [{"date": day, "entries": days[day]} for day in sorted(days)],
                "count": count,
                "dense": count > DENSE_FROM,
                "url": url,
                "qr": qr_data_uri(url),
            }
        )
    return pages
