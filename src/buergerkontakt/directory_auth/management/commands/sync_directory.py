"""``manage.py sync_directory``: refresh LDAP accounts, deactivate leavers (see directory_auth/sync.py)."""

from django.core.management.base import BaseCommand, CommandError

from buergerkontakt.directory_auth import sync


class Command(BaseCommand):
    help = "Gleicht Konten mit dem LDAP-Verzeichnis ab und deaktiviert ausgeschiedene Mitarbeitende."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="nur anzeigen, nichts ändern")
        parser.add_argument("--force", action="store_true",
                            help="auch mehr als LDAP_SYNC_MAX_LEAVERS Konten auf einmal deaktivieren")

    def handle(self, *args, dry_run=False, force=False, **options):
        try:
            report = sync.sync_ldap(dry_run=dry_run, force=force)
        except sync.SyncRefused as exc:
            raise CommandError(f"Abgleich abgebrochen: {exc}") from exc
        self.stdout.write(
            f"geprüft: {report.checked}, aktualisiert: {report.updated}, ausgeschieden: "
            f"{len(report.leavers)}{' (Probelauf)' if dry_run else ''}, deaktiviert: {report.deactivated}, "
            f"Fehler: {report.errors}")
