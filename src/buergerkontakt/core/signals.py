"""Keep a user's role groups and admin access in step with their role assignments."""

from django.contrib.auth.models import Group
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Role, RoleAssignment


def sync_user_groups(user) -> None:
    roles = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
    user.groups.set(Group.objects.filter(name__in=[f"role:{r}" for r in roles]))
    wants_admin = bool(roles & {Role.ADMIN, Role.DPO}) or user.is_superuser
    if user.is_staff != wants_admin:
        user.is_staff = wants_admin
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_bk_assignments", None)


@receiver(post_save, sender=RoleAssignment)
@receiver(post_delete, sender=RoleAssignment)
def role_assignment_changed(sender, instance, **kwargs):
    sync_user_groups(instance.user)
