"""Settings the staff pages' offline script needs (static/js/offline.js)."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def staff_idle_minutes():
    return settings.STAFF_IDLE_MINUTES


@register.simple_tag
def time_zone():
    # The log form's times are wall-clock times here, whatever the tablet's zone.
    return settings.TIME_ZONE
