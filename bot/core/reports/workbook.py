"""The Excel annex of a report (pure: a `Report` in, XLSX bytes out).

Sheet "Nhiệm vụ": the heading block (the agency under its parent beside the quốc hiệu, the title
"TỔNG HỢP TÌNH HÌNH THỰC HIỆN NHIỆM VỤ", the report it goes with, the period and the date, the
plans covered by number), then the table: one row per occurrence grouped by unit ("I", "II", …
and its name), numbered 1, 2, … in each. Sheet "Tổng hợp": the same heading, then per unit the
count of each state, the total and the late rate, and a total row — the digest's counts.

Print-ready: A4 landscape, fit to the page's width, the header row repeated on every page, page
numbers in the footer, task names and notes wrapped (each row as tall as its text needs: neither
Excel nor LibreOffice grows a row on opening), thin borders, Times New Roman. Dates are real
dates (DD/MM/YYYY), the header row is frozen, and text from plans is never taken for a formula:
every text is written as a string, one that starts like a formula ("=", "+", "-", "@") with
Excel's quote prefix.

Written with XlsxWriter in constant-memory mode (rows go out as they are written): every cell
of the table has its border and wrap, and openpyxl took twice as long for 20,000 such rows
(benchmarks/export.py). openpyxl still reads the tables plans come in.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

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
HEADER_ROW = 8  # the table's header row on both sheets, counted from 1 (the heading block is above it)
DATE_FORMAT = "DD/MM/YYYY"
FORMULA_STARTS = ("=", "+", "-", "@")
MAX_CELL = 32767  # Excel's limit of characters in a cell
FONT = "Times New Roman"
LINE_POINTS = 15.0  # the height of one line of 11 pt text


class _Formats:
    """The workbook's cell formats, each made once (XlsxWriter keeps formats by object)."""

    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self._wb = wb
        self._made: dict[tuple[Any, ...], Format] = {}

    def get(self, *, bold: bool = False, italic: bool = False, underline: bool = False, size: int = 11,
            align: str = "left", valign: str = "vcenter", wrap: bool = True, grid: bool = False,
            number: str | None = None, quoted: bool = False) -> Format:
        key = (bold, italic, underline, size, align, valign, wrap, grid, number, quoted)
        if key not in self._made:
            spec: dict[str, Any] = {"font_name": FONT, "font_size": size, "align": align, "valign": valign}
            spec.update({k: 1 for k, on in (("bold", bold), ("italic", italic), ("underline", underline),
                                             ("text_wrap", wrap), ("border", grid)) if on})
            if number:
                spec["num_format"] = number
            fmt = self._wb.add_format(spec)
            if quoted:
                fmt.set_quote_prefix()
            self._made[key] = fmt
        return self._made[key]


class _Sheet:
    """One sheet written row after row (constant memory: a row is final once the next begins)."""

    def __init__(self, wb: xlsxwriter.Workbook, formats: _Formats, title: str, widths: Sequence[int]) -> None:
        self.ws: Worksheet = wb.add_worksheet(title)
        self.formats, self.widths, self.columns = formats, tuple(widths), len(widths)
        self.row = 0  # the next row to write, from 0
        for i, width in enumerate(widths):
            self.ws.set_column(i, i, width)
        self.text_cell = formats.get(valign="top", grid=True)
        self.quoted_cell = formats.get(valign="top", grid=True, quoted=True)
        self.date_cell = formats.get(valign="top", grid=True, align="center", number=DATE_FORMAT)
        self.number_cell = formats.get(valign="top", grid=True, align="center")

    def text(self, column: int, value: str, fmt: Format | None = None) -> None:
        """A string cell, never a formula; what looks like one keeps Excel's quote prefix."""
        value = value[:MAX_CELL]
        if fmt is None:
            fmt = self.quoted_cell if value.startswith(FORMULA_STARTS) else self.text_cell
        if value:
            self.ws.write_string(self.row, column, value, fmt)
        else:
            self.ws.write_blank(self.row, column, None, fmt)  # empty, but with its borders

    def day(self, column: int, value: date | None) -> None:
        if value is None:
            self.ws.write_blank(self.row, column, None, self.date_cell)
        else:
            self.ws.write_datetime(self.row, column, value, self.date_cell)

    def line(self, text: str, **style: Any) -> None:
        """One heading line across the table, tall enough for its text once wrapped."""
        self.fit([(0, text)], width=sum(self.widths), points=17)
        self.merged(0, self.columns - 1, text, self.formats.get(align="center", **style))
        self.row += 1

    def merged(self, first: int, last: int, text: str, fmt: Format) -> None:
        if last > first:
            self.ws.merge_range(self.row, first, self.row, last, text[:MAX_CELL], fmt)
        else:
            self.ws.write_string(self.row, first, text[:MAX_CELL], fmt)

    def fit(self, texts: Sequence[tuple[int, str]], *, width: int | None = None, points: float = LINE_POINTS) -> None:
        """Give the current row the height its wrapped texts need (column, text); before writing it."""
        most = 1
        for column, text in texts:
            room = width or self.widths[column]
            if len(text) > room:
                most = max(most, _lines(text, room))
        if most > 1:
            self.ws.set_row(self.row, min(409.0, points * most + 2))


