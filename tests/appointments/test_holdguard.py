"""Issue 20 item 6: bots held most of an office's online starts. One client (address) may have at
most HOLD_MAX_PER_CLIENT open holds, whatever proof of work it solves; a browser holds one time at
a time; a first hold is short and the details form extends it; the proof of work gets dearer with
a client's challenges and with overall demand. Real views, real database."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import altcha
import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from buergerkontakt.appointments import availability_cache, citizen, holdguard
from buergerkontakt.appointments.models import Appointment

from .builders import at, build_office
from .test_concurrency import assert_capacity_invariant, race

NOW = at(2026, 6, 5, 10)  # Friday before the reference week
EIGHT = at(2026, 6, 8, 8)
Status = Appointment.Status
CAP_MESSAGE = "bereits mehrere Termine reserviert"


@pytest.fixture(autouse=True)
def _clean(settings):
    settings.ALTCHA_ENABLED = True
    settings.ALTCHA_COST = 20
    settings.HOLD_MAX_PER_CLIENT = 3
    settings.HOLD_FIRST_MINUTES = 3
    cache.clear()
    availability_cache.clear_local()
    yield
    cache.clear()
    availability_cache.clear_local()


@pytest.fixture
def office(db):
    return build_office()


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def solved(client: Client, path: str = "/api/appointments/challenge") -> str:
    parsed = altcha.Challenge.from_dict(client.get(path).json())
    return altcha.Payload(parsed, altcha.solve_challenge(parsed)).to_base64()


def api_hold(client: Client, office, start):
    body = {"services": [office.short.slug], "location": office.location.slug, "start": start.isoformat(),
            "altcha": solved(client)}
    return client.post("/api/appointments/hold", body, content_type="application/json")


def starts(n: int):
    return [EIGHT + timedelta(minutes=15 * i) for i in range(n)]


# --- the cap --------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_one_client_cannot_hold_more_than_the_cap_whatever_it_solves(office, frozen):
    bot = Client(REMOTE_ADDR="203.0.113.50")
    statuses = [api_hold(bot, office, start).status_code for start in starts(8)]
    assert statuses == [201, 201, 201, 429, 429, 429, 429, 429]
    refused = api_hold(bot, office, EIGHT + timedelta(hours=2))
    assert refused.status_code == 429 and CAP_MESSAGE in refused.json()["detail"]
    assert Appointment.objects.filter(status=Status.HELD).count() == 3
    # another address is not affected
    assert api_hold(Client(REMOTE_ADDR="203.0.113.51"), office, EIGHT + timedelta(hours=3)).status_code == 201
    assert_capacity_invariant()


@pytest.mark.django_db
def test_the_cap_counts_open_holds_only(office, frozen):
    client = Client(REMOTE_ADDR="203.0.113.60")
    held = [api_hold(client, office, start).json() for start in starts(3)]
    assert api_hold(client, office, EIGHT + timedelta(hours=1)).status_code == 429
    # a completed booking no longer counts
    body = {"code": held[0]["code"], "token": held[0]["token"], "name": "Erika Mustermann",
            "email": "erika@example.org"}
    booked = client.post("/api/appointments/book", body, content_type="application/json")
    assert booked.status_code == 200 and booked.json()["status"] == Status.CONFIRMED
    # the hashes are only kept while the hold is open
    assert Appointment.objects.filter(code=held[0]["code"], holder="", holder_browser="").exists()
    assert api_hold(client, office, EIGHT + timedelta(hours=1)).status_code == 201
    # expired holds no longer count (the first hold is short: all three have ended)
    frozen.shift(timedelta(minutes=4))
    assert [api_hold(client, office, start).status_code
            for start in starts(7)[3:]] == [201, 201, 201, 429]


@pytest.mark.django_db
def test_the_page_refuses_with_a_german_message_beyond_the_cap(office, frozen):
    def page_hold(client: Client, start):
        return client.post("/termine/zeit/", {
            "service": office.short.slug, "location": office.location.slug, "day": "2026-06-08",
            "start": start.isoformat(), "altcha": solved(client, "/termine/altcha/")})

    # three browsers (each a fresh cookie jar) behind one address, then a fourth
    answers = [page_hold(Client(REMOTE_ADDR="203.0.113.70"), start) for start in starts(4)]
    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    assert CAP_MESSAGE in answers[3].content.decode()


@pytest.mark.django_db
def test_a_browser_holds_one_time_at_a_time(office, frozen):
    """The honest citizen who goes back and picks another time never runs into the cap."""
    browser = Client(REMOTE_ADDR="203.0.113.80")
    for start in starts(6):
        answer = browser.post("/termine/zeit/", {
            "service": office.short.slug, "location": office.location.slug, "day": "2026-06-08",
            "start": start.isoformat(), "altcha": solved(browser, "/termine/altcha/")})
        assert answer.status_code == 302, answer.content.decode()[:300]
    open_holds = Appointment.objects.filter(status=Status.HELD, hold_expires_at__gt=NOW)
    assert [a.start for a in open_holds] == [starts(6)[-1]]
    assert browser.cookies[holdguard.BROWSER_COOKIE]["httponly"]
    # the ended holds' capacity is claimed by the next hold on their units, as after any expiry
    other = Client(REMOTE_ADDR="203.0.113.81")
    assert api_hold(other, office, EIGHT).status_code == 201
    assert_capacity_invariant()


@pytest.mark.django_db
def test_a_refused_new_hold_leaves_the_browsers_previous_one(office, frozen):
    """Going back and choosing a time that was taken meanwhile must not cost the time one has."""
    from buergerkontakt.appointments.services import SlotUnavailable

    browser = Client(REMOTE_ADDR="203.0.113.85")

    def page_hold(start):
        return browser.post("/termine/zeit/", {
            "service": office.short.slug, "location": office.location.slug, "day": "2026-06-08",
            "start": start.isoformat(), "altcha": solved(browser, "/termine/altcha/")})

    assert page_hold(EIGHT).status_code == 302
    taken = EIGHT + timedelta(hours=1)
    with pytest.raises(SlotUnavailable):  # taken by others, up to the online capacity
        for i in range(5):
            office.book(taken, now=NOW, email=f"person{i}@example.org")
    assert page_hold(taken).status_code == 409
    mine = Appointment.objects.get(start=EIGHT)
    assert mine.status == Status.HELD and mine.hold_expires_at > NOW
    # behind the same address the browser's own hold does not count against the cap
    for start in starts(3)[1:]:
        assert api_hold(Client(REMOTE_ADDR="203.0.113.85"), office, start).status_code == 201
    assert page_hold(EIGHT + timedelta(hours=2)).status_code == 302


def test_no_address_or_cookie_in_clear(office, frozen):
    client = Client(REMOTE_ADDR="203.0.113.90")
    client.post("/termine/zeit/", {"service": office.short.slug, "location": office.location.slug,
                                   "day": "2026-06-08", "start": EIGHT.isoformat(),
                                   "altcha": solved(client, "/termine/altcha/")})
    held = Appointment.objects.get()
    cookie = client.cookies[holdguard.BROWSER_COOKIE].value
    assert held.holder and "203.0.113" not in held.holder
    assert held.holder_browser and cookie not in held.holder_browser


# --- short first hold, extended by activity ---------------------------------------------------------------
@pytest.mark.django_db
def test_a_first_hold_is_short_and_the_details_form_extends_it(office, frozen):
    client = Client(REMOTE_ADDR="203.0.113.100")
    answer = client.post("/termine/zeit/", {"service": office.short.slug, "location": office.location.slug,
                                            "day": "2026-06-08", "start": EIGHT.isoformat(),
                                            "altcha": solved(client, "/termine/altcha/")})
    held = Appointment.objects.get()
    assert held.hold_expires_at == NOW + timedelta(minutes=3)
    frozen.shift(timedelta(minutes=2))
    assert client.get(answer["Location"]).status_code == 200  # the citizen at the form
    held.refresh_from_db()
    assert held.hold_expires_at == NOW + timedelta(minutes=office.group.hold_minutes)
    # opening it again changes nothing: once per hold, counted from its beginning
    client.get(answer["Location"])
    held.refresh_from_db()
    assert held.hold_expires_at == NOW + timedelta(minutes=office.group.hold_minutes)


@pytest.mark.django_db
def test_an_unattended_hold_ends_after_the_short_time_and_is_not_revived(office, frozen):
    client = Client(REMOTE_ADDR="203.0.113.110")
    answer = client.post("/termine/zeit/", {"service": office.short.slug, "location": office.location.slug,
                                            "day": "2026-06-08", "start": EIGHT.isoformat(),
                                            "altcha": solved(client, "/termine/altcha/")})
    frozen.shift(timedelta(minutes=3, seconds=1))
    page = client.get(answer["Location"])
    assert page.status_code == 410
    held = Appointment.objects.get()
    assert held.hold_expires_at == NOW + timedelta(minutes=3)
    # the time is free again for somebody else
    assert api_hold(Client(REMOTE_ADDR="203.0.113.111"), office, EIGHT).status_code == 201


@pytest.mark.django_db
def test_the_api_extends_on_the_next_step(office, frozen):
    client = Client(REMOTE_ADDR="203.0.113.120")
    held = api_hold(client, office, EIGHT).json()
    assert datetime.fromisoformat(held["hold_expires_at"]) == NOW + timedelta(minutes=3)
    looked = client.get(f"/api/appointments/booking/{held['code']}", {"token": held["token"]}).json()
    assert datetime.fromisoformat(looked["hold_expires_at"]) == NOW + timedelta(minutes=10)


# --- proof of work that gets dearer ------------------------------------------------------------------------
def cost(client: Client) -> int:
    return client.get("/api/appointments/challenge").json()["parameters"]["cost"]


@pytest.mark.django_db
def test_the_proof_of_work_gets_dearer_per_client(settings, frozen):
    settings.ALTCHA_FREE_CHALLENGES = 3
    settings.ALTCHA_COST_MAX = 20 * 8
    bot = Client(REMOTE_ADDR="203.0.113.130")
    costs = [cost(bot) for _ in range(13)]
    assert costs == [20] * 3 + [40] * 3 + [80] * 3 + [160] * 4  # doubled per batch, capped
    assert cost(Client(REMOTE_ADDR="203.0.113.131")) == 20  # another client pays the base
    frozen.shift(timedelta(seconds=settings.ALTCHA_WINDOW_SECONDS))
    assert cost(bot) == 20  # the next window starts afresh


@pytest.mark.django_db
def test_the_proof_of_work_gets_dearer_at_a_release_peak(settings, frozen):
    settings.ALTCHA_BUSY_PER_MINUTE = 5
    costs = [cost(Client(REMOTE_ADDR=f"198.51.100.{i}")) for i in range(8)]
    assert costs == [20] * 5 + [40] * 3
    # and the dearer challenge still verifies
    client = Client(REMOTE_ADDR="198.51.100.99")
    parsed = altcha.Challenge.from_dict(client.get("/api/appointments/challenge").json())
    assert parsed.parameters.cost == 40
    from buergerkontakt.core.altcha import verify_payload

    assert verify_payload(altcha.Payload(parsed, altcha.solve_challenge(parsed)).to_base64())


# --- the cap under concurrency (PostgreSQL) ---------------------------------------------------------------
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("threads", [pytest.param(24, marks=pytest.mark.skipif(
    not ON_POSTGRES, reason="DATABASE_URL is not PostgreSQL")), 6])
def test_parallel_holds_of_one_client_stay_within_the_cap(settings, threads):
    settings.ALTCHA_ENABLED = False
    office = build_office()

    def attempt(i: int):
        start = EIGHT + timedelta(minutes=15 * (i % 16))
        return lambda: citizen.hold([office.short], office.location, start, ip="203.0.113.200",
                                    altcha_payload=None, now=NOW)

    results = race([attempt(i) for i in range(threads)])
    held = [r for r in results if isinstance(r, Appointment)]
    unexpected = [r for r in results if not isinstance(r, Appointment | holdguard.TooManyHolds)
                  and "vergeben" not in str(r)]
    assert not unexpected, unexpected
    assert len(held) == 3
    assert Appointment.objects.filter(holder=holdguard.client_key("203.0.113.200")).count() == 3
    assert_capacity_invariant()
