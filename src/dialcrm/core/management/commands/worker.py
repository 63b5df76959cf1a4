import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dialcrm.campaigns.worker import run_pending_jobs, run_worker_forever


class Command(BaseCommand):
    help = "Run the background worker: list imports and do-not-call imports, as they are queued."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run the jobs queued now, then stop (for cron or a test).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            count = run_pending_jobs()
            self.stdout.write(f"{count} job(s) run.")
            return
        stop = threading.Event()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signal_number, lambda *_args: stop.set())
        self.stdout.write("dialcrm worker: waiting for imports (Ctrl+C stops it).")
        run_worker_forever(stop)
