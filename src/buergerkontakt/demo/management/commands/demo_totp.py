"""Print the current 6-digit code of a user's confirmed authenticator device (demo and testing).

    manage.py demo_totp <username>
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = gettext_lazy("Zeigt den aktuellen Sicherheitscode (TOTP) eines Benutzerkontos an – "
                        "nur für Demo und Tests.")

    def add_arguments(self, parser):
        parser.add_argument("username", help=gettext_lazy("Benutzername"))

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("Dieses Benutzerkonto gibt es nicht."))
        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            raise CommandError(_(
                "Für dieses Benutzerkonto ist keine bestätigte Authenticator-App eingerichtet. "
                "Die Einrichtung erfolgt bei der ersten Anmeldung unter /anmelden/."
            ))
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
