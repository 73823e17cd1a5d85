"""Issue 26, defect 7 (2026-12-04): not even a superuser reads a user's TOTP secret or enrolment QR
code in the admin; devices can only be reset (deleted)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from buergerkontakt.core.models import User

pytestmark = pytest.mark.django_db


def test_superuser_sees_no_totp_secret_or_qr_code(client, settings):
    settings.REQUIRE_2FA = False
    person = User.objects.create_user("person", "person@example.invalid", "Passwort-2026-lang")
    device = TOTPDevice.objects.create(user=person, name="default", confirmed=True)
    client.force_login(User.objects.create_superuser("root", "root@example.invalid", "Root-Passwort-2026"))
    change = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert change.status_code == 200
    assert device.key not in change.content.decode()
    listing = client.get(reverse("admin:otp_totp_totpdevice_changelist")).content.decode()
    assert "qrcode" not in listing
    assert client.get(reverse("admin:otp_totp_totpdevice_qrcode", args=[device.pk])).status_code in (403, 404)
    assert client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk])).status_code in (403, 404)
    # reset: delete the device (the person enrols again)
    assert client.get(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])).status_code == 200
