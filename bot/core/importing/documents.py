"""Read a plan as published — Word, PDF or text (scans included) — into a ParsedPlan.

Each format is turned into labelled lines ("dòng 12", "đoạn 7", "trang 3, dòng 12") and Word
tables into rows; the lines go through the same extractor (`extraction.py`) and the tables through
the spreadsheet reader (`tables.py`), so a plan reads the same whatever file it came in.
No I/O beyond the bytes given; `today` is passed in.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from bot.core.domain import ImportRefused, ParsedPlan, ParsedTask
from bot.core.i18n import _
from bot.core.importing.blocks import (
    TABLE,
    DocBlock,
    body_blocks,
    drop_wrapper,
    flat_text,
    markdown_blocks,
    merge_split_tables,
    paragraph_block,
    paragraphs,
    table_blocks,
    website_metadata,
)
from bot.core.importing.extraction import layout_items, resolve_agency, tasks_from_items, tasks_from_lines
from bot.core.importing.guard import FileKind, check_zip, decode_text
from bot.core.importing.headers import find_header
from bot.core.importing.ocr_layout import OcrPage
from bot.core.importing.options import Dating, ImportOptions
from bot.core.importing.plan_facts import (
    attached_facts,
    basis_year,
    plan_facts,
    plan_title_and_year,
    proper_agency_name,
    title_period,
)
from bot.core.importing.scanned import ScanReading, read_scanned
from bot.core.importing.tables import tasks_from_rows
from bot.core.lang.deadlines import plan_window
from bot.core.repair.decoder import repair_text
from bot.core.text import fold, fold_words, nfc

_MIN_TEXT_CHARS = 40  # fewer letters than this in a whole PDF: a scan without a text layer
_YEAR = re.compile(r"(?<![\d\-–])(20\d\d)(?![\d\-–])")


def read_document(
    data: bytes,
    filename: str,
    options: ImportOptions,
    *,
    kind: FileKind,
    ocr_pages: Mapping[int, OcrPage] | None = None,
) -> ParsedPlan:
    """Read a .docx, .pdf, image or text plan (`kind` from `guard.sniff`); `ImportRefused` if
    unreadable. Scanned pages and images are read from `ocr_pages` (what OCR saw on them); text
    that OCR damaged is repaired first (`bot.core.repair`), clean text is read as it is."""
    metadata: dict[str, str] = {}
    scan: ScanReading | None = read_scanned(ocr_pages) if ocr_pages else None
    if kind is FileKind.DOCX:
        doc = docx_blocks(data)
    elif kind is FileKind.PDF:
        doc = pdf_blocks(data, scan.blocks if scan else None)
    elif kind is FileKind.IMAGE:
        if scan is None:
            raise ImportRefused(_("Tệp là ảnh: cần nhận dạng chữ (OCR) trước khi đọc."))
        doc = drop_wrapper(merge_split_tables([block for number in sorted(scan.blocks) for block in scan.blocks[number]]))
    elif kind is FileKind.TEXT:
        text = decode_text(data)
        if not looks_like_markdown(text, filename):
            fixed = repair_text(text)
            parsed = plan_from_text(fixed, options)
            if fixed is not text:
                parsed = replace(parsed, ocr_text=text, repaired_text=fixed)
            return _finish(parsed, data, filename)
        doc = markdown_blocks(text)
        metadata = website_metadata(text)
    else:
        raise ImportRefused(_("Tệp không phải văn bản Word, PDF hay văn bản thường."))
    parsed = plan_from_blocks(doc, options, metadata)
    if scan is not None:
        parsed = replace(parsed, ocr_text=scan.raw_text, repaired_text=flat_text(doc) if scan.repaired else None)
    return _finish(parsed, data, filename)


def _finish(parsed: ParsedPlan, data: bytes, filename: str) -> ParsedPlan:
    """The plan with the file it came from; a plan without tasks says so."""
    nothing = () if parsed.tasks else (_("Không tìm thấy nhiệm vụ nào trong tệp."),)
    return replace(
        parsed,
        source_file=filename,
        source_hash=hashlib.sha256(data).hexdigest(),
        warnings=parsed.warnings + nothing,
    )


def looks_like_markdown(text: str, filename: str = "") -> bool:
    """Text as published on the web (Markdown emphasis, pipe tables) rather than a scan's lines."""
    if filename.lower().endswith((".md", ".markdown")):
        return True
    head = text[:20000]
    return head.count("**") >= 4 or bool(re.search(r"(?m)^\s*\|\s*$", head)) or bool(
        re.search(r"(?m)^\s*\|.*\|.*\|\s*$", head)
    )


