"""HEAD answers like GET, without a body, on every page one may GET: uptime
monitors and load balancers check pages with HEAD. The URL patterns are
walked through the permission table of test_url_permissions, so a new page
is checked here as soon as it has a rule there."""

import pytest

from tests.test_url_permissions import (
    COORDINATOR,
    OWN_OBJECT,
    PUBLIC,
    PUBLIC_REDIRECT,
    RULES,
    SITE_WIDE,
    STAFF,
    as_user,
    cast,  # noqa: F401 (a fixture)
    url_for,
)

pytestmark = pytest.mark.django_db

# Who asks: anyone for public pages; for staff pages someone let in, so the
# page itself answers (not the login redirect).
ASKED_BY = {
    PUBLIC: None,
    SITE_WIDE: None,
    PUBLIC_REDIRECT: None,
    STAFF: "sofia",
    OWN_OBJECT: "sofia",
    COORDINATOR: "lena",
}
GET_PAGES = sorted(name for name, rule in RULES.items() if rule in ASKED_BY)


def test_every_page_one_may_get_is_checked():
    assert len(GET_PAGES) >= 20
    assert {"schedule:home", "schedule:calendar_feed", "schedule:agency", "visitors:my_day"} <= set(GET_PAGES)


@pytest.mark.parametrize("name", GET_PAGES)
def test_head_answers_like_get_with_an_empty_body(client, cast, name):  # noqa: F811
    users, visit = cast
    url = url_for(name, visit)
    asker = ASKED_BY[RULES[name]]
    got = as_user(client, users.get(asker)).get(url)
    head = as_user(client, users.get(asker)).head(url)
    assert head.status_code == got.status_code, url
    # 400: the site-wide feed of several municipalities, listing theirs.
    assert head.status_code in (200, 302, 400, 404), url
    body = b"".join(head.streaming_content) if head.streaming else head.content
    assert body == b"", url
    assert head.get("Content-Type") == got.get("Content-Type"), url
