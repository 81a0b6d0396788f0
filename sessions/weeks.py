"""ISO weeks as the public schedule names them: '2026-W48'."""

import dataclasses
import datetime
import re

from django.utils.translation import gettext as _

from eserviceverkstad.i18n import format_date_range

WEEK_PATTERN = re.compile(r"^(?P<year>\d{4})-W(?P<week>\d{2})$")
# Weeks further away than this are a 404: nobody plans that far, and it keeps
# crawlers from walking an endless calendar.
MAX_DISTANCE = datetime.timedelta(days=2 * 365)


@dataclasses.dataclass(frozen=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def parse(cls, text):
        """'2026-W48' -> IsoWeek; ValueError for anything else, including
        week 53 of a year that has only 52."""
        match = WEEK_PATTERN.match(text or "")
        if not match:
            raise ValueError(f"not an ISO week: {text!r}")
        week = cls(int(match["year"]), int(match["week"]))
        week.monday  # noqa: B018 - raises ValueError for a week the year lacks
        return week

    @classmethod
    def containing(cls, day):
        year, week, _weekday = day.isocalendar()
        return cls(year, week)

    def __str__(self):
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self):
        return datetime.date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self):
        return self.monday + datetime.timedelta(days=6)

    def days(self):
        return [self.monday + datetime.timedelta(days=n) for n in range(7)]

    def previous(self):
        return IsoWeek.containing(self.monday - datetime.timedelta(days=7))

    def next(self):
        return IsoWeek.containing(self.monday + datetime.timedelta(days=7))

    def is_near(self, today):
        return abs(self.monday - today) <= MAX_DISTANCE

    def title(self):
        return _("Week %(week)s") % {"week": self.week}

    def date_range(self):
        return format_date_range(self.monday, self.sunday)
