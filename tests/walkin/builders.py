"""Builders for queue tests: queues, counters and screens at a location of ``tests.factories``."""

from __future__ import annotations

from buergerkontakt.core.models import Floor, Location, Room
from buergerkontakt.walkin.models import Queue, Screen


def make_queue(location: Location, prefix: str = "A", name: str = "Ausweise", *, services=(),
               **fields) -> Queue:
    queue = Queue.objects.create(location=location, prefix=prefix, name=name, **fields)
    if services:
        queue.services.set(services)
    return queue


def make_counter(location: Location, number: str, name: str = "") -> Room:
    floor, _ = Floor.objects.get_or_create(location=location, level=0, defaults={"name": "Erdgeschoss"})
    return Room.objects.create(floor=floor, number=number, name=name, kind=Room.Kind.COUNTER)


def make_screen(location: Location, kind: str = Screen.Kind.DISPLAY, **fields) -> Screen:
    return Screen.objects.create(location=location, kind=kind, name=fields.pop("name", "Anzeige"), **fields)
