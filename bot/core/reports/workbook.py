"""The Excel annex of a report (pure: a `Report` in, XLSX bytes out).

Sheet "Nhiệm vụ": the heading block (the agency under its parent beside the quốc hiệu, the title
"TỔNG HỢP TÌNH HÌNH THỰC HIỆN NHIỆM VỤ", the report it goes with, the period and the date, the
plans covered by number), then the table: one row per occurrence grouped by unit ("I", "II", …
and its name), numbered 1, 2, … in each. Sheet "Tổng hợp": the same heading, then per unit the
count of each state, the total and the late rate, and a total row — the digest's counts.

Print-ready: A4 landscape, fit to the page's width, the header row repeated on every page, page
numbers in the footer, task names and notes wrapped, thin borders. Dates are real dates
(DD/MM/YYYY), the header row is frozen, and text from plans is never taken for a formula (a
value starting with "=", "+", "-" or "@" is a text cell with Excel's quote prefix).

openpyxl's write-only mode keeps 20,000 rows fast (benchmarks/export.py): each column has one
styled cell that every row reuses (a row is serialised as soon as it is appended).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from bot.core.i18n import use_language
from bot.core.reminders.digest import STATES, StateCounts, state_labels
from bot.core.reports.data import Report, ReportRow
from bot.core.reports.wording import (
    BLANK_NUMBER,
    QUOC_HIEU,
    TIEU_NGU,
    abbreviation,
    period_phrase,
    roman,
    short_name,
    vn_date,
)

TASK_HEADERS = (
    "STT",
    "Kế hoạch",
    "Nhiệm vụ",
    "Đơn vị chủ trì",
    "Đơn vị phối hợp",
    "Thời hạn",
    "Tình trạng",
    "Ngày hoàn thành",
    "Kết quả, minh chứng / ghi chú",
    "Người xác nhận",
)
TASK_WIDTHS = (6, 14, 50, 24, 24, 13, 16, 12, 34, 22)
WRAPPED = {2, 3, 4, 5, 6, 7, 9, 10}  # columns whose text wraps (1-based): everything but numbers and dates
SUMMARY_HEADERS = (
    "STT",
    "Đơn vị",
    "Tổng số",
    "Hoàn thành đúng hạn",
    "Hoàn thành quá hạn",
    "Đang thực hiện trong hạn",
    "Đang thực hiện quá hạn",
    "Tỷ lệ quá hạn",
)
SUMMARY_WIDTHS = (7, 45, 10, 14, 14, 14, 14, 12)
TITLE = "TỔNG HỢP TÌNH HÌNH THỰC HIỆN NHIỆM VỤ"
SUMMARY_TITLE = "TỔNG HỢP KẾT QUẢ THỰC HIỆN NHIỆM VỤ THEO ĐƠN VỊ"
HEADER_ROW = 8  # the table's header row on both sheets (the heading block is above it)
DATE_FORMAT = "DD/MM/YYYY"
FORMULA_STARTS = ("=", "+", "-", "@")
MAX_CELL = 32767  # Excel's limit of characters in a cell
FONT = "Times New Roman"

_THIN = Side(style="thin")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _safe(value: str) -> str:
    return value[:MAX_CELL]


class _Sheet:
    """A write-only sheet with one reusable styled cell per column of its table."""

    def __init__(self, wb: Workbook, title: str, widths: Sequence[int]) -> None:
        self.ws = wb.create_sheet(title)
        self.columns = len(widths)
        for i, width in enumerate(widths, 1):
            self.ws.column_dimensions[get_column_letter(i)].width = width
        self.widths = tuple(widths)
        self.ws.freeze_panes = f"A{HEADER_ROW + 1}"  # before any row: write-only sheets write it first
        self._templates: dict[tuple[int, str], WriteOnlyCell] = {}

    def fit_height(self, row: int, texts: Sequence[tuple[int, str]], *, points: float = 15.0) -> None:
        """Give a row the height its wrapped texts need (column, text). Excel and LibreOffice both
        keep a stored height, and LibreOffice does not grow rows for wrapped text on its own."""
        widths = self.widths
        lines = max((_lines(text, widths[c - 1]) for c, text in texts if len(text) > widths[c - 1]), default=1)
        if lines > 1:
            self.ws.row_dimensions[row].height = min(409.0, points * lines + 2)

    def cell(self, value: Any, *, bold: bool = False, size: int = 11, italic: bool = False,
             underline: bool = False, align: str = "left", wrap: bool = True, grid: bool = False,
             number_format: str | None = None) -> WriteOnlyCell:
        """A new styled cell (for headings and group rows: few of them)."""
        cell = WriteOnlyCell(self.ws, value=_safe(value) if isinstance(value, str) else value)
        cell.font = Font(name=FONT, size=size, bold=bold, italic=italic, underline="single" if underline else None)
        cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=wrap)
        if grid:
            cell.border = _GRID
        if number_format:
            cell.number_format = number_format
        if isinstance(value, str):
            _as_text(cell, value)
        return cell

    def reused(self, column: int, value: Any, *, kind: str = "text") -> WriteOnlyCell:
        """The column's table cell holding `value` (text never a formula; dates formatted).

        A template's style is never changed once used: openpyxl keeps the style object itself,
        so a text that looks like a formula has its own template (with the quote prefix)."""
        if kind == "text" and isinstance(value, str) and value.startswith(FORMULA_STARTS):
            kind = "quoted"
        cell = self._templates.get((column, kind))
        if cell is None:
            cell = self.cell(None, wrap=column in WRAPPED or kind == "text", grid=True,
                             align="center" if kind in ("number", "date", "percent") else "left",
                             number_format=DATE_FORMAT if kind == "date" else "0.0%" if kind == "percent" else None)
            cell.alignment = Alignment(horizontal=cell.alignment.horizontal, vertical="top",
                                       wrap_text=cell.alignment.wrap_text)
            cell.quotePrefix = kind == "quoted"
            self._templates[(column, kind)] = cell
        if isinstance(value, str):
            cell.value = _safe(value)
            cell.data_type = "s"  # never a formula
        else:
            cell.value = value
        return cell

    def merged_row(self, row: int, parts: Sequence[tuple[int, int, WriteOnlyCell]]) -> None:
        """Append one row of cells each spanning columns first..last (merged)."""
        values: list[Any] = [None] * self.columns
        for first, last, cell in parts:
            values[first - 1] = cell
            if last > first:
                self.ws.merged_cells.add(f"{get_column_letter(first)}{row}:{get_column_letter(last)}{row}")
        self.ws.append(values)


def _lines(text: str, width: int) -> int:
    """How many lines a text takes in a column `width` characters wide (a slightly generous
    estimate: words do not break, and capitals are wider)."""
    per_line = max(1.0, width * 1.45 - 1)
    return sum(max(1, math.ceil(len(part) * 1.05 / per_line)) for part in text.split("\n"))


def _as_text(cell: WriteOnlyCell, value: str) -> None:
    """A new cell's text, never a formula (Excel's quote prefix on what looks like one)."""
    cell.value = _safe(value)
    cell.data_type = "s"
    if value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True


def _line(sheet: _Sheet, row: int, text: str, *, width: int, **style: Any) -> None:
    """One heading line across the table, tall enough for its text once wrapped."""
    lines = max(1, math.ceil(len(text) * 1.15 / max(width, 1)))
    sheet.ws.row_dimensions[row].height = min(409, 17 * lines + 3)
    sheet.merged_row(row, [(1, sheet.columns, sheet.cell(text, align="center", **style))])


def _heading(sheet: _Sheet, report: Report, title: str, widths: Sequence[int]) -> None:
    """Rows 1–7: agency and quốc hiệu, the title, the report it goes with, period, plans."""
    ws, n, issuer, width = sheet.ws, sheet.columns, report.issuer, sum(widths)
    left, right = max(2, n * 2 // 5), max(3, n - n * 2 // 5 + 1)
    ws.row_dimensions[1].height = ws.row_dimensions[2].height = 18
    # the agency under its parent; an agency with none stands on the first line, beside the quốc hiệu
    above, agency = (short_name(issuer.parent).upper(), issuer.name.upper()) if issuer.parent else (issuer.name.upper(), "")
    sheet.merged_row(1, [(1, left, sheet.cell(above, bold=not issuer.parent, align="center", size=12)),
                         (right, n, sheet.cell(QUOC_HIEU, bold=True, align="center", size=12))])
    sheet.merged_row(2, [(1, left, sheet.cell(agency, bold=True, align="center", size=12)),
                         (right, n, sheet.cell(TIEU_NGU, bold=True, underline=True, align="center", size=12))])
    ws.row_dimensions[3].height = 8
    ws.append([])
    _line(sheet, 4, title, width=width, bold=True, size=14)
    goes_with = (f"(Kèm theo Báo cáo số{BLANK_NUMBER}/BC-{abbreviation(issuer.name)} ngày      tháng      "
                 f"năm {report.today.year} của {issuer.name})")
    _line(sheet, 5, goes_with, width=width, italic=True, size=12)
    period = period_phrase(report.start, report.end) or "toàn bộ nhiệm vụ đã giao"
    _line(sheet, 6, f"Kỳ báo cáo: {period}. Số liệu tính đến ngày {vn_date(report.today)}.", width=width, size=12)
    plans = "; ".join(p.label for p in report.plans) or "—"
    _line(sheet, 7, f"Kế hoạch, văn bản giao nhiệm vụ: {plans}", width=width, size=12)


def _header(sheet: _Sheet, names: Sequence[str]) -> None:
    ws = sheet.ws
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.fit_height(HEADER_ROW, list(enumerate(names, 1)), points=16)
    ws.append([sheet.cell(name, bold=True, align="center", grid=True) for name in names])


def _print_setup(sheet: _Sheet) -> None:
    """A4 landscape, fit to the width (as many pages down as needed), page numbers below."""
    ws = sheet.ws
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "Trang &P/&N"


def _task_values(sheet: _Sheet, number: int, row: ReportRow, labels: dict[str, str]) -> list[Any]:
    due = sheet.reused(6, f"Thường xuyên ({row.period})") if row.period else sheet.reused(6, row.due, kind="date")
    return [
        sheet.reused(1, number, kind="number"),
        sheet.reused(2, row.plan),
        sheet.reused(3, row.title),
        sheet.reused(4, row.lead),
        sheet.reused(5, row.partners),
        due,
        sheet.reused(7, labels[row.state]),
        sheet.reused(8, row.done_on, kind="date"),
        sheet.reused(9, row.note),
        sheet.reused(10, row.confirmed_by),
    ]


def _tasks_sheet(wb: Workbook, report: Report, labels: dict[str, str]) -> None:
    sheet = _Sheet(wb, "Nhiệm vụ", TASK_WIDTHS)
    _print_setup(sheet)
    _heading(sheet, report, TITLE, TASK_WIDTHS)
    _header(sheet, TASK_HEADERS)
    line, group, number = HEADER_ROW, 0, 0
    current: int | None = None
    for row in report.rows:
        if row.unit_id != current:
            current, group, number, line = row.unit_id, group + 1, 0, line + 1
            sheet.merged_row(line, [(1, 1, sheet.cell(roman(group), bold=True, align="center", grid=True)),
                                    (2, sheet.columns, sheet.cell(row.unit, bold=True, grid=True))])
        number, line = number + 1, line + 1
        sheet.fit_height(line, [(3, row.title), (4, row.lead), (5, row.partners), (9, row.note),
                                (10, row.confirmed_by), (2, row.plan), (6, row.period and f"Thường xuyên ({row.period})")])
        sheet.ws.append(_task_values(sheet, number, row, labels))


def _counts_values(sheet: _Sheet, first: Any, name: str, counts: StateCounts, *, strong: bool) -> list[Any]:
    if strong:
        cells = [sheet.cell(v, bold=True, grid=True, align="center") for v in (counts.total, *(getattr(counts, s) for s in STATES))]
        rate = sheet.cell(round(counts.late_rate, 4), bold=True, grid=True, align="center", number_format="0.0%")
        return [sheet.cell(first, grid=True), sheet.cell(name, bold=True, grid=True), *cells, rate]
    values = [counts.total, *(getattr(counts, s) for s in STATES)]
    return [
        sheet.reused(1, first, kind="number"),
        sheet.reused(2, name),
        *(sheet.reused(3 + i, v, kind="number") for i, v in enumerate(values)),
        sheet.reused(8, round(counts.late_rate, 4), kind="percent"),
    ]


def _summary_sheet(wb: Workbook, report: Report) -> None:
    sheet = _Sheet(wb, "Tổng hợp", SUMMARY_WIDTHS)
    _print_setup(sheet)
    _heading(sheet, report, SUMMARY_TITLE, SUMMARY_WIDTHS)
    _header(sheet, SUMMARY_HEADERS)
    for n, unit in enumerate(report.units, 1):
        sheet.fit_height(HEADER_ROW + n, [(2, unit.name)])
        sheet.ws.append(_counts_values(sheet, n, unit.name, unit.counts, strong=False))
    sheet.ws.append(_counts_values(sheet, None, "Tổng cộng", report.total, strong=True))
    if report.digest.continuous:
        sheet.ws.append([])
        sheet.ws.append([None, sheet.cell(
            f"Trong tổng số có {report.digest.continuous} lượt nhiệm vụ thường xuyên "
            "(không có thời hạn: hoàn thành hoặc đang thực hiện trong kỳ).", italic=True, wrap=False)])


def build_xlsx(report: Report) -> bytes:
    """The workbook as bytes: sheet "Nhiệm vụ" (one row per occurrence) and sheet "Tổng hợp"."""
    with use_language("vi"):
        labels = state_labels()
    wb = Workbook(write_only=True)
    _tasks_sheet(wb, report, labels)
    _summary_sheet(wb, report)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

