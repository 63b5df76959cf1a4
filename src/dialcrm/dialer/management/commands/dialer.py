import asyncio
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dialcrm.dialer.service import run_dialer


class Command(BaseCommand):
    help = "Run the predictive dialer engine: it takes running campaigns nobody else owns."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--simulated-agents",
            action="store_true",
            help="also run the simulated agents (staff named sim.*), as the demo does",
        )
        parser.add_argument(
            "--speedup",
            type=float,
            default=1.0,
            help="run the clock faster (simulated telephony only)",
        )

    def handle(self, *args: object, **options: object) -> None:
        speedup = float(options["speedup"])  # type: ignore[arg-type]
        if speedup <= 0:
            raise CommandError("--speedup must be positive.")
        if speedup != 1.0 and settings.TELEPHONY != "simulated":
            raise CommandError(
                "--speedup works with TELEPHONY=simulated only: real calls take real time."
            )

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signal_number in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signal_number, stop.set)
            await run_dialer(
                stop, with_simulated_agents=bool(options["simulated_agents"]), speedup=speedup
            )

        self.stdout.write("dialer engine running (Ctrl+C stops it)")
        asyncio.run(main())
