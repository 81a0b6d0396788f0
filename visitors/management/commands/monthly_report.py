"""``python manage.py monthly_report 2026-11 [--municipality mjolby]
[--publication] --out report.xlsx``: the monthly statistics workbook, the
same one the monthly e-mail carries (``visitors/reports.py``)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from agencies.models import Municipality
from visitors.reports import monthly_workbook, status_line
from visitors.statistics import Period, Scope


class Command(BaseCommand):
    help = "Write the statistics workbook of one month (YYYY-MM) for every municipality or one."

    def add_arguments(self, parser):
        parser.add_argument("month", help="The month, e.g. 2026-11.")
        parser.add_argument("--municipality", help="A municipality's slug, e.g. mjolby. Default: all.")
        parser.add_argument("--publication", action="store_true", help="Hide counts below 5; no visit rows.")
        parser.add_argument("--out", required=True, help="The .xlsx file to write.")
        parser.add_argument(
            "--language", default=settings.LANGUAGE_CODE, choices=[c for c, _n in settings.LANGUAGES]
        )

    def handle(self, *args, month, municipality, publication, out, language, **options):
        try:
            period = Period.parse(month)
        except ValueError:
            raise CommandError(f"Write the month as YYYY-MM, e.g. 2026-11 (not {month!r}).") from None
        if period.kind != "month":
            raise CommandError(f"Write the month as YYYY-MM, e.g. 2026-11 (not {month!r}).")
        scope = Scope.all()
        if municipality:
            found = Municipality.objects.filter(slug=municipality).first()
            if found is None:
                slugs = ", ".join(Municipality.objects.values_list("slug", flat=True))
                raise CommandError(f"No municipality {municipality!r}. Choose one of: {slugs}.")
            scope = Scope.municipality(found.pk)
        with translation.override(language):
            report, workbook = monthly_workbook(scope, period, publication)
            _label, status = status_line(period)
        Path(out).write_bytes(workbook)
        visits = report.figure("visits").value
        self.stdout.write(self.style.SUCCESS(f"Wrote {out}: {period.code()}, {visits} visits. {status}"))
