"""The document model from OCR word boxes: what a scan's page says, laid out as blocks.

OCR gives words with boxes (Tesseract's TSV: page, block, paragraph, line, word, box,
confidence). The reader needs what a text layer gives: lines in reading order, paragraphs,
and tables as rows of cells. So words are regrouped into physical lines by their vertical
overlap (a two-column header is one line, as in a PDF's text layer), a line is cut into
cells where the gap between words is wide, and a run of lines cut at the same columns is a
table whose rows begin where the first column has text (the "STT" column). Specks, stamps
and signatures — low-confidence words without letters or digits — are dropped.
A ruled table (most plans' task tables) is read from its rules instead: the runner finds the
page's ruled lines, and each word goes to the cell its centre falls in. Pure: words in,
blocks out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.core.i18n import _
from bot.core.importing.blocks import DocBlock, ends_sentence, paragraphs, table_blocks
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


Rule = tuple[int, int, int]  # (position across, start, end along): y, x0, x1 or x, y0, y1


@dataclass(frozen=True)
class OcrPage:
    """What OCR saw on one page: its words, and the ruled lines the runner found."""

    words: tuple[OcrWord, ...]
    across: tuple[Rule, ...] = ()  # horizontal rules (y, x0, x1)
    down: tuple[Rule, ...] = ()  # vertical rules (x, y0, y1)


@dataclass(frozen=True)
class Grid:
    """A ruled table: row boundaries, and per row band the column boundaries."""

    top: int
    bottom: int
    left: int
    right: int
    bands: tuple[tuple[int, int, tuple[int, ...]], ...]  # (top, bottom, column edges)

    def holds(self, word: OcrWord) -> bool:
        x, y = (word.left + word.right) / 2, (word.top + word.bottom) / 2
        return self.left <= x <= self.right and self.top <= y <= self.bottom

    def rows(self, words: list[OcrWord]) -> list[list[str]]:
        cells: dict[tuple[int, int], list[OcrWord]] = {}
        for word in words:
            x, y = (word.left + word.right) / 2, (word.top + word.bottom) / 2
            for b, (top, bottom, edges) in enumerate(self.bands):
                if top <= y <= bottom:
                    column = max((i for i, edge in enumerate(edges[:-1]) if edge <= x), default=0)
                    cells.setdefault((b, column), []).append(word)
                    break
        width = max(len(edges) - 1 for _t, _b, edges in self.bands)
        rows = []
        for b in range(len(self.bands)):
            row = [" ".join(line.text() for line in physical_lines(cells.get((b, c), []))) for c in range(width)]
            if any(row):
                rows.append(row)
        return rows


def grids(page: OcrPage) -> list[Grid]:
    """The ruled tables of a page: groups of vertical rules that overlap, cut into row bands by
    the horizontal rules across them (a table needs at least two columns)."""
    if not page.down:
        return []
    verticals = sorted(page.down, key=lambda r: r[1])
    groups: list[list[Rule]] = []
    for rule in verticals:
        if groups and rule[1] <= max(r[2] for r in groups[-1]) + 10:
            groups[-1].append(rule)
        else:
            groups.append([rule])
    out = []
    for group in groups:
        if len({r[0] // 8 for r in group}) < 3:
            continue
        left, right = min(r[0] for r in group), max(r[0] for r in group)
        top, bottom = min(r[1] for r in group), max(r[2] for r in group)
        ys = sorted(
            {top, bottom}
            | {y for y, x0, x1 in page.across if top - 10 <= y <= bottom + 10 and x0 <= left + 20 and x1 >= right - 20}
        )
        merged: list[int] = []
        for y in ys:
            if not merged or y - merged[-1] > 12:
                merged.append(y)
        bands = []
        for upper, lower in zip(merged, merged[1:], strict=False):
            middle = (upper + lower) / 2
            edges = sorted({x for x, y0, y1 in group if y0 - 5 <= middle <= y1 + 5})
            edges = [x for i, x in enumerate(edges) if i == 0 or x - edges[i - 1] > 12]
            if len(edges) >= 2:
                bands.append((upper, lower, tuple(edges)))
        if bands:
            out.append(Grid(top, bottom, left, right, tuple(bands)))
    return out


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
        text = nfc(parts[11]).strip("|¦")  # a table's rule read as a bar beside a word
        if text:
            words.append(OcrWord(text, left, top, width, height, confidence))
    return words


def is_noise(word: OcrWord, typical_height: float = 0.0) -> bool:
    """A speck, a stamp's ring or a signature's stroke rather than a word.

    A short word read with almost no confidence is a speck unless it stands as tall as the
    page's text: "Sở" in a bold heading is often read so ("Sé" at 6 %, "S@" at 0 %), and
    dropping it left "1. Công Thương" — no agency — at the head of the Sở's tasks."""
    if not _WORDLIKE.search(word.text):
        return word.confidence < MIN_CONFIDENCE or word.text in {"|", "\\", "/", "~", "_", "—", "'", "‘"}
    if word.confidence < 10 and len(word.text) <= 2 and not word.text.isdigit():
        return not (typical_height and 0.7 * typical_height <= word.height <= 1.5 * typical_height)
    return False


