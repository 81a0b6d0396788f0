"""Swedish public holidays for the series warnings: which coming sessions
of a series fall on one, and cancelling them with the holiday's name as the
reason (through the one cancel service).

The dates come from the ``holidays`` package rather than a list of our own:
Easter, Ascension, Midsummer and All Saints' Day move every year, and its
maintainers follow the law (Act 1989:253)."""

import collections
import dataclasses
import functools

import holidays as holiday_calendars
from django.db import transaction
from django.utils import timezone
from holidays.constants import DE_FACTO, PUBLIC

from sessions.models import OccurrenceStatus
from sessions.schedule import cancel_occurrences

# The public holidays (helgdagar), and the three days Swedish law treats
# as holidays although they are none (SFS 1977:480 7 §: midsommarafton,
# julafton, nyårsafton): the package keeps those apart as DE_FACTO. Not
# every Sunday: the package can count them as holidays, but a library
# open on Sundays is no reason to warn.
CATEGORIES = (PUBLIC, DE_FACTO)
# The package's Swedish and English names (it has American English only).
LANGUAGES = {"sv": "sv", "en": "en_US"}


@dataclasses.dataclass(frozen=True)
class Holiday:
    name: str
    name_en: str


@functools.lru_cache(maxsize=16)
def _names(year, language):
    calendar = holiday_calendars.country_holidays(
        "SE", years=year, categories=CATEGORIES, language=language, include_sundays=False
    )
    return dict(calendar.items())


def holiday_on(day):
    """The Swedish public holiday on ``day``, or None."""
    swedish = _names(day.year, LANGUAGES["sv"]).get(day)
    if swedish is None:
        return None
    return Holiday(swedish, _names(day.year, LANGUAGES["en"]).get(day, swedish))


def coming_on_holidays(occurrences, now=None):
    """``[(occurrence, Holiday)]`` for those of ``occurrences`` (a queryset)
    that have not ended, are not cancelled and fall on a holiday by their
    Stockholm date (a session moved by hand counts on its new day). One
    query."""
    rows = (
        occurrences.filter(status=OccurrenceStatus.SCHEDULED, ends_at__gt=now or timezone.now())
        .select_related("slot__agency", "slot__venue")
        .order_by("starts_at", "pk")
    )
    found = []
    for occurrence in rows:
        holiday = holiday_on(occurrence.local_start.date())
        if holiday is not None:
            found.append((occurrence, holiday))
    return found


def cancel_on_holidays(found, by=None):
    """Cancel each occurrence of ``found`` (pairs from
    ``coming_on_holidays``) with its holiday's Swedish and English name as
    the reason: one call of the cancel service per holiday, in one
    transaction. Returns the occurrences that changed."""
    by_holiday = collections.defaultdict(list)
    for occurrence, holiday in found:
        by_holiday[holiday].append(occurrence)
    changed = []
    with transaction.atomic():
        for holiday, occurrences in by_holiday.items():
            changed += cancel_occurrences(occurrences, holiday.name, holiday.name_en, by=by)
    return changed
