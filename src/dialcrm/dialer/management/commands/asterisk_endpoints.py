import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dialcrm.org.models import Company, Staff
from dialcrm.telephony.sip import PHONE_ROLES, Account, endpoints_config


class Command(BaseCommand):
    help = (
        "Write Asterisk's pjsip_agents.conf: a softphone (agent-<id>) and a desk phone "
        "(desk-<id>) endpoint for every active person of the company who takes calls."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--company", type=int, required=True, help="the company's id")
        parser.add_argument(
            "--output",
            type=Path,
            help="the file to write (readable by its owner only), e.g. "
            "/etc/asterisk/pjsip_agents.conf; without it the sections go to standard output",
        )

    def handle(self, *args: object, **options: object) -> None:
        if not settings.SIP_SECRET:
            raise CommandError("SIP_SECRET is not set: the agents' passwords derive from it.")
        company = Company.objects.filter(pk=options["company"], is_active=True).first()
        if company is None:
            raise CommandError(f"No active company has the id {options['company']}.")
        people = Staff.objects.filter(
            company=company, is_active=True, role__in=PHONE_ROLES
        ).order_by("pk")
        accounts = [
            Account(person.pk, person.get_full_name() or person.username) for person in people
        ]
        text = endpoints_config(accounts, settings.SIP_SECRET)
        output = options["output"]
        if output is None:
            self.stdout.write(text, ending="")
            return
        assert isinstance(output, Path)
        _write_private(output, text)
        # The count and the file only: the passwords stay in the file.
        self.stderr.write(
            f"{len(accounts)} people ({len(accounts) * 2} endpoints) of {company.name} written "
            f"to {output}; run `pjsip reload` in Asterisk."
        )


def _write_private(path: Path, text: str) -> None:
    """Replace the file at once, readable and writable by its owner only."""
    if not path.parent.is_dir():
        raise CommandError(f"{path.parent} is not a folder.")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
