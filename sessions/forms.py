from django import forms
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, AgencyLevel, Municipality, Topic, Venue
from eserviceverkstad.fields import IdModelChoiceField
from eserviceverkstad.i18n import language_name, sort_key
from sessions.models import Format, StaffedSlot, split_languages
from sessions.page_cache import WHOLE_REGION as REGION


class SlugChoiceField(IdModelChoiceField):
    """Choices by slug, so filter links read '?agency=skatteverket'."""

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, to_field_name="slug", required=False, **kwargs)


def offered_languages():
    """The languages that some series offers, as (code, name) sorted by name."""
    codes = set()
    for value in StaffedSlot.objects.order_by().values_list("languages", flat=True).distinct():
        codes.update(split_languages(value))
    return sorted(((code, language_name(code)) for code in codes), key=lambda pair: sort_key(pair[1]))


# The columns a choice's label comes from (Swedish, then English), read as
# plain rows: a region lists 290 municipalities, 600 venues and as many
# agencies, and model instances for each cost more than the page's entries.
LABEL_COLUMNS = {
    "municipality": ("name",),
    "venue": ("name",),
    "agency": ("name", "name_en"),
    "topic": ("name", "name_en"),
}


def _slug_choices(queryset, columns):
    """(slug, label in the active language) of each row, as
    ``display_label`` would give for the model instance. One query."""
    in_english = (get_language() or "sv").startswith("en")
    return [
        (slug, english[0] if in_english and english and english[0] else swedish)
        for slug, swedish, *english in queryset.order_by().values_list("slug", *columns)
    ]


class ScheduleFilterForm(forms.Form):
    """The week page's filters, read from GET parameters. An unknown value
    makes the form invalid and the page shows nothing but a message."""

    municipality = SlugChoiceField(
        Municipality.objects.all(), label=_("Municipality"), empty_label=_("All municipalities")
    )
    venue = SlugChoiceField(Venue.objects.all(), label=_("Venue"), empty_label=_("All venues"))
    agency = SlugChoiceField(Agency.objects.all(), label=_("Agency"), empty_label=_("All agencies"))
    topic = SlugChoiceField(Topic.objects.all(), label=_("Help with"), empty_label=_("All topics"))
    format = forms.ChoiceField(
        label=_("Kind of help"), required=False, choices=[("", _("All kinds"))] + Format.choices
    )
    language = forms.ChoiceField(label=_("Language"), required=False)
    # A municipality's week page lists its own sessions, unless the resident
    # asks for its whole region (län): someone in Nybro may go to Kalmar.
    area = forms.ChoiceField(label=_("Where"), required=False)

    def __init__(self, data=None, municipality=None, whole_region_on_request=False):
        super().__init__(data)
        # On a municipality's own week page the place is given: the choices
        # are its venues (or its region's), its own agencies (or its
        # region's) and the national ones.
        self.municipality = municipality
        self.whole_region = False
        if municipality is not None:
            del self.fields["municipality"]
            self.whole_region = self._offer_region(municipality, whole_region_on_request)
            places = Q(municipality=municipality)
            if self.whole_region:
                places = Q(municipality__region=municipality.region)
            self.fields["venue"].queryset = Venue.objects.filter(places)
            self.fields["agency"].queryset = Agency.objects.filter(places | Q(level=AgencyLevel.NATIONAL))
        if not self.fields["area"].choices:
            del self.fields["area"]
        self.fields["language"].choices = [("", _("All languages")), *offered_languages()]
        # Materialise the choices once: len() of a lazy ModelChoiceIterator
        # (which list() and the template's for loop ask for) costs a COUNT
        # query on top of the SELECT. A comprehension does not ask. Names go
        # in the active language's alphabetical order (ICU), not in the
        # database's, whose collation differs between SQLite and PostgreSQL
        # installations; the kinds of help keep their own order.
        for name, field in self.fields.items():
            if name in LABEL_COLUMNS:
                named = _slug_choices(field.queryset, LABEL_COLUMNS[name])
                empty = ("", field.empty_label)
            else:
                empty, *named = [choice for choice in field.choices]  # noqa: C416
            if name != "format":
                named.sort(key=lambda choice: sort_key(str(choice[1])))
            field.choices = [empty, *named]

    def _offer_region(self, municipality, on_request):
        """Offer the region's sessions as a choice; True when asked for."""
        if not (on_request and municipality.region):
            return False
        self.fields["area"].choices = [
            ("", _("Only %(municipality)s") % {"municipality": municipality.name}),
            (REGION, _("All of %(region)s") % {"region": municipality.region}),
        ]
        return (self.data or {}).get("area") == REGION

    def municipality_slugs(self):
        """Every municipality's slug, from the choices already read."""
        return {str(value) for value, _label in self.fields["municipality"].choices if value}

    def apply(self, occurrences):
        data = self.cleaned_data
        if self.whole_region:
            occurrences = occurrences.filter(slot__venue__municipality__region=self.municipality.region)
        elif self.municipality is not None:
            occurrences = occurrences.filter(slot__venue__municipality=self.municipality)
        lookups = {
            "municipality": "slot__venue__municipality",
            "venue": "slot__venue",
            "agency": "slot__agency",
            "topic": "slot__topics",
            "format": "slot__format",
        }
        for name, lookup in lookups.items():
            if data.get(name):
                occurrences = occurrences.filter(**{lookup: data[name]})
        if data.get("language"):
            occurrences = occurrences.speaking(data["language"])
        return occurrences

    def is_filtered(self):
        return any(self.data.get(name) for name in self.fields)

    def active_filters(self):
        """What the chosen filters show, as residents read them:
        ['Skatteverket', 'arabiska']. Empty for an invalid form."""
        if not self.is_valid():
            return []
        labels = []
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if not value:
                continue
            if hasattr(value, "name"):
                labels.append(value.name)
            else:
                labels.append(str(dict(field.choices).get(value, value)))
        return labels
