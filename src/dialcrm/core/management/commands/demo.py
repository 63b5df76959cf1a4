import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run the demo: migrate the embedded database, seed the demo company and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: object, **options: object) -> None:
        if settings.DIALCRM_ENV != "demo":
            raise CommandError("The demo runs with DIALCRM_ENV=demo (use `make demo`).")
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo")
        host, port = options["host"], options["port"]
        self.stdout.write(
            self.style.SUCCESS(f"\ndialcrm demo on http://{host}:{port}/ (Ctrl+C stops it)\n")
        )
        call_command("web", host=host, port=port)
