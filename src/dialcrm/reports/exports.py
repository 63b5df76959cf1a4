"""A report's result as a file: CSV, XLSX, PDF or JSON. Text cells are neutralised against
spreadsheet formulas (CSV injection) in every format a spreadsheet may open; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from dialcrm.core.spreadsheets import neutralise
from dialcrm.reports.choices import ExportFormat
from dialcrm.reports.definitions import Kind, ReportResult

FONT = Path(__file__).parent / "fonts" / "DejaVuSans.ttf"
CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.PDF: "application/pdf",
    ExportFormat.JSON: "application/json",
}


@dataclass(frozen=True)
class ExportFile:
    name: str
    content_type: str
    content: bytes


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    return value


def _table(result: ReportResult) -> list[list[Any]]:
    rows = [[_cell(row[column.key]) for column in result.columns] for row in result.rows]
    if result.totals:
        rows.append([_cell(result.totals[column.key]) for column in result.columns])
    return rows


def _subtitle(result: ReportResult) -> str:
    filters = result.filters
    return _("%(start)s to %(end)s (%(zone)s)") % {
        "start": filters.start.isoformat(),
        "end": filters.end.isoformat(),
        "zone": filters.time_zone,
    }


def to_csv(result: ReportResult) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(str(column.label)) for column in result.columns])
    writer.writerows(_table(result))
    # With a byte-order mark spreadsheet programs read the file as UTF-8 (ș, ț).
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


_NUMBER_FORMATS = {Kind.SHARE: "0.00%", Kind.HOURS: "0.00", Kind.SECONDS: "0.0", Kind.MONEY: "0.00"}


def to_xlsx(result: ReportResult) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = neutralise(str(result.report.title))[:31]
    sheet.append([neutralise(str(result.report.title))])
    sheet.append([_subtitle(result)])
    sheet.append([neutralise(str(column.label)) for column in result.columns])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for values in _table(result):
        sheet.append(values)
        for column, cell in zip(result.columns, sheet[sheet.max_row], strict=True):
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula
            elif column.kind in _NUMBER_FORMATS:
                cell.number_format = _NUMBER_FORMATS[column.kind]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_pdf(result: ReportResult) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.add_page()
    pdf.set_font("DejaVu", size=14)
    pdf.cell(text=str(result.report.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9)
    pdf.cell(text=_subtitle(result), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", size=8)
    rows = [dict(row) for row in result.rows]
    if result.totals:
        rows.append(result.totals)
    with pdf.table(
        text_align=tuple(
            "LEFT" if column.kind == Kind.TEXT else "RIGHT" for column in result.columns
        ),
        first_row_as_headings=True,
        headings_style=FontFace(emphasis=None, fill_color=(225, 229, 234)),
    ) as table:
        header = table.row()
        for column in result.columns:
            header.cell(str(column.label))
        for row in rows:
            line = table.row()
            for column in result.columns:
                line.cell(column.display(row[column.key]))
    if not result.rows:
        pdf.ln(4)
        pdf.cell(text=_("Nothing in this period."))
    return bytes(pdf.output())


def to_json(result: ReportResult) -> bytes:
    return json.dumps(as_data(result), ensure_ascii=False, indent=1).encode("utf-8")


def as_data(result: ReportResult) -> dict[str, Any]:
    """The result as plain data: the JSON export and the API's answer."""
    return {
        "report": result.report.slug,
        "title": str(result.report.title),
        "filters": result.filters.as_dict(),
        "columns": [
            {"key": column.key, "label": str(column.label), "kind": column.kind}
            for column in result.columns
        ],
        "rows": result.rows,
        "totals": result.totals,
        "chart": result.chart_data(),
    }


WRITERS = {
    ExportFormat.CSV: to_csv,
    ExportFormat.XLSX: to_xlsx,
    ExportFormat.PDF: to_pdf,
    ExportFormat.JSON: to_json,
}


def export(result: ReportResult, export_format: str) -> ExportFile:
    filters = result.filters
    name = f"{result.report.slug}_{filters.start:%Y%m%d}-{filters.end:%Y%m%d}"
    return ExportFile(
        name=f"{name}.{export_format}",
        content_type=CONTENT_TYPES[ExportFormat(export_format)],
        content=WRITERS[ExportFormat(export_format)](result),
    )
