"""One CSV mechanism: every download opens in German spreadsheets, is never cached, and no cell can
run as a formula (CSV injection: a name like "=HYPERLINK(…)" typed into a booking form)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from buergerkontakt.alarms import services as alarm_services
from buergerkontakt.core import spreadsheet


@pytest.mark.parametrize(("value", "cell"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+49 170 1234567", "'+49 170 1234567"),
    ("-Rm 1", "'-Rm 1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTab", "'\tTab"),
    ("Frau Müller", "Frau Müller"),
    ("-1,5", "-1,5"),          # a number stays a number
    ("-3", "-3"),
    (-3, "-3"),
    (None, ""),
    ("", ""),
])
def test_cells_never_start_a_formula(value, cell):
    assert spreadsheet.cell(value) == cell


def test_staff_download_is_excel_ready_and_not_cached():
    response = spreadsheet.download("liste.csv", ["Name", "Wert"], [["=1+1", "ä"], ["B", None]])
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    assert body[1:] == "Name;Wert\r\n'=1+1;ä\r\nB;\r\n"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == 'attachment; filename="liste.csv"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_open_data_is_plain_rfc4180():
    text = spreadsheet.open_data_text(["a", "b"], [["=x", 1], ["y", None]])
    assert text == "a,b\r\n'=x,1\r\ny,\r\n"


def test_alarm_timeline_export_uses_it(client, org, settings):
    """The alarm export holds staff names: before, it had no BOM, no CRLF and could be cached."""
    settings.REQUIRE_2FA = False
    alarm = alarm_services.raise_alarm(org.users["caseworker"], level=2)
    client.force_login(org.users["security"])
    response = client.get(reverse("alarms:export", args=[alarm.pk]))
    assert response.status_code == 200
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeffZeit;Ereignis;Person;Details\r\n")
    assert response["Cache-Control"] == "private, no-store"


def test_uploads_are_read_as_excel_writes_them():
    """Issue 26 (2026-12-04): the CSV import reads German Excel's semicolons with a BOM, commas, and
    Windows-1252; headers are trimmed and lower-cased, empty lines skipped, short rows padded."""
    excel = "\ufeffName ; E-Mail\r\nJürgen Groß;j@example.org\r\n;\r\nNur Name\r\n".encode()
    assert spreadsheet.read_rows(excel) == [{"name": "Jürgen Groß", "e-mail": "j@example.org"},
                                            {"name": "Nur Name", "e-mail": ""}]
    windows = "raum,art\nE.01,Büro\n".encode("cp1252")
    assert spreadsheet.read_rows(windows) == [{"raum": "E.01", "art": "Büro"}]
    assert spreadsheet.read_rows(b'a;b\n"x;y";2\n') == [{"a": "x;y", "b": "2"}]


@pytest.mark.parametrize("data", [b"", b"\n\n", b"a\n" + b"1\n" * 3])
def test_unreadable_uploads_say_why(data):
    with pytest.raises(spreadsheet.UploadError):
        spreadsheet.read_rows(data, max_rows=2)
