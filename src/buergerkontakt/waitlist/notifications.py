"""Messages to citizens about their need: receipt, offers (e-mail and SMS), expiry.

:func:`notify` hands ids only to the notification pipeline (``notifications/pipeline.py``), which
sends in the background once the transaction has committed, at most once per message; no personal
data sits in the task queue. Offers go by e-mail and, when a mobile number is
known, also by SMS (short text with the link).
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buergerkontakt.notifications import pipeline, quiet_hours, sms

from . import links
from .models import Entry, Offer

TOPIC = "waitlist"
KINDS = ("registered", "offer", "expired")

SUBJECTS = {
    "registered": lambda: _("Ihre Bedarfsmeldung ist eingegangen"),
    "offer": lambda: _("Terminangebot – bitte antworten Sie bis zur genannten Frist"),
    "expired": lambda: _("Ihre Bedarfsmeldung ist abgelaufen"),
}


def _context(entry: Entry, offer: Offer | None) -> dict:
    locations = list(entry.locations.order_by("name"))
    context = {
        "entry": entry,
        "services": list(entry.services.order_by("name")),
        "locations": locations,
        "withdraw_url": links.url(entry, "withdraw") if entry.status == Entry.Status.ACTIVE else "",
        "register_url": settings.SITE_URL + reverse("waitlist:register"),
        "site_url": settings.SITE_URL,
    }
    if offer is not None:
        appointment = offer.appointment
        context.update({
            "offer": offer,
            "appointment": appointment,
            "location": appointment.location,
            "start": timezone.localtime(appointment.start),
            "end": timezone.localtime(appointment.end),
            "expires": timezone.localtime(offer.expires_at),
            "offer_url": links.url(offer, "offer"),
        })
    return context


def render(entry: Entry, kind: str, offer: Offer | None = None, channel: str = "mail") -> tuple[str, str]:
    """(subject, text) in the entry's language."""
    with translation.override(entry.language or settings.LANGUAGE_CODE):
        body = render_to_string(f"waitlist/mail/{kind}.{'txt' if channel == 'mail' else 'sms'}",
                                _context(entry, offer))
        subject = str(SUBJECTS[kind]())
    return subject, body.strip() + "\n"


def _offer_sms(entry: Entry, offer: Offer) -> None:
    """Text the offer now, or when the quiet hours are over (send_due_offer_sms)."""
    now = timezone.now()
    if quiet_hours.is_quiet(now):
        Offer.objects.filter(pk=offer.pk, sms_sent_at__isnull=True).update(
            sms_due_at=quiet_hours.daytime_from(now))
    else:
        _send_offer_sms(entry, offer, now)


def _send_offer_sms(entry: Entry, offer: Offer, now) -> bool:
    """Text the offer once (the row is claimed first, so two workers never both send)."""
    if not Offer.objects.filter(pk=offer.pk, sms_sent_at__isnull=True).update(sms_sent_at=now):
        return False
    _subject, text = render(entry, "offer", offer, channel="sms")
    sms.send_sms(entry.phone, text)
    return True


def send_due_offer_sms(now=None) -> int:
    """Text the open offers that were made in the quiet hours, once they are over."""
    now = now or timezone.now()
    if quiet_hours.is_quiet(now):
        return 0
    due = (Offer.objects.filter(status=Offer.Status.OPEN, sms_sent_at__isnull=True, sms_due_at__lte=now,
                                expires_at__gt=now)
           .select_related("entry", "appointment__location").order_by("sms_due_at", "pk"))
    return sum(_send_offer_sms(offer.entry, offer, now) for offer in due if offer.entry.phone)


def build(entry_id: int, kind: str, params: dict) -> list[pipeline.Message] | None:
    """The message of ``kind`` (notification pipeline builder); None when the entry or offer is gone."""
    offer_id = params.get("offer_id")
    entry = Entry.objects.filter(pk=entry_id).first()
    offer = (Offer.objects.select_related("appointment__location").filter(pk=offer_id).first()
             if offer_id else None)
    if entry is None or (offer_id and offer is None):
        return None
    if offer is not None and offer.status != Offer.Status.OPEN:
        return []  # answered or expired before the message went out
    subject, body = render(entry, kind, offer)
    texted = kind == "offer" and entry.phone and offer is not None
    also = functools.partial(_offer_sms, entry, offer) if texted else None
    return [pipeline.Message(to=[entry.email], subject=subject, body=body, also=also)]


pipeline.register(TOPIC, KINDS, build)


# Kept for one release (2026-12-04): tasks queued before the upgrade to the notification pipeline
# still run (now with the pipeline's once-only sending).
@task(takes_context=True)
def send_waitlist_message(context, entry_id: int, kind: str, offer_id: int | None = None) -> None:
    pipeline.send(TOPIC, kind, entry_id, {"offer_id": offer_id}, run_id=str(context.task_result.id))


def notify(entry: Entry, kind: str, offer: Offer | None = None) -> None:
    """Send ``kind`` in the background after the current transaction commits."""
    pipeline.notify(TOPIC, kind, entry.pk, offer_id=offer.pk if offer is not None else None)
