"""``click_to_call``: whether the pages offer "Anrufen über die Telefonanlage" (a dial URL is set);
``phone_pop``: whether the page opens the screen pop's connection – only for staff whom
``ws/telefonie/`` accepts (the same rule as the consumer), so other staff pages never try and fail."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from buergerkontakt.core.permissions import has_role

from . import queries


def _pops(request) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.authority_id:
        return False
    return has_role(user, *queries.DIAL_ROLES)


def telephony(request) -> dict:
    return {"click_to_call": bool(settings.TELEPHONY_DIAL_URL),
            "phone_pop": SimpleLazyObject(lambda: _pops(request))}
