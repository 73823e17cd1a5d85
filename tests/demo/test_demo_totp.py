"""``manage.py demo_totp``: the current code of a demo user's authenticator, for signing in by hand."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from buergerkontakt.core.models import Role
from tests.core.test_auth import CODE, STAFF_HOME, add_device, password_step, signed_in_user

pytestmark = pytest.mark.django_db


def test_demo_totp_prints_a_code_that_verifies(org):
    user = org.users["agent"]
    device = add_device(user)
    out = StringIO()
    call_command("demo_totp", user.username, stdout=out)
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    assert device.verify_token(code)


def test_demo_totp_without_device_fails_clearly(org):
    add_device(org.users["agent"], confirmed=False)
    with pytest.raises(CommandError, match="keine bestätigte Authenticator-App"):
        call_command("demo_totp", "agent")
    with pytest.raises(CommandError, match="gibt es nicht"):
        call_command("demo_totp", "niemand")


def test_demo_totp_code_signs_in(client, org):
    user = org.users["security"]
    add_device(user)
    out = StringIO()
    call_command("demo_totp", user.username, stdout=out)
    password_step(client, user)
    response = client.post(CODE, {"code": out.getvalue().strip()})
    assert response["Location"] == STAFF_HOME
    assert signed_in_user(response).is_verified()
    assert Role.SECURITY in {a.role for a in user.role_assignments.all()}
