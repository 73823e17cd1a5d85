"""Citizens' Art. 15 / Art. 17 requests without an account, end to end through the pages: the
signed link goes to the named contact only, the export holds that person's data and not their
namesake's, the DPO completes an erasure that removes the person everywhere (mail and SMS files
included), and no log line of the whole run names anybody."""

from __future__ import annotations

import json
import logging
import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from buergerkontakt.appointments.models import Appointment
from buergerkontakt.callbacks.models import Ticket
from buergerkontakt.notifications.services import SEPARATOR
from buergerkontakt.privacy import services
from buergerkontakt.privacy.models import RightsRequest
from buergerkontakt.waitlist.models import Entry
from tests.reports import builders as b

ERIKA_1 = {"email": "erika.muster@example.org", "phone": "+4915111111111"}
ERIKA_2 = {"email": "e.muster@example.net", "phone": "+4915122222222"}
NAME = "Erika Muster"


def _person(org, contact: dict, case: str) -> None:
    start = timezone.now() - timedelta(days=3)
    appointment = b.appointment(org.location, start, Appointment.Status.COMPLETED, name=NAME)
    Appointment.objects.filter(pk=appointment.pk).update(email=contact["email"], phone=contact["phone"],
                                                         person_key=contact["email"], case_number=case)
    Entry.objects.create(authority=org.authority, date_from=date(2026, 12, 1), date_until=date(2026, 12, 31),
                         name=NAME, email=contact["email"].upper(), phone=contact["phone"])
    b.callback(org.team, start, start + timedelta(days=2), name=NAME, phone=contact["phone"])
    Ticket.objects.filter(phone=contact["phone"]).update(email=contact["email"], case_number=case)


@pytest.fixture
def namesakes(org, settings):
    _person(org, ERIKA_1, "AZ-111")
    _person(org, ERIKA_2, "AZ-222")
    settings.MAIL_FILE_PATH.mkdir()
    settings.SMS_FILE_PATH.mkdir()
    (settings.MAIL_FILE_PATH / "20261201-mails.log").write_text(
        "".join(f"To: {c['email']}\nSubject: Ihr Termin\n\nGuten Tag {NAME}\n" + SEPARATOR
                for c in (ERIKA_1, ERIKA_2)))
    for n, c in enumerate((ERIKA_1, ERIKA_2)):
        (settings.SMS_FILE_PATH / f"20261201-{n}.txt").write_text(f"To: {c['phone']}\n\nIhr Rückruf\n")
    return org


def _request(client, org, kind: str, **contact) -> tuple[RightsRequest, str]:
    response = client.post("/datenschutz/anfrage/", {"authority": org.authority.pk, "kind": kind, **contact})
    assert response.status_code == 302, response.content.decode()
    request = RightsRequest.objects.latest("pk")
    return request, request.code


def _link_from_mail(code: str) -> str:
    body = mail.outbox[-1].body
    return re.search(rf"(/datenschutz/anfrage/{code}/\?t=\S+)", body).group(1)


