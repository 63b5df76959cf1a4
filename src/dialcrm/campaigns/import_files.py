"""Reading import files, streamed row by row: CSV in any delimiter and encoding (detected, or
chosen by the person) and XLSX (openpyxl's read-only mode). Every problem with a file is an
`ImportFileError` whose message says what to do."""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime
import io
import itertools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import charset_normalizer
from django.utils.translation import gettext as _

CSV, XLSX = "csv", "xlsx"
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
PREVIEW_ROWS = 20
# Legacy encodings chosen first when the detection finds them as good as any other.
PREFERRED_ENCODINGS = ("cp1250", "iso8859_2", "cp1252", "iso8859_15", "iso8859_1")
_SNIFF_BYTES = 256 * 1024
_WIDTH_ROWS = 100  # a headerless file has as many columns as the widest of its first rows
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class ImportFileError(Exception):
    """A file that cannot be read as asked; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FileSettings:
    """How to read a file: its format and, for CSV, its encoding, delimiter and header."""

    file_format: str
    encoding: str = ""
    delimiter: str = ""
    has_header: bool = True


@dataclass(frozen=True)
class Preview:
    """The column names and the first rows of a file, as the import will read them."""

    headers: list[str]
    rows: list[list[str]]


@dataclass
class Table:
    """A file opened for reading: the column names and an iterator of (row number, cells).

    Row numbers are those a spreadsheet shows: the header is row 1. Blank rows are skipped.
    """

    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]


def _read_start(path: Path, size: int = _SNIFF_BYTES) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except FileNotFoundError:
        raise ImportFileError(_gone()) from None


def _gone() -> str:
    return _("The uploaded file is no longer on the server: upload it again.")


def detect_settings(path: Path, original_name: str) -> FileSettings:
    """Recognise a file's format, encoding and delimiter; refuse files that are not readable."""
    start = _read_start(path)
    name = original_name.lower()
    if start.startswith(_OLE_MAGIC):
        raise ImportFileError(
            _("This is an old Excel file (.xls). Save it as .xlsx or CSV and upload that.")
        )
    if start.startswith(_ZIP_MAGIC):
        if _is_workbook(path):
            return FileSettings(XLSX)
        if name.endswith((".xlsx", ".xlsm")):
            raise ImportFileError(_not_a_workbook())
        raise ImportFileError(
            _("This is a ZIP archive, not a spreadsheet: upload a CSV or an .xlsx file.")
        )
    if name.endswith((".xlsx", ".xlsm")):
        raise ImportFileError(
            _(
                "This file is named .xlsx but is not an Excel workbook (it may be damaged, or a "
                "CSV file renamed). Open it in a spreadsheet program and save it as .xlsx or CSV."
            )
        )
    if not start.strip(b" \t\r\n" + codecs.BOM_UTF8):
        raise ImportFileError(_("The file is empty."))
    encoding = detect_encoding(start)
    text = _decode_sample(start, encoding)
    return FileSettings(CSV, encoding=encoding, delimiter=detect_delimiter(text))


def _not_a_workbook() -> str:
    return _(
        "This file is not a readable Excel workbook (.xlsx). Open it in a spreadsheet program "
        "and save it as .xlsx or CSV."
    )


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def detect_encoding(sample: bytes) -> str:
    """The text encoding of a file's start: UTF-8 (with or without a byte-order mark), UTF-16,
    or charset-normalizer's best guess for legacy encodings such as cp1250."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start >= len(sample) - 3 and error.reason == "unexpected end of data":
            return "utf-8"  # the sample ends inside a character
    if b"\x00" in sample:
        raise ImportFileError(
            _("This does not look like a text (CSV) file. Upload a CSV or an .xlsx file.")
        )
    results = charset_normalizer.from_bytes(sample)
    best = results.best()
    if best is None:
        raise ImportFileError(
            _("The text encoding of this file is not recognisable: choose it in the list.")
        )
    # A short file fits several legacy encodings equally well: prefer those of the region the
    # product serves over, say, a Baltic code page that reads Romanian letters as others.
    for preferred in PREFERRED_ENCODINGS:
        for result in results:
            if result.encoding == preferred and result.chaos <= best.chaos + 0.01:
                return preferred
    return best.encoding


def _decode_sample(sample: bytes, encoding: str) -> str:
    return sample.decode(encoding, errors="ignore")


def detect_delimiter(text: str) -> str:
    """The delimiter of a CSV text: the sniffer's answer among , ; tab |, else the most
    frequent of them in the first line that is not blank, else a comma (one column)."""
    lines = text.splitlines()
    sample = "\n".join(lines[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        pass
    first = next((line for line in lines if line.strip()), "")
    counts = {delimiter: first.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def check_encoding(encoding: str) -> str:
    """A codec name Python knows, or a clear error."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ImportFileError(
            _("'%(encoding)s' is not a known text encoding.") % {"encoding": encoding}
        ) from None