def plan_from_blocks(
    doc: list[DocBlock], options: ImportOptions, metadata: dict[str, str] | None = None
) -> ParsedPlan:
    """The core on the document model: facts from the header parts, tasks from the body blocks.

    `metadata` is what a legal-documents website wrote above the document (`website_metadata`).
    """
    known = list(options.known_agencies)
    facts_text = flat_text(doc)
    issuer, number, signed = _document_facts(facts_text, known, metadata or {})
    facts = _plan_facts(facts_text, options, issuer, number, signed, year_of_next_plan=True)
    dating = options.dating(facts.year, plan_window(facts.date, facts.year, facts.period))
    body = body_blocks(doc)
    tasks, warnings = tasks_from_items(layout_items(body), dating, known, cooperation_tasks=True)
    tables = [block for block in body if block.kind == TABLE]
    table_tasks, table_warnings, errors = _tasks_from_tables(tables, dating, known)
    return replace(
        facts,
        tasks=tuple(_merge(tasks, table_tasks)),
        warnings=tuple(warnings + table_warnings),
        errors=tuple(errors),
    )


def _document_facts(
    text: str, known: list[str], metadata: dict[str, str]
) -> tuple[str | None, str | None, date | None]:
    """(issuer, number, signing date) of a document: its header, else the decision it is
    attached to, else what the website says about it."""
    found_issuer, found_number, signed = plan_facts(text, known)
    number, attached_date, attached_issuer = attached_facts(text)
    if number:
        # the decision a plan is attached to names it exactly; a header may be missing
        found_number, signed = number, attached_date or signed
        if attached_issuer and (not found_issuer or fold(found_issuer).startswith(("can cu", "thuc hien"))):
            found_issuer = proper_agency_name(attached_issuer, known)
    if metadata:
        found_number = metadata.get("so hieu") or found_number
        signed = _date_of(metadata.get("ngay ban hanh", "")) or signed
        found_issuer = metadata.get("noi ban hanh") or found_issuer
    return found_issuer, found_number, signed


def _plan_facts(
    text: str,
    options: ImportOptions,
    issuer: str | None,
    number: str | None,
    signed: date | None,
    *,
    year_of_next_plan: bool,
) -> ParsedPlan:
    """The plan's facts (no tasks yet): the admin's, else what the text says.

    With `year_of_next_plan`, a plan for next year signed this year covers that year only.
    """
    title, plan_year = plan_title_and_year(text, signed)
    plan_year = options.year or plan_year or _common_year(text)
    if not options.year and signed is None and plan_year:
        plan_year = max(plan_year, basis_year(text) or plan_year)  # signed after what it carries out
    period = title_period(text, plan_year)
    if year_of_next_plan and period is None and plan_year and signed and plan_year != signed.year:
        period = (plan_year, plan_year)  # next year's plan signed in November: its year
    return ParsedPlan(
        issuer=options.issuer or issuer,
        number=options.plan or number,
        date=signed,
        year=plan_year,
        title=title,
        period=period,
    )


def plan_from_text(text: str, options: ImportOptions) -> ParsedPlan:
    """The core on plain text: plan facts from the header, tasks from the body (sources "dòng N")."""
    lines = [(_("dòng {n}").format(n=n), line) for n, line in enumerate(text.splitlines(), start=1)]
    known = list(options.known_agencies)
    facts = _plan_facts(text, options, *plan_facts(text, known), year_of_next_plan=False)
    dating = options.dating(facts.year, plan_window(facts.date, facts.year, facts.period))
    tasks, warnings = tasks_from_lines(lines, dating, known)
    return replace(facts, tasks=tuple(tasks), warnings=tuple(warnings))


