"""The languages the language switch offers on this page."""

from django import template
from django.conf import settings
from django.utils.translation import get_language_info

register = template.Library()


@register.simple_tag(takes_context=True)
def switch_languages(context):
    """Each language with its own name ('العربية', 'Soomaali'): every one
    on a public page, the staff languages on a staff page
    (eserviceverkstad/staff_language.py)."""
    request = context.get("request")
    staff_only = getattr(request, "staff_languages_only", False)
    languages = settings.STAFF_LANGUAGES if staff_only else settings.LANGUAGES
    return [get_language_info(code) for code, _name in languages]
