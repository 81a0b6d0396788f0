"""Which cache version a change bumps (see sessions/page_cache.py).

A change at one venue (its address, a series, a session, a thing to try, a
booking state) bumps the versions of that venue, its municipality and "any
municipality", so pages of other municipalities stay. What every page shows
bumps the catalogue version: agencies (municipal ones too, since every week
page's filter lists them), topics, e-services, and a new, removed, renamed
or moved venue or municipality (the filter lists them, and the versions are
keyed by their slugs). A series that brings a language no other series
offers, or takes away the last one, changes the filter's list of languages,
so it bumps the catalogue too.

The receivers read what they need with a query or two: the admin saves one
row at a time, and bulk writes (sessions/schedule.py) call the functions
below once for all their rows.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from agencies.models import Agency, EService, Municipality, Topic, TryItem, Venue
from sessions.models import Occurrence, StaffedSlot, split_languages
from sessions.page_cache import places_changed, schedule_changed

# Fields that other municipalities' pages show (the filter's lists) or that
# name the version keys.
VENUE_SHARED_FIELDS = ("name", "slug", "municipality_id")
MUNICIPALITY_SHARED_FIELDS = ("name", "slug")
SLOT_SCOPE_FIELDS = ("venue_id", "languages")
OLD = "_cache_scope_old"


def slots_changed(slot_ids):
    places_changed(
        StaffedSlot.objects.filter(pk__in=list(slot_ids)).values_list(
            "venue__slug", "venue__municipality__slug"
        )
    )


def occurrences_changed(occurrence_ids):
    places_changed(
        Occurrence.objects.filter(pk__in=list(occurrence_ids)).values_list(
            "slot__venue__slug", "slot__venue__municipality__slug"
        )
    )


def venues_changed(venue_ids):
    places_changed(
        Venue.objects.filter(pk__in=[pk for pk in venue_ids if pk]).values_list("slug", "municipality__slug")
    )


def slot_changed(slot):
    venues_changed([slot.venue_id])


def _remember_old(sender, instance, fields):
    old = None
    if instance.pk is not None:
        old = sender.objects.filter(pk=instance.pk).values(*fields).first()
    setattr(instance, OLD, old)


def _remember(fields):
    def receiver(sender, instance, **kwargs):
        _remember_old(sender, instance, fields)

    return receiver


def _shared_fields_changed(instance, fields):
    old = getattr(instance, OLD, None)
    return old is None or any(old[field] != getattr(instance, field) for field in fields)


def venue_saved(sender, instance, **kwargs):
    if _shared_fields_changed(instance, VENUE_SHARED_FIELDS):
        schedule_changed()
    else:
        venues_changed([instance.pk])


def municipality_saved(sender, instance, **kwargs):
    if _shared_fields_changed(instance, MUNICIPALITY_SHARED_FIELDS):
        schedule_changed()
    else:
        venues = instance.venues.values_list("slug", flat=True)
        places_changed([(None, instance.slug), *((venue, instance.slug) for venue in venues)])


def try_item_changed(sender, instance, **kwargs):
    venues_changed([instance.venue_id])


def occurrence_changed(sender, instance, **kwargs):
    place = (
        StaffedSlot.objects.filter(pk=instance.slot_id)
        .values_list("venue__slug", "venue__municipality__slug")
        .first()
    )
    # In a cascade the series may be gone already: then nobody knows where.
    if place is None:
        schedule_changed()
    else:
        places_changed([place])


def slot_saved(sender, instance, **kwargs):
    old = getattr(instance, OLD, None) or {}
    venues_changed([instance.venue_id, old.get("venue_id")])
    _languages_changed(instance, set(split_languages(old.get("languages", ""))))


def slot_deleted(sender, instance, **kwargs):
    venues_changed([instance.venue_id])
    _languages_changed(instance, set(split_languages(instance.languages)), deleted=True)


def _languages_changed(slot, old_codes, deleted=False):
    new_codes = set() if deleted else set(split_languages(slot.languages))
    touched = old_codes ^ new_codes
    if not touched:
        return
    offered = set()
    others = StaffedSlot.objects.exclude(pk=slot.pk).order_by().values_list("languages", flat=True)
    for value in others.distinct():
        offered.update(split_languages(value))
    if touched - offered:
        schedule_changed()


def slot_topics_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    if not reverse:
        slot_changed(instance)
    elif pk_set is None:
        schedule_changed()  # a topic's series all cleared: which ones is gone
    else:
        slots_changed(pk_set)


def connect():
    """Called from the app's ready(). Bulk writes send no signals: they call
    the functions above themselves."""
    for model in (Agency, Topic, EService, Venue, Municipality):
        name = model.__name__
        post_delete.connect(schedule_changed, sender=model, dispatch_uid=f"cache-scope-del-{name}")
    for model in (Agency, Topic, EService):
        post_save.connect(schedule_changed, sender=model, dispatch_uid=f"cache-scope-save-{model.__name__}")
    for model, fields in (
        (Venue, VENUE_SHARED_FIELDS),
        (Municipality, MUNICIPALITY_SHARED_FIELDS),
        (StaffedSlot, SLOT_SCOPE_FIELDS),
    ):
        pre_save.connect(
            _remember(fields), sender=model, weak=False, dispatch_uid=f"cache-scope-old-{model.__name__}"
        )
    post_save.connect(venue_saved, sender=Venue, dispatch_uid="cache-scope-save-Venue")
    post_save.connect(municipality_saved, sender=Municipality, dispatch_uid="cache-scope-save-Municipality")
    post_save.connect(try_item_changed, sender=TryItem, dispatch_uid="cache-scope-save-TryItem")
    post_delete.connect(try_item_changed, sender=TryItem, dispatch_uid="cache-scope-del-TryItem")
    post_save.connect(slot_saved, sender=StaffedSlot, dispatch_uid="cache-scope-save-StaffedSlot")
    # Before the delete: afterwards the cascade has taken the series' row.
    pre_delete.connect(slot_deleted, sender=StaffedSlot, dispatch_uid="cache-scope-del-StaffedSlot")
    post_save.connect(occurrence_changed, sender=Occurrence, dispatch_uid="cache-scope-save-Occurrence")
    post_delete.connect(occurrence_changed, sender=Occurrence, dispatch_uid="cache-scope-del-Occurrence")
    m2m_changed.connect(
        slot_topics_changed, sender=StaffedSlot.topics.through, dispatch_uid="cache-scope-topics"
    )
