from django.conf import settings
from django.utils.translation import gettext as _

from .permissions import is_staff_member, roles_of


def shortcut_label(shortcut: str) -> str:
    """The shortcut as the keyboard in the reader's language names it ("Strg+Alt+A" in German)."""
    names = {"control": _("Strg"), "shift": _("Umschalt"), "alt": "Alt", "meta": _("Windows-Taste")}
    return "+".join(str(names.get(key.lower(), key)) for key in shortcut.split("+"))


def platform(request):
    user = getattr(request, "user", None)
    staff = bool(user and user.is_authenticated and is_staff_member(user))
    return {
        "platform_name": "Bürgerkontakt",
        "is_staff_member": staff,
        "user_roles": roles_of(user) if staff else set(),
        "debug": settings.DEBUG,
        "alarm_shortcut": settings.ALARM_SHORTCUT,
        "alarm_shortcut_label": shortcut_label(settings.ALARM_SHORTCUT),
        "alarm_heartbeat": settings.ALARM_HEARTBEAT_SECONDS,
        "alarm_resync": settings.ALARM_RESYNC_SECONDS,
    }
