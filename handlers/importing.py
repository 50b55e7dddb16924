"""Importing a plan file: read it, place its agencies, save it (or only preview it)."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bot.core.domain import ParsedPlan
from bot.core.i18n import _
from bot.core.importing.guard import FileKind, check_size, sniff
from bot.core.importing.leads import Place, Placement, is_agency_name, place_names
from bot.core.importing.ocr_layout import OcrPage
from bot.core.importing.options import ImportOptions
from bot.core.importing.plan_json import plan_to_json
from bot.core.importing.reader import read_plan
from bot.core.importing.scanned import pages_to_read
from bot.core.plans import bound_to_period, report_periods
from bot.core.text import fold
from bot.ocr.tesseract import OcrLimits, check_pages, read_image_file, read_pdf_pages
from handlers.context import AppContext
from storage.plans import SaveResult


@dataclass
class ImportReport:
    parsed: ParsedPlan
    result: SaveResult
    dry_run: bool
    placements: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The `import --json` shape: the plan's one JSON shape (`plan_json`) with what the save
        found and did — the same with and without --dry-run."""
        plan = plan_to_json(self.parsed)
        messages = {key: plan.pop(key) for key in ("warnings", "errors")}  # printed after the names
        return {
            **plan,
            "agencies": self.result.new_agencies,
            "names": self.placements,
            **messages,
            "dry_run": self.dry_run,
            "created": self.result.created,
            "added": self.result.tasks_added,
            "updated": self.result.tasks_updated,
            "removed": self.result.tasks_removed,
        }


def _with_deployment(ctx: AppContext, options: ImportOptions | None = None) -> ImportOptions:
    """`options` (what the caller asked; nothing: today, no facts, a real save) with what this
    deployment sets: the file cap and the due day of quarterly rules."""
    return replace(
        options or ImportOptions(today=ctx.today()),
        max_bytes=ctx.settings.max_file_bytes,
        quarter_day=ctx.settings.quarter_report_day,
    )


