"""Every export format read back, and formulas neutralised in each."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from dialcrm.core.choices import Role
from dialcrm.core.spreadsheets import neutralise
from dialcrm.reports.exports import export
from dialcrm.reports.services import run_report
from tests.reports.conftest import DAY_QUERY

pytestmark = pytest.mark.django_db


@pytest.fixture
def summary(org, call_day):
    # A campaign named like a formula: every spreadsheet export must keep it text.
    call_day.south.name = '=HYPERLINK("http://x")'
    call_day.south.save()
    return run_report(org[Role.MANAGER], "campaign-summary", DAY_QUERY)


def test_csv_reads_back_with_formulas_neutralised(summary):
    file = export(summary, "csv")
    assert file.name == "campaign-summary_20260302-20260302.csv"
    assert file.content_type.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(file.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Campaign", "Calls dialled", "Contacts", "Contact rate"]
    assert rows[1][:4] == ['\'=HYPERLINK("http://x")', "2", "1", "0.5"]
    assert rows[2][:3] == ["Live test", "6", "3"]
    assert rows[3][:2] == ["Total", "8"]


def test_xlsx_reads_back_with_numbers_and_text(summary):
    file = export(summary, "xlsx")
    sheet = load_workbook(io.BytesIO(file.content)).active
    assert sheet["A1"].value == "Campaign summary"
    assert sheet["A2"].value == "2026-03-02 to 2026-03-02 (Europe/Bucharest)"
    assert [cell.value for cell in sheet[3]][:3] == ["Campaign", "Calls dialled", "Contacts"]
    first = [cell for cell in sheet[4]]
    assert first[0].value == '\'=HYPERLINK("http://x")' and first[0].data_type == "s"
    assert first[1].value == 2 and first[3].value == 0.5
    assert first[3].number_format == "0.00%"
    assert sheet["B6"].value == 8  # the total


def test_pdf_text_holds_the_table(summary):
    file = export(summary, "pdf")
    assert file.content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(file.content)).pages)
    assert "Campaign summary" in text
    assert "Live test" in text
    assert "25.00%" in text  # North's abandon rate
    assert "Total" in text


def test_json_reads_back(summary):
    data = json.loads(export(summary, "json").content)
    assert data["report"] == "campaign-summary"
    assert data["filters"] == {
        "period": "custom",
        "start": "2026-03-02",
        "end": "2026-03-02",
        "time_zone": "Europe/Bucharest",
    }
    assert [row["campaign"] for row in data["rows"]] == ['=HYPERLINK("http://x")', "Live test"]
    assert data["totals"]["attempts"] == 8
    assert data["chart"]["labels"] == ['=HYPERLINK("http://x")', "Live test"]


def test_romanian_letters_survive_the_pdf(org, call_day):
    call_day.north.name = "Campanie în București, ștampilă"
    call_day.north.save()
    result = run_report(org[Role.MANAGER], "campaign-summary", DAY_QUERY)
    text = PdfReader(io.BytesIO(export(result, "pdf").content)).pages[0].extract_text()
    assert "București" in text and "ștampilă" in text  # (the cell wraps the long name)


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("+40721", "'+40721"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ana", "Ana"),
    ],
)
def test_neutralise(value, safe):
    assert neutralise(value) == safe
