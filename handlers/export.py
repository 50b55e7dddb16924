"""Reports to send upward: `nhacviec export` and /xuat build the Excel annex or the Word báo cáo
of an agency (`bot.core.reports`) for a period.

* The agency is any name the directory shows, read by the questions' matcher (`find_agency`);
  the period by the questions' period reader ("quý 4", "tháng 11", "01/10/2026-31/12/2026").
* The form: `--format`, else `--out`'s extension; a mismatch or an extension the exporter does
  not write is refused with a sentence (`format_for`). In chat "word" asks for the báo cáo.
* People are named, never shown by account id: "Nguyễn Văn A (Văn phòng Sở)" (`people_labels`).
* Telegram gets the file with its summary; Zalo and the console, which take no files from the
  bot, get the summary as text (the same counts as the file's).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath
from typing import TYPE_CHECKING

from bot.core.access import Action, Target
from bot.core.domain import Role, UserError
from bot.core.i18n import _
from bot.core.lang.agencies import Directory, Resolution, fold_aligned
from bot.core.lang.periods import find_period_span
from bot.core.markup import esc
from bot.core.reminders.digest import NO_LEAD, STATES, percent, state_labels
from bot.core.replies import Reply
from bot.core.reports.data import Issuer, PlanRef, Report, collect, person_label
from bot.core.reports.document import build_docx
from bot.core.reports.wording import DOTS, period_phrase, place_of
from bot.core.reports.workbook import build_xlsx
from bot.core.text import fold, fold_words
from handlers.commands import Command
from handlers.context import AppContext
from handlers.results import Actor, authorize

if TYPE_CHECKING:
    from handlers.conversation import Turn
    from storage.users import UserRecord

@dataclass(frozen=True)
class ReportFormat:
    """One form the report is written in: its file extension, media type and builder."""

    extension: str
    media_type: str
    build: Callable[[Report], bytes]


# The forms the report comes in (the dashboard offers each one listed here).
REPORT_FORMATS: dict[str, ReportFormat] = {
    "xlsx": ReportFormat("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", build_xlsx),
    "docx": ReportFormat(
        "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", build_docx
    ),
}
FORMATS = tuple(REPORT_FORMATS)
_FORM_WORDS = {"word": "docx", "docx": "docx", "doc": "docx", "excel": "xlsx", "xlsx": "xlsx", "xls": "xlsx"}
_FORM_WORD = re.compile(r"(?<!\w)(" + "|".join(_FORM_WORDS) + r")(?!\w)")


def builder(fmt: str) -> Callable[[Report], bytes]:
    """The exporter of a form ("xlsx" or "docx")."""
    return REPORT_FORMATS[fmt].build


def format_for(out: str, fmt: str | None) -> str:
    """The form to write to `out`: `fmt` when given, else the extension's; refused when they
    disagree or the extension is not one the exporter writes (never a workbook named .docx)."""
    extension = PurePath(out).suffix.lower().lstrip(".")
    if extension not in FORMATS:
        raise UserError(
            _("Tệp {path} phải có đuôi .xlsx (Excel) hoặc .docx (Word).").format(path=out)
        )
    if fmt is not None and fmt != extension:
        raise UserError(
            _("--format {format} không khớp với đuôi của tệp {path}.").format(format=fmt, path=out)
        )
    return extension


def find_agency(directory: Directory, name: str, *, asker_id: int | None = None) -> Resolution:
    """An agency by any name the directory shows (its name, its full name with the parent, an
    alias, an abbreviation), read as a question reads it."""
    hit = directory.resolve(name, asker_id=asker_id)
    if hit.agency_id is not None:
        return hit
    found = directory.find_in_text(name, asker_id=asker_id)
    if found is not None and found[0].agency_id is not None and not fold_words(found[1]).strip():
        return found[0]
    return hit


def not_found(name: str, hit: Resolution) -> str:
    tips = "; ".join(hit.suggestions[:3])
    if tips:
        return _("Không tìm thấy cơ quan “{name}”. Có phải: {suggestions}?").format(name=name, suggestions=tips)
    return _("Không tìm thấy cơ quan “{name}”.").format(name=name)


def _display_name(user: UserRecord) -> str:
    """The person's name; an account's id or channel stored as its name ("console") is none."""
    name = user.name.strip()
    if fold(name) in {fold(user.account_id), fold(user.channel), fold(user.address), ""}:
        return ""
    return name


def unit_label(directory: Directory, unit_id: int, root_id: int | None) -> str:
    """A unit as the report of `root_id` names it: its own name, with the units between it and
    the root in brackets ("Phòng A (Trung tâm B)"); outside the root, its full name."""
    record = directory.record(unit_id)
    if record is None:
        return ""
    above = directory.ancestors(unit_id)
    if root_id is None or (unit_id != root_id and root_id not in above):
        return directory.full_name(unit_id)
    between = above[: above.index(root_id)] if unit_id != root_id else []
    names = [record.name, *(directory.record(i).name for i in between)]  # type: ignore[union-attr]
    return names[0] + "".join(f" ({n}" for n in names[1:]) + ")" * (len(names) - 1)


def people_labels(users: Iterable[UserRecord], directory: Directory, root_id: int | None) -> dict[str, str]:
    """Every account → "Name (Unit)" (the unit alone when the account has no name)."""
    labels: dict[str, str] = {}
    for user in users:
        unit = unit_label(directory, user.agency_id, root_id) if user.agency_id is not None else ""
        labels[user.address] = person_label(_display_name(user), unit)
    return labels


def issuer_for(directory: Directory, agency_id: int | None, province: str) -> Issuer:
    """Who sends the report: the agency under its parent (a Sở of a configured province is
    under that province's UBND), and the place of the date line."""
    record = directory.record(agency_id) if agency_id is not None else None
    if record is None:
        return Issuer(DOTS, place=place_of(province, []))
    parent = directory.record(record.parent_id) if record.parent_id is not None else None
    parent_name = parent.name if parent else ""
    if not parent_name and province and fold(record.name).startswith("so "):
        parent_name = "Ủy ban nhân dân " + province[:1].lower() + province[1:]
    names = [directory.full_name(i) for i in (record.id, *directory.ancestors(record.id))]
    return Issuer(record.name, parent_name, place_of(province, [*names, parent_name]))


async def build_report(
    ctx: AppContext,
    agency_id: int | None,
    *,
    today: date,
    start: date | None = None,
    end: date | None = None,
    plan_id: int | None = None,
) -> Report:
    """The report of one agency and the units under it (every agency when None; archived plans
    left out; with `plan_id`, that plan's tasks only)."""
    directory = await ctx.directory()
    every = [a.id for a in await ctx.storage.agencies()]
    if agency_id is None:  # every agency, and the tasks whose lead names no agency (nothing left out)
        scope = {*every, NO_LEAD}
        tasks = await ctx.storage.all_tasks()
    else:
        scope = directory.descendants(agency_id)
        tasks = await ctx.storage.tasks_for_agencies(scope)
    tasks = [t for t in tasks if not t.plan_archived and (plan_id is None or t.plan_id == plan_id)]
    plans = {
        p.id: PlanRef(p.number or "", p.title or "", p.issued_on) for p in await ctx.storage.plans()
    }
    province = ctx.places().province or ctx.settings.nhacviec_province
    return collect(
        tasks,
        agency_ids=scope,
        unit_names={
            i: unit_label(directory, i, agency_id) if i != NO_LEAD else _("Chưa rõ cơ quan chủ trì")
            for i in scope
        },
        agency_names={i: unit_label(directory, i, agency_id) for i in every},  # joint leads anywhere
        today=today,
        start=start,
        end=end,
        people=people_labels(await ctx.storage.users(), directory, agency_id),
        issuer=issuer_for(directory, agency_id, province),
        agency=directory.full_name(agency_id) if agency_id is not None else "",
        plans=plans,
    )


def file_name(report: Report, fmt: str) -> str:
    slug = "-".join(fold_words(report.agency).split())[:60] or "tong-hop"
    return f"bao-cao-{slug}-{report.today:%Y%m%d}.{fmt}"


def summary_blocks(report: Report) -> list[str]:
    """The report's counts as chat text (the digest's, as in the file)."""
    labels = state_labels()
    total = report.total
    period = period_phrase(report.start, report.end)
    title = _("📄 <b>Báo cáo tình hình thực hiện nhiệm vụ — {agency}</b> (tính đến {today})").format(
        agency=esc(report.agency or report.issuer.name), today=f"{report.today:%d/%m/%Y}"
    )
    if period:
        title += "\n" + _("Kỳ báo cáo: {period}").format(period=esc(period))
    lines = [_("Tổng số: {count} lượt nhiệm vụ").format(count=total.total)]
    if report.digest.continuous:
        lines.append(_("trong đó {count} lượt việc thường xuyên").format(count=report.digest.continuous))
    lines += [f"• {labels[s]}: {getattr(total, s)}" for s in STATES]
    lines.append(_("Tỷ lệ quá hạn: {rate}").format(rate=percent(total.late_rate)))
    blocks = [title, "\n".join(lines)]
    if len(report.units) > 1:
        for unit in report.units:
            c = unit.counts
            blocks.append(f"• {esc(unit.name)}: {c.done_on_time} / {c.done_late} / {c.open_on_time} / {c.open_late}")
    return blocks


def read_export_words(text: str, *, today: date) -> tuple[str, date | None, date | None, str]:
    """/xuat's words: (the form, the period's first and last day, the words left for the agency).
    The period is read as questions read it; "word"/"docx" asks for the báo cáo."""
    fmt = "xlsx"
    folded = fold_aligned(text)
    for match in reversed(list(_FORM_WORD.finditer(folded))):
        fmt = _FORM_WORDS[match.group(1)]
        text, folded = text[: match.start()] + text[match.end() :], folded[: match.start()] + folded[match.end() :]
    start = end = None
    found = find_period_span(folded, today)
    if found is not None:
        start, end, (i, j) = found
        text = text[:i] + " " + text[j:]
    return fmt, start, end, " ".join(text.strip(" ,;:-–").split())


async def export_command(turn: Turn) -> list[Reply]:
    """/xuat [TÊN CƠ QUAN] [KỲ] [word]: the report of my agency or a unit under it (managers, admins)."""
    actor = Actor(turn.req.account, turn.user, turn.is_admin)
    own = turn.user.agency_id if turn.user else None
    try:  # officers never export (the gate, before anything is read)
        await authorize(turn.ctx, actor, Action.EXPORT, Target(frozenset({own} if own is not None else ())))
    except UserError as exc:
        return [Reply([esc(str(exc))])]
    today = turn.ctx.today()
    fmt, start, end, name = read_export_words(turn.args, today=today)
    agency_id = own
    directory = await turn.ctx.directory()
    if name:
        hit = find_agency(directory, name, asker_id=own)
        if hit.agency_id is None:
            return [Reply([esc(not_found(name[:200], hit)), _("Cách dùng: /xuat [TÊN CƠ QUAN] [KỲ] [word]")])]
        agency_id = hit.agency_id
        try:
            await authorize(turn.ctx, actor, Action.EXPORT, Target(frozenset({agency_id})))
        except UserError as exc:
            return [Reply([esc(str(exc))])]
    if agency_id is None:
        return [Reply([_("Hãy ghi tên cơ quan: /xuat TÊN CƠ QUAN [KỲ] [word]")])]
    report = await build_report(turn.ctx, agency_id, today=today, start=start, end=end)
    blocks = summary_blocks(report)
    if turn.req.channel != "telegram":
        blocks.append(_("(Kênh này không gửi được tệp: tệp Excel, Word có ở Telegram hoặc lệnh nhacviec export.)"))
        return [Reply(blocks)]
    return [Reply(blocks, document=(file_name(report, fmt), builder(fmt)(report)))]


async def export_to_file(
    ctx: AppContext, agency: str | None, *, today: date, start: date | None, end: date | None, fmt: str
) -> tuple[Report, bytes]:
    """`nhacviec export`: the report of `agency` (every agency when None) in the form `fmt`."""
    agency_id = None
    if agency:
        hit = find_agency(await ctx.directory(), agency)
        if hit.agency_id is None:
            raise UserError(not_found(agency, hit))
        agency_id = hit.agency_id
    report = await build_report(ctx, agency_id, today=today, start=start, end=end)
    return report, builder(fmt)(report)


COMMANDS = (
    Command(
        "xuat",
        lambda t, c: export_command(t),
        lambda: _("Xuất báo cáo Excel hoặc Word: /xuat [CƠ QUAN] [KỲ] [word] (lãnh đạo)"),
        ("export",),
        Role.MANAGER,
    ),
)
