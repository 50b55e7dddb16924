"""Scans and photos in the reader: which pages need OCR, and the blocks of the pages OCR read.

The OCR itself runs above the core (`bot.ocr`); here its word boxes become blocks
(`ocr_layout`) and its text is repaired (`bot.core.repair`) when it needs it — decided once
for the whole document, so a clean page of a damaged scan reads like its neighbours.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.domain import ImportRefused
from bot.core.i18n import _
from bot.core.importing.blocks import PARAGRAPH, TABLE, DocBlock, paragraphs
from bot.core.importing.ocr_layout import OcrPage, page_blocks, page_text
from bot.core.repair.decoder import needs_repair, repair_text, split_glued
from bot.core.text import fold

_SCAN_LETTERS = 20  # a PDF page with fewer letters in its text layer (and an image) is a scan


@dataclass(frozen=True)
class ScanReading:
    """The OCR'd pages as blocks, with the raw OCR text and whether it was repaired."""

    blocks: dict[int, list[DocBlock]]
    raw_text: str
    repaired: bool


def pages_to_read(data: bytes, kind: str) -> list[int]:
    """The pages (1-based) OCR must read: every frame of an image, the PDF pages that are
    images without a text layer. Empty for any other file."""
    if kind == "image":
        return list(range(1, _frames(data) + 1))
    if kind != "pdf":
        return []
    try:
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return [
                number
                for number, page in enumerate(pdf.pages, start=1)
                if page.images and sum(ch.isalpha() for ch in (page.extract_text() or "")) < _SCAN_LETTERS
            ]
    except Exception:
        return []  # the reader refuses the file with its own sentence


def _frames(data: bytes) -> int:
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return int(getattr(image, "n_frames", 1))
    except Exception as exc:
        raise ImportRefused(_("Không mở được tệp ảnh: tệp bị hỏng hoặc không phải ảnh.")) from exc


def read_scanned(pages: Mapping[int, OcrPage]) -> ScanReading:
    """Blocks of each OCR'd page; the text repaired when the OCR damaged it."""
    raw = "\n\n".join(page_text(pages[number]) for number in sorted(pages))
    damaged = needs_repair(raw)

    def repair(texts: list[str]) -> list[str]:
        # a Vietnamese-aware OCR's text: only the words it ran together are cut apart
        return repair_lines(texts) if damaged else [split_glued(text) for text in texts]

    blocks = {number: page_blocks(pages[number], number, repair) for number in sorted(pages)}
    _join_continued_tables(blocks)
    _join_continued_prose(blocks)
    return ScanReading(blocks, raw, damaged)


def _join_continued_prose(blocks: dict[int, list[DocBlock]]) -> None:
    """A paragraph that runs on over a page break is one paragraph, as in a PDF's text layer:
    the next page's first paragraph continues the page's last one unless the one rule of
    `paragraphs` starts a new one there (a marker, a finished sentence then a heading…). Split,
    the task's title stopped at the page's last word and the rest became no task."""
    for number in sorted(blocks):
        following = blocks.get(number + 1)
        page = blocks[number]
        if not page or not following:
            continue
        last, first = page[-1], following[0]
        if last.kind != PARAGRAPH or first.kind != PARAGRAPH or len(first.lines) != 1:
            continue
        if len(paragraphs([(0, last.lines[-1]), (1, first.lines[0])])) != 1:
            continue
        last.lines[-1] = f"{last.lines[-1]} {first.lines[0]}"
        del following[0]


def _join_continued_tables(blocks: dict[int, list[DocBlock]]) -> None:
    """A table that ends one page and starts the next, as wide, is one table (its header row
    repeated on the new page is dropped); a page that is all table passes it on."""
    open_table: DocBlock | None = None
    previous_number: int | None = None
    for number in sorted(blocks):
        page = blocks[number]
        if previous_number is None or number != previous_number + 1:
            open_table = None
        first = page[0] if page else None
        if (
            open_table is not None
            and first is not None
            and first.kind == TABLE
            and len(first.rows[0]) == len(open_table.rows[0])
        ):
            rows = first.rows
            if [fold(c) for c in rows[0]] == [fold(c) for c in open_table.rows[0]]:
                rows = rows[1:]
            open_table.rows.extend(rows)
            page = blocks[number] = page[1:]
            if not page:
                previous_number = number
                continue  # the whole page continued the table: it stays open
        last = page[-1] if page else None
        open_table = last if last is not None and last.kind == TABLE else None
        previous_number = number


def repair_lines(texts: list[str]) -> list[str]:
    """Repair lines read in sequence (the language model sees across line ends), one out per one in."""
    if not texts:
        return []
    joined = "\n".join(text.replace("\n", " ") for text in texts)
    fixed = repair_text(joined, force=True).split("\n")
    return fixed if len(fixed) == len(texts) else texts
