"""Audit log (django-auditlog) of every change to master data."""

from auditlog.registry import auditlog

from .models import Authority, Floor, Location, RoleAssignment, Room, Team, User

for model in (Authority, Location, Floor, Room, Team, RoleAssignment):
    auditlog.register(model)
auditlog.register(User, exclude_fields=["password", "last_login"], m2m_fields={"teams"})
