"""Keeping visit logs anonymous: a free-text note must not identify anyone.

The note refuses a Swedish personal identity number (personnummer or
samordningsnummer, 10 or 12 digits, with or without '-' or '+', that passes
the Luhn check), an e-mail address, or a phone number."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Every dash people type or paste (hyphen, non-breaking hyphen, en and em
# dash, minus sign) counts as "-"; "(at)" and "[at]" count as "@".
DASHES = re.compile("[\u2010-\u2015\u2212\ufe63\uff0d]")
AT_WORD = re.compile(r"\s*[(\[]\s*at\s*[)\]]\s*|\s+@\s+", re.IGNORECASE)
# 6 or 8 digits of birth date, an optional separator (with spaces around
# it), 4 digits; not part of a longer number.
IDENTITY_NUMBER = re.compile(r"(?<!\d)(?:\d{2})?(\d{6})\s*[-+.]?\s*(\d{4})(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Swedish and international phone numbers: +46 or 0 followed by at least
# six more digits, with spaces, dashes, dots or slashes between them.
PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}|0)(?:\s*[-./]?\s*\(?\d\)?){6,12}(?!\d)")


def normalised(text):
    return AT_WORD.sub("@", DASHES.sub("-", text))


def luhn_valid(digits):
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def contains_identity_number(text):
    return any(luhn_valid(match[1] + match[2]) for match in IDENTITY_NUMBER.finditer(text))


def contains_email(text):
    return EMAIL.search(text) is not None


def contains_phone_number(text):
    return PHONE.search(text) is not None


def validate_anonymous(text):
    """Refuse text that could identify the resident, saying what was found."""
    if not text:
        return
    text = normalised(text)
    if contains_identity_number(text):
        raise ValidationError(
            _("Remove the personal identity number. Visit logs are anonymous."), code="identity_number"
        )
    if contains_email(text):
        raise ValidationError(_("Remove the e-mail address. Visit logs are anonymous."), code="email")
    if contains_phone_number(text):
        raise ValidationError(_("Remove the phone number. Visit logs are anonymous."), code="phone")
