from auditlog.registry import auditlog

from .models import (
    CalendarException,
    HoursRule,
    PublicationConsent,
    ResponsibilityRule,
    SecurityException,
    Service,
)

for model in (Service, HoursRule, CalendarException, PublicationConsent, SecurityException,
              ResponsibilityRule):
    auditlog.register(model)
