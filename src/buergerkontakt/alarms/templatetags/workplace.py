"""``{% alarm_place %}``: the alarm bar's permanent line saying where the person works now."""

from __future__ import annotations

from django import template

from ..consumers import DEVICE_COOKIE
from ..services import workstation_for
from ..workplace import current_place

register = template.Library()


@register.inclusion_tag("alarms/_place.html", takes_context=True)
def alarm_place(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"place": None}
    workstation = workstation_for(request.COOKIES.get(DEVICE_COOKIE), user)
    return {"place": current_place(user, workstation=workstation)}
