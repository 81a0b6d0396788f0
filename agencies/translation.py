"""Which texts of the places and agencies exist in every language
(django-modeltranslation; the languages and the fallback to Swedish are in
settings.py). Each field gets one column per language: name_sv, name_en,
name_ar, ...; reading ``obj.name`` gives the active language's text or,
where that is empty, the Swedish one."""

from modeltranslation.translator import TranslationOptions, register

from agencies.models import Agency, EService, Municipality, Topic, TryItem, Venue


@register(Municipality)
class MunicipalityTranslation(TranslationOptions):
    # The short name ("Mjölby") is a place name, the same in every language.
    fields = ("formal_name",)


@register(Venue)
class VenueTranslation(TranslationOptions):
    fields = ("name", "room", "opening_hours", "accessibility", "directions")


@register(Agency)
class AgencyTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Topic)
class TopicTranslation(TranslationOptions):
    # The search words in each language are what the help finder matches.
    fields = ("name", "keywords")


@register(EService)
class EServiceTranslation(TranslationOptions):
    fields = ("name", "what_to_bring")


@register(TryItem)
class TryItemTranslation(TranslationOptions):
    fields = ("name", "description")


# modeltranslation copies the "one name per venue" constraint into each
# language's column. The original column keeps the Swedish name (see
# SwedishSourceText), so the original constraint already holds, and a
# copy in English would refuse two things to try whose English name is still
# empty.
TryItem._meta.constraints = [
    constraint
    for constraint in TryItem._meta.constraints
    if not constraint.name.startswith("tryitem_name_unique_per_venue-")
]
