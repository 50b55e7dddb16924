"""Read a plan as published — Word, PDF or text (scans included) — into a ParsedPlan.

Each format is turned into labelled lines ("dòng 12", "đoạn 7", "trang 3, dòng 12") and Word
tables into rows; the lines go through the same extractor (`layouts.py`) and the tables through
the spreadsheet reader (`tables.py`), so a plan reads the same whatever file it came in.
No I/O beyond the bytes given; `today` is passed in.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterable
from datetime import date

from bot.core.domain import ImportRefused, ParsedPlan, ParsedTask
from bot.core.i18n import _
from bot.core.importing.extraction import extract_tasks
from bot.core.importing.plan_facts import plan_facts, plan_title_and_year
from bot.core.text import nfc

__all__ = ["extract_from_text", "plan_facts", "read_document"]

_MIN_TEXT_CHARS = 40  # fewer letters than this in a whole PDF: a scan without a text layer
_YEAR = re.compile(r"(?<![\d\-–])(20\d\d)(?![\d\-–])")


def read_document(
    data: bytes,
    filename: str,
    *,
    kind: str,
    issuer: str | None = None,
    plan: str | None = None,
    year: int | None = None,
    today: date,
    known_agencies: Iterable[str] = (),
    quarter_day: int | None = None,
) -> ParsedPlan:
    """Read a .docx, .pdf or text plan (`kind` from `guard.sniff`); `ImportRefused` if unreadable."""
    known = list(known_agencies)
    tables: list[list[list[str]]] = []
    if kind == "docx":
        lines, tables = _docx_content(data)
    elif kind == "pdf":
        lines, tables = _pdf_content(data)
    elif kind == "text":
        from bot.core.importing.guard import decode_text

        text = decode_text(data)
        lines = [(_("dòng {n}").format(n=n), line) for n, line in enumerate(text.splitlines(), start=1)]
    else:
        raise ImportRefused(_("Tệp không phải văn bản Word, PDF hay văn bản thường."))
    parsed = _extract(
        lines,
        issuer=issuer,
        plan=plan,
        year=year,
        today=today,
        known_agencies=known,
        quarter_day=quarter_day,
    )
    if tables:
        table_tasks, warnings, errors = _tasks_from_tables(tables, parsed.year, today, quarter_day, known)
        parsed.tasks = _merge(parsed.tasks, table_tasks)
        parsed.warnings.extend(warnings)
        parsed.errors.extend(errors)
    parsed.source_file = filename
    parsed.source_hash = hashlib.sha256(data).hexdigest()
    if not parsed.tasks:
        parsed.warnings.append(_("Không tìm thấy nhiệm vụ nào trong tệp."))
    return parsed


def extract_from_text(
    text: str,
    *,
    issuer: str | None = None,
    plan: str | None = None,
    year: int | None = None,
    today: date,
    known_agencies: Iterable[str] = (),
    quarter_day: int | None = None,
) -> ParsedPlan:
    """The core on plain text: plan facts from the header, tasks from the body (sources "dòng N")."""
    lines = [(_("dòng {n}").format(n=n), line) for n, line in enumerate(text.splitlines(), start=1)]
    return _extract(
        lines,
        issuer=issuer,
        plan=plan,
        year=year,
        today=today,
        known_agencies=list(known_agencies),
        quarter_day=quarter_day,
    )


def _extract(
    lines: list[tuple[str, str]],
    *,
    issuer: str | None,
    plan: str | None,
    year: int | None,
    today: date,
    known_agencies: list[str],
    quarter_day: int | None,
) -> ParsedPlan:
    text = "\n".join(line for _label, line in lines)
    found_issuer, found_number, signed = plan_facts(text, known_agencies)
    title, plan_year = plan_title_and_year(text, signed)
    plan_year = year or plan_year or _common_year(text)
    tasks, warnings = extract_tasks(
        lines, year=plan_year, today=today, known_agencies=known_agencies, quarter_day=quarter_day
    )
    return ParsedPlan(
        tasks=tasks,
        issuer=issuer or found_issuer,
        number=plan or found_number,
        date=signed,
        year=plan_year,
        title=title,
        warnings=warnings,
    )


def _common_year(text: str) -> int | None:
    years = Counter(int(y) for y in _YEAR.findall(text[:20000]))
    return years.most_common(1)[0][0] if years else None


# ----------------------------------------------------------------------------- Word


def _docx_content(data: bytes) -> tuple[list[tuple[str, str]], list[list[list[str]]]]:
    """Paragraphs as labelled lines and tables as rows, in document order.

    Automatic list numbering is not in a paragraph's text, so a numbered or bulleted paragraph
    gets a "- " marker; merged cells are read once per row.
    """
    from bot.core.importing.guard import check_zip

    check_zip(data)
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise ImportRefused(
            _("Không mở được tệp Word (.docx): tệp bị hỏng hoặc không đúng định dạng.")
        ) from exc
    lines: list[tuple[str, str]] = []
    tables: list[list[list[str]]] = []
    paragraph_no = 0
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(element, document)
            paragraph_no += 1
            text = paragraph.text
            if not text.strip():
                lines.append(("", ""))
                continue
            ppr = element.pPr
            numbered = ppr is not None and ppr.numPr is not None
            style = element.style or ""  # the style id ("ListNumber"): cheap, unlike `paragraph.style`
            if (numbered or style.lower().startswith("list")) and not re.match(
                r"^\s*(?:[-–+•*]|\d+[.)]|[a-z]\))", text
            ):
                text = f"- {text}"
            lines.append((_("đoạn {n}").format(n=paragraph_no), text))
        elif tag == "tbl":
            table = Table(element, document)
            rows: list[list[str]] = []
            for row in table.rows:
                cells: list[str] = []
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        cells.append("")
                        continue
                    seen.add(id(cell._tc))
                    cells.append(nfc(cell.text))
                rows.append(cells)
            tables.append(rows)
            lines.append(("", ""))
    return lines, tables


def _tasks_from_tables(
    tables: list[list[list[str]]],
    year: int | None,
    today: date,
    quarter_day: int | None,
    known: list[str],
) -> tuple[list[ParsedTask], list[str], list[str]]:
    """Appendix tables through the spreadsheet reader; a table continued on the next page
    without its own header (or with the header repeated) is read with the header above it."""
    from bot.core.importing.extraction import resolve_agency
    from bot.core.importing.headers import find_header
    from bot.core.importing.tables import tasks_from_rows

    tasks: list[ParsedTask] = []
    warnings: list[str] = []
    errors: list[str] = []
    previous: tuple[dict[str, int], int] | None = None  # header of the table above, its width
    for number, rows in enumerate(tables, start=1):
        if not rows:
            continue
        width = max(len(row) for row in rows)
        header = find_header(rows)
        if header is not None:
            index, columns = header
            data_rows, first = rows[index + 1 :], index + 2
            previous = (columns, width)
        elif previous is not None and previous[1] == width:
            columns, data_rows, first = previous[0], rows, 1
        else:
            continue
        found, row_warnings, row_errors = tasks_from_rows(
            data_rows,
            source_prefix=_("bảng {n}").format(n=number),
            first_row_number=first,
            year=year,
            today=today,
            quarter_day=quarter_day,
            columns=columns,
        )
        for task in found:
            task.lead = resolve_agency(task.lead, known) if known else task.lead
        tasks.extend(found)
        warnings.extend(row_warnings)
        errors.extend(row_errors)
    return tasks, warnings, errors


def _merge(text_tasks: list[ParsedTask], table_tasks: list[ParsedTask]) -> list[ParsedTask]:
    """Table tasks first (the appendix is the authoritative list), then text tasks not in it."""
    from bot.core.text import fold_words

    seen = {fold_words(task.title) for task in table_tasks}
    return table_tasks + [task for task in text_tasks if fold_words(task.title) not in seen]


# ----------------------------------------------------------------------------- PDF


def _pdf_content(data: bytes) -> tuple[list[tuple[str, str]], list[list[list[str]]]]:
    """The text layer of every page as lines "trang P, dòng L"; a scan without one is refused."""
    try:
        import pdfplumber

        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:
        raise ImportRefused(_("Không mở được tệp PDF: tệp bị hỏng hoặc có mật khẩu.")) from exc
    lines: list[tuple[str, str]] = []
    tables: list[list[list[str]]] = []
    letters = 0
    with pdf:
        for page_no, page in enumerate(pdf.pages, start=1):
            text = page.extract_text() or ""
            letters += sum(ch.isalpha() for ch in text)
            for line_no, line in enumerate(text.splitlines(), start=1):
                lines.append((_("trang {page}, dòng {line}").format(page=page_no, line=line_no), line))
            lines.append(("", ""))
            try:
                for table in page.extract_tables():
                    rows = [[nfc(cell) if cell else "" for cell in row] for row in table]
                    if len(rows) >= 2 and max(len(r) for r in rows) >= 3:
                        tables.append(rows)
            except Exception:
                continue
    if letters < _MIN_TEXT_CHARS:
        raise ImportRefused(
            _(
                "Tệp PDF không có lớp chữ (bản quét), không đọc được nội dung. "
                "Hãy gửi bản Word, hoặc chạy nhận dạng chữ (OCR) rồi gửi lại."
            )
        )
    return lines, tables
