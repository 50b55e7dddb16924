"""Recognise the header row of a task table, whatever words the office used.

Every office names its columns a little differently ("Cơ quan chủ trì", "Đơn vị thực hiện",
"Chu tri" typed without diacritics), so headers are matched on folded words, in an order that
settles the overlaps ("Thời gian thực hiện" is a deadline, "Cơ quan phối hợp thực hiện" are
partners, not the lead).
"""

from __future__ import annotations

import csv
import io
import re
from functools import lru_cache

from bot.core.text import fold_words, nfc

HEADER_SCAN_ROWS = 30  # a header is looked for in a table's first rows only
_DELIMITERS = (",", ";", "\t", "|")

FIELDS = ("number", "title", "lead", "partners", "deadline", "output", "activity", "note")
_MAX_HEADER_LEN = 80

_NUMBER = {"tt", "stt", "so tt", "so thu tu", "thu tu", "so", "no", "t t", "s tt"}
# (field, phrases any of which may appear as whole words in the folded cell); first match wins.
_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("note", ("ghi chu",)),
    ("partners", ("phoi hop",)),
    ("deadline", ("thoi gian", "thoi han", "tien do", "han hoan thanh", "ngay hoan thanh", "hoan thanh")),
    ("output", ("ket qua", "san pham", "dau ra", "hinh thuc van ban")),
    ("activity", ("hoat dong",)),
    ("title", ("nhiem vu", "noi dung", "cong viec", "giai phap", "ten de an", "de an", "ten van ban")),
    ("lead", ("chu tri", "trach nhiem", "phan cong", "co quan", "don vi", "bo phan", "nguoi thuc hien")),
)
_LEAD_EXACT = {"thuc hien", "to chuc thuc hien"}
# "Thời gian bắt đầu" is not the due date; "Kinh phí/Tình hình thực hiện" are not the lead.
_SKIP = ("bat dau", "khoi cong", "kinh phi", "tinh hinh", "nguon von", "du toan", "nhom nhiem vu")


@lru_cache(maxsize=4096)
def classify_header(cell: str) -> str | None:
    """The field a header cell names, or None when it is not a known column name."""
    if not cell or len(cell) > _MAX_HEADER_LEN:
        return None  # long cells are data; skip folding them (this runs on every data row)
    words = fold_words(cell)
    if not words or len(words) > _MAX_HEADER_LEN:
        return None
    if words in _NUMBER:
        return "number"
    if words in _LEAD_EXACT:
        return "lead"
    padded = f" {words} "
    if any(f" {skip} " in padded for skip in _SKIP):
        return None
    for field_name, phrases in _RULES:
        if any(f" {phrase} " in padded for phrase in phrases):
            return field_name
    return None


_DOES_THE_WORK = re.compile(r"\b(?:chu tri|soan thao)\b")


def header_map(row: list[str]) -> dict[str, int]:
    """Columns of one row that look like headers (the first column wins for each field)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        field_name = classify_header(cell) if cell else None
        if field_name and field_name not in found:
            found[field_name] = index
        elif field_name == "lead" and not _DOES_THE_WORK.search(fold_words(row[found["lead"]])):
            # "Người đứng đầu chịu trách nhiệm" then "Cơ quan chủ trì", "Cơ quan trình" then "Cơ
            # quan soạn thảo": the lead is the unit that does the work
            if _DOES_THE_WORK.search(fold_words(cell)):
                found["lead"] = index
    return found


def find_header(rows: list[list[str]], max_scan: int = 15) -> tuple[int, dict[str, int]] | None:
    """Find the header among the first rows: (index of its LAST row, field → column).

    A header may span two rows (a merged "Cơ quan" above "Chủ trì | Phối hợp"); then the
    second row refines the first and the returned index is the second row's, so the data
    always starts at `index + 1`. A header needs a title column and a lead or deadline column.
    """
    found = locate_header(rows, max_scan)
    return None if found is None else (found[1], found[2])


def locate_header(rows: list[list[str]], max_scan: int = 15) -> tuple[int, int, dict[str, int]] | None:
    """Like `find_header`, also giving the header's FIRST row (where the title rows end)."""
    for index, row in enumerate(rows[:max_scan]):
        columns = header_map(row)
        if "title" not in columns and not _only_headers(row):
            continue
        last = index
        if index + 1 < len(rows) and _only_headers(rows[index + 1]):
            below = header_map(rows[index + 1])
            moved = set(below.values())
            columns = {k: v for k, v in columns.items() if v not in moved and k not in below} | below
            last = index + 1
        if "title" in columns and ("lead" in columns or "deadline" in columns):
            return index, last, columns
    return None


def is_header_row(row: list[str], columns: dict[str, int]) -> bool:
    """A header repeated inside the data (a table split across pages)."""
    title_col = columns.get("title")
    if title_col is None or title_col >= len(row) or len(row[title_col]) > 40:
        return False  # header cells are short; long titles never need folding here
    if classify_header(row[title_col]) != "title":
        return False
    return sum(1 for cell in row if cell and classify_header(cell)) >= 2


_COLUMN_LABEL = re.compile(r"^\(?(\d{1,2}|[a-z])\)?$")


def _only_headers(row: list[str]) -> bool:
    """Every filled cell is a column name (a header's second row)."""
    filled = [cell for cell in row if cell and cell.strip()]
    return bool(filled) and all(
        len(cell) <= 50 and not any(ch.isdigit() for ch in cell) and classify_header(cell) for cell in filled
    )


def is_column_label_row(row: list[str]) -> bool:
    """The "(1) (2) (3)" or "A B C" row printed under many headers."""
    filled = [cell.strip() for cell in row if cell and cell.strip()]
    if len(filled) < 3 or any(len(cell) > 4 for cell in filled):
        return False
    filled = [fold_words(cell) or cell for cell in filled]
    return len(filled) >= 3 and all(
        _COLUMN_LABEL.match(cell.strip("()")) or _COLUMN_LABEL.match(cell) for cell in filled
    )


def detect_delimiter(text: str) -> str | None:
    """The delimiter under which the first lines contain a recognisable header, or None."""
    sample_lines = text[:65536].splitlines()[:60]
    sample = "\n".join(sample_lines)
    best: tuple[int, str] | None = None
    for delimiter in _DELIMITERS:
        if delimiter not in sample:
            continue
        try:
            rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
        except csv.Error:
            continue
        found = locate_header([[nfc(cell) for cell in row] for row in rows], HEADER_SCAN_ROWS)
        if found is not None and (best is None or len(found[2]) > best[0]):
            best = (len(found[2]), delimiter)
    return best[1] if best else None
