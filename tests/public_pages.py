"""Which UI strings residents meet: the one definition that the catalogues of
the residents' languages (ar, fa, so, ti, uk) are checked against.

A source is either a glob of files (every string in them is public) or
``path::Name`` for a class or function inside a Python file that also holds
staff code (``Name`` may be dotted, as in ``Booking.Meta``). The strings are
found by extracting the project with locations (makemessages in a copy of the
tree) and keeping each msgid with at least one location in a public source.

Staff pages (my day, visit log, statistics, admin, login) stay Swedish and
English only, so they are not listed here.
"""

import ast
import fnmatch
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

PUBLIC_SOURCES = [
    # Layout, the language switch and the error pages.
    "templates/base.html",
    "templates/language_switch.html",
    "templates/403.html",
    "templates/403_csrf.html",
    "templates/404.html",
    "templates/500.html",
    "templates/503.html",
    # Home, week page, help finder, agency and venue pages, try page, poster, lobby screen.
    "templates/sessions/*.html",
    # Accessibility statement with its report form, privacy.
    "templates/agencies/*.html",
    # Booking and waiting-list pages; the slip is printed for the resident to keep.
    "templates/visitors/booking/book.html",
    "templates/visitors/booking/_summary.html",
    "templates/visitors/booking/_what.html",
    "templates/visitors/booking/cancel.html",
    "templates/visitors/booking/closed.html",
    "templates/visitors/booking/done.html",
    "templates/visitors/booking/invalid_link.html",
    "templates/visitors/booking/offer.html",
    "templates/visitors/booking/slip.html",
    "templates/visitors/booking/waiting.html",
    "templates/visitors/booking/leave.html",
    "templates/visitors/_error_summary.html",
    "templates/visitors/_field.html",
    # The Python behind those pages: filters, help search, feed, poster, week titles.
    "sessions/views.py",
    "sessions/forms.py",
    "sessions/help_search.py",
    "sessions/calendar_feed.py",
    "sessions/poster.py",
    "sessions/weeks.py",
    "agencies/views.py",
    "agencies/forms.py",
    # Booking: refusals, mails and text messages to the resident, the forms.
    "visitors/booking.py",
    "visitors/booking_views.py::book",
    "visitors/booking_views.py::waiting_list_join",
    "visitors/booking_views.py::_try_to_wait",
    "visitors/booking_views.py::waiting_list_leave",
    "visitors/forms.py::BookingForm",
    "visitors/forms.py::WaitingListForm",
    # The CSRF failure page a resident meets after leaving a form open too long.
    "eserviceverkstad/views.py",
    # Choice labels the public pages show (kind of help, booking state, ...).
    "sessions/models.py::Format",
    "sessions/models.py::BookingState",
    "sessions/models.py::OccurrenceStatus",
    "agencies/models.py::AgencyKind",
    "agencies/models.py::TryItemKind",
]

# What `makemessages` leaves out (tests/test_translations.py gives the
# command): the same --ignore list, plus hidden folders and ones without UI
# strings; and the file kinds it reads for the "django" domain.
IGNORED_DIRS = {".venv", "var", "benchmarks", "tests", "locale", "__pycache__", "node_modules"}
SOURCE_SUFFIXES = {".py", ".html", ".txt"}
GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge", "msgattrib")


def missing_gettext_tools():
    return [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]


@cache
def _line_span(path, dotted_name):
    """First and last line of the class or function ``dotted_name`` in ``path``."""
    tree = ast.parse((BASE_DIR / path).read_text(encoding="utf-8"))
    body = tree.body
    node = None
    for part in dotted_name.split("."):
        kinds = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
        node = next((n for n in body if isinstance(n, kinds) and n.name == part), None)
        if node is None:
            raise LookupError(f"{path} has no {dotted_name} (named in tests/public_pages.py)")
        body = node.body
    return node.lineno, node.end_lineno


def is_public(filename, line):
    for source in PUBLIC_SOURCES:
        pattern, _, name = source.partition("::")
        if not fnmatch.fnmatch(filename, pattern):
            continue
        if not name:
            return True
        first, last = _line_span(filename, name)
        if line is not None and first <= line <= last:
            return True
    return False


def message_key(message):
    """The msgid, or (singular, plural) for a plural message."""
    return tuple(message.id) if message.pluralizable else message.id


def public_keys(catalogue_with_locations):
    return {
        message_key(message)
        for message in catalogue_with_locations
        if message.id and any(is_public(filename, line) for filename, line in message.locations)
    }


def copy_sources(destination):
    """The .py, .html and .txt files makemessages would read, in the same
    folders, so that it can run without touching the real locale/."""

    def ignore(folder, names):
        skipped = set()
        for name in names:
            path = Path(folder, name)
            if path.is_dir():
                if name in IGNORED_DIRS or name.startswith("."):
                    skipped.add(name)
            elif path.suffix not in SOURCE_SUFFIXES:
                skipped.add(name)
        return skipped

    shutil.copytree(BASE_DIR, destination, ignore=ignore, symlinks=True)
    (destination / "locale").mkdir()


def extract_with_locations(work_dir):
    """Run makemessages with locations in a copy of the tree (never in the
    real locale/, whose catalogues are kept without locations) and return the
    path of the catalogue it wrote."""
    project = Path(work_dir) / "project"
    result = makemessages_in_copy(project, "--no-wrap")
    if result.returncode != 0:
        raise RuntimeError(f"makemessages failed:\n{result.stdout}\n{result.stderr}")
    return project / "locale" / "sv" / "LC_MESSAGES" / "django.po"


def makemessages_in_copy(project, *options):
    """``makemessages -l sv --no-obsolete`` with ``options`` in a copy of
    the sources at ``project``; the finished process."""
    copy_sources(project)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "eserviceverkstad.settings", "DEBUG": "true"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "sv", "--no-obsolete", *options],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
