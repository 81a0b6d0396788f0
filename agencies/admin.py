"""Admin for the catalogue: municipalities, venues, agencies, topics,
e-services and who belongs where."""

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import EmptyResultSet
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from agencies.models import (
    AccessibilityReport,
    Agency,
    EService,
    Membership,
    Municipality,
    Role,
    Topic,
    TryItem,
    Venue,
)
from agencies.permissions import limit_to_municipalities, municipalities_for
from eserviceverkstad.fields import IdModelChoiceField, IdModelMultipleChoiceField, is_id


class IdSafeAutocompleteMixin:
    """The autocomplete widgets look up the posted value to re-render it;
    a value that is no id ('abc', 20 digits) would make that lookup fail
    with a 500 instead of showing the form's error message. Every model
    here has an integer primary key."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if is_id(v)], attr)


class IdSafeAutocompleteSelect(IdSafeAutocompleteMixin, AutocompleteSelect):
    pass


class IdSafeAutocompleteSelectMultiple(IdSafeAutocompleteMixin, AutocompleteSelectMultiple):
    pass


class FilterSafeChangeList(ChangeList):
    """A change list that treats a filter value no database can use as an
    invalid filter: the admin then shows the whole list (``?e=1``) instead of
    a 500. Django checks most values itself, but not a year too large for a
    date (``?started_at__year=99999999999999999999``), which fails only when
    the date hierarchy builds its bounds or the SQL is compiled, nor a NUL
    character, which PostgreSQL refuses only when the query runs."""

    def get_queryset(self, request, exclude_parameters=None):
        if any("\x00" in key or "\x00" in value for key, value in request.GET.items()):
            raise IncorrectLookupParameters("NUL character in a filter")
        try:
            queryset = super().get_queryset(request, exclude_parameters)
            queryset.query.get_compiler(queryset.db).as_sql()
        except EmptyResultSet:
            pass  # a filter no row can match: an empty list is the right answer
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error
        return queryset


class IdSafeAdmin(admin.ModelAdmin):
    """The base of every admin here: relation fields refuse values that are
    no id with a form error (``eserviceverkstad/fields.py``), and hostile
    list filters do not make a 500."""

    def get_changelist(self, request, **kwargs):
        return FilterSafeChangeList

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = IdSafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        kwargs.setdefault("form_class", IdModelChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = IdSafeAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", IdModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ScopedAdmin(IdSafeAdmin):
    """A model admin whose rows belong to a municipality.

    ``municipality_path`` is the lookup from the model to its municipality.
    Coordinators get only their municipalities' rows, and every foreign key
    to another scoped model offers only the rows that model's admin would
    show them, so they cannot attach a series to another municipality's
    venue by editing the form."""

    municipality_path = None
    include_national = False

    def get_queryset(self, request):
        return limit_to_municipalities(
            super().get_queryset(request),
            request.user,
            self.municipality_path,
            include_national=self.include_national,
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related_admin = self.admin_site._registry.get(db_field.related_model)
        if isinstance(related_admin, ScopedAdmin) and "queryset" not in kwargs:
            kwargs["queryset"] = related_admin.get_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# The translated texts (agencies/translation.py) show as one field per
# language, one under the other (TranslationAdmin; its tabbed variant needs
# inline script, which the CSP forbids).
@admin.register(Municipality)
class MunicipalityAdmin(ScopedAdmin, TranslationAdmin):
    municipality_path = "pk"
    list_display = ("name", "formal_name", "region", "slug", "contact_email")
    list_filter = ("region",)
    search_fields = ("name", "formal_name", "slug", "region")
    prepopulated_fields = {"slug": ("name",)}


class TryItemInline(admin.TabularInline):
    model = TryItem
    extra = 0
    # One row per thing: the Swedish name here, every language on its own page.
    fields = ("name_sv", "kind", "staff_must_be_present")
    show_change_link = True


@admin.register(Venue)
class VenueAdmin(ScopedAdmin, TranslationAdmin):
    municipality_path = "municipality"
    list_display = ("name", "room", "municipality", "address")
    list_filter = ("municipality",)
    list_select_related = ("municipality",)
    search_fields = ("name", "room", "address", "municipality__name")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("municipality", "name", "slug", "room", "address", "language")}),
        (_("For residents"), {"fields": ("opening_hours", "accessibility", "directions")}),
    )
    inlines = (TryItemInline,)


class EServiceInline(TranslationStackedInline):
    model = EService
    extra = 0
    fields = ("name", "slug", "url", "topics", "what_to_bring")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("topics",)


@admin.register(Agency)
class AgencyAdmin(ScopedAdmin, TranslationAdmin):
    municipality_path = "municipality"
    # National agencies (Skatteverket) staff every municipality's workshop.
    include_national = True
    list_display = ("name", "kind", "level", "municipality", "colour")
    list_filter = ("level", "kind", "municipality")
    list_select_related = ("municipality",)
    search_fields = ("name", "name_en", "slug", "description", "description_en")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (EServiceInline,)
    fieldsets = (
        (None, {"fields": ("name", "slug", ("kind", "level"), "municipality", "colour")}),
        (_("For residents"), {"fields": ("description", "contact", "website")}),
    )


@admin.register(Topic)
class TopicAdmin(IdSafeAdmin, TranslationAdmin):
    list_display = ("name", "keywords")
    search_fields = ("name", "name_en", "slug", "keywords", "keywords_en")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "keywords")


@admin.register(EService)
class EServiceAdmin(ScopedAdmin, TranslationAdmin):
    municipality_path = "agency__municipality"
    include_national = True
    list_display = ("name", "agency", "url")
    list_filter = (("agency", admin.RelatedOnlyFieldListFilter), "topics")
    list_select_related = ("agency",)
    search_fields = ("name", "name_en", "agency__name", "what_to_bring", "what_to_bring_en")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("agency", "topics")
    fields = ("agency", "name", "slug", "url", "topics", "what_to_bring")


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("user", "role", "language", "agency", "municipality", "municipalities")

    def clean(self):
        cleaned = super().clean()
        # A constraint cannot see a many-to-many field, so the rule is here.
        if cleaned.get("municipalities") and cleaned.get("role") != Role.PROJECT_LEAD:
            self.add_error(
                "municipalities",
                _("Only a project lead's membership names the municipalities of a project."),
            )
        return cleaned


@admin.register(Membership)
class MembershipAdmin(IdSafeAdmin):
    form = MembershipForm
    list_display = ("user", "role", "agency", "municipality")
    list_filter = ("role", "municipality", "agency")
    list_select_related = ("user", "agency", "municipality")
    search_fields = ("user__username", "user__first_name", "user__last_name", "agency__name")
    autocomplete_fields = ("user", "agency", "municipality", "municipalities")

    def get_queryset(self, request):
        # Coordinators (if ever given the permission) see the people of
        # their own municipality: its coordinators and its agencies' staff.
        queryset = super().get_queryset(request)
        allowed = municipalities_for(request.user)
        if allowed is None:
            return queryset
        return queryset.filter(Q(municipality__in=allowed) | Q(agency__municipality__in=allowed))


@admin.register(TryItem)
class TryItemAdmin(ScopedAdmin, TranslationAdmin):
    municipality_path = "venue__municipality"
    list_display = ("name", "kind", "venue", "staff_must_be_present")
    list_filter = ("kind", "staff_must_be_present", "venue")
    list_select_related = ("venue",)
    search_fields = ("name", "name_en", "description", "description_en", "venue__name")
    fields = (
        "venue",
        "name",
        "kind",
        "description",
        "staff_must_be_present",
    )


@admin.register(AccessibilityReport)
class AccessibilityReportAdmin(ScopedAdmin):
    """What residents reported, for the coordinators of the venue's
    municipality. What the resident wrote is shown as sent and cannot be
    edited; coordinators mark a report handled."""

    municipality_path = "venue__municipality"
    list_display = ("created_at", "venue", "short_description", "emailed_to", "handled")
    list_filter = ("handled", "venue__municipality", "venue")
    list_select_related = ("venue",)
    list_editable = ("handled",)
    search_fields = ("description", "page", "reply_to")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "venue", "page", "description", "reply_to", "language", "emailed_to")
    fields = readonly_fields + ("handled",)

    @admin.display(description=_("the problem"))
    def short_description(self, report):
        text = " ".join(report.description.split())
        return text if len(text) <= 80 else f"{text[:79]}…"

    def has_add_permission(self, request):
        # Reports come from residents, through the form on /accessibility/.
        return False