def _lines(text: str, width: int) -> int:
    """How many lines a text takes in a column `width` characters wide (a slightly generous
    estimate: words do not break, and capitals are wider)."""
    per_line = max(1.0, width * 1.45 - 1)
    return sum(max(1, math.ceil(len(part) * 1.05 / per_line)) for part in text.split("\n"))


def _heading(sheet: _Sheet, report: Report, title: str) -> None:
    """Rows 1–7: agency and quốc hiệu, the title, the report it goes with, period, plans."""
    f, n, issuer = sheet.formats, sheet.columns, report.issuer
    left, right = max(2, n * 2 // 5), max(3, n - n * 2 // 5 + 1)
    # the agency under its parent; an agency with none stands on the first line, beside the quốc hiệu
    above, agency = (short_name(issuer.parent).upper(), issuer.name.upper()) if issuer.parent else (issuer.name.upper(), "")
    for upper, lower in ((above, QUOC_HIEU), (agency, TIEU_NGU)):
        sheet.ws.set_row(sheet.row, 18)
        first = sheet.row == 0
        sheet.merged(0, left - 1, upper, f.get(bold=not first or not issuer.parent, align="center", size=12))
        sheet.merged(right - 1, n - 1, lower, f.get(bold=True, underline=not first, align="center", size=12))
        sheet.row += 1
    sheet.ws.set_row(sheet.row, 8)
    sheet.row += 1
    sheet.line(title, bold=True, size=14)
    sheet.line(f"(Kèm theo Báo cáo số{BLANK_NUMBER}/BC-{abbreviation(issuer.name)} ngày      tháng      "
               f"năm {report.today.year} của {issuer.name})", italic=True, size=12)
    period = period_phrase(report.start, report.end) or "toàn bộ nhiệm vụ đã giao"
    sheet.line(f"Kỳ báo cáo: {period}. Số liệu tính đến ngày {vn_date(report.today)}.", size=12)
    sheet.line(f"Kế hoạch, văn bản giao nhiệm vụ: {'; '.join(p.label for p in report.plans) or '—'}", size=12)


def _header(sheet: _Sheet, names: Sequence[str]) -> None:
    """The header row: frozen, repeated on every printed page."""
    sheet.ws.freeze_panes(HEADER_ROW, 0)
    sheet.ws.repeat_rows(HEADER_ROW - 1)
    sheet.fit(list(enumerate(names)), points=16)
    fmt = sheet.formats.get(bold=True, align="center", grid=True)
    for column, name in enumerate(names):
        sheet.text(column, name, fmt)
    sheet.row += 1


def _print_setup(ws: Worksheet) -> None:
    """A4 landscape, fit to the width (as many pages down as needed), page numbers below."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.center_horizontally()
    ws.set_footer("&CTrang &P/&N")


def _task_row(sheet: _Sheet, number: int, row: ReportRow, labels: dict[str, str]) -> None:
    deadline = f"Thường xuyên ({row.period})" if row.period else ""
    sheet.fit([(2, row.title), (3, row.lead), (4, row.partners), (8, row.note), (9, row.confirmed_by),
               (1, row.plan), (5, deadline)])
    sheet.ws.write_number(sheet.row, 0, number, sheet.number_cell)
    sheet.text(1, row.plan)
    sheet.text(2, row.title)
    sheet.text(3, row.lead)
    sheet.text(4, row.partners)
    if deadline:
        sheet.text(5, deadline)
    else:
        sheet.day(5, row.due)
    sheet.text(6, labels[row.state])
    sheet.day(7, row.done_on)
    sheet.text(8, row.note)
    sheet.text(9, row.confirmed_by)
    sheet.row += 1


def _tasks_sheet(wb: xlsxwriter.Workbook, formats: _Formats, report: Report, labels: dict[str, str]) -> None:
    sheet = _Sheet(wb, formats, "Nhiệm vụ", TASK_WIDTHS)
    _print_setup(sheet.ws)
    _heading(sheet, report, TITLE)
    _header(sheet, TASK_HEADERS)
    group, number = 0, 0
    current: int | None = None
    unit_fmt = formats.get(bold=True, grid=True)
    for row in report.rows:
        if row.unit_id != current:
            current, group, number = row.unit_id, group + 1, 0
            sheet.text(0, roman(group), formats.get(bold=True, grid=True, align="center"))
            sheet.merged(1, sheet.columns - 1, row.unit, unit_fmt)
            sheet.row += 1
        number += 1
        _task_row(sheet, number, row, labels)


def _counts_row(sheet: _Sheet, first: int | None, name: str, counts: StateCounts, *, strong: bool) -> None:
    f = sheet.formats
    number = f.get(bold=strong, grid=True, align="center", valign="top")
    sheet.fit([(1, name)])
    if first is None:
        sheet.ws.write_blank(sheet.row, 0, None, number)
    else:
        sheet.ws.write_number(sheet.row, 0, first, number)
    sheet.text(1, name, f.get(bold=strong, grid=True, valign="top") if strong else None)
    for i, value in enumerate([counts.total, *(getattr(counts, s) for s in STATES)]):
        sheet.ws.write_number(sheet.row, 2 + i, value, number)
    rate = f.get(bold=strong, grid=True, align="center", valign="top", number="0.0%")
    sheet.ws.write_number(sheet.row, 7, round(counts.late_rate, 4), rate)
    sheet.row += 1


def _summary_sheet(wb: xlsxwriter.Workbook, formats: _Formats, report: Report) -> None:
    sheet = _Sheet(wb, formats, "Tổng hợp", SUMMARY_WIDTHS)
    _print_setup(sheet.ws)
    _heading(sheet, report, SUMMARY_TITLE)
    _header(sheet, SUMMARY_HEADERS)
    for n, unit in enumerate(report.units, 1):
        _counts_row(sheet, n, unit.name, unit.counts, strong=False)
    _counts_row(sheet, None, "Tổng cộng", report.total, strong=True)
    if report.digest.continuous:
        sheet.row += 1
        sheet.ws.write_string(
            sheet.row, 1, f"Trong tổng số có {report.digest.continuous} lượt nhiệm vụ thường xuyên "
            "(không có thời hạn: hoàn thành hoặc đang thực hiện trong kỳ).", formats.get(italic=True, wrap=False))


def build_xlsx(report: Report) -> bytes:
    """The workbook as bytes: sheet "Nhiệm vụ" (one row per occurrence) and sheet "Tổng hợp"."""
    with use_language("vi"):
        labels = state_labels()
    out = io.BytesIO()
    options = {"constant_memory": True, "in_memory": True, "strings_to_numbers": False,
               "strings_to_formulas": False, "strings_to_urls": False}
    wb = xlsxwriter.Workbook(out, options)
    formats = _Formats(wb)
    _tasks_sheet(wb, formats, report, labels)
    _summary_sheet(wb, formats, report)
    wb.close()
    return out.getvalue()
