"""The demo's schedule: the series the brief describes (the childcare
office's one hour a month, the study counsellor's Tuesdays, the libraries'
drop-ins, lectures, booked guidance and "try new technology"), started some
four months ago, with their past weeks stored too and one cancellation with
a public reason ahead. Loaded by ``seed_demo`` after ``agencies.demo``.

Idempotent: a series is found by agency, venue, weekday, start time and
format, and only written when something differs.
"""

import dataclasses
import datetime

from agencies.demo import by_slug, upsert
from agencies.models import Agency, Topic, Venue
from sessions.models import Format, Occurrence, OccurrenceStatus, Recurrence, StaffedSlot, Weekday
from sessions.page_cache import schedule_changed
from sessions.schedule import cancel_occurrences

# Series start this many weeks (about four months) before the day the demo
# is loaded, so past weeks and the monthly statistics are not empty.
WEEKS_OF_HISTORY = 17
# The demo's one cancellation lies this far ahead.
CANCELLATION_AFTER_DAYS = 14
# The page already says "Inställt:" before the reason, so the reason does
# not say it again.
CANCELLATION_REASON = "Studie- och yrkesvägledaren är på utbildningsdag. Välkommen nästa tisdag!"
CANCELLATION_REASON_EN = "The study and careers counsellor is on a training day. Welcome next Tuesday!"


@dataclasses.dataclass
class Series:
    agency: str
    venue: str
    weekday: int
    start: str
    end: str
    format: str = Format.DROP_IN
    recurrence: str = Recurrence.WEEKLY
    interval: int = 1
    week_of_month: int | None = None
    languages: str = "sv,en"
    topics: tuple = ()
    capacity: int | None = None
    booking_minutes: int | None = None
    title: str = ""
    title_en: str = ""
    note: str = ""
    note_en: str = ""
    # {"title_ar": "...", ...}: the other languages (not yet reviewed).
    translations: dict = dataclasses.field(default_factory=dict)


MJOLBY, KALMAR = "mjolby-bibliotek", "kalmar-stadsbibliotek"
LIBRARY_TOPICS = ("bankid", "e-legitimation", "mina-sidor", "digital-brevlada", "dator-och-mobil", "e-bocker")


DROP_IN_TRANSLATIONS = {
    "title_ar": "زيارة بدون موعد في الورشة الرقمية",
    "title_fa": "مراجعه بدون وقت قبلی در کارگاه دیجیتال",
    "title_so": "Kaalay adigoon ballan lahayn, aqoon-isweydaarsiga dijitaalka",
    "title_ti": "ብዘይ ቆጸራ ምምጻእ ኣብ ዲጂታል ዎርክሾፕ",
    "title_uk": "Без запису в цифровій майстерні",
    "note_ar": "تعال عندما يناسبك. أحضر هاتفك و BankID إن كان لديك.",
    "note_uk": "Приходьте, коли вам зручно. Візьміть телефон і BankID, якщо він у вас є.",
}


def library_drop_in(weekday, start, end):
    return Series(
        "mjolby-bibliotek",
        MJOLBY,
        weekday,
        start,
        end,
        languages="sv,en,ar",
        topics=LIBRARY_TOPICS,
        title="Drop in i digitala verkstaden",
        title_en="Drop-in in the digital workshop",
        note="Kom när det passar dig. Ta med mobilen och ditt BankID om du har det.",
        note_en="Come when it suits you. Bring your phone and your BankID if you have one.",
        translations=DROP_IN_TRANSLATIONS,
    )


