"""Browser journeys: a real uvicorn server process and Debian's Chromium via pytest-playwright.

The server runs the ASGI app in a subprocess against the *test* database, so it sees what a test
commits (tests use ``transactional_db``). Mails go to files in a temporary folder the tests read.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator

import pytest

from tests.liveserver import ROOT, LiveServer

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# Playwright's sync API runs an event loop in the test thread; the ORM calls in e2e tests are
# ordinary synchronous calls made between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.e2e


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def live_server_proc(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[LiveServer]:
    mail_dir = tmp_path_factory.mktemp("mail")
    server = LiveServer(mail_dir)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_url(live_server_proc, django_db_reset_sequences) -> str:
    """Base URL of the running server; the test's committed data is visible to it.

    Sequences are reset with each flush: the flush deletes the content types and creates them
    again, and the server process – one for the whole run – keeps Django's content-type cache.
    With reset sequences they come back with the same ids, so an audited save in the server
    (auditlog's entries point at their content type) never refers to a type that is gone.
    Because ids repeat, the server's cache is emptied, too (a public page cached for location 1
    by an earlier journey would be shown for the next test's location 1)."""
    live_server_proc.clear_cache()
    return live_server_proc.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # No CSP bypass: pages run under their real Content Security Policy, so a CSP violation
    # shows up as a console error. axe-core is evaluated through the DevTools protocol instead.
    return {**browser_context_args, "locale": "de-DE", "timezone_id": "Europe/Berlin"}


@functools.cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def check_accessibility(page, *, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (from npm) in the page; fail on violations of the given impacts."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', "
        "values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    bad = [v for v in result["violations"] if v["impact"] in impacts]
    assert not bad, json.dumps(
        [{"id": v["id"], "impact": v["impact"], "help": v["help"],
          "nodes": [n["target"] for n in v["nodes"][:5]]} for v in bad],
        indent=2, ensure_ascii=False,
    )
    return result["violations"]


@pytest.fixture
def axe():
    return check_accessibility


@pytest.fixture
def console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors
