"""Links between the schedule pages that stay in the page's municipality:
on /kalmar/schedule/ "next week" is /kalmar/schedule/2026-W49/, on the
site-wide /schedule/ it is /schedule/2026-W49/."""

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def schedule_url(context, name, *args):
    """``{% schedule_url "week" week.next %}``: the page ``name`` (week,
    poster, calendar_feed, help) of the context's ``page_municipality``,
    or the site-wide one without it."""
    municipality = context.get("page_municipality")
    if municipality:
        return reverse(f"municipality:{name}", args=[municipality.slug, *args])
    return reverse(f"schedule:{name}", args=args)
