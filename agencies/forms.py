from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agencies.models import REPORT_MAX_LENGTH, AccessibilityReport, Venue


class VenueChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.municipality.name})"


class AccessibilityReportForm(forms.ModelForm):
    venue = VenueChoiceField(
        Venue.objects.select_related("municipality"),
        label=_("Which workshop is it about?"),
        empty_label=_("Choose a workshop"),
        help_text=_("We send your report to the municipality that runs it."),
        error_messages={"required": _("Choose the workshop, so we know who should fix it.")},
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    page = forms.CharField(
        label=_("Which page or place? (optional)"),
        required=False,
        max_length=300,
        help_text=_("For example the address of the page, or “the entrance”."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    description = forms.CharField(
        label=_("What is the problem?"),
        max_length=REPORT_MAX_LENGTH,
        error_messages={
            "required": _("Describe the problem, so that we can fix it."),
            "max_length": _(
                "Write at most %(limit_value)d characters. Your text has %(show_value)d characters."
            ),
        },
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 6}),
    )
    reply_to = forms.EmailField(
        label=_("Your e-mail, if you want an answer (optional)"),
        required=False,
        help_text=_("We use it only to answer this report."),
        error_messages={"invalid": _("Write an e-mail address such as name@example.se, or leave it empty.")},
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "email"}),
    )

    class Meta:
        model = AccessibilityReport
        fields = ["venue", "page", "description", "reply_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        # One query for the choices, however often the template asks.
        field = self.fields["venue"]
        field.choices = [choice for choice in field.choices]  # noqa: C416
        self.fields["description"].help_text = gettext("In your own words. At most %(limit)s characters.") % {
            "limit": REPORT_MAX_LENGTH
        }
