"""What list imports and do-not-call imports share: keeping uploaded files, live progress,
the problems file (and its CSV download, safe from CSV injection), and failing a job."""

from __future__ import annotations

import csv
import io
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from dialcrm.campaigns.choices import ImportState
from dialcrm.campaigns.import_files import (
    FileSettings,
    ImportFileError,
    Preview,
    estimate_rows,
    preview,
    with_overrides,
)
from dialcrm.campaigns.import_files import detect_settings as detect_file_settings
from dialcrm.core.spreadsheets import neutralise

# Kinds of lines in a job's problems file.
INVALID, WARNING, DUPLICATE, SCRUBBED = "invalid", "warning", "duplicate", "scrubbed"
PROBLEM_COLUMNS = ("row", "column", "value", "kind", "reason")


def upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_upload_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", 200 * 1024 * 1024))


def too_big_message(size: int | None = None) -> str:
    limit = filesizeformat(max_upload_bytes())
    if size is None:
        return _(
            "The file is larger than %(limit)s, the largest accepted. Split it into smaller "
            "files, or ask your administrator to raise IMPORT_MAX_BYTES."
        ) % {"limit": limit}
    return _(
        "The file is %(size)s; the largest accepted is %(limit)s. Split it into smaller files, "
        "or ask your administrator to raise IMPORT_MAX_BYTES."
    ) % {"size": filesizeformat(size), "limit": limit}


def store_upload(source: File | Path, original_name: str) -> tuple[Path, int]:
    """Keep an uploaded file (or a local one, from the CLI) under MEDIA_ROOT/imports."""
    suffix = Path(original_name).suffix.lower()[:8]
    if not re.fullmatch(r"\.[a-z0-9]{1,7}", suffix):
        suffix = ""
    target = upload_dir() / f"{uuid.uuid4().hex}{suffix}"
    if isinstance(source, Path):
        size = source.stat().st_size
        if size > max_upload_bytes():
            raise ValidationError({"file": too_big_message(size)})
        shutil.copyfile(source, target)
        return target, size
    size = source.size or 0
    if size > max_upload_bytes():
        raise ValidationError({"file": too_big_message(size)})
    temporary = getattr(source, "temporary_file_path", None)
    if temporary is not None:
        shutil.copyfile(temporary(), target)
    else:
        with target.open("wb") as handle:
            for chunk in source.chunks():
                handle.write(chunk)
    return target, size


def prepare_upload(
    source: File | Path,
    original_name: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    has_header: bool | None = None,
) -> tuple[Path, int, FileSettings, int]:
    """Store a file and recognise how to read it: (path, size, settings, estimated rows).
    Unreadable, empty and header-only files are refused (the stored copy is removed)."""
    path, size = store_upload(source, original_name)
    try:
        file_settings = with_overrides(
            detect_file_settings(path, original_name),
            encoding=encoding,
            delimiter=delimiter,
            has_header=has_header,
        )
        preview(path, file_settings, limit=1)
        return path, size, file_settings, estimate_rows(path, file_settings)
    except ImportFileError as error:
        path.unlink(missing_ok=True)
        raise ValidationError({"file": error.message}) from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def progress_key(job_id: int, kind: str = "leads") -> str:
    return f"campaigns:import:{kind}:{job_id}:rows"


@dataclass(frozen=True)
class Progress:
    state: str
    rows_read: int
    rows_estimated: int

    @property
    def percent(self) -> int:
        if self.state == ImportState.DONE:
            return 100
        if not self.rows_estimated:
            return 0
        return min(99, int(100 * self.rows_read / self.rows_estimated))

    @property
    def is_finished(self) -> bool:
        return self.state in (ImportState.DONE, ImportState.FAILED)


def job_progress(job: Any, kind: str = "leads") -> Progress:
    """How far a job is (live while it runs: the count is kept in the cache, since the rows
    it writes are not visible before its transaction commits)."""
    rows = job.rows_read
    if job.state == ImportState.RUNNING:
        rows = cache.get(progress_key(job.pk, kind), rows) or 0
    estimated = max(job.rows_estimated, rows)
    return Progress(job.state, rows, estimated)


def first_problems(job: Any, limit: int = 20) -> list[str]:
    """The first problems of a finished job, as sentences."""
    if not job.errors_file or not Path(job.errors_file).exists():
        return []
    lines = []
    with Path(job.errors_file).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for line in reader:
            lines.append(problem_sentence(line))
            if len(lines) >= limit:
                break
    return lines


def problem_sentence(line: dict[str, str]) -> str:
    where = _("row %(row)s") % {"row": line["row"]}
    if line.get("column"):
        where += ", " + _("column %(column)s") % {"column": line["column"]}
    return f"{where}: {line['reason']}"


def problems_csv(job: Any) -> Iterator[str]:
    """The problems file of a job as CSV text, every cell neutralised against CSV injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(PROBLEM_COLUMNS)
    yield "\ufeff" + buffer.getvalue()
    path = Path(job.errors_file) if job.errors_file else None
    if path is None or not path.exists():
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        while True:
            buffer.seek(0)
            buffer.truncate()
            count = 0
            for row in reader:
                writer.writerow([neutralise(cell) for cell in row])
                count += 1
                if count >= 1000:
                    break
            if not count:
                return
            yield buffer.getvalue()


def language_of(job: Any) -> str:
    creator = job.created_by
    return getattr(creator, "language", "") or settings.LANGUAGE_CODE


def fail_job(job: Any, message: str, errors_path: Path | None = None) -> None:
    """Mark a job failed (its transaction rolled back: nothing of it was written)."""
    if errors_path is not None:
        errors_path.unlink(missing_ok=True)
    job.state = ImportState.FAILED
    job.error_message = message
    job.finished_at = timezone.now()
    job.errors_file = ""
    type(job).objects.filter(pk=job.pk).update(
        state=job.state,
        error_message=message,
        finished_at=job.finished_at,
        errors_file="",
    )


def fail_interrupted_job(job: Any) -> None:
    """Close a job whose worker stopped while running it (the worker's reaping)."""
    fail_job(
        job,
        _(
            "The import was interrupted (the worker stopped) and nothing was imported. "
            "Start it again."
        ),
    )


def file_settings(job: Any) -> FileSettings:
    return FileSettings(job.file_format, job.encoding, job.delimiter, job.has_header)


def preview_job(job: Any) -> Preview:
    """The first rows of a job's file, as it will be read (raises ImportFileError)."""
    return preview(Path(job.file), file_settings(job))
