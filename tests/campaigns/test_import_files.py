"""Reading import files: encodings, delimiters, quotes, headers, row numbers."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from dialcrm.campaigns.import_files import (
    ImportFileError,
    detect_settings,
    estimate_rows,
    open_table,
    preview,
    with_overrides,
)


def read(path: Path, name: str | None = None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    settings = detect_settings(path, name or path.name)
    with open_table(path, settings) as table:
        return table.headers, list(table.rows)


def test_quoted_values_with_delimiters_quotes_and_line_breaks(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        'name,note,phone\r\nIon,"Str. Lungă 3, ap. 2",0722000001\r\n'
        'Ana,"line one\r\nline two",0722000002\r\n'
        'Dan,"say ""hi""",0722000003\r\n',
        encoding="utf-8",
    )

    headers, rows = read(path)

    assert headers == ["name", "note", "phone"]
    assert rows == [
        (2, ["Ion", "Str. Lungă 3, ap. 2", "0722000001"]),
        (3, ["Ana", "line one\r\nline two", "0722000002"]),
        (4, ["Dan", 'say "hi"', "0722000003"]),
    ]


def test_blank_rows_are_skipped_but_counted(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("\nname;phone\n\nIon;0722000001\n;\nAna;0722000002;;\n", encoding="utf-8")

    headers, rows = read(path)

    assert headers == ["name", "phone"]
    assert rows == [(4, ["Ion", "0722000001"]), (6, ["Ana", "0722000002"])]


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        ("name\tphone\nŞtefan\t0722000001\n".encode("utf-16"), "utf-16"),
        (codecs.BOM_UTF8 + "name,phone\nȘtefan,0722000001\n".encode(), "utf-8-sig"),
        ("name|phone\nȘtefan|0722000001\n".encode(), "utf-8"),
    ],
)
def test_encodings_and_delimiters_are_recognised(tmp_path, content, encoding):
    path = tmp_path / "a.csv"
    path.write_bytes(content)

    settings = detect_settings(path, "a.csv")
    headers, rows = read(path)

    assert settings.encoding == encoding
    assert headers == ["name", "phone"]
    assert rows[0][1][1] == "0722000001"
    assert rows[0][1][0] in ("Ştefan", "Ștefan")


def test_a_file_without_header_gets_numbered_columns(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("Ion,0722000001\nAna,0722000002,extra\n", encoding="utf-8")
    settings = with_overrides(detect_settings(path, "a.csv"), has_header=False)

    shown = preview(path, settings)

    assert shown.headers == ["Column 1", "Column 2", "Column 3"]
    assert shown.rows == [["Ion", "0722000001", ""], ["Ana", "0722000002", "extra"]]


def test_duplicate_and_empty_column_names(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("phone,,Phone,phone\n1,2,3,4\n", encoding="utf-8")

    headers, _rows = read(path)

    assert headers == ["phone", "Column 2", "Phone (2)", "phone (3)"]


def test_estimated_rows(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("phone\n" + "0722000001\n" * 10_000, encoding="utf-8")

    assert estimate_rows(path, detect_settings(path, "a.csv")) == 10_000


def test_a_binary_file_is_not_taken_for_text(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"\x00\x01\x02\xff" * 100)

    with pytest.raises(ImportFileError) as error:
        detect_settings(path, "a.csv")

    assert error.value.message == (
        "This does not look like a text (CSV) file. Upload a CSV or an .xlsx file."
    )


def test_an_unknown_encoding_or_delimiter_is_refused(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("phone\n0722000001\n", encoding="utf-8")
    settings = detect_settings(path, "a.csv")

    with pytest.raises(ImportFileError) as encoding:
        with_overrides(settings, encoding="klingon")
    with pytest.raises(ImportFileError) as delimiter:
        with_overrides(settings, delimiter=";;")

    assert encoding.value.message == "'klingon' is not a known text encoding."
    assert delimiter.value.message == "The delimiter must be a single character."
    assert with_overrides(settings, delimiter="tab").delimiter == "\t"
