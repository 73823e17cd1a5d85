"""Citizen booking pages (work in progress)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


choose_services = choose_day = choose_time = challenge = lookup = details = manage = confirm = _todo
reconfirm = ics = _todo
