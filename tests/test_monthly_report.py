"""The monthly report: ``monthly_report`` writes the statistics workbook of
a month; the scheduled task e-mails each project lead and coordinator
their scope's workbook in their own language, preliminary on the 1st and
final on the 15th, never twice, with tasks that carry ids only."""

import datetime
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django_q.models import Schedule

from eserviceverkstad import mail
from sessions.models import STOCKHOLM
from tests import statistics_fixture as fx
from visitors import reports
from visitors.models import ReportKind, SentReport

pytestmark = pytest.mark.django_db
DECEMBER_1 = datetime.date(2026, 12, 1)
DECEMBER_15 = datetime.date(2026, 12, 15)


@pytest.fixture
def world():
    world = fx.build()
    for name in ("anna", "lena", "karin", "sofia", "olle"):
        user = world.users[name]
        user.email = f"{name}@example.org"
        user.save()
    return world


def visit_venues(workbook_bytes):
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes), read_only=True)
    return {row[3] for row in book["Besök"].iter_rows(min_row=2, values_only=True)}, book


def attachment(message):
    ((name, content, mimetype),) = message.attachments
    assert mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return name, content


def test_project_leads_and_coordinators_get_their_scopes_report_on_the_first(world, mailoutbox):
    assert reports.send_monthly_reports(ReportKind.PRELIMINARY, today=DECEMBER_1) == 3
    by_address = {message.to[0]: message for message in mailoutbox}
    # Staff and users without a role get none.
    assert sorted(by_address) == ["anna@example.org", "karin@example.org", "lena@example.org"]
    karin = by_address["karin@example.org"]
    assert karin.subject == "Besöksstatistik för november 2026: preliminära siffror"
    assert "kan rättas till och med 14 december 2026" in karin.body
    name, content = attachment(karin)
    assert name == "e-serviceverkstad-2026-11.xlsx"
    venues, book = visit_venues(content)
    assert venues == {"Kalmar stadsbibliotek"}  # never a Mjölby visit
    summary = {row[0]: row[1] for row in book["Sammanfattning"].iter_rows(values_only=True) if row}
    assert summary["Siffrorna"].startswith("Preliminära")
    assert summary["Besök"] == 4
    venues, _book = visit_venues(attachment(by_address["anna@example.org"])[1])
    assert venues == {"Mjölby bibliotek", "Kalmar stadsbibliotek"}
    assert SentReport.objects.filter(sent_at__isnull=False).count() == 3


def test_a_task_that_runs_twice_sends_nothing_twice(world, mailoutbox):
    reports.send_monthly_reports(ReportKind.PRELIMINARY, today=DECEMBER_1)
    assert reports.send_monthly_reports(ReportKind.PRELIMINARY, today=DECEMBER_1) == 0
    assert len(mailoutbox) == 3
    # The final figures on the 15th are another report.
    assert reports.send_monthly_reports(ReportKind.FINAL, today=DECEMBER_15) == 3
    finals = mailoutbox[3:]
    assert {message.subject for message in finals} == {"Besöksstatistik för november 2026: slutliga siffror"}
    assert "de slutliga siffrorna" in finals[0].body.lower()
    assert SentReport.objects.count() == 6


def test_each_recipient_gets_the_report_in_their_own_language(world, mailoutbox):
    world.users["karin"].memberships.update(language="en")
    reports.send_monthly_reports(ReportKind.FINAL, today=DECEMBER_15)
    karin = next(message for message in mailoutbox if message.to == ["karin@example.org"])
    assert karin.subject == "Visit statistics for November 2026: final figures"
    assert karin.body.startswith("Hello Karin,")
    book = openpyxl.load_workbook(io.BytesIO(attachment(karin)[1]), read_only=True)
    assert book.sheetnames[0] == "Summary" and "Visits" in book.sheetnames
    lena = next(message for message in mailoutbox if message.to == ["lena@example.org"])
    assert lena.body.startswith("Hej Lena!")


def test_the_mail_tasks_carry_ids_never_personal_data(world, monkeypatch):
    queued = []
    monkeypatch.setattr(mail, "async_task", lambda *args, **kwargs: queued.append((args, kwargs)))
    reports.send_monthly_reports(ReportKind.PRELIMINARY, today=DECEMBER_1)
    assert len(queued) == 3
    for args, kwargs in queued:
        func, build, *ids = args
        assert (func, build) == (
            "eserviceverkstad.mail.send_built_mail",
            "visitors.reports.build_report_mail",
        )
        assert [type(value) for value in ids] == [int]
        assert kwargs["on_sent"] == "visitors.reports.mark_sent"
        assert "@" not in repr((args, kwargs))


def test_a_recipient_who_lost_their_role_gets_nothing(world, mailoutbox, monkeypatch):
    monkeypatch.setattr(mail, "async_task", lambda *args, **kwargs: None)
    reports.send_monthly_reports(ReportKind.PRELIMINARY, today=DECEMBER_1)
    sent = SentReport.objects.get(user=world.users["lena"])
    world.users["lena"].memberships.all().delete()
    assert reports.build_report_mail(sent.pk) is None


def test_the_schedules_run_on_the_first_and_the_fifteenth_at_six_in_stockholm():
    schedules = {s.name: s for s in Schedule.objects.filter(func="visitors.reports.send_monthly_reports")}
    assert sorted(schedules) == ["monthly-report-final", "monthly-report-preliminary"]
    for name, day, kind in (
        ("monthly-report-preliminary", 1, "'preliminary'"),
        ("monthly-report-final", 15, "'final'"),
    ):
        schedule = schedules[name]
        local = schedule.next_run.astimezone(STOCKHOLM)
        assert (local.day, local.hour, local.minute) == (day, 6, 0)
        assert (schedule.schedule_type, schedule.repeats, schedule.args) == (Schedule.MONTHLY, -1, kind)


def test_the_command_writes_the_workbook_of_a_month(world, tmp_path):
    out = tmp_path / "report.xlsx"
    stdout = io.StringIO()
    call_command("monthly_report", "2026-11", "--out", str(out), stdout=stdout)
    assert "16 visits" in stdout.getvalue()
    venues, book = visit_venues(out.read_bytes())
    assert venues == {"Mjölby bibliotek", "Kalmar stadsbibliotek"}
    call_command("monthly_report", "2026-11", "--municipality", "kalmar", "--out", str(out), stdout=stdout)
    venues, _book = visit_venues(out.read_bytes())
    assert venues == {"Kalmar stadsbibliotek"}


def test_the_command_for_publication_has_no_visit_rows_and_hides_small_counts(world, tmp_path):
    out = tmp_path / "report.xlsx"
    call_command("monthly_report", "2026-11", "--publication", "--out", str(out), stdout=io.StringIO())
    book = openpyxl.load_workbook(out, read_only=True)
    assert "Besök" not in book.sheetnames
    agencies = {row[0]: row[1] for row in book["Verksamheter"].iter_rows(min_row=3, values_only=True) if row}
    assert agencies["Kalmar medborgarservice"] == "<5"


@pytest.mark.parametrize(
    ("args", "message"),
    [(["2026-13"], "YYYY-MM"), (["2026"], "YYYY-MM"), (["2026-11", "--municipality", "nowhere"], "mjolby")],
)
def test_the_command_explains_bad_input(world, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("monthly_report", *args, "--out", str(tmp_path / "x.xlsx"))


def test_figures_are_final_after_the_fourteenth():
    november = reports.previous_month(DECEMBER_1)
    assert november.code() == "2026-11"
    assert not reports.is_final(november, datetime.date(2026, 12, 14))
    assert reports.is_final(november, DECEMBER_15)
