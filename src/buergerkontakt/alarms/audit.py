"""Audit log (django-auditlog): alarm devices (created, enrolled, revoked – who and when) and the
registered workstations (room, extension). Digests of codes and tokens are never copied into it;
the raises themselves are in each alarm's timeline (with the device)."""

from auditlog.registry import auditlog

from .devices import Device
from .models import Workstation

auditlog.register(Device, exclude_fields=["code_hash", "token_hash", "last_used_at", "last_heartbeat_at",
                                          "offline_warned_at"])
auditlog.register(Workstation, include_fields=["name", "room", "is_active", "phone_extension"])
