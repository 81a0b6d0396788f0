"""The statistics exports: /staff/stats/export.csv (visit-level rows) and
/staff/stats/export.xlsx (the workbook), read back with Python's csv
module, openpyxl and LibreOffice, give the page's numbers; scope is kept
(with the users who must be refused); formulas never run; large workbooks
are built by a task and only their owner can download them."""

import csv
import datetime
import io
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from django.db import connection
from django.utils import translation

from tests import statistics_fixture as fx
from tests.conftest import skip_or_fail
from visitors import export_jobs, exports
from visitors.models import ExportJob, Visit
from visitors.statistics import SUPPRESSED, Filters, Period, Scope, build_report

pytestmark = pytest.mark.django_db
CSV_URL = "/staff/stats/export.csv"
XLSX_URL = "/staff/stats/export.xlsx"
NOVEMBER = {"period": "2026-11"}
LIBREOFFICE = shutil.which("libreoffice") or "/usr/bin/libreoffice"


@pytest.fixture
def world():
    return fx.build()


@pytest.fixture(autouse=True)
def export_root(settings, tmp_path):
    settings.STATS_EXPORT_ROOT = str(tmp_path / "exports")
    return Path(settings.STATS_EXPORT_ROOT)


def download(client, user, url, params=None, language="sv"):
    client.force_login(user)
    response = client.get(url, params or NOVEMBER, HTTP_ACCEPT_LANGUAGE=language)
    if hasattr(response, "streaming_content"):
        response.body = b"".join(response.streaming_content)
    else:
        response.body = response.content
    return response


def csv_rows(response, delimiter=";"):
    text = response.body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


def page_report(user_scope, language="sv", **kwargs):
    with translation.override(language):
        return build_report(user_scope, Period.month(2026, 11), **kwargs)


# --- CSV --------------------------------------------------------------------


