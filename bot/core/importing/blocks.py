"""The document model: a plan as logical blocks, whatever file it came in.

Every reader (Markdown/text as published, Word, PDF) turns its input into the same list of
`DocBlock`s — paragraphs rejoined across hard-wrapped lines, list items with their marker,
tables with rows and cells — each with its source position ("dòng 12", "đoạn 7",
"trang 3, dòng 12", "bảng 2"). Page furniture and the wrapper text of legal-documents
websites are dropped here, and `body_blocks` cuts away the signature and "Nơi nhận" of a
Quyết định while keeping the plan it issues and the appendices, so the extractor reads blocks
only and a plan gives the same tasks in every format. Pure code: no I/O beyond the text given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.core.i18n import _
from bot.core.importing.headers import classify_header, find_header
from bot.core.text import fold, fold_words, nfc

PARAGRAPH, TABLE = "paragraph", "table"


@dataclass
class DocBlock:
    """One logical block: a paragraph (heading, item or prose) or a table (rows of cells).

    `lines` are the paragraph's parts: usually one; an inline bold label ("**2. Sở Y tế:** …")
    is kept as its own first part so the label can be told from the text after it.
    """

    kind: str
    source: str
    lines: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    bold: bool = False

    @property
    def text(self) -> str:
        return nfc(" ".join(self.lines))


# ----------------------------------------------------------------------------- Markdown / text

_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LONE_PIPE = re.compile(r"^\s*\|\s*$")
_EMPHASIS = re.compile(r"\*{1,3}|(?<!\w)_{1,3}|_{1,3}(?!\w)")
_MARKER_START = re.compile(
    r"^(?:[-–—+•·▪●○]\s|\*\s|[a-zđ]\s?\)|\d{1,3}(?:\.\d{1,2}){0,4}\s?[.)](?![\d/])|"
    r"[IVXL]{1,5}\s?[.)]|(?:Điều|Phần|Mục|Chương)\s+\d+[.:]?|PHỤ LỤC|Phụ lục)"
)
_ONLY_MARKER = re.compile(r"^(?:[-–—+•·▪●○]|[a-zđ]\s?\)|\d{1,3}(?:\.\d{1,2}){0,4}\s?[.)]?|[IVXL]{1,5}\s?[.)])$")
_SENTENCE_END = (".", ":", ";", "!", "?", "./.")


def ends_sentence(text: str) -> bool:
    """A line that finishes its sentence (the paragraph rule's test, shared with the OCR layout)."""
    return text.rstrip().endswith(_SENTENCE_END)

_HEADING_RULE = re.compile(r"^\s*(?:-{3,}|_{3,}|={3,})\s*$")
_MD_HEADING = re.compile(r"^#{1,6}(?:\s+|$)")

# Website wrappers (legal-documents portals): a paragraph with one of these is not the document.
_WRAPPER = (
    "thu vien phap luat",
    "thuvienphapluat",
    "dang tai van ban",
    "click vao phan boi vang",
    "cac noi dung duoc sua doi, huong dan",
    "cac noi dung cua vb nay duoc vb khac",
    "sua doi, thay the,",
)
_METADATA_LABELS = (
    "so hieu",
    "loai van ban",
    "noi ban hanh",
    "nguoi ky",
    "ngay ban hanh",
    "ngay hieu luc",
    "tinh trang",
    "ngay cong bao",
    "so cong bao",
    "linh vuc",
)
_WRAPPER_END = re.compile(r"^(?:#+\s*)?(?:van ban lien quan|luoc do|van ban goc|tai ve)\s*$")


def _strip_emphasis(text: str) -> str:
    return _EMPHASIS.sub("", text)


def _is_bold_start(raw: str) -> bool:
    return raw.lstrip().startswith("**")


def markdown_blocks(text: str) -> list[DocBlock]:
    """Blocks of a Markdown or plain text plan (hard-wrapped, tables as pipes or cell per line)."""
    lines = text.splitlines()
    segments = _segments(lines)
    blocks: list[DocBlock] = []
    for kind, payload in segments:
        if kind == TABLE:
            rows, first = payload
            blocks.append(DocBlock(TABLE, _("dòng {n}").format(n=first), rows=rows))
        else:
            blocks.extend(paragraphs(payload))
    return drop_wrapper(blocks)


def _segments(lines: list[str]) -> list[tuple[str, Any]]:
    """Prose runs (lists of (line number, text)) and tables (rows, first line number), in order."""
    out: list[tuple[str, Any]] = []
    prose: list[tuple[int, str]] = []
    index = 0
    n = len(lines)
    while index < n:
        line = lines[index]
        if _PIPE_ROW.match(line) and line.count("|") >= 3 and not _LONE_PIPE.match(line):
            start = index
            region: list[str] = []
            more: list[list[str]] = []  # the lines continuing each row, joined once (not line by line)
            # the table runs over lines starting with "|" and the lines that continue them
            while index < n and lines[index].strip() and (
                lines[index].lstrip().startswith("|") or (region and not _MARKER_START.match(lines[index]))
            ):
                if lines[index].lstrip().startswith("|") or not region:
                    region.append(lines[index])
                    more.append([])
                else:
                    more[-1].append(lines[index].strip())
                index += 1
            region = [" ".join([row.rstrip(), *rest]) if rest else row for row, rest in zip(region, more, strict=True)]
            if prose:
                out.append((PARAGRAPH, prose))
                prose = []
            out.append((TABLE, (pipe_rows(region), start + 1)))
            continue
        if _LONE_PIPE.match(line):
            table, index = _cell_table(lines, index)
            if table is not None:
                if prose:
                    out.append((PARAGRAPH, prose))
                    prose = []
                out.extend(table)
                continue
        prose.append((index + 1, line))
        index += 1
    if prose:
        out.append((PARAGRAPH, prose))
    return out


def pipe_rows(region: list[str]) -> list[list[str]]:
    """Rows of a Markdown pipe table; rows broken across lines are put back together.

    Published tables often break a row over several "|" lines and leave merged cells out. When
    most rows are short of the header's width, the non-empty cells of consecutive short lines
    make one row (until it has as many cells as the header, less its number column); a row
    still short keeps its first cells on the left and its last cells on the right (the merged
    cells are in the middle). A lone group title ("II. Văn bản thuộc …") is its own row.
    """
    rows = []
    for line in region:
        if _PIPE_RULE.match(line) or _LONE_PIPE.match(line):
            continue
        rows.append([nfc(_strip_emphasis(c)) for c in line.strip().strip("|").split("|")])
    if len(rows) < 2:
        return rows
    header = [c for c in rows[0] if c]
    width = len(header)
    regular = sum(1 for r in rows[1:] if len(r) == len(rows[0]))
    if regular * 2 >= len(rows) - 1:
        return rows
    numbered = classify_header(header[0]) == "number"
    target = width - 1 if numbered else width
    out: list[list[str]] = [header]
    current: list[str] = []

    def flush() -> None:
        nonlocal current
        if current:
            if len(current) < target:
                left = (len(current) + 1) // 2
                current = current[:left] + [""] * (target - len(current)) + current[left:]
            out.append(([""] if numbered else []) + current[:target])
            current = []

    for row in rows[1:]:
        cells = [c for c in row if c]
        if not cells:
            continue
        if len(cells) == 1 and _SECTION_MARK.match(cells[0].split(" ", 1)[0]):
            flush()
            out.append([cells[0]] + [""] * (width - 1))
            continue
        if len(current) + len(cells) > target:
            flush()
        current.extend(cells)
        if len(current) >= target:
            flush()
    flush()
    return out


_Cell = tuple[int, list[str]]  # a cell of a table written one cell per run of lines: (first line, lines)


def _cell_table(lines: list[str], index: int) -> tuple[list[tuple[str, Any]] | None, int]:
    """Cells one per run of lines between lone "|" lines; a double "|" ends a row.

    Returns the prose and table segments of the region starting at `index` (a lone pipe) and
    the index after it. Rows of fewer than three cells are layout (header columns, signature),
    read as prose; three or more cells in consecutive rows are a table.
    """
    rows, cursor = _cell_rows(lines, index)
    if not rows:
        return None, cursor
    out: list[tuple[str, Any]] = []
    items = _prose_apart(rows)
    start = 0
    while start < len(items):
        kind, cells = items[start]
        if kind == "prose" or len(cells) < 3:
            out.extend(_prose_segments(cells))
            start += 1
            continue
        end = _table_end(items, start)
        glued, table = _aligned_table([cells for _k, cells in items[start:end]])
        out.extend(_prose_segments(glued))
        out.append(table)
        start = end
    return out, cursor


def _cell_rows(lines: list[str], index: int) -> tuple[list[list[_Cell]], int]:
    """The rows of cells of the region starting at `index`, and the index after it."""
    n = len(lines)
    rows: list[list[_Cell]] = []
    row: list[_Cell] = []
    cell: list[str] = []
    cell_start = index + 1
    pipes = 0
    cursor = index
    while cursor < n:
        line = lines[cursor]
        if _LONE_PIPE.match(line):
            if cell:
                row.append((cell_start, cell))
                cell = []
                pipes = 1
            else:
                pipes += 1
                if pipes >= 2 and row:
                    rows.append(row)
                    row = []
            cursor += 1
            continue
        if _PIPE_ROW.match(line) and line.count("|") >= 3:
            break
        if not line.strip() and not cell:
            # a blank line outside any cell: the region ends unless a pipe follows at once
            nxt = cursor + 1
            while nxt < n and not lines[nxt].strip():
                nxt += 1
            if nxt >= n or not _LONE_PIPE.match(lines[nxt]):
                break
            cursor = nxt
            continue
        if not cell:
            cell_start = cursor + 1
        cell.append(line)
        cursor += 1
    if cell:
        row.append((cell_start, cell))
    if row:
        rows.append(row)
    return rows, cursor


def _prose_apart(rows: list[list[_Cell]]) -> list[tuple[str, list[_Cell]]]:
    """("row", cells) and ("prose", [cell]) items, in order.

    A run of text between single pipes may be a whole stretch of the document (the body
    between a layout table and the signature): a cell that long is prose, and it splits
    its row; what is left of a row is a table row when it has three cells or more.
    """
    items: list[tuple[str, list[_Cell]]] = []
    for cells in rows:
        run: list[_Cell] = []
        for found in cells:
            if _is_prose_cell(found[1]):
                if run:
                    items.append(("row", run))
                    run = []
                items.append(("prose", [found]))
            else:
                run.append(found)
        if run:
            items.append(("row", run))
    return items


def _table_end(items: list[tuple[str, list[_Cell]]], start: int) -> int:
    """Where the table whose first row is `items[start]` ends: it runs while rows have ≥ 3
    cells, or are sub-rows or short section rows."""
    end = start + 1
    while end < len(items):
        kind, cells = items[end]
        if kind == "row" and _ends_table(cells):
            break  # the signature or the next document's header columns
        if kind == "row" and len(cells) >= 2:
            end += 1  # a full row, or a sub-row whose left cells are merged with the row above
            continue
        short = sum(len(" ".join(t)) for _s, t in cells) <= 160
        following = items[end + 1] if end + 1 < len(items) else None
        if kind == "row" and short and following and following[0] == "row" and len(following[1]) >= 3:
            end += 1
            continue
        break
    return end


def _prose_segments(cells: list[_Cell]) -> list[tuple[str, Any]]:
    return [(PARAGRAPH, [(start + k, t) for k, t in enumerate(text_lines)]) for start, text_lines in cells]


_SECTION_MARK = re.compile(r"^(?:[A-ZĐ]|[IVXL]{1,5}|\d{1,2})[.)]?$")


def _is_section_row(texts: list[str]) -> bool:
    """ "A." + "BỘ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "II. Văn bản thuộc thẩm quyền …": a group's title."""
    joined = " ".join(texts)
    letters = [ch for ch in joined if ch.isalpha()]
    upper = bool(letters) and sum(ch.isupper() for ch in letters) / len(letters) > 0.7
    return len(texts) == 1 or bool(_SECTION_MARK.match(texts[0])) or upper


_TABLE_END = re.compile(r"^(?:noi nhan|kt\.|tm\.|cong hoa xa hoi|doc lap - tu do|so:)")
_SIGNER = re.compile(r"^(?:pho )?(?:chu tich|giam doc|bo truong|thu truong|truong ban)$")


def _ends_table(cells: list[_Cell]) -> bool:
    """A row that is the signature block or a document header, not the table's."""
    for _start, text_lines in cells:
        text = _cell_text(text_lines)
        folded = fold(text)
        if _TABLE_END.match(folded) or (text.isupper() and _SIGNER.match(folded.split("\n")[0])):
            return True
    return False


def _is_prose_cell(lines: list[str]) -> bool:
    return len(lines) > 16 or sum(len(line) for line in lines) > 1600 or any(
        _WRAPPER_END.match(fold(nfc(_strip_emphasis(line)))) for line in lines
    )


def _aligned_table(rows: list[list[_Cell]]) -> tuple[list[_Cell], tuple[str, Any]]:
    """Rows of cells into a rectangular table: section rows padded, sub-rows (fewer cells,
    those on the left merged with the row above) filled from the row above.
    → (the prose cells glued before the header, the table segment)."""
    header = rows[0]
    glued: list[_Cell] = []
    # prose glued before the table's first row (the text between two tables, a signature):
    # leading cells of a header row that name no column
    named = [classify_header(_cell_text(t)) is not None for _s, t in header]
    if sum(named) >= 2:
        first = named.index(True)
        if first and header[first - 1][1] and len(_cell_text(header[first - 1][1])) <= 12:
            first -= 1  # a short unnamed cell just before ("#") stays
        if first:
            glued, header = header[:first], header[first:]
    width = len(header)
    table: list[list[str]] = [[_cell_text(text_lines) for _start, text_lines in header]]
    previous: list[str] | None = None
    for cells in rows[1:]:
        texts = [_cell_text(text_lines) for _start, text_lines in cells][:width]
        if len(texts) <= 2 and _is_section_row(texts):
            row = texts + [""] * (width - len(texts))  # a section row ("A.", "BỘ NÔNG NGHIỆP …")
        elif len(texts) < width and previous is not None and not re.fullmatch(r"\d{1,3}\.?", texts[0]):
            row = previous[: width - len(texts)] + texts
        else:
            row = texts + [""] * (width - len(texts))
            previous = row
        table.append(row)
    return glued, (TABLE, (table, header[0][0]))


def _cell_text(lines: list[str]) -> str:
    return nfc(_strip_emphasis(" ".join(line.strip() for line in lines)))


def paragraphs(numbered: list[tuple[int, str]], label: str | None = None) -> list[DocBlock]:
    """Rejoin hard-wrapped lines (Markdown emphasis kept) into paragraphs.

    A blank line ends a paragraph; a line starting with a marker ("-", "+", "a)", "1.", "1.1.",
    "II.", "Điều 2.") starts one, unless the paragraph so far is only a marker ("**1.**" alone
    on its line); after a sentence end, a bold line or a line of one or two words starting
    with a capital starts one (the published texts break after a paragraph's first word).
    """
    out: list[DocBlock] = []
    current: list[tuple[int, str]] = []

    def flush() -> None:
        if current:
            block = paragraph_block(current, label=label)
            if block is not None:
                out.append(block)
            current.clear()

    for number, raw in numbered:
        if not raw.strip() or _HEADING_RULE.match(raw):
            flush()
            continue
        line = _MD_HEADING.sub("", raw.strip())
        plain = nfc(_strip_emphasis(line))
        if not plain:
            if current and line.strip("* ") == "":
                continue
            flush()
            continue
        if current:
            previous_raw = current[-1][1]
            previous = nfc(_strip_emphasis(previous_raw))
            joined = nfc(_strip_emphasis(" ".join(t for _n, t in current)))
            if _ONLY_MARKER.match(joined):
                current.append((number, line))
                continue
            starts_item = bool(_MARKER_START.match(plain))
            ended = ends_sentence(previous) or previous_raw.rstrip().endswith("**")
            new_paragraph = (
                starts_item
                or previous.endswith("./.")
                or bool(_SIGNATURE_START.match(fold(plain)))
                or (ended and _is_bold_start(line))
                or (ended and plain[:1].isupper() and len(plain.split()) <= 2)
                or (raw.startswith("#"))
            )
            if new_paragraph:
                flush()
        current.append((number, line))
    flush()
    return out


_INLINE_LABEL = re.compile(r"^\s*\*\*(?P<label>[^*]{3,160}?:)\s*\*\*\s*(?P<rest>\S.*)$", re.S)


def paragraph_block(parts: list[tuple[int, str]], label: str | None = None) -> DocBlock | None:
    """One paragraph from its (line number, text) parts; "**Label:** text" keeps the label apart."""
    raw = " ".join(t for _n, t in parts)
    bold = raw.strip().startswith("**") and raw.strip().endswith("**") and raw.count("**") == 2
    source = (label or _("dòng {n}")).format(n=parts[0][0])
    match = _INLINE_LABEL.match(raw)
    if match and not bold:
        label = nfc(_strip_emphasis(match["label"]))
        rest = nfc(_strip_emphasis(match["rest"]))
        return DocBlock(PARAGRAPH, source, [label, rest])
    text = nfc(_strip_emphasis(raw))
    if not text:
        return None
    return DocBlock(PARAGRAPH, source, [text], bold=bold)


def table_blocks(rows: list[list[str]], source: str) -> list[DocBlock]:
    """A table as a block; a layout table of one or two columns (header, signature) as paragraphs."""
    rows = [[nfc(cell) for cell in row] for row in rows if any(cell and cell.strip() for cell in row)]
    if not rows:
        return []
    width = max(len(row) for row in rows)
    if width >= 3:
        return [DocBlock(TABLE, source, rows=rows)]
    out: list[DocBlock] = []
    for row in rows:
        for cell in row:
            for part in cell.splitlines() or [cell]:
                if part.strip():
                    out.append(DocBlock(PARAGRAPH, source, [nfc(part)]))
    return out


def merge_split_tables(blocks: list[DocBlock]) -> list[DocBlock]:
    """A table continued on the next page (same width, no header of its own) is one table."""
    out: list[DocBlock] = []
    for block in blocks:
        previous = out[-1] if out else None
        if (
            block.kind == TABLE
            and previous is not None
            and previous.kind == TABLE
            and max(map(len, previous.rows)) == max(map(len, block.rows))
            and find_header(block.rows[:3]) is None
        ):
            previous.rows.extend(block.rows)
            continue
        out.append(block)
    return out


def drop_wrapper(blocks: list[DocBlock]) -> list[DocBlock]:
    """Without a legal-documents website's wrapper: copyright notices, metadata, related lists."""
    out: list[DocBlock] = []
    skip_value = False
    for block in blocks:
        if block.kind == TABLE:
            out.append(block)
            skip_value = False
            continue
        folded = fold(block.text)
        if _WRAPPER_END.match(folded):
            break
        if any(phrase in folded for phrase in _WRAPPER):
            continue
        label = folded.rstrip(": ")
        if label in _METADATA_LABELS or (folded.endswith(":") and label in _METADATA_LABELS):
            skip_value = True
            continue
        if skip_value:
            skip_value = False
            if len(folded) < 80:
                continue
        if folded in ("x", "#"):
            continue
        out.append(block)
    return out


def website_metadata(text: str) -> dict[str, str]:
    """The metadata a legal-documents website put above a document ("Số hiệu:" → "6225/…")."""
    lines = [nfc(_strip_emphasis(line)) for line in text.splitlines()[:120]]
    lines = [line for line in lines if line and line != "|"]
    found: dict[str, str] = {}
    for index, line in enumerate(lines[:-1]):
        label = fold(line).rstrip(": ")
        if label in _METADATA_LABELS and line.endswith(":"):
            found.setdefault(label, lines[index + 1])
    return found


# ----------------------------------------------------------------------------- document parts

_SIGNATURE_START = re.compile(r"^n\W?[oơ]\W?'?\s?i\s*n\S{0,4}(\s*\S{0,3})?\s*:")
_RESUME = re.compile(r"^(?:ke hoach|chuong trinh|phuong an|phu luc|de an)\b")


def body_blocks(blocks: list[DocBlock]) -> list[DocBlock]:
    """The blocks that may hold tasks: the signature block and "Nơi nhận" list are cut away,
    and reading resumes at the plan a Quyết định issues ("KẾ HOẠCH …") or at an appendix."""
    out: list[DocBlock] = []
    stopped = False
    for block in blocks:
        if block.kind == TABLE:
            if not stopped:
                out.append(block)
            elif _table_is_tasks_candidate(block):
                out.append(block)
            continue
        text = block.text
        folded = fold(text)
        words = fold_words(text)
        if stopped:
            if _RESUME.match(words) and (block.bold or text.isupper() or len(words.split()) <= 3):
                stopped = False
                out.append(block)
            continue
        if len(text) < 40 and _SIGNATURE_START.match(folded):
            stopped = True
            continue
        out.append(block)
    return out


def _table_is_tasks_candidate(block: DocBlock) -> bool:
    return find_header(block.rows) is not None


def flat_text(blocks: list[DocBlock]) -> str:
    """The blocks as text lines (table cells one per line): for the plan's facts."""
    out: list[str] = []
    for block in blocks:
        if block.kind == TABLE:
            for row in block.rows:
                out.extend(cell for cell in row if cell)
        else:
            for line in block.lines:
                # a header typed as one line of cells ("UBND … | CỘNG HÒA … | Số: …")
                out.extend(part.strip() for part in line.split(" | ") if part.strip(" |"))
    return "\n".join(out)