def _column_names(cells: list[str]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for index, cell in enumerate(cells, start=1):
        name = cell.strip() or _("Column %(number)d") % {"number": index}
        unique, copy = name, 2
        while unique.lower() in seen:
            unique = f"{name} ({copy})"
            copy += 1
        seen.add(unique.lower())
        names.append(unique)
    return names


def _trim(cells: list[str]) -> list[str]:
    """Cells without the empty ones at the end of the row (spreadsheets leave them)."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end] if end < len(cells) else cells


def _cell_text(value: Any) -> str:
    """An XLSX cell as text. Formulas come as their text (never evaluated); numbers stored as
    numbers lose no digits (a phone 40722123456.0 reads 40722123456)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e17:
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _csv_records(path: Path, settings: FileSettings) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of a CSV file; decoding and syntax errors say where they are."""
    encoding = check_encoding(settings.encoding or "utf-8")
    delimiter = settings.delimiter or ","
    if len(delimiter) != 1:
        raise ImportFileError(_("The delimiter must be a single character."))
    number = 0
    with path.open("rb") as raw:
        reader = _csv_reader(_text_lines(raw, encoding), delimiter)
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, cells
        except UnicodeDecodeError:
            raise ImportFileError(_encoding_message(path, encoding, number + 1)) from None
        except csv.Error as error:
            raise ImportFileError(
                _("Row %(row)d cannot be read: %(reason)s (a quote that is never closed?).")
                % {"row": number + 1, "reason": error}
            ) from None


def _csv_reader(lines: Iterator[str], delimiter: str) -> Iterator[list[str]]:
    """The records of CSV lines. A line without quotes is split directly (several times faster
    than the csv module, for the great majority of lines); the csv module reads the others,
    with their quoted values, which may span several lines."""
    lines = iter(lines)
    for line in lines:
        if '"' in line:
            yield next(csv.reader(itertools.chain((line,), lines), delimiter=delimiter))
        else:
            yield line.rstrip("\r\n").split(delimiter)


def _text_lines(raw: io.BufferedReader, encoding: str) -> Iterator[str]:
    """The lines of a file as text. Decoded line by line (not in blocks), so that a byte the
    encoding cannot read is reported at its own row; UTF-16 and UTF-32, whose newlines are not
    a single byte, are decoded as a stream."""
    if codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")):
        yield from io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
        return
    decode = codecs.getdecoder(encoding)
    for line in raw:
        yield decode(line)[0]


def _encoding_message(path: Path, encoding: str, row: int) -> str:
    message = _("The file is not valid %(encoding)s text (at row %(row)d).") % {
        "encoding": encoding,
        "row": row,
    }
    try:
        guess = detect_encoding(_read_start(path, 4 * _SNIFF_BYTES))
    except ImportFileError:
        guess = ""
    if guess and codecs.lookup(guess).name != codecs.lookup(encoding).name:
        return (
            message + " " + _("It looks like %(guess)s: choose that encoding.") % {"guess": guess}
        )
    return message + " " + _("Choose the encoding the file was saved in.")


def _xlsx_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds of errors for a damaged workbook
        raise ImportFileError(_not_a_workbook()) from None
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("The workbook has no sheet."))
        sheet = workbook.worksheets[0]
        number = 0
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [_cell_text(value) for value in values]
        except ImportFileError:
            raise
        except Exception:
            raise ImportFileError(
                _("The workbook is damaged at row %(row)d: save it again as .xlsx or CSV.")
                % {"row": number + 1}
            ) from None
    finally:
        workbook.close()


def _records(path: Path, settings: FileSettings) -> Iterator[tuple[int, list[str]]]:
    if settings.file_format == XLSX:
        return _xlsx_records(path)
    return _csv_records(path, settings)


@contextlib.contextmanager
def open_table(path: Path, settings: FileSettings) -> Iterator[Table]:
    """Open a file for reading its rows; raises ImportFileError for an empty or header-only
    file, and while reading for rows that cannot be decoded."""
    if not path.is_file():
        raise ImportFileError(_gone())
    records = _records(path, settings)
    try:
        non_blank = _non_blank(records)
        first = next(non_blank, None)
        if first is None:
            raise ImportFileError(_("The file is empty."))
        if settings.has_header:
            headers = _column_names(first[1])
            rows: Iterator[tuple[int, list[str]]] = non_blank
        else:
            ahead = [first]
            for item in non_blank:
                ahead.append(item)
                if len(ahead) >= _WIDTH_ROWS:
                    break
            width = max(len(cells) for _number, cells in ahead)
            headers = _column_names([""] * width)
            rows = itertools.chain(ahead, non_blank)
        first_row = next(rows, None)
        if first_row is None:
            raise ImportFileError(_("The file has a header row but no data rows."))
        yield Table(headers, itertools.chain((first_row,), rows))
    finally:
        close = getattr(records, "close", None)
        if close is not None:
            close()


def _non_blank(
    records: Iterator[tuple[int, list[str]]],
) -> Iterator[tuple[int, list[str]]]:
    """Records without their empty cells at the end; blank records skipped."""
    for number, cells in records:
        if cells and cells[-1] and not cells[-1].isspace():
            yield number, cells  # most rows: nothing to trim
        else:
            cells = _trim(cells)
            if cells:
                yield number, cells


def preview(path: Path, settings: FileSettings, limit: int = PREVIEW_ROWS) -> Preview:
    with open_table(path, settings) as table:
        rows = []
        for _number, cells in table.rows:
            rows.append(cells + [""] * (len(table.headers) - len(cells)))
            if len(rows) >= limit:
                break
        return Preview(table.headers, rows)


def estimate_rows(path: Path, settings: FileSettings) -> int:
    """About how many data rows the file has (for the progress bar)."""
    if settings.file_format == XLSX:
        import openpyxl

        try:
            workbook = openpyxl.load_workbook(path, read_only=True)
            try:
                rows = workbook.worksheets[0].max_row or 0
            finally:
                workbook.close()
        except Exception:
            return 0
        return max(rows - (1 if settings.has_header else 0), 0)
    size = path.stat().st_size
    start = _read_start(path, 64 * 1024)
    lines = start.count(b"\n") or 1
    if len(start) >= size:
        rows = start.rstrip(b"\r\n").count(b"\n") + 1
    else:
        rows = round(size * lines / len(start))
    return max(rows - (1 if settings.has_header else 0), 0)


def with_overrides(
    settings: FileSettings,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    has_header: bool | None = None,
) -> FileSettings:
    """The settings with a person's choices applied (checked)."""
    changes: dict[str, Any] = {}
    if encoding:
        changes["encoding"] = check_encoding(encoding.strip())
    if delimiter:
        delimiter = {"\\t": "\t", "tab": "\t"}.get(delimiter, delimiter)
        if len(delimiter) != 1:
            raise ImportFileError(_("The delimiter must be a single character."))
        changes["delimiter"] = delimiter
    if has_header is not None:
        changes["has_header"] = has_header
    return replace(settings, **changes)
