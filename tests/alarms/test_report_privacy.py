"""Staff data ready for the staff council: response and drill reports show people pseudonymised
unless the authority decided otherwise; names only for security (or administration) with a logged
reason of at least 20 characters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from buergerkontakt.alarms.models import NamedReportAccess, ReportPrivacy
from tests.reports import builders as b


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.REQUIRE_2FA = False


@pytest.fixture
def drill_alarm(org):
    from buergerkontakt.alarms.models import Drill

    guard = org.users["security"]
    guard.first_name, guard.last_name = "Gerda", "Wachsam"
    guard.save()
    raised = timezone.now() - timedelta(hours=1)
    alarm = b.alarm(org.location, org.room, org.users["caseworker"], raised, drill=True,
                    deliveries=[(guard, 80, 20)])
    drill = Drill.objects.create(authority=org.authority, location=org.location, room=org.room,
                                 scheduled_for=raised, created_by=guard, alarm=alarm)
    return alarm, drill


def test_reports_are_pseudonymised_by_default(client, org, drill_alarm):
    alarm, drill = drill_alarm
    client.force_login(org.users["security"])
    for url in (reverse("alarms:detail", args=[alarm.pk]), reverse("alarms:drill", args=[drill.pk]),
                reverse("alarms:drill_csv", args=[drill.pk])):
        text = client.get(url).content.decode("utf-8-sig")
        if 'class="alarm-report"' in text:  # the page: its report section (other notices may name staff)
            text = text.split('class="alarm-report"', 1)[1].split("</section>", 1)[0]
        assert "Person 1" in text, url
        assert "Wachsam" not in text, url


def test_authority_may_switch_pseudonymisation_off(client, org, drill_alarm):
    _alarm, drill = drill_alarm
    ReportPrivacy.objects.create(authority=org.authority, pseudonymise=False)
    client.force_login(org.users["security"])
    csv = client.get(reverse("alarms:drill_csv", args=[drill.pk])).content.decode("utf-8-sig")
    assert "Gerda Wachsam" in csv


def test_names_only_with_a_logged_reason(client, org, drill_alarm):
    alarm, _drill = drill_alarm
    client.force_login(org.users["security"])
    url = reverse("alarms:reveal_names", args=[alarm.pk])
    short = client.post(url, {"reason": "brauche ich"})
    assert short.status_code == 400 and "mindestens 20 Zeichen" in short.content.decode()
    assert not NamedReportAccess.objects.exists()
    response = client.post(url, {"reason": "Nachbesprechung der Übung mit dem Team am Freitag"})
    assert response.status_code == 200 and "Gerda Wachsam" in response.content.decode()
    access = NamedReportAccess.objects.get()
    assert access.user == org.users["security"] and access.alarm == alarm


def test_the_person_who_raised_it_sees_no_names(client, org, drill_alarm):
    alarm, _drill = drill_alarm
    client.force_login(org.users["caseworker"])
    assert "Gerda Wachsam" not in client.get(reverse("alarms:detail", args=[alarm.pk])).content.decode()
    response = client.post(reverse("alarms:reveal_names", args=[alarm.pk]),
                           {"reason": "Ich möchte wissen, wer nicht gekommen ist."})
    assert response.status_code == 403
    assert not NamedReportAccess.objects.exists()


@pytest.mark.parametrize("role", ["teamlead", "agent", "admin", "dpo"])
def test_other_roles_cannot_reach_the_report(client, org, drill_alarm, role):
    alarm, _drill = drill_alarm
    client.force_login(org.users[role])
    assert client.post(reverse("alarms:reveal_names", args=[alarm.pk]),
                       {"reason": "Nachbesprechung der Übung mit dem Team"}).status_code in (403, 404)
