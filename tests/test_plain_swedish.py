"""Plain Swedish (klarspråk) on the public pages, measured with LIX, and no
visible text in a template outside the translation tags.

LIX (läsbarhetsindex) = words per sentence + the percentage of words longer
than six letters. It is measured on the prose of <main>: paragraphs and list
items, not navigation, form labels, tables, headings, dated entries (a block
with a <time>: "Wednesday 2 December 13.00–16.00, Mjölby library") or facts
in a description list (<dl>), and only blocks of four words or more:
a shorter one is a name or a label ("Skatteverket"), not a sentence. A
sentence ends at ".", "!", "?" or at the end of its block. Below 30 reads as very easy, 30-40 as easy
(newspapers for everyone), above 50 as officialese.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from sessions.models import Format, Occurrence
from sessions.weeks import IsoWeek

# The home page, the week page and the help finder are read most, by those
# who read Swedish least: they must be easier than the rest.
MOST_READ_MAX = 35
EVERY_PAGE_MAX = 40

PROSE = {"p", "li"}
SKIPPED = {
    "nav", "label", "legend", "select", "button", "table", "script", "style", "template", "time", "dl",
    "h1", "h2", "h3", "h4", "h5", "h6",
}  # fmt: skip
MIN_WORDS = 4
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")


class MainProse(HTMLParser):
    """The text of each paragraph and list item inside <main>, each block's
    own (a list inside a list item is its own blocks)."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack, self.blocks = [], []
        self.in_main = 0
        self.skipping = 0
        self.dated = set()

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        skip = tag in SKIPPED or "visually-hidden" in classes
        self.stack.append((tag, skip))
        if tag == "main":
            self.in_main += 1
        self.skipping += skip
        if tag in PROSE:
            self.blocks.append([])
        if tag == "time" and self.blocks:
            self.dated.add(len(self.blocks) - 1)

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, skip = self.stack.pop()
            self.skipping -= skip
            if open_tag == "main":
                self.in_main -= 1
            if open_tag in PROSE:
                self._close_block()
            if open_tag == tag:
                break

    def _close_block(self):
        # Text after a nested block belongs to the outer one again.
        self.blocks.append([])

    def handle_data(self, data):
        if self.in_main and not self.skipping and any(tag in PROSE for tag, _ in self.stack):
            self.blocks[-1].append(data)

    def texts(self):
        blocks = (block for i, block in enumerate(self.blocks) if i not in self.dated)
        texts = (" ".join("".join(block).split()) for block in blocks)
        return [text for text in texts if len(WORD.findall(text)) >= MIN_WORDS]


def lix(blocks):
    words = sentences = long_words = 0
    for block in blocks:
        for sentence in SENTENCE_END.split(block):
            found = WORD.findall(sentence)
            if found:
                sentences += 1
                words += len(found)
                long_words += sum(len(word) > 6 for word in found)
    assert words, "No prose found to measure."
    return words / sentences + 100 * long_words / words


def prose_of(html):
    parser = MainProse()
    parser.feed(html)
    return parser.texts()


def test_lix_tells_officialese_from_plain_swedish():
    officialese = (
        "<main><p>Kommunens förvaltningsorganisation tillhandahåller kostnadsfri vägledning avseende "
        "myndighetsgemensamma e-tjänstelösningar för medborgare som efterfrågar individanpassad "
        "introduktion till tillgängliggjorda självbetjäningsfunktioner inom offentlig sektor.</p></main>"
    )
    plain = (
        "<main><p>Du får gratis hjälp med e-tjänster. Kom till biblioteket. Du behöver inte boka tid."
        "</p><ul><li>Ta med mobilen.</li><li>Ta med ditt BankID om du har det.</li></ul></main>"
    )
    assert lix(prose_of(officialese)) > 60
    assert lix(prose_of(plain)) < 30


def test_lix_counts_only_the_prose_of_main():
    html = (
        "<nav><p>Hoppa förbi navigeringsmenyn här och nu</p></nav><main><h2>En lång rubrik här</h2>"
        "<p>Kom hit med mobilen.</p><p>Skatteverket</p>"
        "<form><p><label>Formulärinstruktionerna ignoreras helt och hållet</label></p></form>"
        "<table><tr><td><p>Tabellinnehållet ignoreras helt och hållet</p></td></tr></table></main>"
    )
    assert prose_of(html) == ["Kom hit med mobilen."]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", force=True, verbosity=0)
        yield
        transaction.set_rollback(True)


