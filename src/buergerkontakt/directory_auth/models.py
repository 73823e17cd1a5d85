"""Directory accounts and the administrators' group → role mapping.

* :class:`GroupRoleMapping` – "members of this directory group / token group hold this role in this
  scope". Register keeper and data-protection officer are not mappable (database constraint): they are
  granted by an administrator in the role assignments and keep their four-eyes approval.
* :class:`DirectoryAccount` – the link of a local user to the directory entry (LDAP DN or OIDC issuer +
  subject) it was provisioned from.
* :class:`MappedAssignment` – marks the role assignments a mapping created, so the next sign-in or sync
  can take them away again; assignments an administrator made by hand are never touched.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from buergerkontakt.core.models import Authority, Location, Role, RoleAssignment, Team

NOT_MAPPABLE = (Role.REGISTER_KEEPER, Role.DPO, Role.PROFESSIONAL)
MAPPABLE_ROLES = [(value, label) for value, label in Role.choices if value not in NOT_MAPPABLE]


class GroupRoleMapping(models.Model):
    group = models.CharField(
        _("Gruppe"), max_length=500,
        help_text=_("LDAP/AD: Name (cn) oder vollständiger DN der Gruppe; OpenID Connect: Wert im "
                    "Gruppen-Claim des Tokens. Groß-/Kleinschreibung spielt keine Rolle."),
    )
    role = models.CharField(_("Rolle"), max_length=30, choices=MAPPABLE_ROLES)
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("Behörde"))
    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="+", verbose_name=_("nur Standort"))
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("nur Team"),
                             help_text=_("Mitglieder der Gruppe werden auch Mitglied dieses Teams."))

    class Meta:
        verbose_name = _("Gruppenzuordnung")
        verbose_name_plural = _("Gruppenzuordnungen")
        ordering = ["group", "role"]
        constraints = [
            models.UniqueConstraint(fields=["group", "role", "authority", "location", "team"],
                                    name="group_role_mapping_unique"),
            models.CheckConstraint(condition=~Q(role__in=[r.value for r in NOT_MAPPABLE]),
                                   name="group_role_mapping_no_register_or_dpo"),
        ]

    def __str__(self) -> str:
        return f"{self.group} → {self.get_role_display()} ({self.team or self.location or self.authority})"

    def save(self, *args, **kwargs):
        self.group = self.group.strip().lower()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.role in NOT_MAPPABLE:
            raise ValidationError({"role": _("Diese Rolle wird nur von der Administration vergeben.")})
        if self.team_id and self.team.authority_id != self.authority_id:
            raise ValidationError({"team": _("Das Team gehört nicht zu dieser Behörde.")})
        if self.location_id and self.location.authority_id != self.authority_id:
            raise ValidationError({"location": _("Der Standort gehört nicht zu dieser Behörde.")})

    @property
    def scope_key(self) -> tuple[str, int, int | None, int | None]:
        return (self.role, self.authority_id, self.location_id, self.team_id)


class DirectoryAccount(models.Model):
    class Kind(models.TextChoices):
        LDAP = "ldap", _("LDAP / Active Directory")
        OIDC = "oidc", _("OpenID Connect")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="directory_account", verbose_name=_("Person"))
    kind = models.CharField(_("Verzeichnis"), max_length=10, choices=Kind.choices)
    external_id = models.CharField(_("Kennung im Verzeichnis"), max_length=500,
                                   help_text=_("LDAP: DN; OpenID Connect: Aussteller und Subject."))
    department = models.CharField(_("Abteilung"), max_length=200, blank=True)
    groups = models.JSONField(_("Gruppen bei der letzten Anmeldung"), default=list, blank=True)
    last_sign_in = models.DateTimeField(_("letzte Anmeldung"), null=True, blank=True)
    last_seen_in_directory = models.DateTimeField(_("zuletzt im Verzeichnis gefunden"), null=True,
                                                  blank=True)
    deactivated_at = models.DateTimeField(_("deaktiviert (ausgeschieden) am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Verzeichniskonto")
        verbose_name_plural = _("Verzeichniskonten")
        constraints = [models.UniqueConstraint(fields=["kind", "external_id"],
                                               name="directory_account_unique_external_id")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_kind_display()})"


class MappedAssignment(models.Model):
    assignment = models.OneToOneField(RoleAssignment, on_delete=models.CASCADE, related_name="mapped",
                                      verbose_name=_("Rollenzuweisung"))

    class Meta:
        verbose_name = _("Rollenzuweisung aus Gruppenzuordnung")
        verbose_name_plural = _("Rollenzuweisungen aus Gruppenzuordnung")

    def __str__(self) -> str:
        return str(self.assignment)


class IdentityProviderDevice(Device):
    """Stands for the second factor the identity provider asserted (``amr``/``acr``) at a sign-in.

    It marks the session as verified for django-otp; it accepts no codes itself.
    """

    class Meta:
        verbose_name = _("Zweiter Faktor beim Identitätsanbieter")
        verbose_name_plural = _("Zweite Faktoren beim Identitätsanbieter")

    def verify_token(self, token) -> bool:
        return False
