"""Which municipality a resident is looking at, in an installation that
serves several: the "Where do you live?" list, the cookie that remembers
the answer, and where the site-wide schedule addresses send a resident.

With one municipality the site is what it always was: ``/``, ``/schedule/``
and the feed show everything, and the cookie changes nothing."""

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from agencies.models import Agency, AgencyLevel, Municipality, Venue
from eserviceverkstad.i18n import sort_key

# The chosen municipality's slug; a preference the resident asked for, like
# the language cookie, and only read on the pages that need it.
MUNICIPALITY_COOKIE = "municipality"
MUNICIPALITY_COOKIE_AGE = 365 * 24 * 3600
# "/?choose" shows the list even to a resident who has chosen before.
CHOOSE_AGAIN = "choose"


def chosen_slug(request):
    return request.COOKIES.get(MUNICIPALITY_COOKIE, "")


def remember(response, municipality):
    response.set_cookie(
        MUNICIPALITY_COOKIE,
        municipality.slug,
        max_age=MUNICIPALITY_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def chosen_page_redirect(request):
    """Where ``/`` sends a resident who has chosen a municipality in an
    installation with several: its page, or None (show ``/`` itself). One
    query, and none without the cookie."""
    slug = chosen_slug(request)
    if not slug or CHOOSE_AGAIN in request.GET or "q" in request.GET:
        return None
    found = Municipality.objects.aggregate(total=Count("pk"), chosen=Count("pk", filter=Q(slug=slug)))
    if found["total"] < 2 or not found["chosen"]:
        return None
    return HttpResponseRedirect(reverse("municipality:home", args=[slug]))


def by_region(municipalities):
    """[{"region": "Kalmar län", "municipalities": [...]}, ...], regions and
    names in the active language's alphabetical order; municipalities
    without a region come last."""
    groups = {}
    for municipality in municipalities:
        groups.setdefault(municipality.region, []).append(municipality)
    regions = sorted(groups, key=lambda region: (region == "", sort_key(region)))
    return [
        {
            "region": region or _("Other municipalities"),
            "municipalities": sorted(groups[region], key=lambda m: sort_key(m.name)),
        }
        for region in regions
    ]


def matching(municipalities, text):
    """The municipalities whose name or region contains ``text`` (case and
    accents as written: "mjö" finds Mjölby, "kalmar" Kalmar and all of
    Kalmar län)."""
    words = text.casefold().split()
    return [m for m in municipalities if all(w in f"{m.name} {m.region}".casefold() for w in words)]


def _target_slug(request, slugs):
    # An explicit municipality, then the one a venue or municipal agency in
    # the address belongs to (links from venue and agency pages), then the
    # resident's choice.
    params = request.GET
    if params.get("municipality") in slugs:
        return params["municipality"]
    if params.get("venue"):
        found = Venue.objects.filter(slug=params["venue"]).values_list("municipality__slug", flat=True)
        if found:
            return found[0]
    if params.get("agency"):
        found = Agency.objects.filter(slug=params["agency"], level=AgencyLevel.MUNICIPAL).values_list(
            "municipality__slug", flat=True
        )
        if found:
            return found[0]
    slug = chosen_slug(request)
    return slug if slug in slugs else None


def scoped_redirect(request, url_name, slugs, *args):
    """For a site-wide schedule address (``/schedule/…``) in an
    installation with several municipalities (``slugs``): a redirect to the
    municipality's own page ``url_name`` (in the namespace
    ``municipality``), with the rest of the query, or to ``/`` to choose.
    None with one municipality: the site-wide page is the page."""
    if len(slugs) < 2:
        return None
    slug = _target_slug(request, slugs)
    if slug is None:
        return HttpResponseRedirect(reverse("schedule:home"))
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "municipality"])
    url = reverse(f"municipality:{url_name}", args=[slug, *args])
    return HttpResponseRedirect(f"{url}?{query}" if query else url)


def all_slugs():
    return set(Municipality.objects.values_list("slug", flat=True))
