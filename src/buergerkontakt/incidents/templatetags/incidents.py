"""``{% load incidents %}``: the minimal safety hint on other apps' pages.

``{% safety_hint_appointment appointment %}`` and ``{% safety_hint_ticket ticket %}`` render
``incidents/_hint.html`` for the responsible case worker when the person matches an active register
entry (and log the match); otherwise nothing. The other apps need no migration and no import of
the register: one line in their template.
"""

from __future__ import annotations

from django import template

from .. import queries

register = template.Library()


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


@register.inclusion_tag("incidents/_hint.html", takes_context=True)
def safety_hint_appointment(context, appointment):
    user = _user(context)
    hint = queries.hint_for_appointment(user, appointment) if user is not None else None
    return {"hint": hint}


@register.inclusion_tag("incidents/_hint.html", takes_context=True)
def safety_hint_ticket(context, ticket):
    user = _user(context)
    hint = queries.hint_for_ticket(user, ticket) if user is not None else None
    return {"hint": hint}
