"""Reminders (once, e-mail and SMS), reconfirmation, and cancelling what is not reconfirmed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from buergerkontakt.appointments import reminders
from buergerkontakt.appointments import services as booking
from buergerkontakt.appointments.exceptions import BookingError
from buergerkontakt.appointments.models import Appointment
from buergerkontakt.waitlist.models import Offer
from tests.waitlist.builders import DAY, NOW, SLOT, need, office_with_units

pytestmark = pytest.mark.django_db
Status = Appointment.Status


def booked(office, phone=""):
    held = booking.hold_slot([office.short], office.location, SLOT, now=NOW)
    return booking.confirm_booking(held, name="Lena Lang", email="lena@example.org", phone=phone, now=NOW)


def test_reminder_is_sent_once_by_mail_and_sms(django_capture_on_commit_callbacks, settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path
    office = office_with_units(reminder_hours_before=24)
    appointment = booked(office, phone="0151 23456789")
    assert reminders.send_due_reminders(now=SLOT - timedelta(hours=25)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_due_reminders(now=SLOT - timedelta(hours=23)) == 1
        assert reminders.send_due_reminders(now=SLOT - timedelta(hours=22)) == 0
    appointment.refresh_from_db()
    assert appointment.reminder_sent_at == SLOT - timedelta(hours=23)
    assert [m.subject for m in mail.outbox] == ["Erinnerung an Ihren Termin"]
    assert len(list(tmp_path.iterdir())) == 1


def test_no_reminder_when_switched_off_cancelled_or_booked_late():
    office = office_with_units(reminder_hours_before=0)
    booked(office)
    assert reminders.send_due_reminders(now=SLOT - timedelta(hours=1)) == 0
    office.group.reminder_hours_before = 24
    office.group.save()
    late = Appointment.objects.get()
    Appointment.objects.filter(pk=late.pk).update(confirmed_at=SLOT - timedelta(hours=2))
    assert reminders.send_due_reminders(now=SLOT - timedelta(hours=1)) == 0


def test_reconfirm_is_idempotent_and_only_for_confirmed_future_appointments():
    office = office_with_units()
    appointment = booked(office)
    first = reminders.reconfirm(appointment, now=NOW + timedelta(hours=1))
    assert first.reconfirmed_at == NOW + timedelta(hours=1)
    again = reminders.reconfirm(appointment, now=NOW + timedelta(hours=2))
    assert again.reconfirmed_at == first.reconfirmed_at
    with pytest.raises(BookingError, match="begonnen"):
        reminders.reconfirm(appointment, now=SLOT)
    booking.cancel_appointment(appointment, now=NOW + timedelta(hours=3))
    with pytest.raises(BookingError, match="storniert"):
        reminders.reconfirm(appointment, now=NOW + timedelta(hours=4))


def test_not_reconfirmed_is_cancelled_and_offered_to_the_waitlist_at_once(django_capture_on_commit_callbacks):
    office = office_with_units(reminder_hours_before=48, reconfirm_required=True, reconfirm_hours_before=12)
    appointment = booked(office)
    entry = need(office, "warten@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        reminders.send_due_reminders(now=SLOT - timedelta(hours=47))
    mail.outbox.clear()
    assert "rueckbestaetigen" in reminders_body(appointment)
    assert reminders.expire_unreconfirmed(now=SLOT - timedelta(hours=13)) == 0
    deadline = SLOT - timedelta(hours=12)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.expire_unreconfirmed(now=deadline) == 1
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED
    assert appointment.capacity_released  # claimed by the waitlist hold right away
    offer = entry.offers.get(status=Offer.Status.OPEN)
    assert offer.appointment.start == SLOT
    subjects = [m.subject for m in mail.outbox]
    assert "Ihr Termin wurde storniert" in subjects
    assert any(s.startswith("Terminangebot") for s in subjects)


def test_reconfirmed_appointments_stay(django_capture_on_commit_callbacks):
    office = office_with_units(reminder_hours_before=48, reconfirm_required=True, reconfirm_hours_before=12)
    appointment = booked(office)
    reminders.send_due_reminders(now=SLOT - timedelta(hours=47))
    reminders.reconfirm(appointment, now=SLOT - timedelta(hours=30))
    assert reminders.expire_unreconfirmed(now=SLOT - timedelta(hours=11)) == 0
    appointment.refresh_from_db()
    assert appointment.status == Status.CONFIRMED


def test_without_waitlist_the_capacity_is_free_at_once():
    office = office_with_units(reminder_hours_before=48, reconfirm_required=True, reconfirm_hours_before=12,
                               min_days_ahead=0)
    booked(office)
    reminders.send_due_reminders(now=SLOT - timedelta(hours=47))
    now = SLOT - timedelta(hours=12)
    reminders.expire_unreconfirmed(now=now)
    assert booking.free_starts([office.short], office.location, DAY, now=now) == [SLOT]


def reminders_body(appointment) -> str:
    from buergerkontakt.appointments import notifications

    appointment.refresh_from_db()
    return notifications.render(appointment, "reminder")[1]
