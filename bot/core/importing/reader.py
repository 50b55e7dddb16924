"""One entry for every kind of plan file: sniff the content, then read it as a table or a document."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from bot.core.domain import ParsedPlan
from bot.core.importing.guard import check_size, sniff
from bot.core.importing.ocr_layout import OcrPage


def read_plan(
    data: bytes,
    filename: str,
    *,
    today: date,
    issuer: str | None = None,
    plan: str | None = None,
    year: int | None = None,
    max_bytes: int = 20 * 1024 * 1024,
    quarter_day: int | None = None,
    known_agencies: Iterable[str] = (),
    ocr_pages: Mapping[int, OcrPage] | None = None,
) -> ParsedPlan:
    """Read any supported plan file; raises `ImportRefused` with a one-line reason otherwise.

    Facts given by the admin (`issuer`, `plan`, `year`) win over what the file says.
    `ocr_pages` are the words OCR read on the pages of a scan or photo (page number → words;
    `scanned.pages_to_read` says which pages need it).
    """
    check_size(len(data), max_bytes)
    kind = sniff(data, filename)
    if kind in ("csv", "xlsx"):
        from bot.core.importing.tables import read_table

        parsed = read_table(
            data,
            filename,
            issuer=issuer,
            plan=plan,
            year=year,
            today=today,
            max_bytes=max_bytes,
            quarter_day=quarter_day,
            kind=kind,
        )
    else:
        from bot.core.importing.documents import read_document

        parsed = read_document(
            data,
            filename,
            kind=kind,
            issuer=issuer,
            plan=plan,
            year=year,
            today=today,
            known_agencies=known_agencies,
            quarter_day=quarter_day,
            ocr_pages=ocr_pages,
        )
    if issuer:
        parsed.issuer = issuer
    if plan:
        parsed.number = plan
    if year:
        parsed.year = year
    return parsed
