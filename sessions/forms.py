from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Municipality, Topic, Venue
from eserviceverkstad.fields import IdModelChoiceField
from eserviceverkstad.i18n import language_name, sort_key
from sessions.models import Format, StaffedSlot, split_languages


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

    def __init__(self, data=None):
        super().__init__(data)
        self.fields["language"].choices = [("", _("All languages")), *offered_languages()]
        # Materialise the choices once: len() of a lazy ModelChoiceIterator
        # (which list() and the template's for loop ask for) costs a COUNT
        # query on top of the SELECT. A comprehension does not ask. Names go
        # in the active language's alphabetical order (ICU), not in the
        # database's, whose collation differs between SQLite and PostgreSQL
        # installations; the kinds of help keep their own order.
        for name, field in self.fields.items():
            empty, *named = [choice for choice in field.choices]  # noqa: C416
            if name != "format":
                named.sort(key=lambda choice: sort_key(str(choice[1])))
            field.choices = [empty, *named]

    def apply(self, occurrences):
        data = self.cleaned_data
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
