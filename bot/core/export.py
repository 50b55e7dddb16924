"""The report managers send on: an XLSX of an agency's tasks in the national states (pure: bytes out).

What is in it (the same counting as the digest, `bot.core.reminders.digest`):

* one row per OCCURRENCE due in the range (every occurrence when no range is given) of the tasks
  whose lead (`TaskView.lead_id`) is the agency or one of its units, grouped by that unit: a
  heading row per unit ("I", "II", … and its name), then its rows numbered 1, 2, …;
* "Tình trạng" is one of the four national states as of `today` (done on or before the due date
  → hoàn thành đúng hạn; done after → hoàn thành quá hạn; not done, due date passed → đang thực
  hiện quá hạn; not done, not yet due → đang thực hiện trong hạn); "Thời hạn" is the due date
  after an approved extension (the first date is in "Ghi chú");
* a summary sheet: per unit the count of each state, the total and the late rate, and a total row.

The form is the national one, so its headers and states are in Vietnamese whatever the reader's
language. Dates are real dates (DD/MM/YYYY), the header row is frozen, columns have widths, and
text from plans is never taken for a formula: a value starting with "=", "+", "-" or "@" is
written as a text cell (with Excel's quote prefix). openpyxl's write-only mode keeps 20,000 rows
fast (benchmarks/export.py).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from bot.core.domain import OccurrenceStatus, TaskView
from bot.core.i18n import use_language
from bot.core.reminders.digest import STATES, StateCounts, occurrence_state, state_labels
from bot.core.text import fold

TASK_HEADERS = (
    "STT",
    "Nhiệm vụ",
    "Chủ trì",
    "Phối hợp",
    "Thời hạn",
    "Tình trạng",
    "Ngày hoàn thành",
    "Người xác nhận",
    "Ghi chú",
)
TASK_WIDTHS = (7, 60, 32, 32, 12, 26, 15, 24, 40)
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
DATE_FORMAT = "DD/MM/YYYY"
FORMULA_STARTS = ("=", "+", "-", "@")
MAX_CELL = 32767  # Excel's limit of characters in a cell


@dataclass(frozen=True)
class ExportRow:
    unit_id: int
    unit: str
    title: str
    lead: str
    partners: str
    due: date
    state: str  # one of digest.STATES
    done_on: date | None
    confirmed_by: str
    note: str


@dataclass
class ExportData:
    agency: str
    today: date
    start: date | None
    end: date | None
    rows: list[ExportRow]
    units: list[tuple[int, str, StateCounts]]
    total: StateCounts


def collect(
    tasks: Iterable[TaskView],
    *,
    agency_ids: set[int] | frozenset[int],
    unit_names: Mapping[int, str],
    today: date,
    start: date | None = None,
    end: date | None = None,
    people: Mapping[str, str] | None = None,
    agency: str = "",
) -> ExportData:
    """The rows and counts of the report (the digest's rule: a task counts for its first lead)."""
    people = people or {}
    rows: list[ExportRow] = []
    for task in tasks:
        if task.lead_id is None or task.lead_id not in agency_ids:
            continue
        unit = unit_names.get(task.lead_id) or task.lead or f"#{task.lead_id}"
        for occ in task.occurrences:
            if (start is not None and occ.due < start) or (end is not None and occ.due > end):
                continue
            done = occ.status == OccurrenceStatus.DONE
            notes = []
            if occ.original_due is not None and occ.original_due != occ.due:
                notes.append(f"Gia hạn từ {occ.original_due:%d/%m/%Y}")
            if done and occ.note:
                notes.append(occ.note)
            if done and occ.file_name:
                notes.append(f"Tệp: {occ.file_name}")
            if not done and occ.in_progress:
                notes.append("Đang thực hiện" + (f": {occ.progress_note}" if occ.progress_note else ""))
            rows.append(
                ExportRow(
                    unit_id=task.lead_id,
                    unit=unit,
                    title=task.title,
                    lead=task.lead,
                    partners=task.partners,
                    due=occ.due,
                    state=occurrence_state(occ.status, occ.due, occ.done_at, today),
                    done_on=occ.done_at if done else None,
                    confirmed_by=(people.get(occ.done_by) or occ.done_by) if done else "",
                    note="; ".join(notes),
                )
            )
    rows.sort(key=lambda r: (fold(r.unit), r.unit_id, r.due))
    per_unit: dict[int, tuple[str, StateCounts]] = {}
    total = StateCounts()
    for row in rows:
        if row.unit_id not in per_unit:
            per_unit[row.unit_id] = (row.unit, StateCounts())
        per_unit[row.unit_id][1].add(row.state)
        total.add(row.state)
    units = [(uid, name, counts) for uid, (name, counts) in per_unit.items()]
    return ExportData(agency, today, start, end, rows, units, total)


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += letters
            n -= value
    return out


def build_xlsx(data: ExportData) -> bytes:
    """The workbook as bytes: sheet "Nhiệm vụ" (one row per occurrence) and sheet "Tổng hợp"."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    with use_language("vi"):
        labels = state_labels()
    bold = Font(bold=True)
    wb = Workbook(write_only=True)

    def text(ws, value: str, *, strong: bool = False):
        value = value[:MAX_CELL]
        if not value.startswith(FORMULA_STARTS) and not strong:
            return value
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # never a formula
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
        if strong:
            cell.font = bold
        return cell

    # Write-only rows are serialised by `append` at once, so one styled cell per date column can
    # be reused row after row: styling 40,000 new cells was half the build time.
    date_cells: dict[int, WriteOnlyCell] = {}

    def day(ws, value: date | None, column: int):
        if value is None:
            return None
        cell = date_cells.get(column)
        if cell is None or cell.parent is not ws:
            cell = date_cells[column] = WriteOnlyCell(ws, value=value)
            cell.number_format = DATE_FORMAT
        else:
            cell.value = value
        return cell

    def header(ws, names: tuple[str, ...], widths: tuple[int, ...]) -> None:
        for i, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        cells = []
        for name in names:
            cell = WriteOnlyCell(ws, value=name)
            cell.font, cell.alignment = bold, Alignment(wrap_text=True, horizontal="center", vertical="center")
            cells.append(cell)
        ws.append(cells)

    ws = wb.create_sheet("Nhiệm vụ")
    header(ws, TASK_HEADERS, TASK_WIDTHS)
    group = 0
    number = 0
    current: int | None = None
    for row in data.rows:
        if row.unit_id != current:
            current, group, number = row.unit_id, group + 1, 0
            ws.append([text(ws, _roman(group), strong=True), text(ws, row.unit, strong=True)])
        number += 1
        ws.append(
            [
                number,
                text(ws, row.title),
                text(ws, row.lead),
                text(ws, row.partners),
                day(ws, row.due, 5),
                labels[row.state],
                day(ws, row.done_on, 7),
                text(ws, row.confirmed_by),
                text(ws, row.note),
            ]
        )

    ws = wb.create_sheet("Tổng hợp")
    header(ws, SUMMARY_HEADERS, SUMMARY_WIDTHS)

    def counts_row(first, name, counts: StateCounts, *, strong: bool = False):
        rate = WriteOnlyCell(ws, value=round(counts.late_rate, 4))
        rate.number_format = "0.0%"
        values = [counts.total, *(getattr(counts, s) for s in STATES)]
        return [first, text(ws, name, strong=strong), *values, rate]

    for n, (_uid, name, counts) in enumerate(data.units, 1):
        ws.append(counts_row(n, name, counts))
    ws.append(counts_row(None, "Tổng cộng", data.total, strong=True))
    ws.append([])
    period = "toàn bộ" if data.start is None and data.end is None else (
        f"{data.start:%d/%m/%Y}" if data.start else "…"
    ) + " – " + (f"{data.end:%d/%m/%Y}" if data.end else "…")
    for line in (
        f"Cơ quan: {data.agency}",
        f"Thời hạn trong khoảng: {period}",
        f"Tình trạng tính đến ngày {data.today:%d/%m/%Y}",
    ):
        ws.append([None, text(ws, line)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