def test_csv_is_utf8_with_a_bom_and_semicolons_in_swedish(client, world):
    response = download(client, world.users["anna"], CSV_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="e-serviceverkstad-2026-11.csv"'
    rows = csv_rows(response)
    assert rows[0][:4] == ["Besöksnummer", "Start", "Verksamhet", "Plats"]
    assert len(rows) == 1 + 16
    assert all(len(row) == len(exports.VISIT_COLUMNS) for row in rows)


def test_csv_in_english_uses_commas_and_english_labels(client, world):
    response = download(client, world.users["anna"], CSV_URL, language="en")
    rows = csv_rows(response, delimiter=",")
    assert rows[0][:3] == ["Visit number", "Start", "Agency"]
    v2 = next(row for row in rows if row[0] == str(world.visits["V2"].pk))
    assert v2[2] == "Childcare Mjölby"
    assert v2[11:13] == ["Referred to another agency", "Swedish Tax Agency"]


def test_csv_rows_are_anonymous_iso_dates_and_topics_in_one_cell(client, world):
    world.visits["V2"].note = "Behövde hjälp med BankID"
    world.visits["V2"].save()
    response = download(client, world.users["anna"], CSV_URL)
    rows = csv_rows(response)
    by_id = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    v2 = by_id[str(world.visits["V2"].pk)]
    assert v2 == {
        "Besöksnummer": str(world.visits["V2"].pk),
        "Start": "2026-11-05T14:20:00",
        "Verksamhet": "Barnomsorg Mjölby",
        "Plats": "Mjölby bibliotek",
        "Kommun": "Mjölby",
        "Typ av tillfälle": "Drop in",
        "Typ av hjälp": "Drop in",
        "Tid (minuter)": "15",
        "Antal personer": "2",
        "Ämnen": "BankID, Förskoleplats",
        "E-tjänster": "",
        "Resultat": "Hänvisad till en annan verksamhet",
        "Hänvisad till": "Skatteverket",
        "Språk som användes": "svenska",
        "Första besöket": "Ja",
        "Enhet": "Bibliotekets dator",
        "Ålder": "40–64",
    }
    text = response.body.decode()
    assert "Behövde hjälp" not in text and "logger" not in text.lower()
    # Outside the schedule: no format. Local Stockholm time, winter time.
    assert by_id[str(world.visits["V12"].pk)]["Start"] == "2026-11-01T10:15:00"
    assert by_id[str(world.visits["V12"].pk)]["Typ av tillfälle"] == ""
    # Oldest first.
    starts = [row[1] for row in rows[1:]]
    assert starts == sorted(starts)


def test_csv_read_back_gives_the_pages_numbers(client, world):
    rows = csv_rows(download(client, world.users["anna"], CSV_URL))
    header, body = rows[0], rows[1:]
    column = {name: header.index(name) for name in header}
    report = page_report(Scope.all())
    for slug, name in [("agency", "Verksamhet"), ("outcome", "Resultat"), ("language", "Språk som användes")]:
        visits, people = Counter(), Counter()
        for row in body:
            visits[row[column[name]]] += 1
            people[row[column[name]]] += int(row[column["Antal personer"]])
        table = report.table(slug)
        assert {row.label: tuple(row.values) for row in table.rows} == {
            label: (visits[label], people[label]) for label in visits
        }
    topics = Counter(topic for row in body for topic in filter(None, row[column["Ämnen"]].split(", ")))
    table = report.table("topic")
    assert {row.label: row.values[0] for row in table.rows if row.key != "none"} == dict(topics)
    assert len(body) == report.figure("visits").value
    assert sum(int(row[column["Antal personer"]]) for row in body) == report.figure("people").value


def test_csv_cells_that_look_like_formulas_get_an_apostrophe(client, world):
    agency = world.agencies["childcare"]
    agency.name = agency.name_en = '=HYPERLINK("http://example.org/x","klicka")'
    agency.save()
    topic = world.topics["preschool"]
    topic.name = topic.name_en = "+46 förskola"
    topic.save()
    world.venues["mjolby"].name = "@Mjölby; bibliotek"
    world.venues["mjolby"].save()
    for language, delimiter in (("sv", ";"), ("en", ",")):
        rows = csv_rows(download(client, world.users["anna"], CSV_URL, language=language), delimiter)
        v1 = next(row for row in rows if row[0] == str(world.visits["V1"].pk))
        assert v1[2] == "'" + agency.name
        assert v1[3] == "'@Mjölby; bibliotek"
        assert v1[9] == "'+46 förskola"
        assert not [cell for row in rows for cell in row if cell.startswith(exports.FORMULA_STARTS)]


def test_csv_is_the_same_text_from_copy_and_from_the_iterator(client, world):
    """On PostgreSQL the database writes the CSV; the rows must be exactly
    what the portable iterator writes, quoting included."""
    world.venues["mjolby"].name = 'Mjölby "stora" bibliotek; plan 2'
    world.venues["mjolby"].save()
    response = download(client, world.users["anna"], CSV_URL)
    visits = exports.visits_for_export(Scope.all(), Period.month(2026, 11), Filters())
    with translation.override("sv"):
        expected = io.StringIO()
        writer = csv.writer(expected, delimiter=";", lineterminator="\n")
        writer.writerow(exports.headers())
        for row in exports.visit_rows(visits):
            writer.writerow([exports._csv_text(value) for value in row])
    assert response.body.decode() == "\ufeff" + expected.getvalue()


def test_csv_has_no_visit_rows_for_publication(client, world):
    response = download(client, world.users["anna"], CSV_URL, {**NOVEMBER, "publication": "on"})
    assert response.status_code == 404
    assert "workbook" in response.body.decode() or "arbetsbok" in response.body.decode()


def test_csv_streams_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    client.force_login(world.users["anna"])
    response = client.get(CSV_URL, NOVEMBER)
    # Queries: session, user, memberships (scope); municipalities, venues and
    # agencies in scope (the form), before the first chunk; then PostgreSQL:
    # the languages used (the COPY bypasses Django's cursor, so it is not
    # counted); elsewhere: one chunk of visits, its topics and e-services.
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 3):
        b"".join(response.streaming_content)


