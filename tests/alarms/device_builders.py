"""Builders for the alarm-device tests: a workstation in a room, a person working there, a device
and its token (through the real enrolment)."""

from __future__ import annotations

from buergerkontakt.alarms import devices
from buergerkontakt.alarms.models import Workstation, hash_token, new_device_token
from buergerkontakt.alarms.workplace import Workplace, set_current_workplace


def workstation(org, room=None, name="PC 1.10", extension="", person=None) -> Workstation:
    room = room or org.room
    ws = Workstation.objects.create(authority=org.authority, room=room, name=name,
                                    token_hash=hash_token(new_device_token()), phone_extension=extension,
                                    registered_by=org.users["admin"])
    if person is not None:
        set_current_workplace(person, workstation=ws, source=Workplace.Source.AGENT)
    return ws


def enrolled(org, ws, kind=devices.Device.Kind.AGENT, name="Agent PC 1.10", version="1.0.0"):
    device, code = devices.create_device(org.authority, workstation=ws, name=name, kind=kind,
                                         created_by=org.users["admin"])
    device, token = devices.enrol(code, version=version, hostname="pc-110")
    return device, token
