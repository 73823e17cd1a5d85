"""Audit log of the queue's master data (tickets carry no names; their history is CallEvent)."""

from auditlog.registry import auditlog

from .models import Queue, Screen

auditlog.register(Queue, m2m_fields={"services"})
auditlog.register(Screen, exclude_fields=["key"])
