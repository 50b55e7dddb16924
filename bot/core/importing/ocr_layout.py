"""The document model from OCR word boxes: what a scan's page says, laid out as blocks.

OCR gives words with boxes (Tesseract's TSV: page, block, paragraph, line, word, box,
confidence). The reader needs what a text layer gives: lines in reading order, paragraphs,
and tables as rows of cells. So words are regrouped into physical lines by their vertical
overlap (a two-column header is one line, as in a PDF's text layer), a line is cut into
cells where the gap between words is wide, and a run of lines cut at the same columns is a
table whose rows begin where the first column has text (the "STT" column). Specks, stamps
and signatures — low-confidence words without letters or digits — are dropped.
Pure: words in, blocks out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.core.i18n import _
from bot.core.importing.blocks import DocBlock, paragraphs, table_blocks
from bot.core.text import nfc

MIN_CONFIDENCE = 30.0  # Tesseract's 0-100; below it a word of no letters is noise
_WORDLIKE = re.compile(r"[^\W_]")
_PAGE_NUMBER = re.compile(r"^(?:-\s*)?(?:trang\s*)?\d{1,4}(?:\s*/\s*\d{1,4})?(?:\s*-)?$", re.IGNORECASE)


@dataclass(frozen=True)
class OcrWord:
    """One word as OCR saw it; coordinates in pixels of the page image."""

    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float = 100.0

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height


@dataclass
class OcrLine:
    words: list[OcrWord] = field(default_factory=list)

    @property
    def top(self) -> int:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> int:
        return max(w.bottom for w in self.words)

    @property
    def height(self) -> int:
        heights = sorted(w.height for w in self.words)
        return heights[len(heights) // 2]

    def cells(self, gap: float) -> list[tuple[int, int, str]]:
        """(left, right, text) of the runs of words closer than `gap` pixels."""
        out: list[tuple[int, int, list[str]]] = []
        for word in sorted(self.words, key=lambda w: w.left):
            if out and word.left - out[-1][1] <= gap:
                left, _right, texts = out[-1]
                out[-1] = (left, word.right, [*texts, word.text])
            else:
                out.append((word.left, word.right, [word.text]))
        return [(left, right, " ".join(texts)) for left, right, texts in out]

    def text(self) -> str:
        return " ".join(w.text for w in sorted(self.words, key=lambda w: w.left))


def parse_tsv(tsv: str) -> list[OcrWord]:
    """Words of Tesseract's TSV output (level 5 rows with text)."""
    words = []
    for row in tsv.splitlines()[1:]:
        parts = row.split("\t")
        if len(parts) < 12 or parts[0] != "5" or not parts[11].strip():
            continue
        try:
            left, top, width, height = (int(parts[i]) for i in (6, 7, 8, 9))
            confidence = float(parts[10])
        except ValueError:
            continue
        words.append(OcrWord(nfc(parts[11]), left, top, width, height, confidence))
    return words


def is_noise(word: OcrWord) -> bool:
    """A speck, a stamp's ring or a signature's stroke rather than a word."""
    if not _WORDLIKE.search(word.text):
        return word.confidence < MIN_CONFIDENCE or word.text in {"|", "\\", "/", "~", "_", "—", "'", "‘"}
    return word.confidence < 10 and len(word.text) <= 2 and not word.text.isdigit()


def physical_lines(words: Iterable[OcrWord]) -> list[OcrLine]:
    """Words regrouped into lines by vertical overlap, top to bottom."""
    lines: list[OcrLine] = []
    for word in sorted((w for w in words if not is_noise(w)), key=lambda w: (w.top + w.bottom) / 2):
        middle = (word.top + word.bottom) / 2
        if lines:
            line = lines[-1]
            if line.top <= middle <= line.bottom or abs(middle - (line.top + line.bottom) / 2) < 0.35 * line.height:
                line.words.append(word)
                continue
        lines.append(OcrLine([word]))
    return lines


