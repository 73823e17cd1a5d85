"""Data of benchmark P6 (run in its own process, Django configured by the environment): two
neighbouring rooms with one person and one workstation each, and an enrolment code per agent.
Prints the codes as JSON."""

from __future__ import annotations

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buergerkontakt.settings")
django.setup()

from buergerkontakt.alarms import devices  # noqa: E402
from buergerkontakt.alarms.models import Workstation, hash_token, new_device_token  # noqa: E402
from buergerkontakt.alarms.workplace import Workplace, set_current_workplace  # noqa: E402
from buergerkontakt.core.models import Authority, Floor, Location, Role, RoleAssignment, Room, User  # noqa: E402


def main() -> None:
    authority = Authority.objects.create(name="Jobcenter Benchmark", slug="jc-bench",
                                         kind=Authority.Kind.JOBCENTER, bundesland="HE")
    location = Location.objects.create(authority=authority, name="Jobcenter Mitte", slug="jc-bench-mitte",
                                       street="Hauptstraße 1", postcode="63065", city="Teststadt")
    floor = Floor.objects.create(location=location, name="1. OG", level=1)
    rooms = [Room.objects.create(floor=floor, number=number) for number in ("1.10", "1.11")]
    rooms[0].neighbours.add(rooms[1])
    rooms[1].neighbours.add(rooms[0])
    codes = {}
    for name, room in zip(("a", "b"), rooms, strict=True):
        user = User.objects.create_user(username=f"bench-{name}", password=None, authority=authority,
                                        first_name="Bench", last_name=name.upper())
        RoleAssignment.objects.create(user=user, role=Role.CASEWORKER, authority=authority, location=location)
        ws = Workstation.objects.create(authority=authority, room=room, name=f"PC {room.number}",
                                        token_hash=hash_token(new_device_token()), last_user=user)
        set_current_workplace(user, workstation=ws, source=Workplace.Source.AGENT)
        _device, codes[name] = devices.create_device(authority, workstation=ws, name=f"Agent {room.number}")
    print(json.dumps(codes))


if __name__ == "__main__":
    main()
