"""The SPEC's roles as Django groups, kept in sync after every migrate.

Groups carry Django-admin model permissions (what an administrator may edit in the admin);
*where* somebody may act is decided by scoped role assignments (permissions.py).
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from .models import Role

# Model permissions per role group (app_label.codename prefixes); admin gets master data.
MASTER_DATA_APPS = ("core", "directory", "appointments", "waitlist", "walkin", "callbacks", "alarms",
                    "directory_auth", "privacy")
ROLE_MODEL_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.ADMIN: ("add_", "change_", "delete_", "view_"),
    Role.DPO: ("view_",),
}


def group_name(role: str) -> str:
    return str(Role(role).label)


def sync_role_groups(**kwargs) -> None:
    for role in Role.values:
        group, _ = Group.objects.get_or_create(name=f"role:{role}")
        prefixes = ROLE_MODEL_PERMISSIONS.get(role, ())
        if not prefixes:
            continue
        perms = [
            p for p in Permission.objects.filter(content_type__app_label__in=MASTER_DATA_APPS)
            if p.codename.startswith(prefixes)
        ]
        if role == Role.DPO:
            perms += list(Permission.objects.filter(content_type__app_label="auditlog",
                                                    codename__startswith="view_"))
        group.permissions.set(perms)
