"""Staff of a national agency see bookings only in the municipalities they
serve: Nils (Skatteverket, serving Kalmar) sees Kalmar's residents and
never Mjölby's; Greta (Skatteverket, serving nowhere yet) sees none."""

import datetime
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from agencies.models import AgencyLevel, Membership, Role
from agencies.permissions import agencies_for
from sessions.models import Format, Weekday
from tests import factories
from tests.booking_fixture import next_weekday
from visitors import booking as service

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    skatteverket = factories.agency("Skatteverket", level=AgencyLevel.NATIONAL, municipality=None)
    kalmar, mjolby = factories.municipality("Kalmar"), factories.municipality("Mjölby")
    occurrences = {}
    for town in (kalmar, mjolby):
        library = factories.venue(town, name=f"{town.name} bibliotek", slug=f"{town.slug}-bibliotek")
        day = next_weekday(Weekday.TUESDAY)
        slot = factories.slot(
            skatteverket, library, format=Format.LECTURE, weekday=Weekday.TUESDAY, first_date=day,
            start_time=datetime.time(13), end_time=datetime.time(14), capacity=10,
        )  # fmt: skip
        occurrence = slot.occurrences.get(date=day)
        service.book(
            occurrence.pk,
            service.BookingRequest(
                starts_at=occurrence.starts_at, name=f"Boende i {town.name}", phone="0701112233"
            ),
        )
        occurrences[f"in_{town.slug}"] = occurrence
    return {"skatteverket": skatteverket, "kalmar": kalmar, "mjolby": mjolby, **occurrences}


def grant(*args):
    out = StringIO()
    call_command("grant", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def seen_towns(user):
    return sorted(b.occurrence.slot.venue.municipality.name for b in service.bookings_for(user))


def test_national_staff_serving_kalmar_see_kalmars_bookings_and_never_mjolbys(world):
    nils = User.objects.create_user("nils")
    output = grant("staff", "nils", world["skatteverket"].slug, "--municipality", world["kalmar"].slug)
    assert "serving" in output
    assert seen_towns(nils) == ["Kalmar"]
    mjolby_lecture = world[f"in_{world['mjolby'].slug}"]
    assert not service.occurrences_bookable_by(nils).filter(pk=mjolby_lecture.pk).exists()


def test_national_staff_serving_no_municipality_see_no_bookings(world):
    greta = User.objects.create_user("greta")
    grant("staff", "greta", world["skatteverket"].slug)
    assert seen_towns(greta) == []


def test_national_staff_may_serve_several_municipalities_one_membership_each(world):
    nils = User.objects.create_user("nils")
    grant("staff", "nils", world["skatteverket"].slug, "--municipality", world["kalmar"].slug)
    grant("staff", "nils", world["skatteverket"].slug, "--municipality", world["mjolby"].slug)
    assert "nothing changed" in grant(
        "staff", "nils", world["skatteverket"].slug, "--municipality", world["mjolby"].slug
    )
    assert seen_towns(nils) == ["Kalmar", "Mjölby"]
    assert Membership.objects.filter(user=nils).count() == 2
    assert list(agencies_for(nils)) == [world["skatteverket"]]  # once, e.g. in the visit form


def test_only_staff_of_a_national_agency_name_a_municipality(world):
    User.objects.create_user("karin")
    kalmar_library = factories.agency("Kalmar bibliotek", municipality=world["kalmar"])
    with pytest.raises(CommandError):
        grant("staff", "karin", kalmar_library.slug, "--municipality", world["kalmar"].slug)
    with pytest.raises(CommandError):
        grant("coordinator", "karin", world["kalmar"].slug, "--municipality", world["kalmar"].slug)
    membership = Membership(
        user=User.objects.get(username="karin"),
        role=Role.STAFF,
        agency=kalmar_library,
        municipality=world["kalmar"],
    )
    with pytest.raises(ValidationError):
        membership.full_clean()
    assert not Membership.objects.exists()


def test_the_database_still_refuses_a_coordinator_with_an_agency(world):
    lena = User.objects.create_user("lena")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            user=lena, role=Role.COORDINATOR, municipality=world["kalmar"], agency=world["skatteverket"]
        )