def _date_of(text: str) -> date | None:
    match = re.search(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if match is None:
        return None
    try:
        return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None


def _common_year(text: str) -> int | None:
    years = Counter(int(y) for y in _YEAR.findall(text[:20000]))
    return years.most_common(1)[0][0] if years else None


# ----------------------------------------------------------------------------- Word


def docx_blocks(data: bytes) -> list[DocBlock]:
    """Paragraphs and tables of a Word file as blocks, in document order ("đoạn N", "bảng N").

    Automatic list numbering is not in a paragraph's text: it is rebuilt from the numbering
    definitions ("a)", "1.", a bullet "-"), so lettered items read as they were written.
    Merged cells are read once per row.
    """
    check_zip(data)
    try:
        import docx  # imported here: 0.16 s that a spreadsheet or PDF import does not pay
        from docx.table import Table

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise ImportRefused(
            _("Không mở được tệp Word (.docx): tệp bị hỏng hoặc không đúng định dạng.")
        ) from exc
    formats = _numbering_formats(document)
    counters: dict[str, list[int]] = {}
    blocks: list[DocBlock] = []
    paragraph_no = table_no = 0
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph_no += 1
            runs: list[tuple[str, bool]] = []
            for run in element.iter(f"{w}r"):
                text = "".join(t.text or "" for t in run.iter(f"{w}t"))
                if text:
                    rpr = run.find(f"{w}rPr")
                    bold = rpr is not None and rpr.find(f"{w}b") is not None
                    runs.append((text, bold))
            text = "".join(t for t, _b in runs)
            if not text.strip():
                continue
            marker = _list_marker(element, formats, counters, w)
            markdown = _as_markdown(runs)
            if marker and not re.match(r"^\s*(?:[-–+•*]\s|\d+[.)]|[a-zđ]\))", text):
                markdown = f"{marker} {markdown}"
            block = paragraph_block([(paragraph_no, markdown)], label=_("đoạn {n}"))
            if block is not None:
                blocks.append(block)
        elif tag == "tbl":
            table_no += 1
            _word_table(element, document, Table, str(table_no), blocks, w)
    return drop_wrapper(blocks)


def _word_table(element: Any, document: Any, table_type: Any, number: str, blocks: list[DocBlock], w: str) -> None:
    """A Word table as blocks, then each table nested in its cells ("bảng 2.1"): a task table
    inside a layout table is read too (issue 26). A cell's text is its own paragraphs with
    tracked insertions accepted (deleted text is `w:delText`, never read)."""
    table = table_type(element, document)
    rows: list[list[str]] = []
    nested: list[Any] = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                cells.append("")
                continue
            seen.add(id(cell._tc))
            cells.append(_word_cell_text(cell._tc, w))
            nested.extend(cell._tc.iterchildren(f"{w}tbl"))
        rows.append(cells)
    blocks.extend(table_blocks(rows, _("bảng {n}").format(n=number)))
    for index, inner in enumerate(nested, start=1):
        _word_table(inner, document, table_type, f"{number}.{index}", blocks, w)


def _word_cell_text(tc: Any, w: str) -> str:
    """The cell's own paragraphs (not those of a table nested in it), runs inside `w:ins` too."""
    lines = []
    for paragraph in tc.iterchildren(f"{w}p"):
        lines.append("".join(t.text or "" for t in paragraph.iter(f"{w}t")))
    return nfc("\n".join(lines))


def _as_markdown(runs: list[tuple[str, bool]]) -> str:
    """Runs as text with a bold span marked "**…**" (only a leading bold span, or all bold)."""
    if runs and all(bold for t, bold in runs if t.strip()):
        return f"**{''.join(t for t, _b in runs).strip()}**"
    lead = ""
    index = 0
    while index < len(runs) and (runs[index][1] or not runs[index][0].strip()):
        lead += runs[index][0]
        index += 1
    rest = "".join(t for t, _b in runs[index:])
    if lead.strip():
        return f"**{lead.strip()}** {rest.strip()}"
    return rest


_Numbering = dict[str, dict[str, tuple[str, str]]]  # numId → ilvl → (numFmt, lvlText)


def _numbering_formats(document: Any) -> _Numbering:
    """numId → ilvl → (numFmt, lvlText) from the numbering part (empty when there is none).
    `document` is python-docx's (untyped), its parts lxml elements."""
    try:
        root = document.part.numbering_part.element
    except Exception:
        return {}
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    abstract: dict[str, dict[str, tuple[str, str]]] = {}
    for node in root.iter(f"{w}abstractNum"):
        levels: dict[str, tuple[str, str]] = {}
        for lvl in node.iter(f"{w}lvl"):
            fmt = lvl.find(f"{w}numFmt")
            text = lvl.find(f"{w}lvlText")
            levels[lvl.get(f"{w}ilvl")] = (
                fmt.get(f"{w}val") if fmt is not None else "bullet",
                text.get(f"{w}val") if text is not None else "",
            )
        abstract[node.get(f"{w}abstractNumId")] = levels
    out: _Numbering = {}
    for num in root.iter(f"{w}num"):
        ref = num.find(f"{w}abstractNumId")
        if ref is not None:
            out[num.get(f"{w}numId")] = abstract.get(ref.get(f"{w}val"), {})
    return out


def _list_marker(element: Any, formats: _Numbering, counters: dict[str, list[int]], w: str) -> str:
    """The marker Word draws before a numbered paragraph ("a)", "2.", "-"), counting on."""
    ppr = element.find(f"{w}pPr")
    numpr = ppr.find(f"{w}numPr") if ppr is not None else None
    if numpr is None:
        return ""
    num_id = numpr.find(f"{w}numId")
    ilvl = numpr.find(f"{w}ilvl")
    num = num_id.get(f"{w}val") if num_id is not None else ""
    level = int(ilvl.get(f"{w}val")) if ilvl is not None else 0
    fmt, text = formats.get(num, {}).get(str(level), ("bullet", ""))
    count = counters.setdefault(num, [0] * 9)
    count[level] += 1
    for deeper in range(level + 1, 9):
        count[deeper] = 0
    n = count[level]
    if fmt == "lowerLetter":
        value = "abcdeghiklmnopqrstuvxy"[(n - 1) % 22]
    elif fmt == "upperLetter":
        value = "ABCDEGHIKLMNOPQRSTUVXY"[(n - 1) % 22]
    elif fmt in ("decimal", "decimalZero"):
        value = str(n)
    elif fmt in ("lowerRoman", "upperRoman"):
        value = _roman(n) if fmt == "upperRoman" else _roman(n).lower()
    else:
        return "-"
    return re.sub(r"%\d", value, text) if "%" in text else f"{value}."


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += letters
            n -= value
    return out


def _tasks_from_tables(
    tables: list[DocBlock], dating: Dating, known: list[str]
) -> tuple[list[ParsedTask], list[str], list[str]]:
    """Appendix tables through the spreadsheet reader; a table continued on the next page
    without its own header (or with the header repeated) is read with the header above it."""
    tasks: list[ParsedTask] = []
    warnings: list[str] = []
    errors: list[str] = []
    previous: tuple[dict[str, int], int] | None = None  # header of the table above, its width
    for table in tables:
        rows = table.rows
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
            data_rows, dating, source_prefix=table.source, first_row_number=first, columns=columns
        )
        tasks.extend(
            replace(task, lead=resolve_agency(task.lead, known)) if known else task for task in found
        )
        warnings.extend(row_warnings)
        errors.extend(row_errors)
    return tasks, warnings, errors