def booking_page():
    booked = (
        Occurrence.objects.filter(slot__format=Format.BOOKED, starts_at__gt=timezone.now())
        .order_by("starts_at")
        .first()
    )
    return f"/book/{booked.pk}/"


def public_pages():
    week = IsoWeek.containing(timezone.localdate())
    # The demo has two municipalities: / asks where one lives, and the week
    # page and the help finder are the municipality's own.
    return {
        "/": MOST_READ_MAX,
        "/mjolby/": MOST_READ_MAX,
        f"/mjolby/schedule/{week}/": MOST_READ_MAX,
        "/mjolby/help/": MOST_READ_MAX,
        "/mjolby/help/?q=bankid": MOST_READ_MAX,
        "/agencies/": EVERY_PAGE_MAX,
        "/agencies/skatteverket/": EVERY_PAGE_MAX,
        "/venues/mjolby-bibliotek/": EVERY_PAGE_MAX,
        "/try/": EVERY_PAGE_MAX,
        "/accessibility/": EVERY_PAGE_MAX,
        "/privacy/": EVERY_PAGE_MAX,
    }


@pytest.mark.django_db
def test_every_public_page_is_plain_swedish(client, demo):
    pages = {**public_pages(), booking_page(): EVERY_PAGE_MAX}
    measured = {}
    for url in pages:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="sv")
        assert response.status_code == 200, url
        measured[url] = round(lix(prose_of(response.content.decode())), 1)
    too_hard = {url: value for url, value in measured.items() if value > pages[url]}
    assert not too_hard, f"LIX above the limit (at most {pages}): {too_hard}; all: {measured}"


# --- No visible text outside {% translate %} / {% blocktranslate %} ---

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Text that is no word of any language: symbols, and the names of file
# formats. (The language switch's names come from LANG_INFO, not a template.)
ALLOWED = {
    "–",
    "·",
    "→",
    "←",
    "×",
    "*",
    ":",
    ",",
    ".",
    "(",
    ")",
    "|",
    "/",
    "&nbsp;",
    "&amp;",
    "&times;",
    "CSV",
    "JSON",
}
TAG_OR_BLOCK = re.compile(
    r"{%\s*(blocktranslate|blocktrans)\b.*?{%\s*end(blocktranslate|blocktrans)\s*%}|{%.*?%}|{{.*?}}|{#.*?#}",
    re.S,
)


class VisibleText(HTMLParser):
    INVISIBLE = {"script", "style"}

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.found, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in self.INVISIBLE

    def handle_endtag(self, tag):
        self.hidden -= tag in self.INVISIBLE

    def handle_data(self, data):
        text = data.strip()
        if text and not self.hidden:
            self.found.append(text)


def untranslated_text(source):
    parser = VisibleText()
    parser.feed(TAG_OR_BLOCK.sub(" ", COMMENT.sub(" ", source)))
    words = []
    for text in parser.found:
        leftover = " ".join(part for part in text.split() if part not in ALLOWED)
        if WORD.search(leftover):
            words.append(leftover)
    return words


# The 500 page is rendered without the translation machinery (it must work
# when everything else fails), so it is written in Swedish and English by hand.
NOT_SCANNED = {"500.html"}
COMMENT = re.compile(
    r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{%\s*block bodyclass\s*%}.*?{%\s*endblock\s*%}", re.S
)


def test_untranslated_text_is_found_by_the_scan():
    assert untranslated_text("<p>{% translate 'Hello' %} Hej</p>") == ["Hej"]
    assert untranslated_text("<p>{% blocktranslate %}Hej {{ name }}{% endblocktranslate %} – </p>") == []


def test_no_template_holds_visible_text_outside_the_translation_tags():
    found = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = str(path.relative_to(TEMPLATES))
        if name in NOT_SCANNED:
            continue
        words = untranslated_text(path.read_text())
        if words:
            found[name] = words
    assert not found, f"Text outside {{% translate %}}: {found}"