SERIES = [
    # The article's "one hour a month": childcare, second Thursday 14–15.
    Series(
        "mjolby-barnomsorg", MJOLBY, Weekday.THURSDAY, "14:00", "15:00",
        recurrence=Recurrence.MONTHLY, week_of_month=2, topics=("forskoleplats", "skolval"),
        title="Frågor om förskola och skolval", title_en="Questions about preschool and school choice",
        note="Handläggare från barnomsorgen hjälper dig att söka, tacka ja till eller säga upp en plats.",
        note_en="Case officers from childcare help you apply for, accept or give up a place.",
    ),
    Series(
        "mjolby-studie-och-yrkesvagledning", MJOLBY, Weekday.TUESDAY, "10:00", "12:00",
        topics=("studier", "soka-jobb"),
        note="Du behöver inte boka tid. Ta gärna med betyg om du har dem.",
        note_en="No booking needed. Bring your grades if you have them.",
    ),
    *(library_drop_in(day, "13:00", "16:00") for day in range(Weekday.MONDAY, Weekday.FRIDAY)),
    library_drop_in(Weekday.FRIDAY, "10:00", "12:00"),
    Series(
        "mjolby-medborgarservice", MJOLBY, Weekday.WEDNESDAY, "13:00", "15:00",
        topics=("bygglov", "forsorjningsstod", "mina-sidor"),
    ),
    Series(
        "mjolby-bibliotek", MJOLBY, Weekday.WEDNESDAY, "17:30", "19:00",
        format=Format.LECTURE, recurrence=Recurrence.MONTHLY, week_of_month=3, capacity=20,
        topics=("bankid", "e-legitimation"),
        title="Föreläsning: Kom i gång med BankID", title_en="Lecture: Getting started with BankID",
        note="Vi visar steg för steg hur du skaffar och använder mobilt BankID. Fri entré.",
        note_en="We show step by step how to get and use Mobile BankID. Free entry.",
    ),
    Series(
        "skatteverket", MJOLBY, Weekday.TUESDAY, "13:00", "15:00",
        recurrence=Recurrence.MONTHLY, week_of_month=1, topics=("deklaration", "digital-brevlada", "flytt"),
    ),
    Series(
        "forsakringskassan", MJOLBY, Weekday.THURSDAY, "10:00", "12:00",
        recurrence=Recurrence.MONTHLY, week_of_month=-1, languages="sv,en,ar",
        topics=("foraldrapenning", "sjukpenning", "bostadsbidrag"),
    ),
    Series(
        "kalmar-stadsbibliotek", KALMAR, Weekday.MONDAY, "10:00", "12:00",
        languages="sv,en,ar,so", topics=LIBRARY_TOPICS,
        title="Drop in i digitala verkstaden", title_en="Drop-in in the digital workshop",
    ),
    Series(
        "kalmar-stadsbibliotek", KALMAR, Weekday.FRIDAY, "10:00", "12:00",
        languages="sv,en,ar,so", topics=LIBRARY_TOPICS,
        title="Drop in i digitala verkstaden", title_en="Drop-in in the digital workshop",
    ),
    Series(
        "kalmar-stadsbibliotek", KALMAR, Weekday.WEDNESDAY, "10:00", "12:00",
        format=Format.BOOKED, capacity=1, booking_minutes=30, languages="sv,en,ar",
        topics=("bankid", "e-legitimation", "mina-sidor"),
        title="Boka en halvtimme med en bibliotekarie", title_en="Book half an hour with a librarian",
        # 070-174 06 xx is the series the Swedish telecoms regulator (PTS)
        # keeps for fiction: nobody answers it.
        note=(
            "Boka en tid på 30 minuter, till exempel för att skaffa BankID. Ring 070-174 06 50 "
            "eller fråga i informationsdisken på plan 2."
        ),
        note_en=(
            "Book a 30-minute time, for example to set up BankID. Call 070-174 06 50 or ask at the "
            "information desk on floor 2."
        ),
    ),
    Series(
        "kalmar-stadsbibliotek", KALMAR, Weekday.THURSDAY, "14:00", "16:00",
        format=Format.TRY, interval=2, topics=("dator-och-mobil", "e-bocker"),
        title="Testa ny teknik", title_en="Try new technology",
        note="Prova surfplattor, läsplattor och smarta högtalare innan du köper.",
        note_en="Try tablets, e-readers and smart speakers before you buy.",
    ),
    Series(
        "kalmar-stadsbibliotek", KALMAR, Weekday.MONDAY, "17:30", "19:00",
        format=Format.LECTURE, recurrence=Recurrence.MONTHLY, week_of_month=1, capacity=40,
        topics=("bankid", "mina-sidor"),
        title="Föreläsning: Säker på nätet", title_en="Lecture: Safe online",
        note="Så känner du igen bedrägerier och skyddar ditt BankID.",
        note_en="How to recognise fraud and protect your BankID.",
    ),
    Series(
        "kalmar-kontaktcenter", KALMAR, Weekday.THURSDAY, "10:00", "12:00",
        topics=("bygglov", "forsorjningsstod", "mina-sidor"),
    ),
    Series(
        "arbetsformedlingen", KALMAR, Weekday.TUESDAY, "13:00", "15:00",
        interval=2, languages="sv,en,ar,so,ti", topics=("soka-jobb", "mina-sidor"),
    ),
    Series(
        "skatteverket", KALMAR, Weekday.WEDNESDAY, "13:00", "15:00",
        recurrence=Recurrence.MONTHLY, week_of_month=3, topics=("deklaration", "e-legitimation", "flytt"),
    ),
]  # fmt: skip

