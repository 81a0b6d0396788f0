"""Form fields and URL converters that refuse ids no database column can
hold, before the database is asked: SQLite raises OverflowError and
PostgreSQL a DataError for a 20-digit id, which would be a 500. And the
options of long selects, written in one pass."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

MAX_ID = 2**63 - 1


def is_id(value):
    text = str(value)
    return text.isdigit() and int(text) <= MAX_ID


def display_label(obj):
    """A model's name in the active language, where it has one: a translated
    model's str() is its name through modeltranslation."""
    return str(obj)


class IdModelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return display_label(obj)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if self.to_field_name is None and not is_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return display_label(obj)

    def _check_values(self, value):
        for pk in value if isinstance(value, (list, tuple)) else [value]:
            if pk not in self.empty_values and not is_id(pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class IdConverter:
    """<id:pk> in URLs: at most 18 digits, so always a valid bigint."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


def option_tags(choices, chosen):
    """``<option>`` tags of (value, label) ``choices``, the one whose value
    is ``chosen`` (a string) selected. A region's selects hold hundreds of
    venues and agencies; Django's select template renders two more
    templates for each option."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, mark_safe(" selected") if str(value) == chosen else "", label) for value, label in choices),
    )


class LongSelect(forms.Select):
    """A select of hundreds of options, written in one pass (option_tags)."""

    def render(self, name, value, attrs=None, renderer=None):
        options = option_tags(self.choices, "" if value is None else str(value))
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>{}</select>', name, attributes, options)
