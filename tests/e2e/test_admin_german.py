"""The admin speaks German (issue 26, defect 8): Django's own strings that its German catalogue
lacks, third-party app headings, model names and constraint errors. A superuser walks the index, a
changelist with actions, a change form with selects and selector widgets, a delete page and the
password page; no English string of the list below may show – neither in the text nor in the
options, buttons, titles or placeholders."""

from __future__ import annotations

import json
import re

from django.contrib.auth.models import Group
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from buergerkontakt.core.models import Location, User
from tests.e2e.queue_helpers import KEY_HEX
from tests.factories import PASSWORD, build_org
from tests.liveserver import ROOT

SHOTS = ROOT / "test-results"

# Whole words or phrases of Django's and the third-party apps' English admin vocabulary.
ENGLISH = [
    "Select an option", "Run", "Go", "Choose all", "Remove all", "Choose", "Remove", "Available",
    "Chosen", "Type into this box", "Click to choose", "Delete", "Are you sure", "Yes, I’m sure",
    "No, take me back", "Reset password", "Set password", "Change password", "Password-based",
    "Enabled", "Disabled", "Raw passwords", "Save", "Save and", "History", "View site", "Log out",
    "Add", "Change", "Home", "Welcome", "Recent actions", "My actions", "None available", "Summary",
    "Objects", "Action", "selected", "Select all", "Clear selection", "Show counts", "Search",
    "By ", "All", "Yes", "No", "Unknown", "Today", "Now", "Date", "Time", "Close",
    "Toggle", "Start typing", "Skip to main content", "Breadcrumbs", "Authentication and Authorization",
    "Axes", "AXES", "Otp_Totp", "OTP_TOTP", "OTP_STATIC", "Otp_Static", "Auditlog", "AUDITLOG",
    "Django_Tasks_Db", "DJANGO_TASKS_DB", "Audit log", "Tasks Database Backend", "Task Result",
    "Task Results", "static device", "Access attempts", "Access failures", "Access logs",
    "TOTP devices", "static devices", "Log entries", "log entry", "Db task results", "Groups",
    "Permissions", "Users", "This field is required", "already exists", "Constraint", "Can add",
    "Can change", "Can delete", "Can view",
]
PATTERN = re.compile(r"(?<![\w-])(" + "|".join(re.escape(word) for word in ENGLISH) + r")(?![\w-])")


def visible_words(page) -> str:
    """The page's text as a person meets it: text, option labels, button values, titles,
    placeholders and aria-labels."""
    return page.evaluate("""() => {
        const parts = [document.title, document.body.innerText];
        for (const el of document.querySelectorAll('option, input[type=submit], input[type=button], '
                                                   + '[title], [placeholder], [aria-label]')) {
            parts.push(el.textContent || '', el.value && el.type !== 'hidden' && el.tagName === 'INPUT'
                       && /submit|button/.test(el.type) ? el.value : '',
                       el.getAttribute('title') || '', el.getAttribute('placeholder') || '',
                       el.getAttribute('aria-label') || '');
        }
        return parts.join('\\n');
    }""")


def english_in(page) -> list[str]:
    return sorted({match.group(1) for match in PATTERN.finditer(visible_words(page))})


def test_admin_is_german_for_a_superuser(live_url, page):
    org = build_org()
    root = User.objects.create_superuser("root", "root@example.org", PASSWORD, first_name="Ruth",
                                         last_name="Admin")
    TOTPDevice.objects.create(user=root, name="Authenticator-App", key=KEY_HEX, confirmed=True)
    group, __ = Group.objects.get_or_create(name="Leitstelle")
    location = Location.objects.get(pk=org.location.pk)
    SHOTS.mkdir(exist_ok=True)
    page.goto(live_url + "/admin/")
    page.get_by_label("Benutzername").fill("root")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_label("Passwort").press("Enter")
    page.get_by_label("Sicherheitscode").fill(f"{TOTP(bytes.fromhex(KEY_HEX)).token():06d}")
    page.get_by_label("Sicherheitscode").press("Enter")
    expect(page.locator("#site-name")).to_be_visible()
    pages = {
        "index": "/admin/",
        "changelist": "/admin/core/location/",
        "change": f"/admin/core/user/{root.pk}/change/",
        "add": "/admin/core/room/add/",
        "group": f"/admin/auth/group/{group.pk}/change/",
        "delete": f"/admin/core/location/{location.pk}/delete/",
        "password": f"/admin/core/user/{root.pk}/password/",
    }
    found = {}
    for name, path in pages.items():
        page.goto(live_url + path)
        expect(page.locator("#content")).to_be_visible()
        if name == "changelist":
            page.locator("input.action-select").first.check()
        page.screenshot(path=str(SHOTS / f"admin-{name}.png"), full_page=True)
        words = english_in(page)
        if words:
            found[name] = words
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)
