"""Reports to take away: `nhacviec export` and /xuat build the XLSX of an agency (bot.core.export).

Telegram gets the file with its summary; Zalo and the console, which take no files from the bot,
get the summary as text (the same counts as the workbook's "Tổng hợp" sheet).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.core.domain import UserError
from bot.core.export import ExportData, build_xlsx, collect
from bot.core.i18n import _
from bot.core.markup import esc
from bot.core.reminders.digest import STATES, state_labels
from bot.core.replies import Reply
from bot.core.text import fold_words
from handlers.context import AppContext

if TYPE_CHECKING:
    from handlers.conversation import Turn


async def export_data(
    ctx: AppContext,
    agency_id: int,
    *,
    today: date,
    start: date | None = None,
    end: date | None = None,
    plan_id: int | None = None,
) -> ExportData:
    """The rows and counts of one agency and the units under it (archived plans left out;
    with `plan_id`, that plan's tasks only)."""
    directory = await ctx.directory()
    scope = directory.descendants(agency_id)
    tasks = [
        t
        for t in await ctx.storage.tasks_for_agencies(scope)
        if not t.plan_archived and (plan_id is None or t.plan_id == plan_id)
    ]
    people: dict[str, str] = {u.address: u.name or u.address for u in await ctx.storage.users()}
    return collect(
        tasks,
        agency_ids=set(scope),
        unit_names={i: directory.full_name(i) for i in scope},
        today=today,
        start=start,
        end=end,
        people=people,
        agency=directory.full_name(agency_id),
    )


@dataclass(frozen=True)
class ReportFormat:
    """One form the report is written in: its file extension, media type and builder."""

    extension: str
    media_type: str
    build: Callable[[ExportData], bytes]


# The forms the report comes in; the dashboard offers each one listed here. Issue 28 adds
# "docx" (the Word báo cáo) beside the Excel annex.
REPORT_FORMATS: dict[str, ReportFormat] = {
    "xlsx": ReportFormat(
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", build_xlsx
    ),
}


def file_name(data: ExportData, extension: str = "xlsx") -> str:
    slug = "-".join(fold_words(data.agency).split())[:60] or "co-quan"
    return f"bao-cao-{slug}-{data.today:%Y%m%d}.{extension}"


def summary_blocks(data: ExportData) -> list[str]:
    labels = state_labels()
    total = data.total
    blocks = [
        _("📄 <b>Báo cáo tình hình thực hiện nhiệm vụ — {agency}</b> (tính đến {today})").format(
            agency=esc(data.agency), today=f"{data.today:%d/%m/%Y}"
        ),
        "\n".join(
            [
                _("Tổng số: {count} lượt nhiệm vụ có hạn").format(count=total.total),
                *(f"• {labels[s]}: {getattr(total, s)}" for s in STATES),
                _("Tỷ lệ quá hạn: {rate}").format(rate=f"{total.late_rate * 100:.1f}%".replace(".", ",")),
            ]
        ),
    ]
    if len(data.units) > 1:
        for _uid, name, c in data.units:
            blocks.append(
                f"• {esc(name)}: {c.done_on_time} / {c.done_late} / {c.open_on_time} / {c.open_late}"
            )
    return blocks


async def export_command(turn: Turn) -> list[Reply]:
    """/xuat [TÊN CƠ QUAN]: the report of my agency (managers, admins)."""
    if not turn.is_admin and (turn.user is None or not turn.user.role.oversees_units):
        return [Reply([_("Báo cáo tổng hợp dành cho lãnh đạo (vai trò manager).")])]
    agency_id = turn.user.agency_id if turn.user else None
    directory = await turn.ctx.directory()
    if turn.args:
        agency_id = directory.resolve(turn.args, asker_id=agency_id).agency_id
        if agency_id is None:
            return [Reply([_("Không tìm thấy cơ quan “{name}”.").format(name=esc(turn.args[:200]))])]
        own = turn.user.agency_id if turn.user else None
        if not turn.is_admin and (own is None or agency_id not in directory.descendants(own)):
            return [Reply([_("Lãnh đạo chỉ xuất được báo cáo của cơ quan mình hoặc đơn vị trực thuộc.")])]
    if agency_id is None:
        return [Reply([_("Hãy ghi tên cơ quan: /xuat TÊN CƠ QUAN")])]
    data = await export_data(turn.ctx, agency_id, today=turn.ctx.today())
    blocks = summary_blocks(data)
    if turn.req.channel != "telegram":
        blocks.append(_("(Kênh này không gửi được tệp: tệp Excel có ở Telegram hoặc lệnh nhacviec export.)"))
        return [Reply(blocks)]
    return [Reply(blocks, document=(file_name(data), build_xlsx(data)))]


async def export_to_file(
    ctx: AppContext, agency: str, *, today: date, start: date | None, end: date | None
) -> tuple[ExportData, bytes]:
    directory = await ctx.directory()
    hit = directory.resolve(agency)
    if hit.agency_id is None:
        tips = "; ".join(hit.suggestions[:3])
        raise UserError(
            _("Không tìm thấy cơ quan “{name}”. Có phải: {suggestions}?").format(name=agency, suggestions=tips)
            if tips
            else _("Không tìm thấy cơ quan “{name}”.").format(name=agency)
        )
    data = await export_data(ctx, hit.agency_id, today=today, start=start, end=end)
    return data, build_xlsx(data)
