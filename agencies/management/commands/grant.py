"""``python manage.py grant ROLE USER [SCOPE]``: give a user a role without
the admin, e.g. on a fresh installation right after ``createsuperuser``.

    manage.py grant coordinator lena mjolby        # coordinator of a municipality (its slug)
    manage.py grant staff sofia mjolby-barnomsorg  # staff of an agency (its slug)
    manage.py grant project-lead anna              # project lead of the whole installation
    manage.py grant project-lead anna kalmar mjolby
                                                   # project lead of a project of these municipalities
    manage.py grant staff nils skatteverket --municipality kalmar
                                                   # national agency staff serving Kalmar

A project lead naming municipalities sees only those (statistics, exports,
the monthly report, the admin); naming none, every municipality. Running it
again with more slugs adds them; the admin removes them (Memberships).

Staff of a national agency see bookings only in the municipalities they
serve: one ``--municipality`` per run (run again for another); without
one they see no bookings.

``--create`` makes the user when there is none (with ``--email``, and no
password: the command prints a link where they choose one). Running it
again changes nothing; every change is printed.
"""

from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from agencies.models import Agency, Municipality
from agencies.roles import grant_coordinator, grant_project_lead, grant_staff, project_municipalities

SCOPES = {
    "staff": ("agency", Agency, grant_staff),
    "coordinator": ("municipality", Municipality, grant_coordinator),
    "project-lead": (None, None, grant_project_lead),
}


class Command(BaseCommand):
    help = (
        "Give a user a role: 'staff USER AGENCY-SLUG' (log visits for that agency), 'coordinator USER "
        "MUNICIPALITY-SLUG' (keep that municipality's schedule in the admin; sets is_staff and the "
        "Koordinatorer group), or 'project-lead USER [MUNICIPALITY-SLUG ...]' (the shared catalogue and "
        "the statistics of the project's municipalities, or of all without slugs; sets is_staff and the "
        "Projektledare group). Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", choices=sorted(SCOPES), help="The role to give.")
        parser.add_argument("username", help="The user's login name.")
        parser.add_argument(
            "scope",
            nargs="*",
            help="The agency's slug (staff), the municipality's slug (coordinator), or the slugs of the "
            "project's municipalities (project lead; none: all municipalities).",
        )
        parser.add_argument(
            "--municipality",
            help="Staff of a national agency: the slug of a municipality they serve (see its bookings).",
        )
        parser.add_argument(
            "--create", action="store_true", help="Create the user if there is none (without a password)."
        )
        parser.add_argument("--email", help="The new user's e-mail address (with --create).")
        parser.add_argument(
            "--site-url",
            help="The site's address for the set-password link (default: the first CSRF_TRUSTED_ORIGINS).",
        )

    def handle(self, *args, role, username, scope, create, email, site_url, municipality=None, **options):
        scope_name, scope_model, grant = SCOPES[role]
        if role == "project-lead":
            if municipality:
                raise CommandError("--municipality is for staff of a national agency only.")
            self._grant_project_lead(username, scope, create=create, email=email, site_url=site_url)
            return
        if len(scope) > 1:
            raise CommandError(f"A {role} belongs to one {scope_name}: name one slug, not {len(scope)}.")
        target = self._scope(role, scope_name, scope_model, scope[0] if scope else None)
        served = self._served(role, target, municipality)
        with transaction.atomic():
            user, created = self._user(username, create=create, email=email)
            changes = grant(user, target, served) if served is not None else grant(user, target)
        self._report(
            user, created, site_url, changes, f"{role} of {target}" + (f" serving {served}" if served else "")
        )

    def _grant_project_lead(self, username, slugs, *, create, email, site_url):
        municipalities = self._municipalities(slugs)
        with transaction.atomic():
            user, created = self._user(username, create=create, email=email)
            changes = grant_project_lead(user, municipalities)
        names = project_municipalities(user)
        what = f"project-lead of {', '.join(names)}" if names else "project-lead of every municipality"
        self._report(user, created, site_url, changes, what)

    def _municipalities(self, slugs):
        found = {m.slug: m for m in Municipality.objects.filter(slug__in=slugs)}
        unknown = [slug for slug in slugs if slug not in found]
        if unknown:
            raise CommandError(
                f"No municipality with the slug {', '.join(map(repr, unknown))}. "
                "Check the spelling (the slug is in the admin, under municipalities); nothing was changed."
            )
        return [found[slug] for slug in dict.fromkeys(slugs)]

    def _report(self, user, created, site_url, changes, what):
        username = user.get_username()
        if changes:
            self.stdout.write(self.style.SUCCESS(f"{username} is now {what} ({', '.join(changes)} added)."))
        else:
            self.stdout.write(f"{username} already was {what}; nothing changed.")
        if created or not user.has_usable_password():
            self._tell_how_to_set_a_password(user, site_url)
        if not user.is_active:
            self.stderr.write(f"Note: {username} is inactive and cannot log in (the admin, Users, Active).")

    def _scope(self, role, scope_name, scope_model, slug):
        if scope_model is None:
            if slug:
                raise CommandError(f"A {role} belongs to the whole project: leave out {slug!r}.")
            return None
        if not slug:
            raise CommandError(
                f"Name the {scope_name}: manage.py grant {role} USER {scope_name.upper()}-SLUG"
            )
        found = scope_model.objects.filter(slug=slug).first()
        if found is None:
            known = ", ".join(scope_model.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(
                f"No {scope_name} with the slug {slug!r} (known: {known}). "
                f"Add it in the admin first, under {scope_model._meta.verbose_name_plural}."
            )
        return found

    def _served(self, role, agency, slug):
        if not slug:
            return None
        if role != "staff" or agency.municipality_id:
            raise CommandError("--municipality is for staff of a national agency only.")
        return self._scope(role, "municipality", Municipality, slug)

    def _user(self, username, *, create, email):
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is not None:
            if email and user.email and user.email.lower() != email.lower():
                self.stderr.write(f"Note: {username} keeps the e-mail address {user.email}.")
            elif email and not user.email:
                user.email = email
                user.save(update_fields=["email"])
            return user, False
        if not create:
            raise CommandError(
                f"No user {username!r}. Check the spelling, or add --create (and --email) to create it."
            )
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"{email!r} is not an e-mail address.") from None
        user = User.objects.create_user(username, email=email or "")  # no password: unusable
        self.stdout.write(f"Created the user {username}.")
        return user, True

    def _tell_how_to_set_a_password(self, user, site_url):
        path = reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        base = site_url or next(iter(settings.CSRF_TRUSTED_ORIGINS), None)
        days = settings.PASSWORD_RESET_TIMEOUT // 86400
        if base:
            self.stdout.write(
                f"{user.get_username()} has no password yet. Send them this link to choose one "
                f"(it works once, for {days} days): {urljoin(base, path)}"
            )
        else:
            self.stdout.write(
                f"{user.get_username()} has no password yet. Set one with "
                f"`python manage.py changepassword {user.get_username()}`, or pass --site-url to get "
                f"a link where they choose it themselves."
            )