def page_blocks(
    words: list[OcrWord], page: int, repair: Callable[[list[str]], list[str]] = lambda texts: texts
) -> list[DocBlock]:
    """One page's blocks; `repair` maps line and cell texts to their repaired texts (in order)."""
    lines = [line for line in physical_lines(words) if not _PAGE_NUMBER.match(line.text())]
    if not lines:
        return []
    height = sorted(line.height for line in lines)[len(lines) // 2]
    gap = 1.6 * height
    regions = _regions(lines, gap)
    texts: list[str] = []
    for kind, payload in regions:
        if kind == "prose":
            texts.extend(line.text() for line in payload)
        else:
            texts.extend(cell for row in payload for cell in row)
    fixed = iter(repair(texts))
    blocks: list[DocBlock] = []
    pending: list[tuple[str, str]] = []
    for kind, payload in regions:
        if kind == "prose":
            previous_bottom = None
            for number, line in enumerate(payload, start=1):
                text = next(fixed)
                if previous_bottom is not None and line.top - previous_bottom > 0.9 * height:
                    pending.append(("", ""))
                pending.append((_("trang {page}, dòng {line}").format(page=page, line=number), text))
                previous_bottom = line.bottom
            continue
        blocks.extend(_prose(pending))
        pending = []
        rows = [[next(fixed) for _cell in row] for row in payload]
        blocks.extend(table_blocks(rows, _("trang {page}, bảng").format(page=page)))
    blocks.extend(_prose(pending))
    return blocks


def _prose(lines: list[tuple[str, str]]) -> list[DocBlock]:
    numbered = [(index, text) for index, (_source, text) in enumerate(lines)]
    sources = [source for source, _text in lines]
    out = paragraphs(numbered, label="{n}")
    for block in out:
        block.source = sources[int(block.source)]
    return out


def _regions(lines: list[OcrLine], gap: float) -> list[tuple[str, list]]:
    """Runs of prose lines and tables ([(kind, lines | rows of cell texts)])."""
    out: list[tuple[str, list]] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and len(lines[j].cells(gap)) >= 3:
            j += 1
        if j - i >= 2:
            k = j
            # continuation lines of the last rows (cells wrapped onto lines of fewer cells)
            while k < len(lines) and 1 <= len(lines[k].cells(gap)) < 3 and _inside_columns(lines[k], lines[i:j], gap):
                k += 1
            out.append(("table", _table_rows(lines[i:k], gap)))
            i = k
            continue
        if out and out[-1][0] == "prose":
            out[-1][1].append(lines[i])
        else:
            out.append(("prose", [lines[i]]))
        i += 1
    return out


def _columns(lines: list[OcrLine], gap: float) -> list[int]:
    """Left edges of the columns: the cell starts of the line cut into the most cells."""
    widest = max(lines, key=lambda line: len(line.cells(gap)))
    return [left for left, _right, _text in widest.cells(gap)]


def _inside_columns(line: OcrLine, table: list[OcrLine], gap: float) -> bool:
    columns = _columns(table, gap)
    return line.words[0].left >= columns[0] + gap and line.top - table[-1].bottom < 2.5 * table[-1].height


def _table_rows(lines: list[OcrLine], gap: float) -> list[list[str]]:
    columns = _columns(lines, gap)
    rows: list[list[str]] = []
    for line in lines:
        cells = [""] * len(columns)
        for left, _right, text in line.cells(gap):
            index = max((i for i, c in enumerate(columns) if c <= left + gap), default=0)
            cells[index] = f"{cells[index]} {text}".strip()
        if rows and not cells[0] and any(cells):
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=True)]
        else:
            rows.append(cells)
    return rows


def page_text(words: list[OcrWord]) -> str:
    """The page as plain lines (the raw OCR kept for the record)."""
    return "\n".join(line.text() for line in physical_lines(words))
