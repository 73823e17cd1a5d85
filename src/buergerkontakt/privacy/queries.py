"""Reads of the privacy pages: the requests a DPO may see (deny by default)."""

from __future__ import annotations

from buergerkontakt.core.models import Role
from buergerkontakt.core.permissions import assignments

from .models import RightsRequest


def _authority_ids(user) -> set[int]:
    """Authorities where the user is the DPO of the whole authority (not of one location or team)."""
    return {a.authority_id for a in assignments(user)
            if a.role == Role.DPO and a.authority_id and a.location_id is None and a.team_id is None}


def visible_requests(user):
    """Confirmed requests to the authorities where ``user`` is the DPO (unconfirmed ones are nobody's
    business yet: the contact may not belong to the requester)."""
    return (RightsRequest.objects.filter(authority_id__in=_authority_ids(user))
            .exclude(status=RightsRequest.Status.UNVERIFIED).select_related("authority", "completed_by"))


def open_requests(user):
    return visible_requests(user).filter(status=RightsRequest.Status.OPEN).order_by("due_on", "pk")


def closed_requests(user):
    return (visible_requests(user).exclude(status=RightsRequest.Status.OPEN)
            .order_by("-completed_at", "-pk"))
