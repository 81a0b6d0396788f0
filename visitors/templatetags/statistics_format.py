"""Statistics figures in the active language: '1 234', '2,5', '<5', '+12 %'."""

from decimal import Decimal

from babel.numbers import format_decimal
from django import template

from agencies.permissions import may_see_statistics as _may_see_statistics
from eserviceverkstad.i18n import babel_locale
from visitors.statistics import Suppressed

register = template.Library()
MINUS = "\u2212"


@register.filter
def stat(value):
    """A count, hours or a ratio; "<5" when hidden, "–" when it does not apply."""
    if value is None:
        return "–"
    if isinstance(value, Suppressed):
        return str(value)
    if isinstance(value, Decimal):
        return format_decimal(value, "#,##0.0#", locale=babel_locale())
    return format_decimal(value, "#,##0", locale=babel_locale())


@register.filter
def signed(value):
    """A change with its sign: '+3', '−3', '0'."""
    if value is None or isinstance(value, Suppressed):
        return stat(value)
    text = stat(abs(value))
    return f"+{text}" if value > 0 else f"{MINUS}{text}" if value < 0 else text


@register.filter
def signed_percent(value):
    """'+12 %' / '−5 %'; empty when there is nothing to compare with."""
    if value is None:
        return ""
    if isinstance(value, Suppressed):
        return str(value)
    return f"{signed(value)}\u00a0%"


@register.filter
def is_suppressed(value):
    return isinstance(value, Suppressed)


@register.filter
def may_see_statistics(user):
    return _may_see_statistics(user)


@register.filter
def lookup(mapping, key):
    return mapping.get(key)
