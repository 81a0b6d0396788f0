"""Password-reset mails are limited: a few an hour for one address, more for
one client address; over a limit the page says what it always says and
nothing is sent, so the form never tells whether an address has an account."""

import pytest
from django.contrib.auth.models import User

from eserviceverkstad.views import RESETS_PER_CLIENT, RESETS_PER_EMAIL

pytestmark = pytest.mark.django_db

SENT_PAGE = "/accounts/password-reset/sent/"


@pytest.fixture
def sofia():
    return User.objects.create_user("sofia", "sofia@mjolby.example", "rätt-lösenord-123")


def ask_for_reset(client, email, address="10.1.2.3"):
    return client.post("/accounts/password-reset/", {"email": email}, REMOTE_ADDR=address)


def test_one_address_gets_at_most_three_mails_an_hour(client, sofia, mailoutbox):
    assert RESETS_PER_EMAIL.limit == 3
    for _ in range(RESETS_PER_EMAIL.limit):
        assert ask_for_reset(client, "sofia@mjolby.example")["Location"] == SENT_PAGE
    assert len(mailoutbox) == RESETS_PER_EMAIL.limit
    # The same address written differently, from another connection.
    over = ask_for_reset(client, " Sofia@Mjolby.EXAMPLE ", address="10.9.9.9")
    assert over.status_code == 302
    assert over["Location"] == SENT_PAGE
    assert len(mailoutbox) == RESETS_PER_EMAIL.limit
    page = client.get(SENT_PAGE).content.decode()
    assert "Om adressen hör till ett konto för personal får du snart en länk" in page


def test_one_client_sends_at_most_ten_an_hour(client, sofia, mailoutbox):
    assert RESETS_PER_CLIENT.limit == 10
    for number in range(RESETS_PER_CLIENT.limit):
        assert ask_for_reset(client, f"gissning{number}@example.se")["Location"] == SENT_PAGE
    assert ask_for_reset(client, "sofia@mjolby.example")["Location"] == SENT_PAGE
    assert mailoutbox == []
    # Another connection is not affected.
    ask_for_reset(client, "sofia@mjolby.example", address="10.9.9.9")
    assert [mail.to for mail in mailoutbox] == [["sofia@mjolby.example"]]


def test_over_the_limit_an_unknown_address_gets_the_same_answer_as_a_known_one(client, sofia, mailoutbox):
    for _ in range(RESETS_PER_EMAIL.limit):
        ask_for_reset(client, "sofia@mjolby.example")
        ask_for_reset(client, "okand@example.se")
    known = ask_for_reset(client, "sofia@mjolby.example")
    unknown = ask_for_reset(client, "okand@example.se")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mailoutbox) == RESETS_PER_EMAIL.limit
