"""Which texts of the schedule exist in every language (see
agencies/translation.py)."""

from modeltranslation.translator import TranslationOptions, register

from sessions.models import Occurrence, StaffedSlot


@register(StaffedSlot)
class StaffedSlotTranslation(TranslationOptions):
    fields = ("title", "note")


@register(Occurrence)
class OccurrenceTranslation(TranslationOptions):
    fields = ("cancellation_reason",)
