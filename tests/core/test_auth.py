"""Staff sign-in: password step, TOTP step, recovery codes, enrolment, throttling, staff start page."""

from __future__ import annotations

import logging
import re

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from buergerkontakt.core.auth_views import create_recovery_codes
from tests.factories import PASSWORD, make_user

LOGIN = reverse("core:login")
CODE = reverse("core:login_code")
RECOVERY = reverse("core:login_recovery")
ENROL = reverse("core:login_enrol")
CODES = reverse("core:recovery_codes")
STAFF_HOME = reverse("core:staff_home")


# --- helpers ----------------------------------------------------------------------------------
def add_device(user, *, confirmed: bool = True) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator-App", confirmed=confirmed)


def code_for(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{TOTP(device.bin_key).token():06d}"


def wrong_code_for(device: TOTPDevice) -> str:
    """A 6-digit code that no time step near now accepts."""
    device.refresh_from_db()
    valid = {TOTP(device.bin_key, drift=d).token() for d in range(-3, 4)}
    candidate = 123456
    while candidate in valid:
        candidate += 1
    return f"{candidate:06d}"


def password_step(client, user, *, next_url: str | None = None, password: str = PASSWORD):
    data = {"username": user.username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(LOGIN, data)


def sign_in(client, user) -> TOTPDevice:
    """The full flow: password, then the current code of a fresh confirmed device."""
    device = add_device(user)
    assert password_step(client, user)["Location"] == CODE
    response = client.post(CODE, {"code": code_for(device)})
    assert response.status_code == 302, response.content.decode()
    return device


def signed_in_user(response):
    return response.wsgi_request.user


def text(response) -> str:
    return response.content.decode()


# --- password step ----------------------------------------------------------------------------
def test_login_page_renders_in_german(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    body = text(response)
    assert "Anmeldung für Mitarbeitende" in body
    assert 'autocomplete="username"' in body
    assert 'autocomplete="current-password"' in body


def test_password_step_alone_does_not_log_in(client, org):
    user = org.users["caseworker"]
    add_device(user)
    response = password_step(client, user)
    assert response.status_code == 302
    assert response["Location"] == CODE
    assert "_auth_user_id" not in client.session
    response = client.get(STAFF_HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not signed_in_user(response).is_authenticated


def test_wrong_password_shows_german_error(client, org):
    response = password_step(client, org.users["agent"], password="falsch-falsch")
    assert response.status_code == 200
    assert "Benutzername oder Passwort ist falsch" in text(response)
    assert "_auth_user_id" not in client.session


def test_code_page_without_password_step_sends_back_to_login(client, db):
    for url in (CODE, RECOVERY, ENROL):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == LOGIN


# --- TOTP step --------------------------------------------------------------------------------
def test_correct_totp_logs_in_and_is_verified(client, org):
    user = org.users["caseworker"]
    device = add_device(user)
    password_step(client, user)
    response = client.post(CODE, {"code": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == STAFF_HOME
    assert signed_in_user(response).is_authenticated
    assert signed_in_user(response).is_verified()
    response = client.get(STAFF_HOME)
    assert response.status_code == 200
    assert signed_in_user(response).is_verified()
    assert signed_in_user(response).pk == user.pk


def test_wrong_totp_shows_german_error_and_does_not_log_in(client, org):
    user = org.users["caseworker"]
    device = add_device(user)
    password_step(client, user)
    response = client.post(CODE, {"code": wrong_code_for(device)})
    assert response.status_code == 200
    assert "Der Sicherheitscode ist falsch oder abgelaufen" in text(response)
    assert 'aria-invalid="true"' in text(response)
    assert "_auth_user_id" not in client.session
    assert client.get(STAFF_HOME).status_code == 302


def test_malformed_code_is_rejected_with_german_message(client, org):
    user = org.users["caseworker"]
    add_device(user)
    password_step(client, user)
    response = client.post(CODE, {"code": "12ab56"})
    assert "Der Sicherheitscode besteht aus genau 6 Ziffern" in text(response)
    assert "_auth_user_id" not in client.session


def test_used_totp_code_cannot_be_replayed(client, org):
    user = org.users["caseworker"]
    device = add_device(user)
    password_step(client, user)
    code = code_for(device)
    assert client.post(CODE, {"code": code}).status_code == 302
    client.post(reverse("core:logout"))
    password_step(client, user)
    response = client.post(CODE, {"code": code})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_device_throttling_after_wrong_code(client, org):
    """django-otp backs off after a wrong code: an immediate retry is refused with a hint."""
    user = org.users["caseworker"]
    device = add_device(user)
    password_step(client, user)
    client.post(CODE, {"code": wrong_code_for(device)})
    response = client.post(CODE, {"code": code_for(device)})
    assert "Bitte warten Sie einige Sekunden" in text(response)
    assert "_auth_user_id" not in client.session


# --- recovery codes ---------------------------------------------------------------------------
def test_recovery_code_works_once_and_only_once(client, org):
    user = org.users["teamlead"]
    add_device(user)
    codes = create_recovery_codes(user)
    assert len(codes) == 10
    assert all(re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}", c) for c in codes)

    password_step(client, user)
    response = client.post(RECOVERY, {"code": codes[0].upper()})
    assert response.status_code == 302
    assert response["Location"] == STAFF_HOME
    response = client.get(STAFF_HOME)
    assert response.status_code == 200
    assert signed_in_user(response).is_verified()
    assert "Wiederherstellungscode angemeldet" in text(response)
    assert StaticToken.objects.filter(device__user=user).count() == 9

    client.post(reverse("core:logout"))
    password_step(client, user)
    response = client.post(RECOVERY, {"code": codes[0]})
    assert response.status_code == 200
    assert "ungültig oder wurde bereits verwendet" in text(response)
    assert "_auth_user_id" not in client.session


def test_recovery_codes_can_be_renewed_from_staff_home(client, org):
    user = org.users["teamlead"]
    sign_in(client, user)
    old = set(create_recovery_codes(user))
    response = client.post(reverse("core:recovery_codes_renew"))
    assert response["Location"] == CODES
    page = text(client.get(CODES))
    new = set(re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", page))
    assert len(new) == 10
    assert not new & old
    assert StaticToken.objects.filter(device__user=user).count() == 10


# --- enrolment --------------------------------------------------------------------------------
def test_enrolment_from_no_device_to_confirmed_device_and_recovery_codes(client, org, settings):
    user = org.users["agent"]
    assert not TOTPDevice.objects.filter(user=user).exists()

    response = password_step(client, user, next_url="/mitarbeiter/?von=einrichtung")
    assert response["Location"] == ENROL
    assert "_auth_user_id" not in client.session

    page = client.get(ENROL)
    assert page.status_code == 200
    body = text(page)
    svg = re.search(r"<svg .*?</svg>", body, re.S).group(0)
    assert 'role="img"' in svg
    assert "style=" not in svg
    assert "<script" not in body.split("</main>")[0]
    assert "<img" not in body
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    secret = re.search(r'<p class="secret"><code>([A-Z2-7 ]+)</code>', body).group(1)
    assert len(secret.replace(" ", "")) == 32
    # Reloading the page keeps the same secret (the app may already have scanned it).
    assert secret in text(client.get(ENROL))
    assert TOTPDevice.objects.filter(user=user).count() == 1

    response = client.post(ENROL, {"code": wrong_code_for(device)})
    assert "Der Sicherheitscode ist falsch" in text(response)
    device.refresh_from_db()
    assert not device.confirmed

    device.throttling_failure_count = 0  # skip django-otp's one-second back-off in the test
    device.throttling_failure_timestamp = None
    device.save()
    response = client.post(ENROL, {"code": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == CODES
    device.refresh_from_db()
    assert device.confirmed
    assert signed_in_user(response).is_verified()

    page = text(client.get(CODES))
    shown = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", page)
    assert len(shown) == settings.RECOVERY_CODE_COUNT
    assert "nur jetzt ein einziges Mal angezeigt" in page
    assert "Drucken" in page or "drucken" in page
    assert 'href="/mitarbeiter/?von=einrichtung"' in page
    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert stored == {c.replace("-", "") for c in shown}
    assert StaticDevice.objects.get(user=user).confirmed

    # The codes are shown once only.
    again = client.get(CODES)
    assert again.status_code == 302
    assert "<code>" not in text(client.get(again["Location"]))


def test_enrolment_is_refused_when_a_device_is_already_confirmed(client, org):
    user = org.users["agent"]
    add_device(user)
    password_step(client, user)
    response = client.get(ENROL)
    assert response.status_code == 302
    assert response["Location"] == CODE
    assert TOTPDevice.objects.filter(user=user).count() == 1


# --- throttling (django-axes) -----------------------------------------------------------------
@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    return settings


def test_lockout_after_n_wrong_passwords(client, org, axes_on):
    user = org.users["agent"]
    for _ in range(axes_on.AXES_FAILURE_LIMIT - 1):
        response = password_step(client, user, password="falsch-falsch")
        assert response.status_code == 200
    response = password_step(client, user, password="falsch-falsch")
    assert response.status_code in (403, 429)
    body = text(response)
    assert "Zu viele Fehlversuche" in body
    assert "in 15 Minuten erneut" in body
    assert user.username not in body.split('<main')[1]
    # Now even the right password is refused.
    response = password_step(client, user)
    assert response.status_code in (403, 429)
    assert "Zu viele Fehlversuche" in text(response)
    assert "_auth_user_id" not in client.session


def test_wrong_codes_count_towards_the_lockout(client, org, axes_on):
    axes_on.OTP_TOTP_THROTTLE_FACTOR = 0  # only axes throttles here
    user = org.users["agent"]
    device = add_device(user)
    password_step(client, user)
    for _ in range(axes_on.AXES_FAILURE_LIMIT - 1):
        response = client.post(CODE, {"code": wrong_code_for(device)})
        assert response.status_code == 200
    response = client.post(CODE, {"code": wrong_code_for(device)})
    assert response.status_code in (403, 429)
    assert "Zu viele Fehlversuche" in text(response)
    # The sign-in in progress is gone; the right code no longer helps.
    response = client.post(CODE, {"code": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    assert password_step(client, user).status_code in (403, 429)


def test_successful_sign_in_resets_the_failure_count(client, org, axes_on):
    user = org.users["agent"]
    for _ in range(axes_on.AXES_FAILURE_LIMIT - 1):
        password_step(client, user, password="falsch-falsch")
    sign_in(client, user)
    client.post(reverse("core:logout"))
    response = password_step(client, user, password="falsch-falsch")
    assert response.status_code == 200


def test_log_messages_carry_no_user_names(client, org, axes_on, caplog):
    user = org.users["agent"]
    device = add_device(user)
    caplog.set_level(logging.DEBUG)
    password_step(client, user, password="falsch-falsch")
    password_step(client, user)
    client.post(CODE, {"code": wrong_code_for(device)})
    for _ in range(axes_on.AXES_FAILURE_LIMIT):
        password_step(client, user, password="falsch-falsch")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged  # something was logged at all
    assert user.username not in logged
    assert user.last_name not in logged


# --- next URL and REQUIRE_2FA -----------------------------------------------------------------
def test_next_to_a_foreign_host_is_ignored(client, org):
    user = org.users["caseworker"]
    device = add_device(user)
    page = client.get(LOGIN, {"next": "https://evil.example/phish"})
    assert 'name="next" value="https://evil' not in text(page)
    password_step(client, user, next_url="https://evil.example/phish")
    response = client.post(CODE, {"code": code_for(device)})
    assert response["Location"] == STAFF_HOME


def test_next_on_this_site_is_followed(client, org):
    user = org.users["admin"]
    device = add_device(user)
    page = client.get(LOGIN, {"next": "/admin/"})
    assert 'name="next" value="/admin/"' in text(page)
    password_step(client, user, next_url="/admin/")
    response = client.post(CODE, {"code": code_for(device)})
    assert response["Location"] == "/admin/"


def test_require_2fa_false_logs_in_after_the_password(client, org, settings):
    settings.REQUIRE_2FA = False
    user = org.users["caseworker"]
    response = password_step(client, user)
    assert response.status_code == 302
    assert response["Location"] == STAFF_HOME
    assert client.get(STAFF_HOME).status_code == 200


def test_logout_is_post_only(client, org):
    user = org.users["caseworker"]
    sign_in(client, user)
    assert client.get(reverse("core:logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("core:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


# --- staff start page -------------------------------------------------------------------------
def test_staff_home_anonymous_is_sent_to_login(client, db):
    response = client.get(STAFF_HOME)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={STAFF_HOME}"


def test_staff_home_signed_in_but_unverified_is_sent_to_login(client, org):
    client.force_login(org.users["caseworker"])
    response = client.get(STAFF_HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_staff_home_without_staff_role_is_forbidden(client, org):
    user = make_user("ohne_rolle", org.authority)
    sign_in(client, user)
    response = client.get(STAFF_HOME)
    assert response.status_code == 403
    assert "Kein Zugriff" in text(response)
    client.post(reverse("core:logout"))
    sign_in(client, org.users["professional"])
    assert client.get(STAFF_HOME).status_code == 403


def test_staff_home_greets_and_lists_roles_with_scope(client, org):
    user = org.users["teamlead"]
    sign_in(client, user)
    response = client.get(STAFF_HOME)
    assert response.status_code == 200
    body = text(response)
    assert "Willkommen, Teamlead Test." in body
    assert "Teamleitung – Team Leistung 1" in body
    assert reverse("admin:index") not in body.split("<main")[1]


def test_staff_home_links_administrators_to_the_admin(client, org):
    sign_in(client, org.users["admin"])
    body = text(client.get(STAFF_HOME))
    assert "Administration – Jobcenter Teststadt" in body
    assert f'href="{reverse("admin:index")}"' in body


def test_pending_sign_in_expires(client, org):
    from buergerkontakt.core.auth_views import PENDING_MAX_AGE, PENDING_SINCE

    user = org.users["caseworker"]
    device = add_device(user)
    password_step(client, user)
    session = client.session
    session[PENDING_SINCE] -= PENDING_MAX_AGE + 1
    session.save()
    response = client.post(CODE, {"code": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_htmx_refresh_after_the_session_ended_redirects_the_whole_page(client, org):
    response = client.get("/mitarbeiter/termine/woche/", HTTP_HX_REQUEST="true",
                          HTTP_HX_CURRENT_URL="http://testserver/mitarbeiter/termine/woche/?datum=2026-06-08")
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/anmelden/?next=/mitarbeiter/termine/woche/%3Fdatum%3D2026-06-08"
    plain = client.get("/mitarbeiter/termine/woche/")
    assert plain.status_code == 302 and plain["Location"].startswith("/anmelden/?next=")
