"""`dialcrm reports_rollup --since YYYY-MM-DD [--until YYYY-MM-DD]`: recount the reports' hourly
roll-up of call attempts from the attempts themselves, for whole days (UTC). The dialer keeps the
roll-up in step as it closes attempts; this is for attempts recorded before the reports app was
installed, or after restoring attempts from a backup."""

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from dialcrm.reports import rollups


def _day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"'{text}' is not a date: write it as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Recount the reports' hourly roll-up of call attempts for a range of days (UTC)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--until", help="last day, YYYY-MM-DD (default: today)")

    def handle(self, *args: object, **options: str | None) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The roll-up is rebuilt on PostgreSQL only.")
        since = _day(str(options["since"]))
        until = _day(options["until"]) if options["until"] else datetime.date.today()
        if until < since:
            raise CommandError("--until comes before --since.")
        start = datetime.datetime.combine(since, datetime.time(), datetime.UTC)
        end = datetime.datetime.combine(
            until + datetime.timedelta(days=1), datetime.time(), datetime.UTC
        )
        rows = rollups.rebuild(start, end)
        self.stdout.write(f"Recounted {since} to {until}: {rows} hour rows.")
