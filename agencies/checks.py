"""System checks on the data the site's addresses depend on."""

from django.core import checks
from django.db import DatabaseError

from eserviceverkstad.reserved_paths import reserved_path_segments


@checks.register(checks.Tags.database)
def check_municipality_slugs_are_not_site_paths(app_configs=None, databases=None, **kwargs):
    """A municipality saved before a page with its slug was added to the
    site (say "book" before /book/) would lose its page to the site's own:
    an error until it gets another slug. A database check, so it runs with
    ``migrate`` and ``check --database default``."""
    from agencies.models import Municipality

    errors = []
    reserved = reserved_path_segments()
    for database in databases or ():
        try:
            slugs = list(Municipality.objects.using(database).values_list("slug", flat=True))
        except DatabaseError:
            continue  # not migrated yet: nothing to clash
        for slug in slugs:
            if slug.lower() in reserved:
                errors.append(
                    checks.Error(
                        f"The municipality slug {slug!r} is also one of the site's own paths (/{slug}/), "
                        "so the municipality's page cannot be reached.",
                        hint="Give the municipality another slug in the admin, e.g. "
                        f"{slug}-kommun, and tell residents the new address.",
                        obj=Municipality,
                        id="agencies.E001",
                    )
                )
    return errors
