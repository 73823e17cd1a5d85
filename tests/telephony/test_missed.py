"""Missed and abandoned calls: the list groups a number's calls per Berlin day; one key turns them
into one callback ticket, routed by the rules (what is known about the number) or by the line."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from buergerkontakt.callbacks import services as callbacks
from buergerkontakt.callbacks.models import Ticket
from buergerkontakt.telephony.models import Call
from tests.callbacks.builders import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.REQUIRE_2FA = False


def missed(client, key, when, call_id, number="4915123456789", to="496912340", cause="noAnswer"):
    with time_machine.travel(when, tick=False):
        base = {"from": number, "to": to, "direction": "in", "callId": call_id}
        client.post("/api/telephony/cti", base | {"event": "newCall"}, content_type="application/json",
                    headers={"X-API-Key": key})
    with time_machine.travel(when.timestamp() + 25, tick=False):
        client.post("/api/telephony/cti", base | {"event": "hangup", "cause": cause},
                    content_type="application/json", headers={"X-API-Key": key})


def test_repeat_callers_grouped_per_berlin_day(client, office, key):
    missed(client, key, at(2026, 6, 8, 10, 5), "a1")
    missed(client, key, at(2026, 6, 8, 10, 20), "a2", cause="cancel")
    missed(client, key, at(2026, 6, 8, 23, 30), "a3")  # 21:30 UTC: still Monday in Berlin
    missed(client, key, at(2026, 6, 9, 0, 30), "a4")  # 22:30 UTC on Monday, but Tuesday in Berlin
    missed(client, key, at(2026, 6, 8, 10, 30), "b1", number="4969987654")
    with time_machine.travel(at(2026, 6, 9, 9), tick=False):
        client.force_login(office.org.users["agent"])
        page = client.get(reverse("telephony_staff:calls"))
    groups = page.context["groups"]
    assert [(g.number, g.day.day, g.count) for g in groups] == [
        ("+4915123456789", 9, 1), ("+4915123456789", 8, 3), ("+4969987654", 8, 1)]
    assert groups[1].abandoned == 1


def test_one_key_ticket_routed_by_what_is_known(client, office, key, clock):
    # The number called before as "Müller, Lisa": surname L–Z → team 2 (pool) by the rules.
    earlier = callbacks.create_ticket(office.org.authority, caller_name="Müller, Lisa", phone="0151 23456789",
                                      topic="Antrag")
    callbacks.log_attempt(earlier, "reached_solved", by=None)
    missed(client, key, at(2026, 6, 8, 9, 0), "m1")
    missed(client, key, at(2026, 6, 8, 9, 10), "m2", cause="cancel")
    client.force_login(office.org.users["agent"])
    call = Call.objects.get(call_id="m2")
    response = client.post(reverse("telephony_staff:missed_ticket", kwargs={"pk": call.pk}))
    assert response.status_code == 302
    ticket = Ticket.objects.exclude(pk=earlier.pk).get()
    assert ticket.team == office.org.second_team and ticket.caller_name == "Müller, Lisa"
    assert ticket.phone == "+4915123456789" and "2×" in ticket.topic and "09:00, 09:10" in ticket.topic
    assert set(Call.objects.values_list("ticket_number", flat=True)) == {ticket.number}
    assert client.get(reverse("telephony_staff:calls")).context["groups"] == []
    # Again (a double click): no second ticket.
    assert client.post(reverse("telephony_staff:missed_ticket", kwargs={"pk": call.pk})).status_code == 409
    assert Ticket.objects.count() == 2


def test_unknown_number_goes_to_the_lines_team(client, office, key, clock):
    missed(client, key, at(2026, 6, 8, 9, 0), "u1")
    client.force_login(office.org.users["agent"])
    client.post(reverse("telephony_staff:missed_ticket", kwargs={"pk": Call.objects.get().pk}))
    ticket = Ticket.objects.get()
    assert ticket.team == office.org.team and ticket.channel == "phone"


def test_no_rule_no_line_opens_the_agent_screen(client, office, key, clock):
    missed(client, key, at(2026, 6, 8, 9, 0), "n1", to="4969555")
    client.force_login(office.org.users["agent"])
    response = client.post(reverse("telephony_staff:missed_ticket", kwargs={"pk": Call.objects.get().pk}))
    assert response.status_code == 302
    assert response["Location"] == reverse("callbacks_staff:new") + "?telefon=%2B4915123456789"
    assert not Ticket.objects.exists()


def test_withheld_number_cannot_become_a_ticket(client, office, key, clock):
    missed(client, key, at(2026, 6, 8, 9, 0), "x1", number="anonymous")
    client.force_login(office.org.users["agent"])
    response = client.post(reverse("telephony_staff:missed_ticket", kwargs={"pk": Call.objects.get().pk}))
    assert response.status_code == 409 and "nicht übermittelt" in response.content.decode()


def test_answered_call_is_not_missed(client, office, key, clock):
    missed(client, key, at(2026, 6, 8, 9, 0), "ok1", cause="normalClearing")
    client.force_login(office.org.users["agent"])
    response = client.post(reverse("telephony_staff:missed_ticket", kwargs={"pk": Call.objects.get().pk}))
    assert response.status_code == 409 and not Ticket.objects.exists()


@pytest.mark.parametrize("name, status, sees", [
    ("agent", 200, True), ("admin", 200, True), ("teamlead", 200, True), ("caseworker", 403, False),
    ("security", 403, False), ("dpo", 403, False), ("other_admin", 200, False),
])
def test_who_sees_the_list(client, office, key, clock, name, status, sees):
    missed(client, key, at(2026, 6, 8, 9, 0), "r1")
    client.force_login(office.org.users[name])
    response = client.get(reverse("telephony_staff:calls"))
    assert response.status_code == status
    if status == 200:
        assert bool(response.context["groups"]) is sees
        post = client.post(reverse("telephony_staff:missed_ticket", kwargs={"pk": Call.objects.get().pk}))
        assert post.status_code == (302 if sees else 404)


def test_anonymous_visitor_is_sent_to_sign_in(client, office):
    response = client.get(reverse("telephony_staff:calls"))
    assert response.status_code == 302 and "next=/mitarbeiter/telefonie/" in response["Location"]
