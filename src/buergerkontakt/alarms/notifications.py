"""E-mail to security when workstations are unreachable during opening hours (a PC alarm that
nobody notices is off is the failure this guards against). Names no person, only rooms and PCs."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from buergerkontakt.core.models import Location, Role, User

from .models import Workstation
from .recipients import role_holders

log = logging.getLogger(__name__)


def offline_warning(location_id: int, workstation_ids: list[int], *, agents: bool = False) -> int:
    """Send the warning (``agents``: about the workstations' desktop agents); returns the number
    of addressees."""
    location = Location.objects.get(pk=location_id)
    stations = Workstation.objects.filter(pk__in=workstation_ids).select_related("room__floor")
    emails = [
        email
        for email in User.objects.filter(
            pk__in=role_holders(Role.SECURITY, authority_id=location.authority_id, location_id=location.pk)
        ).values_list("email", flat=True)
        if email
    ]
    if not emails:
        log.warning("Standort %s: kein Sicherheitsdienst mit E-Mail für die Offline-Warnung", location.pk)
        return 0
    with override(settings.LANGUAGE_CODE):
        lines = [
            _("Raum %(room)s (%(floor)s): %(name)s") % {
                "room": w.room.number, "floor": w.room.floor.name, "name": w.name}
            for w in stations
        ]
        minutes = {"minutes": settings.ALARM_OFFLINE_WARN_MINUTES}
        url = {"url": settings.SITE_URL.rstrip("/") + reverse("alarms:console")}
        if agents:
            intro = _("Auf diesen Arbeitsplätzen meldet sich der Desktop-Agent während der Öffnungszeit seit "
                      "mindestens %(minutes)s Minuten nicht. Die Tastenkombination und der Alarmknopf dort "
                      "lösen nichts aus, und Alarme erscheinen dort nicht außerhalb des Browsers:") % minutes
            check = _("Bitte prüfen Sie die PCs (Agent gestartet, Netzwerk?): %(url)s") % url
            subject = ngettext(
                "Alarm-Überwachung: Desktop-Agent an %(count)s Arbeitsplatz nicht erreichbar (%(location)s)",
                "Alarm-Überwachung: Desktop-Agent an %(count)s Arbeitsplätzen nicht erreichbar "
                "(%(location)s)",
                len(lines),
            ) % {"count": len(lines), "location": location.name}
        else:
            intro = _("Diese Arbeitsplätze sind während der Öffnungszeit seit mindestens %(minutes)s Minuten "
                      "nicht erreichbar. Ein Alarm von dort oder an die Kolleg:innen dort kommt nicht an:") \
                % minutes
            check = _("Bitte prüfen Sie die PCs (Browser geöffnet, angemeldet?): %(url)s") % url
            subject = ngettext(
                "Alarm-Überwachung: %(count)s Arbeitsplatz nicht erreichbar (%(location)s)",
                "Alarm-Überwachung: %(count)s Arbeitsplätze nicht erreichbar (%(location)s)",
                len(lines),
            ) % {"count": len(lines), "location": location.name}
        body = "\n".join([intro, "", *lines, "", check])
    EmailMessage(subject=subject, body=body + "\n", to=emails).send()
    return len(emails)
