"""The report's tables as an Excel workbook: the headline figures first, then one sheet a table,
numbers kept as numbers with a number format (percentages, amounts, counts)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from churnguard.present.report.data import ReportData
from churnguard.present.report.sections import Table, content

NUMBER_FORMATS = {"rate": "0.0%", "money": "#,##0", "count": "#,##0", "number": "#,##0"}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str, taken: set[str]) -> str:
    """``title`` as an Excel sheet name: at most 31 characters, none of ``[]:*?/\\``, unique."""
    base = _BAD_SHEET_CHARS.sub(" ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _value(tr: Any, value: Any, kind: str, period: str) -> Any:
    if value is None:
        return None
    if kind == "period":
        return tr.format_period(value, period)
    if kind == "date":
        return tr.format_date(value)
    return value


def _cell(ws: Any, row: int, column: int, value: Any) -> Any:
    """Write ``value`` to a cell; text is always text, never a formula.

    openpyxl stores any text starting with ``=`` as a formula, so an imported segment written
    ``=HYPERLINK(...)`` would come out live; such text is kept as a string cell instead (shown
    as typed, never evaluated). Nothing in a report is meant to be a formula.
    """
    c = ws.cell(row=row, column=column, value=value)
    if c.data_type == "f":
        c.data_type = "s"
    return c


def _write_table(ws: Any, table: Table, tr: Any, bold: Any, start_row: int = 1) -> None:
    from openpyxl.utils import get_column_letter

    for j, col in enumerate(table.columns, start=1):
        c = _cell(ws, start_row, j, col.label)
        c.font = bold
    for i, row in enumerate(table.rows, start=start_row + 1):
        for j, (col, value) in enumerate(zip(table.columns, row, strict=True), start=1):
            c = _cell(ws, i, j, _value(tr, value, col.kind, table.period))
            if col.kind in NUMBER_FORMATS:
                c.number_format = NUMBER_FORMATS[col.kind]
    for j, col in enumerate(table.columns, start=1):
        wide = max([len(str(col.label))] + [len(str(_value(tr, r[j - 1], col.kind, table.period) or ""))
                                            for r in table.rows[:200]])
        ws.column_dimensions[get_column_letter(j)].width = min(40, max(8, wide * 1.3 + 2))
    ws.freeze_panes = ws.cell(row=start_row + 1, column=2)


def write_excel(data: ReportData, path: Path) -> None:
    """Write the report of ``data`` to ``path`` as an .xlsx workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    tr = data.tr
    c = content(data)
    wb = Workbook()
    bold = Font(bold=True)
    taken: set[str] = set()
    first = wb.active
    first.title = sheet_name(tr.gettext("Overview"), taken)
    _cell(first, 1, 1, c.title).font = Font(bold=True, size=14)
    _cell(first, 2, 1, c.subtitle)
    row = 4
    for label, value, kind in c.headline:
        _cell(first, row, 1, label)
        v = _cell(first, row, 2, value)
        if kind in NUMBER_FORMATS:
            v.number_format = NUMBER_FORMATS[kind]
        row += 1
    row += 1
    for _code, title, text in c.warnings:
        _cell(first, row, 1, title).font = bold
        _cell(first, row, 2, text).alignment = Alignment(wrap_text=True, vertical="top")
        row += 1
    for problem in c.problems.values():
        _cell(first, row, 1, problem)
        row += 1
    first.column_dimensions["A"].width = 34
    first.column_dimensions["B"].width = 90
    for table in c.tables:
        ws = wb.create_sheet(sheet_name(table.title, taken))
        _write_table(ws, table, tr, bold)
    wb.properties.creator = "churnguard"
    wb.properties.title = c.title
    wb.save(path)
