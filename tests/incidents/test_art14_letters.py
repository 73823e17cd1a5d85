"""Art. 14 GDPR: the person a register entry is about is informed in writing. The letter is made
from the authority's editable template when the entry becomes active (not before, once), handed out
as PDF, and marked as sent or – only with one of the authority's documented exceptions and a reason –
as not sent. Its text is encrypted at rest and goes with the entry."""

from __future__ import annotations

import pytest
from django.db import connection

from buergerkontakt.incidents import services
from buergerkontakt.incidents.models import Entry, LetterTemplate, LogEntry, SubjectLetter

from .builders import BIRTH, CASE, NAME, NOW, build_register, entry


@pytest.fixture
def reg(db):
    return build_register()


def test_letter_made_when_the_entry_becomes_active_and_only_then(reg):
    pending = entry(reg, approve=False)
    assert not SubjectLetter.objects.filter(entry=pending).exists()
    services.approve_entry(pending, reg.keeper2, now=NOW)
    letter = SubjectLetter.objects.get(entry=pending)
    assert letter.status == SubjectLetter.Status.PENDING
    assert NAME in letter.text and "Stufe 2" in letter.text and "Jobcenter Teststadt" in letter.text
    # a correction that needs re-approval does not make a second letter
    services.correct_entry(pending, reg.keeper, name=NAME, birth_date=BIRTH, case_number=CASE, level=3,
                           measures=pending.measures)
    services.approve_entry(pending, reg.keeper2)
    assert SubjectLetter.objects.filter(entry=pending).count() == 1


def test_text_is_encrypted_and_deleted_with_the_entry(reg):
    active = entry(reg)
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM incidents_subjectletter")
        (raw,) = cursor.fetchone()
    assert NAME not in raw
    services.delete_entry(active, reg.keeper, "review")
    assert not SubjectLetter.objects.exists()


def test_authority_template_is_used(reg):
    LetterTemplate.objects.create(authority=reg.org.authority, sender="Stadt Teststadt\nRathaus",
                                  text="Sehr geehrte Person {name}, Stufe {level}, bis {expires}. "
                                       "{unbekannt}")
    letter = entry(reg).letter
    assert letter.text.startswith(f"Sehr geehrte Person {NAME}, Stufe 2, bis ")
    assert letter.text.endswith("{unbekannt}")  # an unknown placeholder stays visible, no error
    assert letter.sender == "Stadt Teststadt\nRathaus"


def test_keeper_downloads_pdf_and_marks_sent(client, reg):
    letter = entry(reg).letter
    client.force_login(reg.keeper)
    page = client.get("/mitarbeiter/vorfaelle/benachrichtigungen/")
    assert page.status_code == 200 and NAME in page.content.decode()
    response = client.post(f"/mitarbeiter/vorfaelle/benachrichtigungen/{letter.pk}/pdf/",
                           {"address": "Herrn\nMax Beispiel\nWeg 1\n12345 Ort"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert client.post(f"/mitarbeiter/vorfaelle/benachrichtigungen/{letter.pk}/erledigt/",
                       {"action": "sent"}).status_code == 302
    letter.refresh_from_db()
    assert letter.status == SubjectLetter.Status.SENT and letter.decided_by == reg.keeper
    assert LogEntry.objects.filter(action="letter", entry_id=letter.entry_id, note="sent").exists()


def test_exception_only_as_documented_and_with_reason(reg):
    letter = entry(reg).letter
    with pytest.raises(services.IncidentError, match="dokumentierten Ausnahmen"):
        services.decide_letter(letter, reg.keeper, sent=False, exception="weil", reason="x" * 30)
    LetterTemplate.objects.create(authority=reg.org.authority,
                                  exceptions="Gefährdung des Schutzzwecks (Art. 14 Abs. 5 lit. b)\n")
    with pytest.raises(services.IncidentError, match="mindestens 20"):
        services.decide_letter(letter, reg.keeper, sent=False,
                               exception="Gefährdung des Schutzzwecks (Art. 14 Abs. 5 lit. b)", reason="kurz")
    done = services.decide_letter(letter, reg.keeper, sent=False,
                                  exception="Gefährdung des Schutzzwecks (Art. 14 Abs. 5 lit. b)",
                                  reason="Person hat angekündigt, bei Kenntnis erneut zu drohen.")
    assert done.status == SubjectLetter.Status.EXEMPT
    with pytest.raises(services.IncidentError):
        services.decide_letter(letter, reg.keeper, sent=True)


@pytest.mark.parametrize(("user", "status"), [
    ("register_keeper", 200), ("register_keeper2", 200), ("dpo", 403), ("admin", 403), ("caseworker", 403),
    ("teamlead", 403), ("other_keeper", 200)])
def test_letters_page_per_role(client, reg, user, status):
    letter = entry(reg).letter
    client.force_login(reg.users()[user])
    response = client.get("/mitarbeiter/vorfaelle/benachrichtigungen/")
    assert response.status_code == status
    if user == "other_keeper":  # a keeper of another authority sees none of ours
        assert NAME not in response.content.decode()
        assert client.post(f"/mitarbeiter/vorfaelle/benachrichtigungen/{letter.pk}/pdf/").status_code == 404
        assert client.post(f"/mitarbeiter/vorfaelle/benachrichtigungen/{letter.pk}/erledigt/",
                           {"action": "sent"}).status_code == 404
    assert Entry.objects.get(pk=letter.entry_id).letter.status == SubjectLetter.Status.PENDING
