"""One entry for every kind of plan file: sniff the content, then read it as a table or a document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bot.core.domain import ParsedPlan
from bot.core.importing.documents import read_document
from bot.core.importing.guard import check_size, sniff
from bot.core.importing.ocr_layout import OcrPage
from bot.core.importing.options import ImportOptions
from bot.core.importing.tables import read_table
from bot.core.text import forget_long_texts


def read_plan(
    data: bytes, filename: str, options: ImportOptions, ocr_pages: Mapping[int, OcrPage] | None = None
) -> ParsedPlan:
    """Read any supported plan file; raises `ImportRefused` with a one-line reason otherwise.

    Facts given by the admin (`options.issuer`, `plan`, `year`, `period`) win over what the file says.
    `ocr_pages` are the words OCR read on the pages of a scan or photo (page number → what it
    saw; `scanned.pages_to_read` says which pages need it) — what the file holds, not an option.
    """
    check_size(len(data), options.max_bytes)
    try:
        kind = sniff(data, filename)
        if kind.is_table:
            parsed = read_table(data, filename, options, kind=kind)
        else:
            parsed = read_document(data, filename, options, kind=kind, ocr_pages=ocr_pages)
    finally:
        forget_long_texts()  # the plan's long paragraphs are not kept once it is read
    return replace(
        parsed,
        issuer=options.issuer or parsed.issuer,
        number=options.plan or parsed.number,
        year=options.year or parsed.year,
        period=options.period or parsed.period,
    )
