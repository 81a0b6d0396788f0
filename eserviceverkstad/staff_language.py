"""Staff pages speak Swedish or English only.

The public pages are translated into every language in LANGUAGES, the staff
pages (the workshop app, the admin, the login) only into STAFF_LANGUAGES.
A resident's language cookie must not turn the desk's tablet into a page
half in Arabic, half in Swedish: on a staff path any other language gives
way to the default (Swedish), and the language switch there offers only
the staff languages (templates/language_switch.html reads
``request.staff_languages_only``).
"""

from django.conf import settings
from django.utils import translation

STAFF_PATH_PREFIXES = ("/staff/", "/admin/", "/accounts/")


def is_staff_path(path):
    return path.startswith(STAFF_PATH_PREFIXES)


def staff_language_codes():
    return [code for code, _name in settings.STAFF_LANGUAGES]


class StaffLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_staff_path(request.path_info):
            request.staff_languages_only = True
            if translation.get_language() not in staff_language_codes():
                translation.activate(settings.LANGUAGE_CODE)
                request.LANGUAGE_CODE = settings.LANGUAGE_CODE
        return self.get_response(request)
