"""Read a task table (CSV or XLSX) into a ParsedPlan, without touching the database.

Offices keep plans as spreadsheets with a title block, a one- or two-row header, section rows
("II | CẢI CÁCH THỂ CHẾ"), merged cells and footers. This module turns such a sheet into rows
of text, finds the header (`headers.py`), and reads every data row into a `ParsedTask`,
reporting rows it cannot read by number instead of failing the whole file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.core.domain import Deadline, ImportRefused, Kind, ParsedPlan, ParsedTask
from bot.core.i18n import _
from bot.core.importing.guard import FileKind, check_size, decode_text, sniff
from bot.core.importing.headers import (
    HEADER_SCAN_ROWS,
    detect_delimiter,
    is_column_label_row,
    is_header_row,
    locate_header,
)
from bot.core.importing.options import Dating, ImportOptions
from bot.core.text import fold, nfc

MAX_ROWS = 200_000
MAX_COLUMNS = 60
LONG_CELL = 2_000

_MARKER = r"(?:[ivxlc]{1,6}|[a-z]|\d{1,2})"
_SECTION_NUMBER = re.compile(rf"^(?:phan |muc |chuong )?{_MARKER}[.)]?$")
# Sections are numbered "II", "A", "Phần I"; a lowercase "a)" is a sub-task.
_SECTION_MARK = re.compile(r"^(?:(?:PHẦN|Phần|MỤC|Mục|CHƯƠNG|Chương) )?(?:[IVXLC]{1,6}|[A-Z])[.)]?$")
_SECTION_PREFIX = re.compile(r"^(?:phan |muc |chuong )?(?:[ivxlc]{1,6}|[a-z])[.)/-]\s*\S")
_NUMBERED = re.compile(r"^\d+(?:\.\d+)*\.?$")
_FOOTER = re.compile(r"^(?:noi nhan|kt\.? ?(?:chu tich|giam doc|truong)|tm\.? ?|nguoi lap|nguoi ky)\b")
_EXCEL_ERROR = re.compile(r"^#(?:ref|n/a|value|name\?|div/0|num|null)!?$", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
_PLAN_NUMBER = re.compile(r"\b(?:số|so)\s*:?\s*(\d+[^\s,;()]*/[^\s,;()]+)", re.IGNORECASE)
_PLAN_DATE = re.compile(r"ngay (\d{1,2}) thang (\d{1,2}) nam (\d{4})")
_TITLE_START = (
    "ke hoach",
    "danh muc",
    "danh sach",
    "phu luc",
    "bang ",
    "chuong trinh",
    "tong hop",
    "nhiem vu",
)
_MOTTO = ("cong hoa xa hoi chu nghia", "doc lap - tu do", "doc lap tu do")
_FIELDS = ("number", "title", "lead", "partners", "deadline", "output", "activity", "note")


# --------------------------------------------------------------------------- rows → tasks


def tasks_from_rows(
    rows: Sequence[Sequence[object]],
    dating: Dating,
    *,
    source_prefix: str = "",
    first_row_number: int,
    columns: dict[str, int] | None = None,
) -> tuple[list[ParsedTask], list[str], list[str]]:
    """Read the data rows of a table into tasks: (tasks, warnings, errors).

    `rows` are the rows AFTER the header and `columns` the map from `headers.find_header`.
    Without `columns`, `rows` must start with the header itself (it is looked for). Row i is
    numbered `first_row_number + i` in messages; `source` is "hàng N", or "<prefix>, hàng N"
    when `source_prefix` is given (e.g. "Sheet1", "bảng 2"). Section rows, repeated headers,
    "(1) (2) (3)" rows and empty rows are skipped; footers ("Nơi nhận:") end the table.
    Deadlines are dated by `dating` (the plan's year, window, today).
    """
    texts = [_texts(row) for row in rows]
    if columns is None:
        found = locate_header(texts[:HEADER_SCAN_ROWS], HEADER_SCAN_ROWS)
        if found is None:
            return [], [], [_("Không tìm thấy dòng tiêu đề của bảng.")]
        first_row_number += found[1] + 1
        texts, columns = texts[found[1] + 1 :], found[2]
    return _tasks_from_texts(texts, columns, source_prefix, first_row_number, dating)


def _tasks_from_texts(
    texts: list[list[str]],
    columns: dict[str, int],
    source_prefix: str,
    first_row_number: int,
    dating: Dating,
) -> tuple[list[ParsedTask], list[str], list[str]]:
    """`tasks_from_rows` for rows that are already NFC text (the file readers make them so)."""
    reader = _RowReader(columns, source_prefix, dating)
    for index, cells in enumerate(texts):
        if reader.read(cells, first_row_number + index, _next_filled(texts, index)) is _STOP:
            break
    return reader.tasks, reader.warnings, reader.errors


_STOP = object()


class _RowReader:
    """Reads one row at a time; keeps the deadline cache and the collected messages."""

    def __init__(self, columns: dict[str, int], prefix: str, dating: Dating) -> None:
        self.columns = {k: v for k, v in columns.items() if k in _FIELDS}
        self.prefix = prefix
        self.dating = dating
        self.tasks: list[ParsedTask] = []
        self.warnings: list[str] = []
        self.errors: list[str] = []
        self._deadlines: dict[str, Deadline | None] = {}

    def where(self, row_number: int) -> str:
        if self.prefix:
            return _("{prefix}, dòng {row}").format(prefix=self.prefix, row=row_number)
        return _("Dòng {row}").format(row=row_number)

    def read(self, cells: list[str], row_number: int, next_cells: list[str] | None) -> object:
        if not any(cells):
            return None
        values = {name: (cells[col] if col < len(cells) else "") for name, col in self.columns.items()}
        first = next((cell for cell in cells if cell), "")
        if len(first) <= 40 and _FOOTER.match(fold(first)):
            return _STOP
        if is_column_label_row(cells) or is_header_row(cells, self.columns):
            return None
        if _is_section(cells, values, next_cells, self.columns):
            return None
        title = values.get("title", "")
        if self._continues(values):
            # "và hướng dẫn các xã sử dụng" alone in the title cell, under a task: the rest of
            # that task's text wrapped into a row of its own
            last = self.tasks[-1]
            self.tasks[-1] = replace(last, title=nfc(f"{last.title} {title}"))
            return None
        if not title:
            where = self.where(row_number)
            self.errors.append(_("{where}: thiếu tên nhiệm vụ, bỏ qua dòng này.").format(where=where))
            return None
        if not any(ch.isalpha() for ch in title) or _EXCEL_ERROR.match(title) or len(title) < 3:
            where = self.where(row_number)
            self.errors.append(
                _("{where}: không đọc được tên nhiệm vụ “{title}”, bỏ qua dòng này.").format(
                    where=where, title=_shorten(title)
                )
            )
            return None
        longest = max(len(cell) for cell in cells)
        if longest > LONG_CELL:
            self.warnings.append(
                _("{where}: có ô rất dài ({length} ký tự), hãy kiểm tra lại.").format(
                    where=self.where(row_number), length=longest
                )
            )
        deadline_text = _serial_date(values.get("deadline", ""))
        deadline = self._deadline(deadline_text)
        if deadline is None or deadline.kind == Kind.UNSPECIFIED:
            if deadline_text:
                message = _("{where}: chưa hiểu thời hạn “{deadline}”.")
            else:
                message = _("{where}: không có thời hạn.")
            self.warnings.append(
                message.format(where=self.where(row_number), deadline=_shorten(deadline_text))
            )
        source = f"{self.prefix}, hàng {row_number}" if self.prefix else f"hàng {row_number}"
        self.tasks.append(
            ParsedTask(
                title=title,
                lead=values.get("lead", ""),
                partners=values.get("partners", ""),
                deadline=deadline_text,
                kind=deadline.kind if deadline else Kind.UNSPECIFIED,
                dates=deadline.dates if deadline else (),
                activity=values.get("activity", ""),
                output=values.get("output", ""),
                note=values.get("note", ""),
                number=values.get("number", ""),
                source=source,
            )
        )
        return None

    def _continues(self, values: dict[str, str]) -> bool:
        """A continuation row: only a title that goes on in lower case, under a task."""
        title = values.get("title", "")
        if not self.tasks or not title or not title[:1].islower():
            return False
        return not any(value for name, value in values.items() if name != "title")

    def _deadline(self, text: str) -> Deadline | None:
        """Parse once per distinct phrase: plans repeat "Quý II/2022" hundreds of times."""
        if text not in self._deadlines:
            try:
                self._deadlines[text] = self.dating.parse(text)
            except Exception:
                self._deadlines[text] = None
        return self._deadlines[text]


def _is_section(
    cells: list[str], values: dict[str, str], next_cells: list[str] | None, columns: dict[str, int]
) -> bool:
    """A heading that groups tasks ("II | CẢI CÁCH THỂ CHẾ", "A. Nhiệm vụ chung"), not a task."""
    if any(values.get(name) for name in ("lead", "partners", "deadline", "output", "activity")):
        return False
    filled = [cell for cell in cells if cell]
    if len(filled) > 2:
        return False
    number = fold(values.get("number", ""))
    if number and _SECTION_MARK.match(values.get("number", "")):
        return True  # roman numeral or letter in the TT column
    if len(filled) == 1 and (_SECTION_PREFIX.match(fold(filled[0])) or _is_upper(filled[0])):
        return True  # "A. NHIỆM VỤ CHUNG" in one (merged) cell
    if len(filled) == 2 and _SECTION_NUMBER.match(fold(filled[0])) and _is_upper(filled[1]):
        return True
    if number and _NUMBERED.match(number) and next_cells is not None:
        # "1 | Lĩnh vực đất đai" followed by "1.1 | …": a numbered group heading.
        col = columns.get("number")
        following = fold(next_cells[col]) if col is not None and col < len(next_cells) else ""
        return following.startswith(number.rstrip(".") + ".") and len(following) > len(number.rstrip("."))
    return False


def _is_upper(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


def _next_filled(rows: list[list[str]], index: int) -> list[str] | None:
    for row in rows[index + 1 : index + 4]:
        if any(row):
            return row
    return None


def _texts(row: Iterable[object]) -> list[str]:
    return [_cell_text(value) for value in row]


def _serial_date(text: str) -> str:
    """A date stored as an Excel serial number in a General cell ("44742") as dd/mm/yyyy; the
    numbers 20000–80000 are the years 1954–2119, any other text stays as it is."""
    if len(text) == 5 and text.isdigit() and 20000 <= int(text) <= 80000:
        return (date(1899, 12, 30) + timedelta(days=int(text))).strftime("%d/%m/%Y")
    return text


def _cell_text(value: object) -> str:
    """A cell as text: real Excel dates as dd/mm/yyyy, 3.0 as "3", text NFC."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y") if value.time() == time() else value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "x" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return nfc(str(value))


