"""The one workplace in supervision: the security console shows where each person works now (the
room, how it was set, the registered PC online or offline, or "Raum unbekannt"), and the
administration lists and sets workplaces of its own authority only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from buergerkontakt.alarms import services
from buergerkontakt.alarms.workplace import Workplace, current_place, set_current_workplace
from buergerkontakt.core.models import Role
from tests.core.test_auth import sign_in
from tests.factories import make_user
from tests.walkin.builders import make_counter

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.REQUIRE_2FA = False


def test_console_shows_where_people_work_now(client, org):
    e10 = make_counter(org.location, "E.10", "Beratung")
    at_desk = make_user("schalter", org.authority, Role.AGENT, scope=org.location, first_name="Sara",
                        last_name="Schalter")
    set_current_workplace(at_desk, room=e10, source=Workplace.Source.DESK)
    at_pc = make_user("pc", org.authority, Role.CASEWORKER, scope=org.team, first_name="Paul",
                      last_name="Rechner")
    online, _token = services.register_workstation(at_pc, org.room, "PC links")
    services.connected(online.pk, at_pc)
    elsewhere = make_counter(org.other_location, "X.01")
    stranger = make_user("fremd", org.other_authority, Role.CASEWORKER, first_name="Fritz",
                         last_name="Fremd")
    set_current_workplace(stranger, room=elsewhere, source=Workplace.Source.DESK)
    client.force_login(org.users["security"])
    page = client.get(reverse("alarms:console")).text
    assert "Wo gearbeitet wird" in page
    row = page[page.index(f'data-workplace="{at_desk.workplace.pk}"'):]
    row = row[:row.index("</tr>")]
    assert "Sara Schalter" in row and "E.10" in row and "Aufruf-Arbeitsplatz gewählt" in row
    assert "kein registrierter PC" in row
    row = page[page.index(f'data-workplace="{at_pc.workplace.pk}"'):]
    row = row[:row.index("</tr>")]
    assert "Paul Rechner" in row and "1.10" in row and "PC links" in row and "online" in row
    assert "Fritz Fremd" not in page  # another authority's location
    # the console refreshes its body with htmx: the same rows
    assert "Sara Schalter" in client.get(reverse("alarms:console"), headers={"HX-Request": "true"}).text


def test_admin_lists_and_sets_workplaces_of_its_own_authority_only(client, org, settings):
    settings.REQUIRE_2FA = True
    e10 = make_counter(org.location, "E.10", "Beratung")
    elsewhere = make_counter(org.other_location, "X.01")
    stranger = make_user("fremd", org.other_authority, Role.CASEWORKER, first_name="Fritz",
                         last_name="Fremd")
    set_current_workplace(stranger, room=elsewhere, source=Workplace.Source.DESK)
    teamlead = org.users["teamlead"]
    sign_in(client, org.users["admin"])
    changelist = reverse("admin:alarms_workplace_changelist")
    body = client.get(changelist).text
    assert "1.10" in body and "fremd" not in body  # the case worker's workplace (built with a room)
    response = client.post(reverse("admin:alarms_workplace_add"),
                           {"user": teamlead.pk, "room": e10.pk})
    assert response.status_code == 302, response.text
    place = current_place(teamlead)
    assert (place.room, place.source) == (e10, Workplace.Source.ADMIN)
    hidden = reverse("admin:alarms_workplace_change", args=[stranger.workplace.pk])
    assert client.get(hidden).status_code == 302  # "does not exist" → back to the index
    # a room of another authority is not offered
    response = client.post(reverse("admin:alarms_workplace_add"), {"user": org.users["agent"].pk,
                                                                     "room": elsewhere.pk})
    assert response.status_code == 200 and not Workplace.objects.filter(user=org.users["agent"]).exists()


@pytest.mark.parametrize("role", ["caseworker", "teamlead", "security", "agent"])
def test_the_workplace_admin_is_closed_to_other_roles(client, org, settings, role):
    settings.REQUIRE_2FA = True
    sign_in(client, org.users[role])
    response = client.get(reverse("admin:alarms_workplace_changelist"))
    assert response.status_code in (302, 403)


def test_data_protection_reads_the_workplaces_but_sets_none(client, org, settings):
    settings.REQUIRE_2FA = True
    sign_in(client, org.users["dpo"])
    assert client.get(reverse("admin:alarms_workplace_changelist")).status_code == 200
    assert client.get(reverse("admin:alarms_workplace_add")).status_code == 403
