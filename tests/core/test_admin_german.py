"""Issue 26, defect 8 (2026-12-04): the admin speaks German – third-party apps have readable German
names, constraint violations read as German sentences without their internal names, Django's
strings that its own German catalogue lacks come from the project's German supplement. (The
browser walk through the admin is tests/e2e/test_admin_german.py.)"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db.models import UniqueConstraint
from django.urls import reverse
from django.utils import translation

from buergerkontakt.core.models import User
from tests.factories import build_org

pytestmark = pytest.mark.django_db


def shown_constraints():
    """Constraints whose violation message a person can meet (a unique constraint over plain fields
    reads "… mit diesem … existiert bereits" instead)."""
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            plain = isinstance(constraint, UniqueConstraint) and constraint.fields and not (
                constraint.condition or constraint.expressions)
            if not plain:
                yield model, constraint


def test_constraint_messages_are_german_and_never_name_the_constraint():
    found = list(shown_constraints())
    assert len(found) > 30
    with translation.override("de"):
        bad = [(model._meta.label, constraint.name, message) for model, constraint in found
               if constraint.name in (message := str(constraint.get_violation_error_message()))
               or "Constraint" in message]
    assert not bad, bad


@pytest.mark.parametrize(("app_label", "english"), [
    ("axes", "Axes"), ("otp_totp", "Otp_Totp"), ("otp_static", "Otp_Static"), ("auditlog", "Audit log"),
    ("django_tasks_database", "Tasks Database Backend"),
])
def test_third_party_apps_have_german_names(app_label, english):
    with translation.override("de"):
        name = str(apps.get_app_config(app_label).verbose_name)
    assert name != english
    assert name[0].isupper() and "_" not in name


def test_admin_form_shows_a_constraint_violation_in_german(client, settings):
    settings.REQUIRE_2FA = False
    org = build_org()
    client.force_login(User.objects.create_superuser("root", "root@example.invalid", "Root-Passwort-2026"))
    response = client.post(reverse("admin:directory_service_add"), {
        "authority": org.authority.pk, "name": "Kurzberatung", "slug": "kurzberatung",
        "duration_minutes": 3, "is_public": "on",
    }, headers={"accept-language": "de"})
    assert response.status_code == 200  # the form again, with the error
    body = response.content.decode()
    assert "Diese Angaben passen nicht zusammen" in body
    assert "service_duration_min_5" not in body
    assert "Constraint" not in body


def test_admin_action_button_and_blank_choice_are_german(client, settings):
    settings.REQUIRE_2FA = False
    build_org()
    client.force_login(User.objects.create_superuser("root", "root@example.invalid", "Root-Passwort-2026"))
    body = client.get(reverse("admin:core_location_changelist")).content.decode()
    assert ">Ausführen</button>" in body
    assert "Select an option" not in body and "– Bitte auswählen –" in body
