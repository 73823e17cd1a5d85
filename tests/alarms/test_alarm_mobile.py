"""Issue 26 defect 2: the alarm's SMS fallback reaches security on a validated mobile number for
alarm SMS – never on the desk extension – and the console, the role assignment and drills warn
when a location's security cannot be reached by SMS."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from buergerkontakt.alarms import queries, services
from buergerkontakt.alarms.models import TimelineEvent
from buergerkontakt.core.models import Role, RoleAssignment, User
from tests.appointments.builders import at

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 8, 9, 0)


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.REQUIRE_2FA = False


def _sms_files(path: Path) -> list[str]:
    return [p.read_text() for p in sorted(path.glob("*.txt"))]


def _escalate_fully(alarm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for seconds in (5, 10, 15, 20):
            services.escalate(alarm, now=NOW + timedelta(seconds=seconds))


def test_the_fallback_texts_the_alarm_mobile_not_the_desk_extension(
        org, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.ALARM_ESCALATE_SECONDS = 5
    settings.SMS_BACKEND = "log"
    settings.SMS_FILE_PATH = tmp_path
    security = org.users["security"]
    security.phone = "069 1234-567"  # the desk extension: no SMS there
    security.alarm_mobile = "0151 23456789"
    security.full_clean()
    security.save()
    alarm = services.raise_alarm(org.users["caseworker"], level=2, now=NOW)
    _escalate_fully(alarm, django_capture_on_commit_callbacks)
    sent = _sms_files(tmp_path)
    assert len(sent) == 1 and sent[0].startswith("To: +4915123456789\n")
    assert "Raum 1.10" in sent[0]
    assert TimelineEvent.objects.get(alarm=alarm, kind="fallback").detail == "1 Rufnummern"


def test_a_desk_extension_alone_gets_no_sms_and_the_timeline_says_so(
        org, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.ALARM_ESCALATE_SECONDS = 5
    settings.SMS_BACKEND = "log"
    settings.SMS_FILE_PATH = tmp_path
    security = org.users["security"]
    security.phone = "0151 1234567"  # even a mobile-looking extension is not the alarm number
    security.save()
    alarm = services.raise_alarm(org.users["caseworker"], level=2, now=NOW)
    _escalate_fully(alarm, django_capture_on_commit_callbacks)
    assert _sms_files(tmp_path) == []
    detail = TimelineEvent.objects.get(alarm=alarm, kind="fallback").detail
    assert "keine Mobilnummer" in detail


@pytest.mark.parametrize("raw", ["abc", "069 1234567", "12", "0151 1234567890123456"])
def test_the_alarm_mobile_must_be_a_valid_mobile_number(org, raw):
    user = org.users["security"]
    user.alarm_mobile = raw
    with pytest.raises(ValidationError) as caught:
        user.full_clean()
    message = " ".join(caught.value.message_dict["alarm_mobile"])
    assert "Mobilnummer" in message


@pytest.mark.parametrize("raw", ["0151 23456789", "+49 (151) 234-56789", "0049151 23456789"])
def test_the_alarm_mobile_is_stored_in_one_form(org, raw):
    user = org.users["security"]
    user.alarm_mobile = raw
    user.full_clean()
    user.save()
    user.refresh_from_db()
    assert user.alarm_mobile == "+4915123456789"


def test_security_without_mobile_lists_whom_the_sms_cannot_reach(org):
    from tests.factories import make_user

    wide = make_user("security.wide", org.authority, Role.SECURITY, alarm_mobile="+4915123456789")
    assert [u.username for u in queries.security_without_mobile(org.location)] == ["security"]
    assert [u.username for u in queries.security_without_mobile(org.second_location)] == []
    reach = queries.security_reach(org.location)
    assert reach.reachable == [wide] and not reach.unreachable
    wide.alarm_mobile = ""
    wide.save()
    assert queries.security_reach(org.location).unreachable
    # Another authority's location: its own security only (none here), so nobody is reachable.
    assert queries.security_reach(org.other_location).holders == []
    assert queries.security_reach(org.other_location).unreachable


def test_the_console_warns_when_security_has_no_mobile(client, org):
    client.force_login(org.users["security"])
    page = client.get(reverse("alarms:console")).text
    assert "Keine Mobilnummer für Alarm-SMS" in page and "Security Test" in page
    user = org.users["security"]
    user.alarm_mobile = "+4915123456789"
    user.save()
    page = client.get(reverse("alarms:console")).text
    assert "Keine Mobilnummer für Alarm-SMS" not in page


def test_drills_report_the_missing_mobile_number(client, org):
    client.force_login(org.users["security"])
    response = client.post(reverse("alarms:drills"), {"room": org.room.pk, "level": "2", "when": ""},
                           follow=True)
    assert "Keine Mobilnummer für Alarm-SMS" in response.text
    drill_page = client.get(reverse("alarms:drill", args=[response.context["drill"].pk])).text
    assert "Keine Mobilnummer für Alarm-SMS" in drill_page
    assert "Keine Mobilnummer für Alarm-SMS" in client.get(reverse("alarms:drills")).text


def test_the_role_assignment_warns_about_security_without_mobile(client, org):
    superuser = User.objects.create_superuser("root", "root@example.org", "Test-Passwort-2026")
    client.force_login(superuser)
    person = User.objects.create_user("neu", authority=org.authority, first_name="Nina", last_name="Neu")
    response = client.post(
        reverse("admin:core_roleassignment_add"),
        {"user": person.pk, "role": Role.SECURITY, "authority": org.authority.pk,
         "location": org.location.pk, "team": ""},
        follow=True,
    )
    assert RoleAssignment.objects.filter(user=person, role=Role.SECURITY).exists()
    assert "keine Mobilnummer für Alarm-SMS" in response.text
    # With a mobile number: no warning.
    person2 = User.objects.create_user("neu2", authority=org.authority, alarm_mobile="+4915123456780")
    response = client.post(
        reverse("admin:core_roleassignment_add"),
        {"user": person2.pk, "role": Role.SECURITY, "authority": org.authority.pk,
         "location": org.location.pk, "team": ""},
        follow=True,
    )
    assert "keine Mobilnummer für Alarm-SMS" not in response.text


def test_the_user_admin_offers_the_field(client, org):
    superuser = User.objects.create_superuser("root", "root@example.org", "Test-Passwort-2026")
    client.force_login(superuser)
    user = org.users["security"]
    page = client.get(reverse("admin:core_user_change", args=[user.pk])).text
    assert "Mobilnummer für Alarm-SMS" in page
