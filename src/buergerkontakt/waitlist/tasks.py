"""Background tasks of the waitlist, run periodically by ``manage.py run_scheduler``."""

from __future__ import annotations

from django.tasks import task

from buergerkontakt.core import scheduler

from . import notifications, services


@task
def match_task() -> int:
    """Offer free capacity to waiting entries, in order."""
    return services.match()


@task
def expire_offers_task() -> int:
    """Close unanswered offers, hand their time on, then offer what is free."""
    done = services.expire_offers()
    services.match()
    return done


@task
def expire_entries_task() -> int:
    """Entries whose date range has passed expire (the citizen is told)."""
    return services.expire_entries()


@task
def offer_cancelled_task(appointment_id: int) -> int:
    """A citizen cancelled: offer the time to the waitlist at once (the public waits)."""
    return len(services.offer_freed(appointment_id, release_now=False))


@task
def send_due_offer_sms() -> int:
    """Offers made in the quiet hours are texted once they end."""
    return notifications.send_due_offer_sms()


scheduler.register(match_task, 120)
scheduler.register(send_due_offer_sms, 60)
scheduler.register(expire_offers_task, 60)
scheduler.register(expire_entries_task, 3600)