def _merge(text_tasks: list[ParsedTask], table_tasks: list[ParsedTask]) -> list[ParsedTask]:
    """Table tasks first (the appendix is the authoritative list), then text tasks not in it."""
    seen = {fold_words(task.title) for task in table_tasks}
    return table_tasks + [task for task in text_tasks if fold_words(task.title) not in seen]


# ----------------------------------------------------------------------------- PDF

_PAGE_NUMBER = re.compile(r"^(?:-\s*)?(?:trang\s*)?\d{1,4}(?:\s*/\s*\d{1,4})?(?:\s*-)?$", re.IGNORECASE)


def pdf_blocks(data: bytes, scanned: Mapping[int, list[DocBlock]] | None = None) -> list[DocBlock]:
    """The text layer of every page as blocks: lines rejoined into paragraphs by their spacing,
    bold lines kept as bold, ruled tables as tables, page numbers dropped; sources
    "trang P, dòng L". Pages OCR read (`scanned`: page → blocks) are taken from there. A scan
    without a text layer and without OCR is refused."""
    try:
        import pdfplumber  # imported here: 0.2 s that a spreadsheet or Word import does not pay

        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:
        raise ImportRefused(_("Không mở được tệp PDF: tệp bị hỏng hoặc có mật khẩu.")) from exc
    blocks: list[DocBlock] = []
    pending: list[tuple[str, str]] = []  # (source, markdown-ish line) of the running prose
    letters = 0
    with pdf:
        for page_no, page in enumerate(pdf.pages, start=1):
            if scanned and page_no in scanned:
                if pending:
                    blocks.extend(_prose_blocks(pending))
                    pending.clear()
                blocks.extend(scanned[page_no])
                letters += sum(sum(ch.isalpha() for ch in b.text) for b in scanned[page_no])
                continue
            items, page_letters = _page_items(page)
            letters += page_letters
            _read_page(items, page_no, blocks, pending)
    if pending:
        blocks.extend(_prose_blocks(pending))
    if letters < _MIN_TEXT_CHARS:
        raise ImportRefused(
            _(
                "Tệp PDF không có lớp chữ (bản quét), không đọc được nội dung. "
                "Hãy gửi bản Word, hoặc chạy nhận dạng chữ (OCR) rồi gửi lại."
            )
        )
    return drop_wrapper(merge_split_tables(blocks))


_PageItem = tuple[float, str, Any]  # (top, "table" | "line", rows | (line number, text, top, bottom))


