"""Dates, times and language names through Babel in the active language,
and lists of names in its alphabetical order and as running text."""

from django import template
from django.utils import timezone, translation
from django.utils.html import format_html

from eserviceverkstad import i18n

register = template.Library()


def _local_date(value):
    if hasattr(value, "tzinfo"):
        return timezone.localtime(value).date()
    return value


@register.filter
def day_heading(day):
    """'torsdag 26 november' / 'Thursday 26 November', for a date or a
    moment (its Stockholm date). Public pages write dates in full."""
    return i18n.format_day(_local_date(day))


@register.filter
def long_date(day):
    return i18n.format_long_date(day)


@register.filter
def short_day(value):
    """'tors 26 nov.': for staff pages, where space is short and the
    readers know the schedule."""
    return i18n.format_day_short(_local_date(value))


@register.filter
def clock(moment):
    return i18n.format_clock(timezone.localtime(moment))


@register.simple_tag
def time_range(start, end):
    """'13.00–16.00', isolated left to right: inside Arabic or Persian text
    the bidirectional algorithm would otherwise show '16.00–13.00'."""
    if translation.get_language_bidi():
        return format_html('<bdi dir="ltr">{}–{}</bdi>', clock(start), clock(end))
    return f"{clock(start)}–{clock(end)}"


@register.filter
def language_names(codes):
    return i18n.list_separator().join(i18n.language_name(code) for code in codes)


@register.filter
def alphabetical(objects):
    """Objects by their ``name`` (in the active language) in its alphabetical order."""
    return sorted(objects, key=lambda obj: i18n.sort_key(obj.name))


@register.filter
def running_list(objects):
    """'BankID, dator och mobil, digital brevlåda': names of topics joined
    as they read inside a sentence."""
    return i18n.list_separator().join(i18n.in_running_text(obj.name) for obj in objects)


@register.filter
def whole_minutes(duration):
    """A timedelta as whole minutes, rounded up: a pause of 14.5 minutes is
    "15 minutes" to the person waiting."""
    return -(-int(duration.total_seconds()) // 60)
