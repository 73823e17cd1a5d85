"""Public directory pages (thin views over queries.py and hours.py)."""

from django.http import HttpResponse


def _todo(request, **kwargs):
    return HttpResponse("in Arbeit")


home = services = service = locations = location = responsibility = people = _todo