async def parse_file(
    ctx: AppContext,
    data: bytes,
    filename: str,
    options: ImportOptions | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ParsedPlan:
    """Read a file into a plan (raises ImportRefused); no database write.

    The directory's names go with the options (a scanned plan's damaged names are put back to
    them). The reading runs in a worker thread, so the other chats are answered meanwhile (a
    190,000-row spreadsheet takes seconds to read; OCR of a scan, seconds a page). Scanned
    pages and photos are read by Tesseract there first (issue 27); `progress(page, pages)` is
    called from that thread before each page.
    """
    known = tuple(a.name for a in await ctx.storage.agencies())
    reading = replace(_with_deployment(ctx, options), known_agencies=known)
    settings = ctx.settings
    limits = OcrLimits(
        settings.nhacviec_ocr_max_pages,
        settings.nhacviec_ocr_max_seconds,
        settings.nhacviec_ocr_language,
        settings.nhacviec_ocr_workers,
    )

    def read() -> ParsedPlan:
        check_size(len(data), reading.max_bytes)
        return read_plan(data, filename, reading, ocr_words(data, filename, limits, progress))

    return await asyncio.to_thread(read)


_OCR_KEPT = 4  # scans whose OCR this process keeps: a preview corrected ("Sửa cơ quan/số/năm") is not read again
_ocr_kept: OrderedDict[str, dict[int, OcrPage]] = OrderedDict()
_ocr_lock = threading.Lock()


def ocr_words(
    data: bytes, filename: str, limits: OcrLimits, progress: Callable[[int, int], None] | None = None
) -> dict[int, OcrPage] | None:
    """What OCR reads on the scanned pages of a file (None when it has none): every frame of
    a photo or scanned image, the image-only pages of a PDF. The last few scans' readings are
    kept, so the same file read again (the admin corrected the preview's facts) is not OCR'd
    anew."""
    kind = sniff(data, filename)
    pages = pages_to_read(data, kind)
    if not pages:
        return None
    check_pages(len(pages), limits)
    key = f"{hashlib.sha256(data).hexdigest()}:{limits.language}"
    with _ocr_lock:
        if key in _ocr_kept:
            _ocr_kept.move_to_end(key)
            return _ocr_kept[key]
    if kind is FileKind.IMAGE:
        words = dict(enumerate(read_image_file(data, limits, progress), start=1))
    else:
        words = read_pdf_pages(data, pages, limits, progress)
    with _ocr_lock:
        _ocr_kept[key] = words
        while len(_ocr_kept) > _OCR_KEPT:
            _ocr_kept.popitem(last=False)
    return words


def _preview(placement: Placement, role: str) -> dict[str, Any]:
    """One name of the plan as the preview shows it: matched (full path), new under …, or ambiguous."""
    return {
        "written": placement.written,
        "role": role,
        "status": placement.status,
        "match": placement.label() if placement.status == "matched" else None,
        "new_under": " › ".join(placement.path[:-1]) or None if placement.status == "new" else None,
        "choices": list(placement.choices),
    }


def same_plan_note(result: SaveResult, parsed: ParsedPlan) -> str:
    """One sentence of the preview on which stored plan this file is (issue 26): recognised as
    the same plan (by its number, its title, its issuer and signing date, or the same file), or
    created, though it names no number and no title, beside a plan that looks like it."""
    if result.found_by == "number":
        return _("Nhận ra là cùng kế hoạch đã nhập (cùng số {number}).").format(number=parsed.number)
    if result.found_by == "title":
        return _("Nhận ra là cùng kế hoạch đã nhập (cùng cơ quan ban hành, năm và tên).")
    if result.found_by == "date":
        return _(
            "Nhận ra là cùng kế hoạch đã nhập: không có số và tên, nhưng cùng cơ quan ban hành và ngày ký {day}."
        ).format(day=f"{parsed.date:%d/%m/%Y}" if parsed.date else "")
    if result.found_by == "file":
        return _("Nhận ra là cùng kế hoạch đã nhập (cùng tệp).")
    if result.similar:
        return _(
            "Kế hoạch không có số và tên: sẽ tạo một kế hoạch mới bên cạnh kế hoạch tương tự “{other}” "
            "đã có (cùng cơ quan ban hành), không cập nhật kế hoạch đó."
        ).format(other=result.similar)
    return ""


def placement_line(name: dict[str, Any]) -> str:
    """One name of the preview in words: "[chủ trì] Văn phòng Sở → Sở Y tế › Văn phòng Sở"."""
    role = _("chủ trì") if name["role"] == "lead" else _("phối hợp")
    if name["status"] == "matched":
        where = name["match"]
    elif name["status"] == "ambiguous":
        where = _("chưa rõ: {choices}").format(choices="; ".join(name["choices"][:5]))
    elif name["new_under"]:
        where = _("mới, thuộc {parent}").format(parent=name["new_under"])
    else:
        where = _("mới, cấp trên cùng")
    return f"[{role}] {name['written']} → {where}"


async def save_parsed(ctx: AppContext, parsed: ParsedPlan, options: ImportOptions) -> ImportReport:
    """Place every lead and partner on an agency (known, or new) and save; a dry run
    (`options.dry_run`) rolls back.

    `options.matches` lets an admin correct the preview: a name as written → the agency it means
    (any name the directory resolves, e.g. a full name "Văn phòng Sở (Sở Y tế)").
    """
    options = _with_deployment(ctx, options)
    parsed = bound_to_period(parsed, today=options.today, quarter_day=options.quarter_day)
    directory = await ctx.directory()
    issuer_id = directory.resolve(parsed.issuer).agency_id if parsed.issuer else None
    if issuer_id is not None:
        record = directory.record(issuer_id)
        assert record is not None
        parsed = replace(parsed, issuer=record.name)
    corrections: dict[str, int] = {}
    for written, target in options.matches:
        hit = directory.resolve(target)
        if hit.agency_id is None:
            raise ValueError(
                _("Không tìm thấy cơ quan “{name}”.").format(name=target)
                + (
                    " " + _("Có phải: {names}?").format(names="; ".join(hit.suggestions[:3]))
                    if hit.suggestions
                    else ""
                )
            )
        corrections[fold(written)] = hit.agency_id

    def placed(text: str) -> list[Placement]:
        found = place_names(text, directory=directory, issuer_id=issuer_id, issuer=parsed.issuer)
        out = []
        for placement in found:
            target = corrections.get(fold(placement.written))
            if target is not None:
                record = directory.record(target)
                assert record is not None
                placement = Placement(
                    placement.written,
                    record.name,
                    record.parent_id,
                    target,
                    "matched",
                    directory.path(target),
                )
            out.append(placement)
        return out

    leads: dict[str, list[Place]] = {}
    partners: dict[str, list[Place]] = {}
    preview: dict[tuple[str, str], dict[str, Any]] = {}
    refused: dict[str, str] = {}  # a name that is no agency (issue 26) → the task's source
    for task in parsed.tasks:
        for text, table, role in ((task.lead, leads, "lead"), (task.partners, partners, "partner")):
            if not text or text in table:
                continue
            placements = []
            for placement in placed(text):
                if placement.status != "matched" and not is_agency_name(placement.written):
                    refused.setdefault(placement.written, task.source)
                    continue
                placements.append(placement)
            table[text] = [p.place for p in placements]
            for placement in placements:
                preview.setdefault((fold(placement.written), role), _preview(placement, role))
    if refused:
        notes = tuple(
            _("{source}: “{name}” không phải tên một cơ quan, không thêm vào danh bạ.").format(
                source=source, name=name
            )
            for name, source in refused.items()
        )
        parsed = replace(parsed, warnings=parsed.warnings + notes)
    result = await ctx.storage.save_plan(
        parsed,
        leads,
        dry_run=options.dry_run,
        partner_names=partners,
        issuer_id=issuer_id,
        report_periods=report_periods(parsed, today=options.today),
    )
    names = list(preview.values())
    return ImportReport(parsed=parsed, result=result, dry_run=options.dry_run, placements=names)