SERIES_FIELDS = (
    "recurrence", "interval", "week_of_month", "languages", "capacity", "booking_minutes",
    "title", "title_en", "note", "note_en",
)  # fmt: skip
CANCELLED_SERIES = SERIES[1]  # the study counsellor, Tuesdays 10–12


def parse_clock(value):
    return datetime.time.fromisoformat(value)


def load_schedule(today):
    """The demo series with their occurrences, and the one cancellation."""
    monday = today - datetime.timedelta(days=today.weekday())
    first_date = monday - datetime.timedelta(weeks=WEEKS_OF_HISTORY)
    slots = {}
    for series in SERIES:
        slot = _load_one_series(series, first_date)
        _backfill_history(slot, today)
        slots[series.agency, series.venue, series.weekday] = slot
    _cancel_one(slots[CANCELLED_SERIES.agency, CANCELLED_SERIES.venue, CANCELLED_SERIES.weekday], today)
    return slots


def _load_one_series(series, first_date):
    lookup = {
        "agency": Agency.objects.get(slug=series.agency),
        "venue": Venue.objects.get(slug=series.venue),
        "weekday": series.weekday,
        "start_time": parse_clock(series.start),
        "format": series.format,
    }
    fields = {name: getattr(series, name) for name in SERIES_FIELDS} | series.translations
    fields["end_time"] = parse_clock(series.end)
    # The first date is set once: a later run must not move the series.
    slot = upsert(StaffedSlot, lookup, fields, create_only={"first_date": first_date})
    # Topics after saving: a many-to-many needs the row to exist.
    slot.topics.set(by_slug(Topic, series.topics))
    return slot


def _backfill_history(slot, today):
    """Store the series' past weeks too. The sync only writes today and
    later, but a demo that "started six weeks ago" should show them."""
    yesterday = today - datetime.timedelta(days=1)
    rows = [
        Occurrence(slot=slot, date=day, starts_at=start, ends_at=end)
        for day in slot.dates_between(slot.first_date, yesterday)
        for start, end in [slot.times_on(day)]
    ]
    Occurrence.objects.bulk_create(rows, ignore_conflicts=True)
    schedule_changed()  # bulk writes send no signals


def _cancel_one(slot, today):
    """One cancellation with a public reason, a couple of weeks ahead.
    Found by series, so a rerun (even days later) adds no second one."""
    upcoming = slot.occurrences.filter(date__gte=today)
    if upcoming.filter(status=OccurrenceStatus.CANCELLED).exists():
        return
    occurrence = (
        upcoming.filter(date__gte=today + datetime.timedelta(days=CANCELLATION_AFTER_DAYS))
        .order_by("date")
        .first()
    )
    if occurrence is None:
        return
    cancel_occurrences([occurrence], CANCELLATION_REASON, CANCELLATION_REASON_EN)


COUNTED = (StaffedSlot, Occurrence)