# --- Scope --------------------------------------------------------------------


def visit_ids(response, delimiter=";"):
    return {int(row[0]) for row in csv_rows(response, delimiter)[1:]}


def test_a_kalmar_coordinator_never_gets_a_mjolby_visit(client, world):
    karin = world.users["karin"]
    ids = visit_ids(download(client, karin, CSV_URL))
    mjolby = set(Visit.objects.filter(venue__municipality__slug="mjolby").values_list("pk", flat=True))
    assert ids and not ids & mjolby
    assert ids == {world.visits[name].pk for name in ("V13", "V14", "V15", "V16")}
    response = download(client, karin, CSV_URL, {**NOVEMBER, "municipality": "mjolby"})
    assert response.status_code == 404
    book = openpyxl.load_workbook(io.BytesIO(download(client, karin, XLSX_URL).body), read_only=True)
    venues = {row[3] for row in book[book.sheetnames[-1]].iter_rows(min_row=2, values_only=True)}
    assert venues == {"Kalmar stadsbibliotek"}
    agencies = [row[0] for row in book["Verksamheter"].iter_rows(min_row=3, values_only=True)]
    assert "Barnomsorg Mjölby" not in agencies


def test_a_staff_member_gets_only_their_agencys_visits(client, world):
    ids = visit_ids(download(client, world.users["sofia"], CSV_URL))
    assert ids == {world.visits[name].pk for name in ("V1", "V2", "V3", "V4", "V11")}


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_a_user_without_a_role_is_refused_and_anonymous_users_log_in(client, world, url):
    client.force_login(world.users["olle"])
    assert client.get(url, NOVEMBER).status_code == 403
    client.logout()
    response = client.get(url, NOVEMBER)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_bad_input_gets_the_page_with_a_message(client, world, url):
    response = download(client, world.users["anna"], url, {"period": "2026-13"})
    assert response.status_code == 400
    assert "Skriv perioden" in response.body.decode()


# --- The workbook ---------------------------------------------------------------


def workbook(response):
    assert response.status_code == 200, response.body[:500]
    assert response["Content-Type"] == exports_xlsx_type()
    return openpyxl.load_workbook(io.BytesIO(response.body))


def exports_xlsx_type():
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_values(sheet):
    """{row label: [values]} of a table sheet (title in row 1, header in row 2)."""
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    return {row[0]: list(row[1:]) for row in rows if row and row[0] is not None and len(row) > 1}


def test_the_workbook_has_a_summary_a_sheet_per_table_and_the_visit_rows(client, world):
    book = workbook(download(client, world.users["anna"], XLSX_URL))
    report = page_report(Scope.all())
    assert book.sheetnames[0] == "Sammanfattning"
    assert book.sheetnames[-1] == "Besök"
    assert len(book.sheetnames) == 2 + len(report.all_tables())
    summary = book["Sammanfattning"]
    assert summary.freeze_panes == "A2"
    values = {row[0]: row[1:] for row in summary.iter_rows(values_only=True) if row and row[0]}
    assert values["Från"][0] == datetime.datetime(2026, 11, 1)
    assert values["Besök"][:4] == (16, 1, 15, 1)
    assert values["Personer som fick hjälp"][0] == 19


def test_every_table_sheet_has_the_pages_numbers_as_real_numbers(client, world):
    book = workbook(download(client, world.users["anna"], XLSX_URL))
    report = page_report(Scope.all())
    sheets = book.sheetnames[1:-1]
    for sheet_name, table in zip(sheets, report.all_tables(), strict=True):
        sheet = book[sheet_name]
        assert sheet["A1"].value == table.title
        assert [cell.value for cell in sheet[2]] == [table.row_header, *[c.label for c in table.columns]]
        assert sheet.freeze_panes == "B3"
        expected = {
            row.label: [None if v is None else float(v) for v in row.values]
            for row in table.rows + [table.totals]
        }
        found = {
            label: [None if v is None else float(v) for v in values]
            for label, values in sheet_values(sheet).items()
            if label in expected
        }
        assert found == expected, sheet_name
    staffed = book[sheets[[t.slug for t in report.all_tables()].index("staffed_series")]]
    assert isinstance(staffed["B3"].value, float) and staffed["B3"].number_format == "0.00"
    agencies = book["Verksamheter"]
    assert agencies["B3"].data_type == "n" and agencies["B3"].value == 10


