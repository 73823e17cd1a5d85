"""``manage.py sync_directory`` against a real slapd: movers, leavers (deactivated, their open work
handed over as for an absence), and the safety rules (unreachable directory, too many leavers)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from buergerkontakt.appointments.models import Appointment
from buergerkontakt.callbacks import services as callbacks
from buergerkontakt.core.models import Role, RoleAssignment, User
from tests.appointments.builders import make_group, make_service
from tests.callbacks.builders import build_office

from .conftest import ldap_env, use_ldap
from .slapd import Slapd

pytestmark = pytest.mark.django_db


def provision(client, *usernames):
    for username in usernames:
        response = client.post(reverse("core:login"), {"username": username,
                                                       "password": "Verzeichnis-2026"})
        assert response.status_code == 302
    return [User.objects.get(username=u) for u in usernames]


@pytest.fixture
def work(client, ldap_settings, mappings):
    """Anna (deputy: Bernd) holds an open callback and an upcoming and a past appointment."""
    build_office(mappings)
    anna, bernd = provision(client, "anna.schmidt", "bernd.keller")
    anna.deputy = bernd
    anna.save(update_fields=["deputy"])
    ticket = callbacks.create_ticket(mappings.authority, caller_name="Erika Ärger", phone="0151 23456789",
                                     topic="Frage zum Bescheid", by=mappings.users["agent"])
    callbacks.reassign(ticket, anna, by=None)
    group = make_group(mappings.authority, "abgleich", (make_service(mappings.authority, "abgleich-dienst"),))
    now = timezone.now()
    upcoming, past = (
        Appointment.objects.create(group=group, location=mappings.location, start=start,
                                   end=start + timedelta(minutes=15), status=Appointment.Status.CONFIRMED,
                                   staff=anna)
        for start in (now + timedelta(days=2), now - timedelta(days=2)))
    return {"anna": anna, "bernd": bernd, "ticket": ticket, "upcoming": upcoming, "past": past}


def sync(*args) -> str:
    out = StringIO()
    call_command("sync_directory", *args, stdout=out)
    return out.getvalue()


def test_a_leaver_is_deactivated_and_their_open_work_goes_to_the_deputy(client, slapd, work):
    client.force_login(work["anna"], backend="django.contrib.auth.backends.ModelBackend")
    slapd.delete_person("anna.schmidt")

    output = sync()

    assert "ausgeschieden: 1" in output and "deaktiviert: 1" in output
    anna = User.objects.get(pk=work["anna"].pk)
    assert not anna.is_active
    assert anna.directory_account.deactivated_at is not None
    assert not RoleAssignment.objects.filter(user=anna).exists()
    work["ticket"].refresh_from_db()
    assert work["ticket"].assignee == work["bernd"]
    work["upcoming"].refresh_from_db()
    work["past"].refresh_from_db()
    assert work["upcoming"].staff == work["bernd"]
    assert work["past"].staff == anna  # history stays as it was
    # Her session ends at once: the next request is a sign-in page.
    response = client.get(reverse("core:staff_home"))
    assert response.status_code == 302 and reverse("core:login") in response["Location"]
    assert User.objects.get(pk=work["bernd"].pk).is_active


def test_with_the_deputy_absent_the_work_goes_to_the_team_pool(slapd, work):
    bernd = work["bernd"]
    bernd.absent_until = timezone.localdate() + timedelta(days=3)
    bernd.save(update_fields=["absent_until"])
    slapd.delete_person("anna.schmidt")

    sync()

    work["ticket"].refresh_from_db()
    work["upcoming"].refresh_from_db()
    assert work["ticket"].assignee is None
    assert work["upcoming"].staff is None


def test_a_mover_loses_the_mapped_role_at_the_sync(slapd, work, mappings):
    slapd.remove_member("jc-teamleitung-leistung-1", "bernd.keller")

    output = sync()

    assert "ausgeschieden: 0" in output
    bernd = User.objects.get(pk=work["bernd"].pk)
    assert bernd.is_active
    assert set(RoleAssignment.objects.filter(user=bernd).values_list("role", flat=True)) == {Role.CASEWORKER}


def test_leaving_the_staff_group_counts_as_leaving(slapd, work):
    slapd.remove_member("bk-alle", "anna.schmidt")  # outside LDAP_USER_FILTER now
    sync()
    assert not User.objects.get(pk=work["anna"].pk).is_active


def test_an_unreachable_directory_deactivates_nobody(settings, slapd, work, tmp_path):
    use_ldap(settings, ldap_env(Slapd(tmp_path / "dead")))
    with pytest.raises(CommandError, match=r"nicht erreichbar|not reachable"):
        sync()
    assert User.objects.get(pk=work["anna"].pk).is_active


def test_more_leavers_than_the_limit_need_force(settings, slapd, work):
    settings.LDAP_SYNC_MAX_LEAVERS = 1
    slapd.delete_person("anna.schmidt")
    slapd.delete_person("bernd.keller")

    assert "ausgeschieden: 2 (Probelauf)" in sync("--dry-run")
    with pytest.raises(CommandError, match="2 accounts would be deactivated"):
        sync()
    assert User.objects.filter(pk__in=[work["anna"].pk, work["bernd"].pk], is_active=True).count() == 2

    assert "deaktiviert: 2" in sync("--force")
