"""Keep a user's role groups and admin access in step with their role assignments; refuse a room
as its own neighbour whoever stores it."""

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from .models import Role, RoleAssignment, Room


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


@receiver(m2m_changed, sender=Room.neighbours.through)
def room_not_its_own_neighbour(sender, instance, action, pk_set=None, **kwargs):
    if action == "pre_add" and isinstance(instance, Room) and instance.pk in (pk_set or ()):
        raise ValidationError(_("Ein Raum ist nicht sein eigener Nachbar."))
