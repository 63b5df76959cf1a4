import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dialcrm.core.worker import run_pending_jobs, run_worker_forever


class Command(BaseCommand):
    help = (
        "Run the background worker: queued jobs (list and do-not-call imports) and periodic work "
        "(webhook deliveries), as they fall due."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run the jobs queued and the work due now, then stop (for cron or a test).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            count = run_pending_jobs()
            self.stdout.write(f"{count} job(s) run.")
            return
        stop = threading.Event()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signal_number, lambda *_args: stop.set())
        self.stdout.write("dialcrm worker: waiting for work (Ctrl+C stops it).")
        run_worker_forever(stop)
