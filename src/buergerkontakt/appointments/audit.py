"""Audit log (django-auditlog) of changes to the appointment master data.

Appointments themselves are not registered: their changes would copy citizens' personal data
into the audit log; status changes go through ``services``.
"""

from auditlog.registry import auditlog

from .models import Schedule, ServiceGroup

auditlog.register(ServiceGroup, m2m_fields={"services"})
auditlog.register(Schedule)