def _clean(text: str) -> str:
    """Same result as `bot.core.text.nfc`, about 4x faster: it runs on every cell of big sheets."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "\ufeff" in text:
        text = text.replace("\ufeff", "")
    return " ".join(text.split())


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- whole files


def read_table(
    data: bytes, filename: str, options: ImportOptions, *, kind: FileKind | None = None
) -> ParsedPlan:
    """Read a CSV or XLSX task table into a plan; raise `ImportRefused` if it is not one.
    `kind` is what `sniff` already said (the reader sniffs once); None sniffs here."""
    check_size(len(data), options.max_bytes)
    kind = kind or sniff(data, filename)
    warnings: list[str] = []
    if kind is FileKind.XLSX:
        sheet, rows, header = _read_workbook(data, warnings)
        prefix = sheet
    elif kind in (FileKind.CSV, FileKind.TEXT):
        rows, header = _read_csv(data)
        prefix = ""
    else:
        raise ImportRefused(_("Tệp không phải bảng tính (CSV, XLSX)."))
    first, last, columns = header
    above = rows[:first]
    data_rows = rows[last + 1 :]
    title = _plan_title(above)
    above_text = " ".join(cell for row in above for cell in row if cell)
    plan_year = options.year or _guess_year(title, data_rows, columns.get("deadline"))
    dating = options.dating(plan_year)
    tasks, row_warnings, errors = _tasks_from_texts(data_rows, columns, prefix, last + 2, dating)
    if not tasks:
        if errors:
            raise ImportRefused(
                _("Không đọc được nhiệm vụ nào trong bảng ({count} dòng lỗi, ví dụ: {example})").format(
                    count=len(errors), example=errors[0]
                )
            )
        raise ImportRefused(_("Bảng chỉ có dòng tiêu đề, không có nhiệm vụ nào."))
    number = options.plan or _plan_number(above_text)
    return ParsedPlan(
        tasks=tuple(tasks),
        issuer=options.issuer,
        number=number,
        date=_plan_date(above_text),
        year=plan_year,
        title=title,
        source_file=filename,
        source_hash=hashlib.sha256(data).hexdigest(),
        warnings=tuple(warnings + row_warnings),
        errors=tuple(errors),
    )


def _read_csv(data: bytes) -> tuple[list[list[str]], tuple[int, int, dict[str, int]]]:
    text = decode_text(data)
    delimiter = detect_delimiter(text)
    if delimiter is None:
        raise _no_header()
    try:
        rows = [[_clean(cell) for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:
        raise ImportRefused(_("Tệp CSV bị lỗi định dạng: {reason}").format(reason=exc)) from None
    if len(rows) > MAX_ROWS:
        raise _too_many_rows()
    header = locate_header(rows, HEADER_SCAN_ROWS)
    if header is None:
        raise _no_header()
    return rows, header


def _read_workbook(
    data: bytes, warnings: list[str]
) -> tuple[str, list[list[str]], tuple[int, int, dict[str, int]]]:
    """The first sheet with a recognisable header, merged cells filled down; others are noted."""
    import openpyxl  # imported here: CSV-only callers should not pay for it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise ImportRefused(_("Tệp Excel bị hỏng, không đọc được.")) from None
    try:
        chosen: tuple[str, list[list[str]], tuple[int, int, dict[str, int]]] | None = None
        skipped: list[str] = []
        for sheet in book.worksheets:
            if not hasattr(sheet, "iter_rows"):
                continue
            try:
                if chosen is not None:
                    peek = _sheet_rows(book, sheet, limit=HEADER_SCAN_ROWS + 1)
                    if locate_header(peek, HEADER_SCAN_ROWS) is not None:
                        skipped.append(sheet.title)
                    continue
                rows = _sheet_rows(book, sheet, limit=None)
            except ImportRefused:
                raise
            except Exception:
                raise ImportRefused(_("Tệp Excel bị hỏng, không đọc được.")) from None
            header = locate_header(rows, HEADER_SCAN_ROWS)
            if header is not None:
                chosen = (sheet.title, rows, header)
                cells = uncached_formulas(book, sheet)
                if cells:
                    warnings.append(
                        _(
                            "Trang tính “{sheet}”: ô {cells} có công thức chưa được tính (tệp không lưu giá trị), "
                            "đọc như ô trống; hãy mở tệp bằng Excel hoặc LibreOffice, lưu lại rồi gửi lại."
                        ).format(sheet=sheet.title, cells=", ".join(cells[:10]) + ("…" if len(cells) > 10 else ""))
                    )
    finally:
        book.close()
    if chosen is None:
        raise _no_header()
    if len(book.sheetnames) > 1:
        warnings.append(
            _("Chỉ đọc trang tính “{sheet}”; tệp còn {count} trang tính khác.").format(
                sheet=chosen[0], count=len(book.sheetnames) - 1
            )
        )
    if skipped:
        warnings.append(
            _(
                "Trang tính {sheets} cũng có bảng nhiệm vụ nhưng không được nhập; hãy tách thành tệp riêng."
            ).format(sheets=", ".join(f"“{name}”" for name in skipped))
        )
    return chosen


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _sheet_rows(book: Any, sheet: Any, *, limit: int | None) -> list[list[str]]:
    """Cell texts of a read-only sheet (row i = Excel row i+1), vertical merges filled down."""
    sheet.reset_dimensions()  # the stored dimension is often wrong; read what is there
    rows: list[list[str]] = []
    blanks = 0  # blank rows not yet kept: kept only when a filled row follows them (issue 26:
    filled = 0  # rows after a long run of blank rows are read, not dropped)
    for values in sheet.iter_rows(values_only=True):
        row = _texts(values[:MAX_COLUMNS])
        while row and not row[-1]:
            row.pop()
        if not row:
            blanks += 1
            continue
        rows.extend([] for _ in range(blanks))  # row i stays Excel row i+1
        blanks = 0
        rows.append(row)
        filled += 1
        if limit is not None and len(rows) >= limit:
            break
        if filled > MAX_ROWS:
            raise _too_many_rows()
    _fill_merged(rows, _merged_ranges(book, sheet))
    return rows


_UNCACHED = re.compile(rb'<(?:\w+:)?c\s+r="([A-Z]+\d+)"[^>]*>\s*<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>')


def uncached_formulas(book: object, sheet: object) -> list[str]:
    """Cells ("B5") holding a formula the file carries no computed value for (written by a
    program that does not calculate): read as empty, so they are named in the warnings."""
    archive = getattr(book, "_archive", None)
    path = getattr(sheet, "_worksheet_path", None)
    if archive is None or path is None:
        return []
    return [ref.decode() for ref in _UNCACHED.findall(archive.read(path))]


def _merged_ranges(book: object, sheet: object) -> list[tuple[int, int, int, int]]:
    """Merged ranges (min_col, min_row, max_col, max_row), 1-based, from the sheet XML.

    openpyxl's read-only mode (several times faster on big sheets) does not expose merged
    cells; they sit in one small <mergeCells> element after the data, so read them there.
    """
    from openpyxl.utils import column_index_from_string

    archive = getattr(book, "_archive", None)
    path = getattr(sheet, "_worksheet_path", None)
    if archive is None or path is None:
        return []
    xml = archive.read(path)
    tail = xml[xml.rfind(b"sheetData>") :]
    return [
        (column_index_from_string(c1.decode()), int(r1), column_index_from_string(c2.decode()), int(r2))
        for c1, r1, c2, r2 in _MERGE.findall(tail)
    ]


def _fill_merged(rows: list[list[str]], ranges: list[tuple[int, int, int, int]]) -> None:
    """A cell merged over several rows (a lead for a group of tasks) applies to each row.

    Only the first column of a range is filled: a merge across columns (a section heading,
    the plan title) stays one value so it is not mistaken for a full row.
    """
    for min_col, min_row, _max_col, max_row in ranges:
        if max_row <= min_row or min_row > len(rows):
            continue
        col = min_col - 1
        top = rows[min_row - 1]
        value = top[col] if col < len(top) else ""
        if not value:
            continue
        for r in range(min_row, min(max_row, len(rows))):
            row = rows[r]
            if len(row) <= col:
                row.extend([""] * (col + 1 - len(row)))
            if not row[col]:
                row[col] = value


# --------------------------------------------------------------------------- plan facts


def _plan_title(above: list[list[str]]) -> str | None:
    """The plan's title from the rows above the header ("KẾ HOẠCH …", "Thực hiện … năm 2022")."""
    cells: list[str] = []
    for row in above:
        for cell in row:
            folded = fold(cell)
            if not cell or cell in cells or any(m in folded for m in _MOTTO):
                continue
            if re.match(r"^[^,]{0,40}, ngay \S+ thang", folded) or re.match(r"^so\s*:", folded):
                continue
            if set(cell) <= set("-_=*. "):
                continue
            cells.append(cell)
    start = next((i for i, cell in enumerate(cells) if fold(cell).startswith(_TITLE_START)), None)
    if start is not None:
        cells = cells[start:]
    title = nfc(" ".join(cells))
    return _shorten(title, 500) if title else None


def _guess_year(title: str | None, rows: list[list[str]], deadline_col: int | None) -> int | None:
    """The plan's year: "… năm 2022" in the title, else the commonest year among the deadlines."""
    folded = fold(title)
    match = re.search(r"nam (20\d\d)\b", folded) or _YEAR.search(folded)
    if match:
        return int(match[1])
    if deadline_col is None:
        return None
    years = Counter(
        int(y) for row in rows if deadline_col < len(row) for y in _YEAR.findall(row[deadline_col] or "")
    )
    return years.most_common(1)[0][0] if years else None


def _plan_number(text: str) -> str | None:
    match = _PLAN_NUMBER.search(text)
    return match[1].rstrip(".") if match else None


def _plan_date(text: str) -> date | None:
    match = _PLAN_DATE.search(fold(text))
    if not match:
        return None
    try:
        return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None


def _no_header() -> ImportRefused:
    return ImportRefused(
        _("Không tìm thấy dòng tiêu đề của bảng (cần cột “Nhiệm vụ” và cột “Chủ trì” hoặc “Thời hạn”).")
    )


def _too_many_rows() -> ImportRefused:
    return ImportRefused(_("Bảng có quá nhiều dòng (hơn {limit}).").format(limit=MAX_ROWS))
