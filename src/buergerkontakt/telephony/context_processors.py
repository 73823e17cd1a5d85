"""``click_to_call``: whether the pages offer "Anrufen über die Telefonanlage" (a dial URL is set)."""

from django.conf import settings


def telephony(request) -> dict:
    return {"click_to_call": bool(settings.TELEPHONY_DIAL_URL)}
