"""Cells safe to open in a spreadsheet program (CSV injection).

A text cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by
Excel and LibreOffice; every file dialcrm writes for people to open (import problem files, report
exports) passes its text cells through `neutralise`. Numbers stay numbers.
"""

from __future__ import annotations

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A cell safe to open in a spreadsheet: formulas are turned into text."""
    return "'" + value if value.startswith(_FORMULA_START) else value
