"""Issue 20 item 1: "Berichtigen" must not bypass the four-eyes rule. A change to the identity or
the level of an entry returns it to "wartet auf Freigabe"; only a keeper other than the one who
changed it approves it; the previous values are kept encrypted in the entry's history, which the
DPO sees in the Art. 15 export."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from buergerkontakt.core.models import Role
from buergerkontakt.incidents import services
from buergerkontakt.incidents.models import Entry, EntryRevision, LogEntry
from tests.factories import make_user

from .builders import BIRTH, CASE, NAME, NOW, build_register, entry

pytestmark = pytest.mark.django_db

OTHER = "Bernd Braun"


@pytest.fixture
def reg():
    with time_machine.travel(NOW, tick=False):
        reg = build_register()
        reg.entry = entry(reg)  # created by keeper (zentrale1), approved by keeper2 (zentrale2)
        yield reg


def correction(**changes) -> dict:
    data = {
        "name": NAME,
        "birth_date": BIRTH.isoformat(),
        "case_number": CASE,
        "level": "2",
        "measures": ["two_persons", "security"],
        "measures_note": "",
        "review_on": "2027-03-01",
        "note": "Schreibweise laut Ausweis",
    }
    data.update(changes)
    return data


def lookup_found(reg) -> bool:
    return services.lookup(reg.keeper, purpose="Termin am Dienstag", case_number=CASE).found


def test_changing_the_person_returns_the_entry_to_approval_by_somebody_else(client, reg):
    client.force_login(reg.keeper)
    response = client.post(
        reverse("incidents:correct", args=[reg.entry.pk]), correction(name=OTHER, case_number="BG-12345")
    )
    assert response.status_code == 302
    changed = Entry.objects.get(pk=reg.entry.pk)
    assert changed.status == Entry.Status.PENDING and changed.approved_by is None
    assert changed.changed_by == reg.keeper
    assert not services.lookup(reg.keeper, purpose="Termin am Dienstag", case_number="BG-12345").found
    # the one who changed it cannot approve it himself – through the page and the service
    response = client.post(reverse("incidents:approve", args=[reg.entry.pk]))
    assert response.status_code == 403 and "Vier-Augen-Prinzip" in response.content.decode()
    assert Entry.objects.get(pk=reg.entry.pk).status == Entry.Status.PENDING
    detail = client.get(reverse("incidents:entry", args=[reg.entry.pk])).content.decode()
    assert "Freigeben kann ihn nur eine zweite Person" in detail
    # a second keeper approves the changed entry
    client.force_login(reg.keeper2)
    assert client.post(reverse("incidents:approve", args=[reg.entry.pk])).status_code == 302
    approved = Entry.objects.get(pk=reg.entry.pk)
    assert approved.status == Entry.Status.ACTIVE and approved.approved_by == reg.keeper2
    # re-approval does not extend the retention period of the entry
    assert approved.expires_at == reg.entry.expires_at
    assert services.lookup(reg.keeper, purpose="Termin am Dienstag", case_number="BG-12345").found


def test_changing_the_level_of_an_active_entry_alone_does_not_keep_it_active(client, reg):
    client.force_login(reg.keeper2)
    response = client.post(reverse("incidents:correct", args=[reg.entry.pk]), correction(level="3"))
    assert response.status_code == 302
    assert Entry.objects.get(pk=reg.entry.pk).status == Entry.Status.PENDING
    assert not lookup_found(reg)
    with pytest.raises(services.IncidentError) as refused:
        services.approve_entry(reg.entry.pk, reg.keeper2)
    assert refused.value.status_code == 403
    # the creator of the original entry reviews the change made by the other keeper
    services.approve_entry(reg.entry.pk, reg.keeper)
    assert services.lookup(reg.keeper, purpose="Termin am Dienstag", case_number=CASE).level == 3


def test_measures_and_review_date_stay_active(client, reg):
    client.force_login(reg.keeper2)
    data = correction(measures=["second_exit"], review_on="2027-05-01")
    assert client.post(reverse("incidents:correct", args=[reg.entry.pk]), data).status_code == 302
    kept = Entry.objects.get(pk=reg.entry.pk)
    assert kept.status == Entry.Status.ACTIVE and kept.approved_by == reg.keeper2
    assert lookup_found(reg)


def test_previous_values_are_kept_encrypted_for_the_dpo(client, reg):
    third = make_user("register_keeper3", reg.org.authority, Role.REGISTER_KEEPER)
    client.force_login(reg.keeper)
    client.post(
        reverse("incidents:correct", args=[reg.entry.pk]), correction(name=OTHER, case_number="BG-12345")
    )
    revision = EntryRevision.objects.get(entry=reg.entry)
    assert revision.changed_by == reg.keeper and revision.was_active
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM incidents_entryrevision")
        raw = repr(cursor.fetchall())
    assert "Müller" not in raw and "1980-02-29" not in raw and "123A456789" not in raw
    row = LogEntry.objects.get(action=LogEntry.Action.ENTRY_CORRECTED)
    assert "Müller" not in row.note and "Braun" not in row.note and "Freigabe" in row.note
    services.approve_entry(reg.entry.pk, third)
    # the DPO's Art. 15 export for the person as the entry reads now shows the previous values
    client.force_login(reg.org.users["dpo"])
    response = client.post(
        reverse("incidents:export"),
        {
            "name": OTHER,
            "birth_date": BIRTH.isoformat(),
            "case_number": "BG-12345",
            "note": "Antrag vom 01.06.2026 auf Auskunft",
            "format": "json",
        },
    )
    assert response.status_code == 200
    history = response.json()["entries"][0]["history"]
    assert history[0]["previous"]["name"] == NAME and history[0]["previous"]["case_number"] == CASE
    assert history[0]["previous"]["status"] == "aktiv" and history[0]["changed_by"] == "register_keeper"
