"""English translation: a complete catalogue, Accept-Language negotiation and the language switch."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from asgiref.local import Local
from django.conf import settings
from django.utils import translation
from django.utils.translation import trans_real

MESSAGES = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
PO_FILE = MESSAGES / "django.po"
MO_FILE = MESSAGES / "django.mo"

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|</?[a-zA-Z][^>]*>")


# --- a tiny .po reader (no polib) -------------------------------------------------------------
def _unquote(text: str) -> str:
    """The content of one quoted .po line, with gettext's C escapes resolved."""
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), text[1:-1])


def parse_po(path: Path) -> list[dict]:
    """Entries as dicts: msgid, msgid_plural, msgstr (list: one per plural form), flags, line."""
    entries: list[dict] = []
    entry: dict | None = None
    key: tuple[str, int] | None = None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#~"):  # obsolete entries are not part of the catalogue
            continue
        if not line:
            finish()
            entry, key = None, None
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}, "line": number}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif match := re.fullmatch(r'(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")', line):
            name, index, value = match.group(1), int(match.group(2) or 0), _unquote(match.group(3))
            if name == "msgstr":
                entry["msgstr"][index] = value
            else:
                entry[name] = value
            key = (name, index)
        elif line.startswith('"') and key is not None:
            name, index = key
            if name == "msgstr":
                entry["msgstr"][index] += _unquote(line)
            else:
                entry[name] += _unquote(line)
        else:
            raise AssertionError(f"{path.name}:{number}: cannot parse {raw!r}")
    finish()
    return entries


def _label(entry: dict) -> str:
    return f"line {entry['line']}: {entry['msgid']!r}"


# --- compiled catalogue -----------------------------------------------------------------------
def _reset_translation_cache() -> None:
    """Forget loaded catalogues and the active language, so the fresh .mo file is read."""
    trans_real._translations = {}
    trans_real._active = Local()
    trans_real._default = None
    translation.deactivate_all()


@pytest.fixture(scope="module", autouse=True)
def english_catalogue():
    """The .mo file is built at install time (git-ignored): compile it here when missing or stale."""
    if not MO_FILE.exists() or MO_FILE.stat().st_mtime < PO_FILE.stat().st_mtime:
        msgfmt = shutil.which("msgfmt")
        if msgfmt is None:
            pytest.skip("msgfmt (GNU gettext) is not installed; run `make install` first")
        # Write next to the target and rename, so parallel test runs never read half a file.
        fd, tmp = tempfile.mkstemp(dir=MESSAGES, prefix=".django-", suffix=".mo")
        os.close(fd)
        try:
            subprocess.run([msgfmt, "--check", "-o", tmp, str(PO_FILE)], check=True, capture_output=True)
            os.chmod(tmp, 0o644)
            os.replace(tmp, MO_FILE)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    _reset_translation_cache()
    yield
    _reset_translation_cache()


# --- (a) the catalogue is complete ------------------------------------------------------------
def test_catalogue_has_no_untranslated_or_fuzzy_entries():
    entries = parse_po(PO_FILE)
    messages = [e for e in entries if e["msgid"]]
    assert len(messages) > 100, "the English catalogue looks truncated"
    fuzzy = [_label(e) for e in entries if "fuzzy" in e["flags"]]
    empty = [_label(e) for e in messages if not e["msgstr"] or not all(e["msgstr"].values())]
    assert not fuzzy, "fuzzy entries – check the translation and remove the flag:\n" + "\n".join(fuzzy)
    assert not empty, "untranslated entries in locale/en/LC_MESSAGES/django.po:\n" + "\n".join(empty)


def test_every_marked_string_of_the_code_is_in_the_catalogue(tmp_path):
    """Extract all marked strings from a copy of the code (makemessages, also the .sms templates)
    and require that the committed catalogue already translates each of them."""
    from django.core.management import call_command

    package = PO_FILE.parents[3]
    copy = tmp_path / "buergerkontakt"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("*.mo", "__pycache__", "static", "vendor"))
    cwd = os.getcwd()
    os.chdir(copy)
    try:
        call_command("makemessages", locale=["en"], extensions=["html", "txt", "sms", "py"],
                     no_obsolete=True, verbosity=0)
    finally:
        os.chdir(cwd)
    extracted = parse_po(copy / "locale" / "en" / "LC_MESSAGES" / "django.po")
    missing = [_label(e) for e in extracted if e["msgid"] and (
        "fuzzy" in e["flags"] or not e["msgstr"] or not all(e["msgstr"].values()))]
    assert not missing, "marked in the code but not translated in django.po:\n" + "\n".join(missing)


def test_catalogue_keeps_placeholders_and_plural_forms():
    problems = []
    for entry in parse_po(PO_FILE):
        if not entry["msgid"]:
            continue
        if "msgid_plural" in entry and sorted(entry["msgstr"]) != [0, 1]:
            problems.append(f"{_label(entry)}: needs msgstr[0] and msgstr[1]")
        expected = sorted(PLACEHOLDER.findall(entry["msgid"]))
        for translated in entry["msgstr"].values():
            if sorted(PLACEHOLDER.findall(translated)) != expected:
                problems.append(f"{_label(entry)}: placeholders/tags differ in {translated!r}")
    assert not problems, "\n".join(problems)


def test_compiled_catalogue_is_used():
    with translation.override("en"):
        assert translation.gettext("Leistungen") == "Services"
        revoked = translation.ngettext("%(count)d Einwilligung widerrufen.",
                                       "%(count)d Einwilligungen widerrufen.", 2)
        assert revoked % {"count": 2} == "2 consents revoked."
    with translation.override("de"):
        assert translation.gettext("Leistungen") == "Leistungen"


# --- (b) Accept-Language ----------------------------------------------------------------------
def test_home_page_in_english_for_english_browsers(client, org):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert ">Services</a>" in html
    assert "How to reach your public office" in html
    assert "Leistungen" not in html


def test_home_page_in_german_for_german_browsers(client, org):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="de">' in html
    assert ">Leistungen</a>" in html
    assert "So erreichen Sie Ihre Behörde" in html
    assert ">Services</a>" not in html


# --- (c) the language switch ------------------------------------------------------------------
def test_language_switch_shows_english(client, org):
    assert ">Leistungen</a>" in client.get("/").content.decode()  # German is the default

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    html = client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()  # the choice beats the browser
    assert '<html lang="en">' in html
    assert ">Services</a>" in html

    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    assert ">Leistungen</a>" in client.get("/").content.decode()