def _page_items(page: Any) -> tuple[list[_PageItem], int]:
    """A page's ruled tables and the text lines outside them, top to bottom (bold lines as
    "**…**"), and how many letters its text has."""
    tables = []
    if page.rects or page.lines:
        try:
            tables = page.find_tables()
        except Exception:
            tables = []
    boxes = [table.bbox for table in tables]
    items: list[_PageItem] = []
    for table in tables:
        try:
            rows = [[nfc(cell) if cell else "" for cell in row] for row in table.extract()]
            _fill_pdf_merges(table, rows)
        except Exception:
            continue
        items.append((table.bbox[1], "table", rows))
    letters = 0
    for line_no, line in enumerate(page.extract_text_lines(return_chars=True), start=1):
        x0, top, bottom = line["x0"], line["top"], line["bottom"]
        if any(b[0] - 1 <= x0 <= b[2] + 1 and b[1] - 1 <= top <= b[3] + 1 for b in boxes):
            continue
        text = nfc(line["text"])
        if not text:
            continue
        letters += sum(ch.isalpha() for ch in text)
        chars = [c for c in line["chars"] if c["text"].strip()]
        if chars and all("bold" in c.get("fontname", "").lower() for c in chars):
            text = f"**{text}**"
        items.append((top, "line", (line_no, text, top, bottom)))
    items.sort(key=lambda item: item[0])
    return items, letters


def _fill_pdf_merges(table: Any, rows: list[list[str]]) -> None:
    """A cell merged down over several rows (a lead for a group of tasks) applies to each of
    them, as in Word and Excel: a cell missing from a row whose column the box above spans."""
    boxes = [list(row.cells) for row in table.rows]
    for r in range(1, min(len(rows), len(boxes))):
        row_top = min((b[1] for b in boxes[r] if b is not None), default=None)
        if row_top is None:
            continue
        for c, box in enumerate(boxes[r]):
            if box is not None or c >= len(rows[r]) or rows[r][c]:
                continue
            above = next((k for k in range(r - 1, -1, -1) if c < len(boxes[k]) and boxes[k][c] is not None), None)
            if above is None:
                continue
            owner = boxes[above][c]
            if owner[3] > row_top + 1 and c < len(rows[above]):
                rows[r][c] = rows[above][c]


def _read_page(
    items: list[_PageItem], page_no: int, blocks: list[DocBlock], pending: list[tuple[str, str]]
) -> None:
    """One page's items onto `blocks`; its prose lines go on `pending`, the prose running on
    from the page before (a blank entry where the spacing says a paragraph ends)."""
    previous_bottom = None
    height = None
    # A bold heading wrapped onto several lines is one bold span: its lines after the first are
    # kept here and joined to it once (joining them line by line copied the growing heading
    # for every line: quadratic in its length).
    wrapped: list[str] = []

    def join_wrapped() -> None:
        if wrapped:
            source, first = pending[-1]
            pending[-1] = (source, first[:-2] + "".join(" " + line[2:-2] for line in wrapped) + "**")
            wrapped.clear()

    for _top, kind, payload in items:
        if kind == "table":
            join_wrapped()
            if pending:
                blocks.extend(_prose_blocks(pending))
                pending.clear()
            blocks.extend(table_blocks(payload, _("trang {page}, bảng").format(page=page_no)))
            previous_bottom = None
            continue
        line_no, text, top, bottom = payload
        if _PAGE_NUMBER.match(_strip_emphasis_text(text)):
            continue
        size = bottom - top
        height = size if height is None else min(height, size) if size > 0 else height
        if previous_bottom is not None and height and top - previous_bottom > 0.6 * height:
            join_wrapped()
            pending.append(("", ""))
        source = _("trang {page}, dòng {line}").format(page=page_no, line=line_no)
        if pending and _bold(pending[-1][1]) and _bold(text):
            wrapped.append(text)
        else:
            join_wrapped()
            pending.append((source, text))
        previous_bottom = bottom
    join_wrapped()


def _bold(text: str) -> bool:
    """A line all in bold ("**…**", as `_page_items` marks it)."""
    return len(text) >= 4 and text.startswith("**") and text.endswith("**")


def _strip_emphasis_text(text: str) -> str:
    return text.replace("*", "").strip()


def _prose_blocks(lines: list[tuple[str, str]]) -> list[DocBlock]:
    numbered = [(index, text) for index, (_source, text) in enumerate(lines)]
    sources = [source for source, _text in lines]
    out = paragraphs(numbered, label="{n}")
    for block in out:
        block.source = sources[int(block.source)]
    return out
