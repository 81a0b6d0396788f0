"""Shared fixtures. The browser ones drive Debian's Chromium through the
Playwright Python package (never ``playwright install``: no browser is
downloaded) and check pages with the axe-core copy that the PyPI package
axe-playwright-python ships, read from disk."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an asyncio loop in this thread, and Django then
# refuses ORM calls from it (SynchronousOnlyOperation) in tests that both
# seed data and drive the browser. The tests are synchronous, so it is safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# What the issue asks for: WCAG 2.1 A and AA, plus axe's best practices
# (landmarks, one h1, heading order) that screen reader users rely on.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def in_ci():
    return os.environ.get("CI", "").lower() == "true"


def skip_or_fail(missing, what):
    """Outside CI a missing tool skips with the reason; in CI it is an error,
    so CI can never pass without having run the test."""
    if in_ci():
        pytest.fail(f"{missing}, and CI=true requires {what}.", pytrace=False)
    pytest.skip(f"{missing}, skipping {what}.")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        skip_or_fail(f"Chromium not found at {CHROMIUM} (Debian: apt install chromium)", "the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageProblems:
    """What the browser complained about while a page was open: console
    errors (this is where Chromium reports Content-Security-Policy
    violations), uncaught script errors, images, styles or scripts that
    failed to load (with their URL, which the console message lacks), and
    requests to any host other than the server under test."""

    def __init__(self, page, allowed_host=None):
        self.console_errors = []
        self.page_errors = []
        self.failed_loads = []
        self.foreign_requests = []
        self.allowed_host = allowed_host
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("request", self._on_request)
        page.on("response", self._on_response)

    def _on_console(self, message):
        # "Failed to load resource" lacks the URL and also fires for a page
        # that is a 404 on purpose; failed_loads reports loads better.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    def _on_response(self, response):
        # The page itself may be a 404 on purpose; the test checks its status.
        # A script's fetch reads its answer (the offline queue's 400 is the
        # form's errors): only files the page needed count as failed loads.
        if response.status >= 400 and response.request.resource_type not in ("document", "fetch", "xhr"):
            self.failed_loads.append(f"{response.status} {response.url}")

    def _on_request(self, request):
        host = urlsplit(request.url).hostname
        if self.allowed_host and host and host != self.allowed_host:
            self.foreign_requests.append(request.url)

    def all(self):
        return (
            [f"console error: {text}" for text in self.console_errors]
            + [f"script error: {text}" for text in self.page_errors]
            + [f"failed to load: {text}" for text in self.failed_loads]
            + [f"request to another host: {url}" for url in self.foreign_requests]
        )


@pytest.fixture
def new_page(browser):
    """Make a page in a fresh browser context (own cookies):
    ``new_page(base_url=live_server.url, language="en", width=360)``.
    ``page.problems`` collects console errors from the first request on."""
    contexts = []

    def make(base_url=None, language=None, width=None, height=800):
        options = {"viewport": {"width": width, "height": height}} if width else {}
        context = browser.new_context(base_url=base_url, **options)
        contexts.append(context)
        if language:
            # Django's LocaleMiddleware reads this cookie first (set_language sets it).
            context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])
        page = context.new_page()
        page.problems = PageProblems(page, urlsplit(base_url).hostname if base_url else None)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page, live_server):
    """A page in a fresh context with the default viewport, whose relative
    URLs go to the live server: ``page.goto("/schedule/")``."""
    return new_page(base_url=live_server.url)


class Axe:
    """``axe(page)`` runs axe-core on the loaded page and returns its
    violations (a list of dicts, empty when the page passes);
    ``axe.report(violations)`` turns them into readable text.

    Our pages forbid inline scripts by CSP, so axe cannot be added as a
    <script> element. ``page.evaluate`` runs the source through the DevTools
    protocol, which CSP does not apply to, so the page keeps its real CSP
    and the test still sees the page's own CSP violations."""

    def __init__(self, source):
        self.source = source

    def __call__(self, page, tags=None):
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.source)
        options = {"runOnly": {"type": "tag", "values": tags or AXE_TAGS}, "resultTypes": ["violations"]}
        results = page.evaluate("options => window.axe.run(document, options)", options)
        return results["violations"]

    @staticmethod
    def report(violations):
        """Rule, impact, help link, and each offending element with axe's
        explanation of what to fix."""
        lines = []
        for violation in violations:
            lines.append(
                f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})"
            )
            for node in violation["nodes"]:
                lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html'][:200]}")
                summary = (node.get("failureSummary") or "").replace("\n", "\n        ")
                if summary:
                    lines.append(f"        {summary}")
        return "\n".join(lines)


@pytest.fixture(scope="session")
def axe():
    import axe_playwright_python

    source = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
    return Axe(source)
