import uvicorn
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve dialcrm (HTTP and WebSockets) with uvicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)

    def handle(self, *args: object, **options: object) -> None:
        uvicorn.run(
            "dialcrm.asgi:application",
            host=str(options["host"]),
            port=int(options["port"]),  # type: ignore[call-overload]
            workers=int(options["workers"]),  # type: ignore[call-overload]
            log_level="warning",
            proxy_headers=False,  # the client address is read by dialcrm's own rules
        )
