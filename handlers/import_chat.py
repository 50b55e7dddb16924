"""/import over chat: an admin sends a plan, sees a preview, and confirms before anything is written."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from bot.core.domain import ImportRefused, ParsedPlan, Role
from bot.core.i18n import _
from bot.core.importing.options import ImportOptions
from bot.core.markup import esc
from bot.core.replies import Button, Reply
from handlers.commands import Buttons, Command, Payload, Wait
from handlers.importing import parse_file, placement_line, same_plan_note, save_parsed

if TYPE_CHECKING:
    from handlers.conversation import Conversation, Turn

PREVIEW_TASKS = 5
PROGRESS_ABOVE_BYTES = 512 * 1024  # a file this big takes a moment: say so first
PREVIEW_WARNINGS = 5
PREVIEW_NAMES = 20
OCR_NOTE_EVERY = 15.0  # seconds between two "trang 3/12" notes of one scan


class OcrProgress:
    """The progress notes of a scan being read, sent into the chat from the reading thread:
    the first page, then at most one note every OCR_NOTE_EVERY seconds."""

    def __init__(self, turn: Turn, loop: asyncio.AbstractEventLoop, every: float = OCR_NOTE_EVERY) -> None:
        self.turn, self.loop, self.every = turn, loop, every
        self.last: float | None = None

    def __call__(self, page: int, pages: int) -> None:
        now = time.monotonic()
        if self.last is not None and now - self.last < self.every:
            return
        self.last = now
        note = _("Đang nhận dạng chữ: trang {page}/{pages}").format(page=page, pages=pages)
        asyncio.run_coroutine_threadsafe(self.turn.notify(note), self.loop)


async def on_import(turn: Turn, conv: Conversation) -> list[Reply]:
    req = turn.req
    if not turn.is_admin:
        return [Reply([_("Chỉ quản trị viên mới nhập được kế hoạch. Tệp của bạn không được đọc.")])]
    if req.file_name is None:
        if req.load_file is None and req.channel == "zalo":
            return [
                Reply(
                    [
                        _(
                            "Zalo chưa nhận tệp qua bot. Hãy nhập kế hoạch bằng Telegram hoặc lệnh: nhacviec import TỆP"
                        )
                    ]
                )
            ]
        return [Reply([_("Hãy gửi tệp kế hoạch (XLSX, CSV, DOCX, PDF hoặc TXT).")])]
    await conv.state.stop_waiting(req.account)
    limit = turn.ctx.settings.max_file_bytes
    if req.file_size is not None and req.file_size > limit:
        return [
            Reply(
                [
                    _("Tệp quá lớn ({size:.1f} MB, tối đa {limit:.0f} MB).").format(
                        size=req.file_size / 1048576, limit=limit / 1048576
                    )
                ]
            )
        ]
    if req.load_file is None:
        return [Reply([_("Không tải được tệp. Hãy gửi lại.")])]
    try:
        data = await req.load_file()
        if len(data) > PROGRESS_ABOVE_BYTES:
            await turn.notify(
                _("Đang đọc tệp “{name}” ({size:.1f} MB), xin chờ trong giây lát…").format(
                    name=esc(req.file_name), size=len(data) / 1048576
                )
            )
        parsed = await parse_file(turn.ctx, data, req.file_name, progress=OcrProgress(turn, asyncio.get_running_loop()))
        if not parsed.tasks:
            raise ImportRefused(_("Không tìm thấy nhiệm vụ nào trong tệp."))
    except ImportRefused as exc:
        return [
            Reply(
                [
                    _("Không nhập được tệp “{name}”: {reason}").format(
                        name=esc(req.file_name), reason=esc(str(exc))
                    )
                ]
            )
        ]
    token = await conv.imports.add(req.account, parsed, data)
    return await preview(turn, parsed, token)


async def preview(
    turn: Turn, parsed: ParsedPlan, token: str, matches: dict[str, str] | None = None
) -> list[Reply]:
    """What the import would do (computed by a rolled-back save), with the confirm buttons.

    `matches` are the admin's corrections so far (name as written → agency); one that names no
    agency is dropped (`matches` is changed in place) and the preview says why.
    """
    problem = None
    trial = ImportOptions(today=turn.ctx.today(), dry_run=True)
    try:
        report = await save_parsed(turn.ctx, parsed, trial.with_matches(matches))
    except ValueError as exc:
        problem = str(exc)
        if matches is not None:
            matches.clear()
        report = await save_parsed(turn.ctx, parsed, trial)
    parsed = report.parsed  # as it would be saved: bounded by its period, the issuer's name as known
    unknown = _("chưa rõ")
    blocks = [esc(problem)] if problem else []
    blocks += [
        "<b>" + _("Xem trước kế hoạch") + f"</b> — {esc(parsed.source_file)}",
        _("Số nhiệm vụ: {n}").format(n=len(parsed.tasks)),
        _("Cơ quan ban hành: {v}").format(v=esc(parsed.issuer or unknown)),
        _("Số kế hoạch: {v}").format(v=esc(parsed.number or unknown)),
        _("Năm: {v}").format(v=parsed.year or unknown),
    ]
    if parsed.ocr_text is not None:
        blocks.append(
            _("Chữ được nhận dạng từ bản quét (OCR) và đã sửa dấu tự động; bản OCR gốc được lưu kèm.")
            if parsed.repaired_text is not None
            else _("Chữ được nhận dạng từ bản quét (OCR); bản OCR gốc được lưu kèm.")
        )
    same = same_plan_note(report.result, parsed)
    if same:
        blocks.append(esc(same))
    if not report.result.created:
        blocks.append(
            _("Kế hoạch này đã có: sẽ cập nhật (thêm {a}, sửa {u}, bỏ {r}); việc đã xong vẫn giữ.").format(
                a=report.result.tasks_added, u=report.result.tasks_updated, r=report.result.tasks_removed
            )
        )
    if report.placements:
        lines = [esc(placement_line(name)) for name in report.placements[:PREVIEW_NAMES]]
        if len(report.placements) > PREVIEW_NAMES:
            lines.append(esc(_("… và {n} tên khác").format(n=len(report.placements) - PREVIEW_NAMES)))
        blocks.append("<b>" + _("Cơ quan trong kế hoạch:") + "</b>\n" + "\n".join(lines))
    if report.result.new_agencies:
        blocks.append(_("Cơ quan mới: {names}").format(names=esc("; ".join(report.result.new_agencies))))
    for warning in parsed.warnings[:PREVIEW_WARNINGS]:
        blocks.append("⚠️ " + esc(warning))
    if len(parsed.warnings) > PREVIEW_WARNINGS:
        blocks.append(_("… và {n} cảnh báo khác").format(n=len(parsed.warnings) - PREVIEW_WARNINGS))
    for error in parsed.errors[:PREVIEW_WARNINGS]:
        blocks.append("❌ " + esc(error))
    blocks.append("<b>" + _("Một số nhiệm vụ đầu:") + "</b>")
    for task in parsed.tasks[:PREVIEW_TASKS]:
        dates = ", ".join(f"{d:%d/%m/%Y}" for d in task.dates) or esc(task.deadline or "—")
        blocks.append(f"• [{esc(task.source)}] {esc(task.title[:200])} — {esc(task.lead or '?')} — {dates}")
    buttons = [
        [Button(_("Xác nhận"), PREVIEW.build("ok", token)), Button(_("Huỷ"), PREVIEW.build("no", token))],
        [
            Button(_("Sửa cơ quan/số/năm"), PREVIEW.build("set", token)),
            Button(_("Sửa tên cơ quan"), PREVIEW.build("map", token)),
        ],
    ]
    return [Reply(blocks, buttons=buttons)]


async def on_preview_button(turn: Turn, conv: Conversation, payload: str) -> list[Reply]:
    if not turn.is_admin:
        return [Reply([_("Chỉ quản trị viên mới nhập được kế hoạch.")])]
    action, _sep, token = payload.partition(":")
    parsed = await conv.imports.get(token, turn.req.account)
    if parsed is None:
        return [Reply([_("Bản xem trước này đã hết hạn. Hãy gửi lại tệp.")])]
    if action == "no":
        await conv.imports.pop(token)
        return [Reply([_("Đã huỷ, không ghi gì.")])]
    if action == "set":
        await conv.state.wait_for(turn.req.account, Wait.IMPORT_FACTS, token)
        return [
            Reply(
                [
                    _(
                        "Gõ: cơ quan ban hành; số kế hoạch; năm — ví dụ: Sở Công Thương; 444/KH-SCT; 2022 (để trống phần chưa biết)."
                    )
                ]
            )
        ]
    if action == "map":
        await conv.state.wait_for(turn.req.account, Wait.IMPORT_MATCH, token)
        return [
            Reply(
                [
                    _(
                        "Gõ mỗi dòng: tên như trong kế hoạch = cơ quan đúng — ví dụ: Văn phòng Sở = Văn phòng Sở Y tế"
                    )
                ]
            )
        ]
    if action == "ok":
        matches = await conv.imports.matches(token)
        await conv.imports.pop(token)
        try:
            options = ImportOptions(today=turn.ctx.today()).with_matches(matches)
            report = await save_parsed(turn.ctx, parsed, options)
        except ValueError as exc:
            return [Reply([esc(str(exc))])]
        r = report.result
        return [
            Reply(
                [
                    _("Đã nhập kế hoạch {plan}: thêm {a}, cập nhật {u}, bỏ {rm} nhiệm vụ.").format(
                        plan=esc(parsed.number or parsed.title or parsed.source_file),
                        a=r.tasks_added,
                        u=r.tasks_updated,
                        rm=r.tasks_removed,
                    )
                ]
            )
        ]
    return [Reply([_("Nút này đã hết hiệu lực.")])]


async def facts_typed(turn: Turn, conv: Conversation, token: str) -> list[Reply]:
    await conv.state.stop_waiting(turn.req.account)
    if not turn.is_admin:  # no longer an admin since the wait began: the preview stays as it was
        return [Reply([_("Chỉ quản trị viên mới nhập được kế hoạch.")])]
    parsed = await conv.imports.get(token, turn.req.account)
    if parsed is None:
        return [Reply([_("Bản xem trước này đã hết hạn. Hãy gửi lại tệp.")])]
    parts = [p.strip() for p in turn.req.text.split(";")]
    parts += [""] * (3 - len(parts))
    issuer, number, year = parts[:3]
    if year and not (year.isdigit() and 2000 <= int(year) <= 2100):
        return [Reply([_("Năm không hợp lệ: {y}").format(y=esc(year[:20]))])]
    # Read the file again with the facts: a new year changes the due dates of "Quý II" and the like.
    facts = ImportOptions(
        today=turn.ctx.today(),
        issuer=issuer[:300] or parsed.issuer,
        plan=number[:100] or parsed.number,
        year=int(year) if year else parsed.year,
    )
    parsed = await parse_file(turn.ctx, await conv.imports.data(token), parsed.source_file, facts)
    await conv.imports.replace(token, parsed)
    return await preview(turn, parsed, token, await conv.imports.matches(token))


async def matches_typed(turn: Turn, conv: Conversation, token: str) -> list[Reply]:
    """The admin's corrections ("Văn phòng Sở = Văn phòng Sở Y tế", one a line) → a new preview."""
    await conv.state.stop_waiting(turn.req.account)
    if not turn.is_admin:  # no longer an admin since the wait began: the preview stays as it was
        return [Reply([_("Chỉ quản trị viên mới nhập được kế hoạch.")])]
    parsed = await conv.imports.get(token, turn.req.account)
    if parsed is None:
        return [Reply([_("Bản xem trước này đã hết hạn. Hãy gửi lại tệp.")])]
    found = await conv.imports.matches(token)
    for line in turn.req.text.splitlines():
        written, sep, target = line.partition("=")
        if sep and written.strip() and target.strip():
            found[written.strip()[:300]] = target.strip()[:300]
    await conv.imports.set_matches(token, found)
    return await preview(turn, parsed, token, found)


PREVIEW = Payload("imp", ("action", "token"))
COMMANDS = (
    Command("import", on_import, lambda: _("Nhập kế hoạch (quản trị)"), ("nhap",), Role.ADMIN),
)
# Pressed by an admin; the handler checks (a stranger's press gets its sentence, not "join first").
BUTTONS = (Buttons(PREVIEW, on_preview_button, public=True),)
