"""The admin index's "Einrichtung" box: the locations the signed-in administrator may set up."""

from __future__ import annotations

from django import template

from buergerkontakt.core.admin_scope import admin_authority_ids
from buergerkontakt.core.models import Location

register = template.Library()

MAX_LOCATIONS = 30


@register.simple_tag
def setup_locations(user) -> list[Location]:
    ids = admin_authority_ids(user)
    locations = Location.objects.select_related("authority").order_by("authority__name", "name")
    if ids is not None:
        locations = locations.filter(authority_id__in=ids)
    return list(locations[:MAX_LOCATIONS])
