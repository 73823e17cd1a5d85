"""An appointment cancelled while it still holds capacity is offered to the waitlist at once."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from buergerkontakt.appointments import events
from buergerkontakt.appointments.models import Appointment, Quota
from buergerkontakt.core.commit import after_commit


@receiver(post_save, sender=Appointment, dispatch_uid="waitlist_offer_cancelled")
def offer_cancelled(sender, instance: Appointment, created: bool, **kwargs) -> None:
    if created or instance.status != Appointment.Status.CANCELLED or instance.capacity_released \
            or instance.quota != Quota.ONLINE:
        return
    from .tasks import offer_cancelled_task

    after_commit(offer_cancelled_task.enqueue, instance.pk)


@receiver(events.capacity_freed_at_once, dispatch_uid="waitlist_offer_at_once")
def offer_at_once(sender, appointment_id: int, now, **kwargs) -> None:
    from .services import offer_freed

    offer_freed(appointment_id, now=now, release_now=True)