def test_the_visit_sheet_has_dates_numbers_and_frozen_headers(client, world):
    book = workbook(download(client, world.users["anna"], XLSX_URL))
    sheet = book["Besök"]
    assert sheet.freeze_panes == "A2"
    assert [cell.value for cell in sheet[1]] == sv_headers()
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 16
    v1 = next(row for row in rows if row[0].value == world.visits["V1"].pk)
    assert v1[1].value == datetime.datetime(2026, 11, 5, 14, 5) and v1[1].is_date
    assert v1[7].data_type == "n" and v1[7].value == 15
    assert sheet.column_dimensions["C"].width == 30


def test_workbook_strings_that_look_like_formulas_stay_text(client, world):
    agency = world.agencies["childcare"]
    agency.name = "=1+1"
    agency.save()
    book = workbook(download(client, world.users["anna"], XLSX_URL))
    cell = next(row[2] for row in book["Besök"].iter_rows(min_row=2) if row[2].value == "=1+1")
    assert cell.data_type == "s" and cell.quotePrefix
    label = next(row[0] for row in book["Verksamheter"].iter_rows(min_row=3) if row[0].value == "=1+1")
    assert label.data_type == "s"


def test_visit_rows_past_the_sheet_limit_continue_on_another_sheet(client, world, monkeypatch):
    monkeypatch.setattr(exports, "MAX_SHEET_ROWS", 6)  # a header and 5 visits per sheet
    book = workbook(download(client, world.users["anna"], XLSX_URL))
    sheets = [name for name in book.sheetnames if name.startswith("Besök")]
    assert sheets == ["Besök", "Besök (2)", "Besök (3)", "Besök (4)"]
    counts = [len(list(book[name].iter_rows(min_row=2))) for name in sheets]
    assert counts == [5, 5, 5, 1]
    ids = [row[0] for name in sheets for row in book[name].iter_rows(min_row=2, values_only=True)]
    assert len(set(ids)) == 16
    assert all(book[name]["A1"].value == "Besöksnummer" for name in sheets)


def test_the_published_workbook_hides_small_counts_and_has_no_visit_rows(client, world):
    response = download(client, world.users["anna"], XLSX_URL, {**NOVEMBER, "publication": "on"})
    book = workbook(response)
    assert not [name for name in book.sheetnames if name.startswith("Besök")]
    values = [
        v for name in book.sheetnames[1:] for row in book[name].iter_rows(values_only=True) for v in row
    ]
    assert "<5" in values
    agencies = sheet_values(book["Verksamheter"])
    assert agencies["Kalmar medborgarservice"] == [str(SUPPRESSED), str(SUPPRESSED)]
    assert response["Content-Disposition"].endswith('2026-11-publication.xlsx"')


