"""SPEC §8 / issue 9: a rate limit on every public write. Walks every page a visitor without an
account may reach and every API operation without an API key; wherever a POST is accepted (anything
but 405), the third POST within the window – with the limit set to two – is refused with 429 and a
German message. The sign-in steps are the only exception (django-axes locks out after failed
attempts; tests/core covers it), kiosks count per kiosk instead of per address.
"""

from __future__ import annotations

import pytest
from django.test import Client

from buergerkontakt.core import ratelimit
from tests.security.test_access_matrix import EXPECTED
from tests.security.urlwalk import patterns, sample_path

PUBLIC_PAGES = sorted((name, route) for name, route in set(patterns()) if "anon" in EXPECTED[name])
MESSAGE = "Zu viele Anfragen in kurzer Zeit"


def public_api_writes() -> list[tuple[str, str]]:
    document = Client().get("/api/openapi.json").json()
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method in {"post", "put", "patch", "delete"} and not operation.get("security"):
                found.append((method, path.replace("{code}", "ZZZZZZZZ").replace("{number}", "R-999")))
    return sorted(found)


@pytest.fixture
def tight(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "public_write_ip": (2, 600), "kiosk_screen": (2, 3600)}


def three_posts(client: Client, path: str, **extra) -> list[int]:
    return [client.post(path, {}, **extra).status_code for _ in range(3)]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "route"), PUBLIC_PAGES, ids=[name for name, _ in PUBLIC_PAGES])
def test_every_public_page_that_takes_a_post_is_rate_limited(tight, name, route):
    client = Client(enforce_csrf_checks=False)
    path = sample_path(route)
    first = client.post(path, {})
    if first.status_code == 405:
        return  # not a write: GET only
    if name in ratelimit.SIGN_IN_VIEWS:
        assert [client.post(path, {}).status_code for _ in range(3)].count(429) == 0
        return
    second, third = client.post(path, {}), client.post(path, {})
    assert second.status_code != 429, name
    assert third.status_code == 429, (name, first.status_code, second.status_code, third.status_code)
    assert MESSAGE in third.content.decode()


@pytest.mark.django_db
def test_public_api_writes_exist_and_are_rate_limited(tight):
    operations = public_api_writes()
    assert ("post", "/api/appointments/hold") in operations  # the walk sees the booking API
    client = Client()
    for method, path in operations:
        statuses = [getattr(client, method)(path, "{}", content_type="application/json").status_code
                    for _ in range(3)]
        assert statuses[2] == 429, (method, path, statuses)
        client = Client(REMOTE_ADDR=f"192.0.2.{len(path)}")  # a fresh address for the next one
    response = Client(REMOTE_ADDR="192.0.2.200")
    for _ in range(2):
        response.post("/api/appointments/hold", "{}", content_type="application/json")
    refused = response.post("/api/appointments/hold", "{}", content_type="application/json")
    assert refused.status_code == 429 and MESSAGE in refused.json()["detail"]


@pytest.mark.django_db
def test_the_limit_counts_per_address_across_all_forms(tight):
    client = Client(REMOTE_ADDR="198.51.100.7")
    assert client.post("/termine/suchen/", {}).status_code != 429
    assert client.post("/termine/warteliste/", {}).status_code != 429
    assert client.post("/rueckruf/anfordern/gibt-es-nicht/", {}).status_code == 429
    assert Client(REMOTE_ADDR="198.51.100.8").post("/termine/suchen/", {}).status_code != 429