def test_access_request_shows_this_person_and_not_the_namesake(
        client, namesakes, django_capture_on_commit_callbacks):
    org = namesakes
    with django_capture_on_commit_callbacks(execute=True):
        request, code = _request(client, org, "access", email=ERIKA_1["email"])
    assert mail.outbox[-1].to == [ERIKA_1["email"]]
    link = _link_from_mail(code)

    page = client.get(link)  # GET changes nothing (mail scanners prefetch links)
    assert page.status_code == 200 and "Anfrage bestätigen" in page.content.decode()
    request.refresh_from_db()
    assert request.status == RightsRequest.Status.UNVERIFIED
    assert client.get(link.replace("/?t=", "/daten.json?t=")).status_code == 403

    assert client.post(link).status_code == 302
    request.refresh_from_db()
    assert request.status == RightsRequest.Status.OPEN
    assert request.due_on == services.due_on(request.verified_at)

    html = client.get(link).content.decode()
    assert "AZ-111" in html and "AZ-222" not in html
    export = json.loads(client.get(link.replace("/?t=", "/daten.json?t=")).content)
    text = json.dumps(export)
    assert ERIKA_1["email"] in text and ERIKA_1["phone"] in text and "AZ-111" in text
    assert ERIKA_2["email"] not in text and ERIKA_2["phone"] not in text and "AZ-222" not in text
    assert len(export["appointments"]) == 1 and len(export["waitlist"]) == 1 and len(export["callbacks"]) == 1
    assert [m["kind"] for m in export["messages"]] == ["mail"]

    pdf = client.get(link.replace("/?t=", "/daten.pdf?t="))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_a_forged_or_expired_link_is_refused(client, namesakes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _request_obj, code = _request(client, namesakes, "access", email=ERIKA_1["email"])
    link = _link_from_mail(code)
    forged = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    assert client.get(forged).status_code == 404
    assert client.post(forged).status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=9)):
        response = client.get(link)
    assert response.status_code == 410 and "abgelaufen" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "access"}, "entweder Ihre E-Mail-Adresse oder Ihre Mobilnummer"),
        ({"kind": "access", "email": "kein-at-zeichen"}, "gültige E-Mail-Adresse"),
        ({"kind": "access", "phone": "12"}, "gültige Mobilnummer"),
        ({"kind": "alles", "email": "a@example.org"}, "Auskunft oder Löschung"),
    ],
)
def test_bad_input_gets_a_german_message_and_400(client, org, data, message):
    response = client.post("/datenschutz/anfrage/", {"authority": org.authority.pk, **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not RightsRequest.objects.exists()


def test_erasure_removes_the_person_everywhere_and_keeps_the_namesake(
        client, namesakes, settings, caplog, django_capture_on_commit_callbacks):
    org = namesakes
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        request, code = _request(client, org, "erasure", phone="0151 11111111")
    # confirmation by SMS to the number named, not by e-mail
    assert not mail.outbox
    sms_text = "".join(p.read_text() for p in settings.SMS_FILE_PATH.iterdir())
    link = re.search(rf"(/datenschutz/anfrage/{code}/\?t=\S+)", sms_text).group(1)
    client.post(link)
    assert "bearbeitet sie bis spätestens" in client.get(link).content.decode()

    dpo = org.users["dpo"]
    client.force_login(dpo)
    queue = client.get("/mitarbeiter/datenschutz/").content.decode()
    assert code in queue
    response = client.post(f"/mitarbeiter/datenschutz/{request.pk}/", {"action": "complete", "answer": ""})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RightsRequest.Status.DONE and request.phone == "" and request.completed_by == dpo

    # gone everywhere …
    for model, field in ((Appointment, "phone"), (Entry, "phone"), (Ticket, "phone")):
        assert not model.objects.filter(**{field: ERIKA_1["phone"]}).exists()
    assert not Appointment.objects.filter(case_number="AZ-111").exists()
    assert not Entry.objects.filter(email__iexact=ERIKA_1["email"]).exists()
    files = "".join(p.read_text() for folder in (settings.MAIL_FILE_PATH, settings.SMS_FILE_PATH)
                    for p in folder.iterdir())
    assert ERIKA_1["phone"] not in files
    # … the namesake untouched
    assert Appointment.objects.filter(case_number="AZ-222", name=NAME).exists()
    assert Entry.objects.filter(phone=ERIKA_2["phone"], name=NAME, status=Entry.Status.ACTIVE).exists()
    assert Ticket.objects.filter(phone=ERIKA_2["phone"], caller_name=NAME).exists()
    assert ERIKA_2["phone"] in files and ERIKA_2["email"] in files

    # the whole run's log lines name nobody
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (NAME, "Muster", ERIKA_1["email"], ERIKA_1["phone"], ERIKA_2["phone"], "AZ-111"):
        assert secret not in logged


def test_erasure_by_email_removes_the_mail_copy_only_of_that_person(client, namesakes, settings):
    request = services.submit_request(namesakes.authority, "erasure", email=ERIKA_1["email"])
    RightsRequest.objects.filter(pk=request.pk).update(status="open", verified_at=timezone.now(),
                                                       due_on=date(2027, 1, 4))
    services.complete_request(request.pk, namesakes.users["dpo"])
    mails = (settings.MAIL_FILE_PATH / "20261201-mails.log").read_text()
    assert ERIKA_1["email"] not in mails and ERIKA_2["email"] in mails
    assert mails.count(SEPARATOR) == 1


@pytest.mark.parametrize(("role", "status"), [
    ("dpo", 200), ("admin", 403), ("caseworker", 403), ("teamlead", 403), ("register_keeper", 403),
    ("agent", 403), ("security", 403), ("other_admin", 403), (None, 302)])
def test_dpo_queue_per_role(client, org, role, status):
    if role:
        client.force_login(org.users[role])
    assert client.get("/mitarbeiter/datenschutz/").status_code == status


def test_dpo_of_another_authority_sees_nothing(client, org):
    from tests.factories import make_user

    request = services.submit_request(org.authority, "access", email=ERIKA_1["email"])
    RightsRequest.objects.filter(pk=request.pk).update(status="open", verified_at=timezone.now(),
                                                       due_on=date(2027, 1, 4))
    other_dpo = make_user("other_dpo", org.other_authority, "dpo")
    client.force_login(other_dpo)
    assert request.code not in client.get("/mitarbeiter/datenschutz/").content.decode()
    assert client.get(f"/mitarbeiter/datenschutz/{request.pk}/").status_code == 404
    assert client.post(f"/mitarbeiter/datenschutz/{request.pk}/", {"action": "complete"}).status_code == 404
    with pytest.raises(services.PrivacyError):
        services.complete_request(request.pk, other_dpo)


def test_unconfirmed_requests_are_not_in_the_queue(client, org):
    request = services.submit_request(org.authority, "erasure", email=ERIKA_1["email"])
    client.force_login(org.users["dpo"])
    assert request.code not in client.get("/mitarbeiter/datenschutz/").content.decode()
    assert client.get(f"/mitarbeiter/datenschutz/{request.pk}/").status_code == 404


def test_refusal_needs_a_reason(org):
    request = services.submit_request(org.authority, "erasure", email=ERIKA_1["email"])
    RightsRequest.objects.filter(pk=request.pk).update(status="open", verified_at=timezone.now(),
                                                       due_on=date(2027, 1, 4))
    with pytest.raises(services.PrivacyError, match="begründen"):
        services.refuse_request(request.pk, org.users["dpo"], answer="nein")
    done = services.refuse_request(request.pk, org.users["dpo"],
                                   answer="Gesetzliche Aufbewahrungspflicht nach § 50 SGB X")
    assert done.status == RightsRequest.Status.REFUSED and done.email == ""


@pytest.mark.parametrize(("verified", "due"), [
    ((2026, 1, 31, 22, 30), date(2026, 2, 28)),  # 23:30 on 31 January in Berlin → last day of February
    ((2026, 1, 31, 23, 30), date(2026, 3, 1)),   # 00:30 on 1 February in Berlin
    ((2026, 3, 31, 22, 30), date(2026, 5, 1)),   # 22:30 UTC = 1 April in Berlin
    ((2026, 12, 4, 10, 0), date(2027, 1, 4)),
])
def test_one_month_deadline_in_berlin_days(verified, due):
    assert services.due_on(b.utc(*verified)) == due


def test_responsibility_lookups_leave_nothing_to_erase(client, org, caplog):
    """The responsibility lookup keeps no search index: after a lookup the surname and case number
    are in no table, no cache entry and no log line (so an erasure has nothing to remove there)."""
    from django.core.cache import cache
    from django.db import connection

    caplog.set_level(logging.DEBUG)
    response = client.post("/zustaendigkeit/", {"authority": org.authority.pk, "surname": "Zyxwanski",
                                                "case_number": "QQ-98765"})
    assert response.status_code == 200 and "Zyxwanski" in response.content.decode()  # the form echoes it
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names from introspection)
            dump = repr(cursor.fetchall())
            assert "Zyxwanski" not in dump and "QQ-98765" not in dump, table
    keys = getattr(cache, "_cache", {})
    assert not any("Zyxwanski" in repr(value) for value in getattr(keys, "values", dict)())
    assert "Zyxwanski" not in "\n".join(record.getMessage() for record in caplog.records)


def test_dpo_downloads_the_export_of_an_open_request(client, namesakes):
    request = services.submit_request(namesakes.authority, "access", phone=ERIKA_2["phone"])
    RightsRequest.objects.filter(pk=request.pk).update(status="open", verified_at=timezone.now(),
                                                       due_on=date(2027, 1, 4))
    client.force_login(namesakes.users["dpo"])
    export = json.loads(client.get(f"/mitarbeiter/datenschutz/{request.pk}/export.json").content)
    assert "AZ-222" in json.dumps(export) and "AZ-111" not in json.dumps(export)
    pdf = client.get(f"/mitarbeiter/datenschutz/{request.pk}/export.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    services.complete_request(request.pk, namesakes.users["dpo"])
    assert client.get(f"/mitarbeiter/datenschutz/{request.pk}/export.json").status_code == 409
