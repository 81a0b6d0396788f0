"""A link that carries its language: ``?lang=ar``.

The calendar feed is fetched by calendar programs, which send no language
cookie, and the poster's QR code is scanned on phones that never visited the
site. So the feed and QR links written in a language other than the default
carry ``lang=<code>``; this middleware (after LocaleMiddleware) answers such a
request in that language. On a page (not the feed) it also sets the language
cookie, so the resident keeps the language on the next pages.
"""

from django.conf import settings
from django.utils import translation

PARAMETER = "lang"


def link_language():
    """The ``lang`` value a feed or QR link should carry: none (empty) for the
    default language."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    return "" if language == settings.LANGUAGE_CODE else language


class LanguageParameterMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        wanted = request.GET.get(PARAMETER, "")
        if wanted not in dict(settings.LANGUAGES):
            return self.get_response(request)
        translation.activate(wanted)
        request.LANGUAGE_CODE = wanted
        response = self.get_response(request)
        is_page = response.get("Content-Type", "").startswith("text/html")
        if is_page and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != wanted:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                wanted,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