def libreoffice_csv(xlsx_bytes, tmp_path):
    """Every sheet of the workbook as CSV, converted by LibreOffice headless."""
    if not Path(LIBREOFFICE).exists():
        skip_or_fail(
            "LibreOffice not found (Debian: apt install libreoffice-calc-nogui)", "the LibreOffice check"
        )
    source = tmp_path / "report.xlsx"
    source.write_bytes(xlsx_bytes)
    # Filter options: comma, double quote, UTF-8, from row 1, …, and the
    # last one (-1) writes every sheet to its own file.
    options = "44,34,76,1,,0,false,true,false,false,false,-1"
    subprocess.run(
        [LIBREOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
         f"csv:Text - txt - csv (StarCalc):{options}", "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return {
        path.stem.removeprefix("report-"): list(csv.reader(path.open(encoding="utf-8")))
        for path in tmp_path.glob("report-*.csv")
    }


def test_libreoffice_reads_the_workbook_with_the_pages_numbers(client, world, tmp_path):
    world.agencies["childcare"].name = "=1+1"
    world.agencies["childcare"].save()
    response = download(client, world.users["anna"], XLSX_URL)
    sheets = libreoffice_csv(response.body, tmp_path)
    report = page_report(Scope.all())
    assert "Besök" in sheets and "Verksamheter" in sheets
    agencies = {row[0]: row[1:3] for row in sheets["Verksamheter"][2:] if row and row[0]}
    for row in report.table("agency").rows:
        assert agencies[row.label] == [str(v) for v in row.values]
    # The formula-like name is text, never computed to 2.
    assert "=1+1" in agencies
    visits = sheets["Besök"][1:]
    assert len(visits) == report.figure("visits").value
    assert sum(int(row[8]) for row in visits) == report.figure("people").value
    assert all(row[1].startswith("2026-11-") for row in visits)


# --- Large workbooks: a task and a download link --------------------------------


def test_a_large_workbook_is_built_by_a_task_for_the_user_who_asked(client, world, settings):
    settings.STATS_EXPORT_ASYNC_ROWS = 3
    anna = world.users["anna"]
    response = download(client, anna, XLSX_URL)
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/stats/exports/{job.pk}/"
    # Tests run tasks at once (Q_CLUSTER sync), so the file is ready.
    assert job.status == ExportJob.Status.READY and job.rows == 16
    page = client.get(response["Location"])
    assert f"/staff/stats/exports/{job.pk}/download/" in page.content.decode()
    file = client.get(f"/staff/stats/exports/{job.pk}/download/")
    assert file.status_code == 200
    assert file["Content-Disposition"] == 'attachment; filename="e-serviceverkstad-2026-11.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(b"".join(file.streaming_content)))
    assert len(list(book["Besök"].iter_rows(min_row=2))) == 16
    # Another user, even a project lead, gets a 404 for both pages.
    client.force_login(world.users["lena"])
    assert client.get(f"/staff/stats/exports/{job.pk}/").status_code == 404
    assert client.get(f"/staff/stats/exports/{job.pk}/download/").status_code == 404


def test_a_small_workbook_is_made_in_the_request(client, world, settings):
    settings.STATS_EXPORT_ASYNC_ROWS = 16
    response = download(client, world.users["anna"], XLSX_URL)
    assert response.status_code == 200 and not ExportJob.objects.exists()


def test_the_task_carries_only_the_jobs_id_and_the_job_no_personal_data(world, monkeypatch):
    queued = []
    monkeypatch.setattr(export_jobs, "async_task", lambda *args, **kwargs: queued.append((args, kwargs)))
    job = export_jobs.start_export(world.users["anna"], "period=2026-11", "sv")
    assert queued == [
        (("visitors.export_jobs.build_export", job.pk), {"task_name": f"export {job.pk}", "timeout": 1800})
    ]
    assert export_jobs.build_export(job.pk) is True
    assert export_jobs.build_export(job.pk) is False  # a second delivery does nothing


def test_a_task_for_a_user_who_lost_their_role_makes_no_file(world, monkeypatch):
    monkeypatch.setattr(export_jobs, "async_task", lambda *args, **kwargs: None)
    job = export_jobs.start_export(world.users["lena"], "period=2026-11", "sv")
    world.users["lena"].memberships.all().delete()
    assert export_jobs.build_export(job.pk) is False
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and not job.file_name


def test_old_export_files_are_deleted(client, world, settings, export_root):
    settings.STATS_EXPORT_ASYNC_ROWS = 3
    download(client, world.users["anna"], XLSX_URL)
    job = ExportJob.objects.get()
    path = export_root / job.file_name
    assert path.exists()
    later = job.created_at + export_jobs.KEEP + datetime.timedelta(minutes=1)
    assert export_jobs.delete_old(now=later) == 1
    assert not path.exists() and not ExportJob.objects.exists()


def sv_headers():
    with translation.override("sv"):
        return exports.headers()