def without_noise(words: Iterable[OcrWord]) -> list[OcrWord]:
    """The words that are no noise, judged against the height of the page's confident words."""
    words = list(words)
    heights = sorted(w.height for w in words if w.confidence >= 50 and _WORDLIKE.search(w.text))
    typical = heights[len(heights) // 2] if len(heights) >= 5 else 0.0
    return [w for w in words if not is_noise(w, typical)]


def physical_lines(words: Iterable[OcrWord]) -> list[OcrLine]:
    """Words regrouped into lines by vertical overlap, top to bottom (noise already dropped:
    a page's words are judged once, against the page, by `without_noise`)."""
    lines: list[OcrLine] = []
    for word in sorted(words, key=lambda w: (w.top + w.bottom) / 2):
        middle = (word.top + word.bottom) / 2
        if lines:
            line = lines[-1]
            if line.top <= middle <= line.bottom or abs(middle - (line.top + line.bottom) / 2) < 0.35 * line.height:
                line.words.append(word)
                continue
        lines.append(OcrLine([word]))
    return lines


def page_blocks(
    page_words: OcrPage, page: int, repair: Callable[[list[str]], list[str]] = lambda texts: texts
) -> list[DocBlock]:
    """One page's blocks; `repair` maps line and cell texts to their repaired texts (in order)."""
    words = without_noise(page_words.words)
    tables = sorted(grids(page_words), key=lambda grid: grid.top)
    loose = [w for w in words if not any(grid.holds(w) for grid in tables)]
    lines = [line for line in physical_lines(loose) if not _PAGE_NUMBER.match(line.text())]
    if not lines and not tables:
        return []
    height = sorted(line.height for line in lines)[len(lines) // 2] if lines else 40
    gap = 1.6 * height
    regions: list[tuple[str, list]] = []
    rest = lines
    for grid in tables:  # the lines above each ruled table, then the table
        above = [line for line in rest if line.top < grid.top]
        rest = [line for line in rest if line.top >= grid.top]
        regions.extend(_regions(above, gap))
        rows = grid.rows([w for w in words if grid.holds(w)])
        if rows:
            regions.append(("table", rows))
    regions.extend(_regions(rest, gap))
    texts: list[str] = []
    for kind, payload in regions:
        if kind == "prose":
            texts.extend(line.text() for line in payload)
        else:
            texts.extend(cell for row in payload for cell in row)
    fixed = iter(repair(texts))
    blocks: list[DocBlock] = []
    pending: list[tuple[str, str]] = []
    number = 0
    for kind, payload in regions:
        if kind == "prose":
            previous_bottom = None
            previous_text = ""
            for line in payload:
                number += 1
                text = next(fixed)
                if previous_bottom is not None and line.top - previous_bottom > 0.9 * height and not _runs_on(previous_text, text):
                    pending.append(("", ""))
                pending.append((_("trang {page}, dòng {line}").format(page=page, line=number), text))
                previous_bottom = line.bottom
                previous_text = text
            continue
        blocks.extend(_prose(pending))
        pending = []
        rows = [[next(fixed) for _cell in row] for row in payload]
        blocks.extend(table_blocks(rows, _("trang {page}, bảng").format(page=page)))
    blocks.extend(_prose(pending))
    return blocks


def _runs_on(previous: str, text: str) -> bool:
    """A line that goes on with an unfinished sentence ("… có liên" / "quan:"): a wider gap
    before it is the line's shape (a line of short letters has a lower top), not a new paragraph."""
    return bool(text[:1].islower()) and not ends_sentence(previous)


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


def page_text(page: OcrPage) -> str:
    """The page as plain lines (the raw OCR kept for the record)."""
    return "\n".join(line.text() for line in physical_lines(without_noise(page.words)))
