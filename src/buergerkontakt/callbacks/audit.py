"""Audit log (django-auditlog): the callback policy, and every pause and resumption of a ticket's
deadline clock (who stopped it, when and why). Tickets themselves are not registered – their
changes would copy callers' personal data into the audit log; their history is ``TicketEvent``.
"""

from auditlog.registry import auditlog

from .models import CallbackPolicy, Pause

auditlog.register(CallbackPolicy)
auditlog.register(Pause)
