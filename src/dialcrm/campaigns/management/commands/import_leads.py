"""`dialcrm import-leads --list LIST_ID FILE [--mapping NAME] [--as USERNAME]`: import a file into
a call list now, through the same checks as the screens, and print the report as JSON."""

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dialcrm.campaigns import imports
from dialcrm.campaigns.choices import ImportState
from dialcrm.campaigns.import_files import ImportFileError
from dialcrm.campaigns.import_jobs import preview_job
from dialcrm.campaigns.models import CallList, ImportJob
from dialcrm.core import audit
from dialcrm.core.worker import claim, run_claimed
from dialcrm.org.models import Staff

BAD_INPUT = 2


class Operator:
    """Whoever runs the command without --as: the operator of the installation, who may do
    anything (they have the server's shell already). Nothing is recorded as done by a person."""

    pk = None
    is_authenticated = True
    is_active = True
    is_superuser = True
    language = settings.LANGUAGE_CODE


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


class Command(BaseCommand):
    help = (
        "Import a CSV or XLSX file of leads into a call list and print the report as JSON. "
        "Without --mapping, columns named like lead fields are mapped (first_name, last_name, "
        "external_id, email, city, region, phone, phone2, mobile...)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--list", dest="list_id", type=int, required=True, help="call list id")
        parser.add_argument("file", help="the CSV or XLSX file")
        parser.add_argument("--mapping", default="", help="name of a saved mapping to apply")
        parser.add_argument(
            "--as", dest="username", default="", help="act as this person (permissions, audit)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor: Any = Operator()
        if options["username"]:
            actor = Staff.objects.filter(username=options["username"], is_active=True).first()
            if actor is None:
                raise CommandError(
                    f"There is no active person '{options['username']}'.", returncode=BAD_INPUT
                )
        with audit.acting_as(audit.Actor(staff_id=actor.pk) if actor.pk else None):
            report = self._import(actor, options)
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        if report["state"] != ImportState.DONE:
            raise CommandError(report["error_message"], returncode=BAD_INPUT)

    def _import(self, actor: Any, options: dict[str, Any]) -> dict[str, Any]:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"There is no file {path}.", returncode=BAD_INPUT)
        call_list = CallList.objects.select_related("client").filter(pk=options["list_id"]).first()
        if call_list is None:
            raise CommandError(f"There is no call list {options['list_id']}.", returncode=BAD_INPUT)
        try:
            job = imports.create_import(actor, call_list, path, path.name)
            mapping, chosen, ignored = self._mapping(actor, job, call_list, options["mapping"])
            job = imports.start_import(actor, job, mapping, chosen)
        except ValidationError as error:
            raise CommandError(_messages(error), returncode=BAD_INPUT) from None
        except PermissionDenied as error:
            raise CommandError(str(error), returncode=BAD_INPUT) from None
        claimed = claim(ImportJob, job.pk)
        if claimed is not None:
            run_claimed(claimed)
        else:  # a running worker took it first: wait for it
            while job.state in (ImportState.QUEUED, ImportState.RUNNING):
                time.sleep(0.5)
                job.refresh_from_db()
        job.refresh_from_db()
        report = asdict(imports.import_report(job))
        report["mapping"] = mapping.to_json()["columns"]
        report["mapping_source"] = (
            f"saved mapping '{options['mapping']}'" if options["mapping"] else "header names"
        )
        report["ignored_columns"] = ignored
        return report

    def _mapping(
        self, actor: Any, job: ImportJob, call_list: CallList, name: str
    ) -> tuple[imports.Mapping, imports.ImportOptions, list[str]]:
        try:
            headers = preview_job(job).headers
        except ImportFileError as error:
            raise CommandError(error.message, returncode=BAD_INPUT) from None
        if name:
            saved = imports.find_mapping(actor, call_list.client.company_id, name)
            mapping = imports.Mapping.from_json(saved.mapping)
            mapping.check_columns(headers)
            used = {column.column for column in mapping.columns}
            return (
                mapping,
                imports.ImportOptions.from_json(saved.options),
                [header for header in headers if header not in used],
            )
        mapping, ignored = imports.auto_mapping(headers)
        try:
            imports.Mapping.from_json(mapping.to_json())
        except ValidationError as error:
            raise CommandError(
                f"{_messages(error)} No column is named like a phone (phone, phone2, mobile...): "
                f"the file's columns are {', '.join(headers)}. Rename them, or use --mapping.",
                returncode=BAD_INPUT,
            ) from None
        self.stderr.write(
            "Columns mapped by header name: "
            + ", ".join(f"{column.column} -> {column.target}" for column in mapping.columns)
            + (f"; not imported: {', '.join(ignored)}" if ignored else "")
        )
        return mapping, imports.ImportOptions(), ignored