@pytest.mark.django_db
def test_signed_in_staff_and_partner_systems_are_not_counted(tight, org, settings):
    from buergerkontakt.core import apikeys
    from buergerkontakt.core.models import ApiKey

    settings.REQUIRE_2FA = False  # force_login; the two-factor sign-in is tested in tests/core
    staff = Client()
    staff.force_login(org.users["caseworker"])
    assert 429 not in three_posts(staff, "/termine/suchen/")
    _record, key = apikeys.create_key(org.authority, "Telefonanlage", [ApiKey.Scope.CALLBACKS])
    partner = Client()
    statuses = [partner.post("/api/callbacks/tickets", "{}", content_type="application/json",
                             headers={"X-API-Key": key}).status_code for _ in range(3)]
    assert 429 not in statuses and statuses[0] == 422  # verified key: on to the payload check
    # a key from the environment is verified too
    settings.CALLBACK_API_KEYS = [f"{org.authority.slug}=env-geheim"]
    statuses = [partner.post("/api/callbacks/tickets", "{}", content_type="application/json",
                             headers={"X-API-Key": "env-geheim"}).status_code for _ in range(3)]
    assert 429 not in statuses
    # a partner key is for the API: it does not lift the ceiling of the citizen's pages
    pages = [Client(REMOTE_ADDR="198.51.100.9").post("/termine/suchen/", {}, headers={"X-API-Key": key})
             for _ in range(3)]
    assert pages[2].status_code == 429


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["falsch", "bk_erfunden", "x" * 500])
def test_an_unverified_api_key_does_not_lift_the_ceiling(tight, org, header):
    """Issue 20 item 8: any X-API-Key header used to exempt a visitor from the public write limit."""
    bot = Client(REMOTE_ADDR="198.51.100.66")
    statuses = [bot.post("/api/callbacks/tickets", "{}", content_type="application/json",
                         headers={"X-API-Key": header}).status_code for _ in range(3)]
    assert statuses[0] in (401, 403) and statuses[2] == 429
    # the header does not help on the citizen's pages either
    other = Client(REMOTE_ADDR="198.51.100.67")
    pages = [other.post("/termine/suchen/", {}, headers={"X-API-Key": header}).status_code for _ in range(3)]
    assert pages[2] == 429


@pytest.mark.django_db
def test_a_revoked_or_expired_key_does_not_lift_the_ceiling(tight, org):
    from datetime import timedelta

    from django.utils import timezone

    from buergerkontakt.core import apikeys
    from buergerkontakt.core.models import ApiKey

    record, revoked = apikeys.create_key(org.authority, "Alt", [ApiKey.Scope.CALLBACKS])
    apikeys.revoke(record)
    _record, expired = apikeys.create_key(org.authority, "Abgelaufen", [ApiKey.Scope.CALLBACKS],
                                          expires_at=timezone.now() - timedelta(days=1))
    for number, key in enumerate((revoked, expired)):
        client = Client(REMOTE_ADDR=f"198.51.100.{80 + number}")
        statuses = [client.post("/api/callbacks/tickets", "{}", content_type="application/json",
                                headers={"X-API-Key": key}).status_code for _ in range(3)]
        assert statuses[2] == 429, statuses


@pytest.mark.django_db
def test_kiosks_count_per_kiosk_not_per_address(tight, org):
    from buergerkontakt.walkin.models import Screen

    location = org.location
    kiosk = Screen.objects.create(location=location, kind=Screen.Kind.KIOSK, name="Kiosk")
    other = Screen.objects.create(location=location, kind=Screen.Kind.KIOSK, name="Kiosk 2")
    assert three_posts(Client(), f"/wartenummer/kiosk/{kiosk.key}/")[2] == 429
    # the same address, another kiosk: its own counter
    assert Client().post(f"/wartenummer/kiosk/{other.key}/", {}).status_code != 429


@pytest.mark.django_db(transaction=True)
def test_the_event_loop_path_verifies_the_key_too(tight, org):
    """The server runs the middleware on the event loop (ASGI): the same rule there."""
    from django.test import AsyncClient

    from buergerkontakt.core import apikeys
    from buergerkontakt.core.models import ApiKey
    from tests.asyncrun import run_async

    _record, key = apikeys.create_key(org.authority, "Portal", [ApiKey.Scope.CALLBACKS])

    async def scenario():
        statuses = {}
        for label, header in (("made-up", "falsch"), ("verified", key)):
            client = AsyncClient(REMOTE_ADDR=f"203.0.113.{len(label)}")
            statuses[label] = [
                (await client.post("/api/callbacks/tickets", "{}", content_type="application/json",
                                   headers={"X-API-Key": header})).status_code
                for _ in range(3)]
        return statuses

    statuses = run_async(scenario)
    assert statuses["made-up"][2] == 429
    assert 429 not in statuses["verified"]
