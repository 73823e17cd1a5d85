"""Small template helpers for the directory pages."""

from __future__ import annotations

import re

from django import template

register = template.Library()


@register.filter
def tel_href(number: str) -> str:
    """A ``tel:`` URI from a German phone number as written ("069 1234-100" → "tel:0691234100")."""
    digits = re.sub(r"[^\d+]", "", number or "")
    return f"tel:{digits}" if digits else ""
