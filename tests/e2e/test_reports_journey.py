"""Browser journey: a team lead signs in with TOTP, opens the reports from the staff navigation,
the SVG charts render without console errors, a table downloads as CSV; the public reachability
page passes axe-core."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from buergerkontakt.walkin.models import Ticket as WalkInTicket
from tests.e2e.test_appointments_staff import KEY_HEX, sign_in
from tests.factories import build_org
from tests.reports import builders as b


def _history(org) -> None:
    now = timezone.now()
    q = b.queue(org.location)
    for days_ago in range(1, 8):
        day = timezone.localdate() - timedelta(days=days_ago)
        for i in range(6):
            b.walkin(q, day, wait=120 + 60 * i + 30 * days_ago, serve=300 + 20 * i)
        created = now - timedelta(days=days_ago, hours=2)
        for i in range(3):
            late = i == 2 and days_ago % 3 == 0
            b.callback(
                org.team,
                created,
                created + timedelta(hours=4),
                [created + timedelta(hours=6 if late else 1)],
                name=f"Karl Anrufer {days_ago}{i}",
            )
    b.walkin(q, timezone.localdate() - timedelta(days=1), wait=None, status=WalkInTicket.Status.MISSED)


def test_team_lead_reads_dashboard_downloads_csv_and_public_page_is_accessible(live_url, page, axe, tmp_path):
    org = build_org()
    _history(org)
    TOTPDevice.objects.create(user=org.users["teamlead"], name="App", key=KEY_HEX, confirmed=True)
    errors: list[str] = []
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" and "net::ERR_" not in msg.text else None,
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, live_url, "teamlead")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Berichte").click()
    expect(page.get_by_role("heading", name="Berichte und Kennzahlen", level=1)).to_be_visible()
    expect(page.get_by_text(re.compile(r"Zeitraum \d\d\.\d\d\.\d{4} bis"))).to_be_visible()

    # the charts are there, labelled, and drawn (bars / lines with a size)
    charts = page.locator("svg.chart[role=img]")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 6
    wait_chart = page.get_by_role("img", name="Wartezeit in Minuten (Median und p90)")
    expect(wait_chart).to_be_visible()
    assert wait_chart.locator("polyline").count() >= 1
    assert wait_chart.bounding_box()["width"] > 300
    expect(page.get_by_role("img", name="Fristtreue der Rückrufe in Prozent")).to_be_visible()
    expect(
        page.locator("#rueckrufe .kpi-tile").filter(has_text="Rückrufe innerhalb der Frist")
    ).to_contain_text("%")
    # only the own location is offered in the filter
    options = page.get_by_label("Standort").locator("option").all_inner_texts()
    assert options == ["alle Standorte", org.location.name]
    axe(page)

    # filter by the own team, then download the callback table
    page.get_by_label("Team").select_option(label=org.team.name)
    page.get_by_role("button", name="Anzeigen").click()
    expect(page).to_have_url(re.compile(r"team=\d+"))
    table = page.locator("#tabelle-rueckrufe")
    table.locator("summary").click()  # a long table starts folded
    with page.expect_download() as info:
        table.get_by_role("link", name=re.compile("CSV herunterladen")).click()
    download = info.value
    assert re.fullmatch(r"rueckrufe_\d{4}-\d\d-\d\d_\d{4}-\d\d-\d\d\.csv", download.suggested_filename)
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "Tag;Tickets;fristgerecht;Frist überschritten;Frist läuft noch;Fristtreue"
    assert sum(int(line.split(";")[1]) for line in lines[1:]) == 21
    assert not errors, errors

    # the public reachability page, as a citizen (no sign-in needed)
    citizen = page.context.browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    public = citizen.new_page()
    public.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    public.goto(f"{live_url}/standorte/{org.location.slug}/erreichbarkeit/")
    expect(public.get_by_role("heading", level=1)).to_contain_text(org.location.name)
    expect(public.locator(".promise").filter(has_text="Rückrufe innerhalb der Frist")).to_contain_text("%")
    expect(public.get_by_role("heading", name="Telefonisch direkt erreichbar")).to_be_visible()
    expect(public.get_by_text("Karl Anrufer")).to_have_count(0)
    axe(public)
    assert not errors, errors
    citizen.close()
