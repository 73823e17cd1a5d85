from django.conf import settings

from .permissions import is_staff_member, roles_of


def platform(request):
    user = getattr(request, "user", None)
    staff = bool(user and user.is_authenticated and is_staff_member(user))
    return {
        "platform_name": "Bürgerkontakt",
        "is_staff_member": staff,
        "user_roles": roles_of(user) if staff else set(),
        "debug": settings.DEBUG,
        "alarm_shortcut": settings.ALARM_SHORTCUT,
        "alarm_heartbeat": settings.ALARM_HEARTBEAT_SECONDS,
        "alarm_resync": settings.ALARM_RESYNC_SECONDS,
    }
