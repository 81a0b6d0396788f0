"""Visit notes refuse what could identify a resident, and only that."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from visitors.anonymity import luhn_valid, validate_anonymous


def with_check_digit(nine):
    return next(nine + str(d) for d in range(10) if luhn_valid(nine + str(d)))


@pytest.mark.parametrize(
    "text",
    [
        "811228-9874",
        "8112289874",
        "19811228-9874",
        "198112289874",
        "811228+9874",  # over a hundred years old
        "pnr 811228 9874 stämde inte",
        "Hon skrev anna.svensson@example.se",
        "mejl: per@kommun.mjolby.se",
        "070-123 45 67",
        "0701234567",
        "+46 70 123 45 67",
        "ring 013-12 34 56",
        "811228\u20139874",  # en dash, as a phone keyboard or a copied text gives
        "811228\u20119874",  # non-breaking hyphen
        "811228 - 9874",
        "811228.9874",
        "070.123.45.67",
        "070/123 45 67",
        "070 \u2013 123 45 67",
        "anna(at)example.se",
        "anna [at] example.se",
        "anna @ example.se",
    ],
)
def test_identifying_details_are_refused(text):
    with pytest.raises(ValidationError):
        validate_anonymous(text)


@pytest.mark.parametrize(
    "text",
    [
        "Hjälp att tacka ja till förskoleplats, visade webbläsarens översättning",
        "811228-9875",  # fails the Luhn check: not an identity number
        "Ärendenummer 2026-1234",
        "Kom kl 14:15, stannade 45 min",
        "Deklaration för 2025, 3 personer",
        "BankID på mobilen, version 7.2",
        "",
    ],
)
def test_ordinary_notes_pass(text):
    validate_anonymous(text)


@given(st.from_regex(r"[0-9]{9}", fullmatch=True), st.sampled_from(["", "-", "+"]), st.booleans())
def test_every_luhn_valid_identity_number_is_refused(nine, separator, with_century):
    number = with_check_digit(nine)
    text = ("19" if with_century else "") + number[:6] + separator + number[6:]
    with pytest.raises(ValidationError):
        validate_anonymous(f"Besökaren sa {text} högt")


def test_messages_say_what_to_remove():
    with pytest.raises(ValidationError) as error:
        validate_anonymous("811228-9874")
    assert error.value.code == "identity_number"
