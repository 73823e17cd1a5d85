from django.core.management.base import BaseCommand

from buergerkontakt.demo.loader import load_demo


class Command(BaseCommand):
    help = "Lädt die Demo-Daten (Jobcenter und Bürgerbüro Musterstadt). Mehrfach ausführbar."

    def handle(self, *args, **options):
        load_demo()
        self.stdout.write(self.style.SUCCESS("Demo-Daten geladen."))
