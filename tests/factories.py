"""Small builders for test data with believable defaults. Each returns a
saved object; keyword arguments override the defaults."""

import datetime
import itertools

from agencies.models import Agency, AgencyKind, AgencyLevel, Municipality, Topic, Venue
from sessions.models import Format, Recurrence, StaffedSlot

_serial = itertools.count(1)


def municipality(name="Mjölby", **fields):
    slug = fields.pop("slug", None) or name.lower().replace("ö", "o").replace("å", "a").replace("ä", "a")
    fields.setdefault("formal_name", f"{name} kommun")
    obj, _ = Municipality.objects.get_or_create(slug=slug, defaults={"name": name, **fields})
    return obj


def venue(town=None, **fields):
    town = town or municipality()
    n = next(_serial)
    defaults = {
        "name": f"{town.name} bibliotek {n}",
        "slug": f"{town.slug}-bibliotek-{n}",
        "room": "Digitala verkstaden",
        "address": "Storgatan 1",
    }
    return Venue.objects.create(municipality=town, **{**defaults, **fields})


def agency(name=None, **fields):
    n = next(_serial)
    town = fields.pop("municipality", None)
    level = fields.pop("level", AgencyLevel.MUNICIPAL)
    if level == AgencyLevel.MUNICIPAL and town is None:
        town = municipality()
    defaults = {
        "name": name or f"Barnomsorg {n}",
        "slug": f"agency-{n}",
        "kind": AgencyKind.CHILDCARE,
        "colour": "#1f5f8b",
    }
    return Agency.objects.create(level=level, municipality=town, **{**defaults, **fields})


def topic(name="Förskoleplats", **fields):
    n = next(_serial)
    return Topic.objects.create(name=name, slug=fields.pop("slug", f"topic-{n}"), **fields)


def slot(agency_obj=None, venue_obj=None, **fields):
    """A weekly series, Thursdays 14-15 from 2026-01-01, in Swedish."""
    defaults = {
        "format": Format.DROP_IN,
        "recurrence": Recurrence.WEEKLY,
        "weekday": 3,
        "interval": 1,
        "start_time": datetime.time(14),
        "end_time": datetime.time(15),
        "first_date": datetime.date(2026, 1, 1),
        "languages": "sv",
    }
    topics = fields.pop("topics", [])
    series = StaffedSlot(agency=agency_obj or agency(), venue=venue_obj or venue(), **{**defaults, **fields})
    series.full_clean()
    series.save()
    if topics:
        series.topics.set(topics)
    return series
