"""Per-account settings: /lang, /nhacnho (reminder days, hour, muting) and /lienket (groups)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.core.access import Action, Target
from bot.core.domain import Role, UserError
from bot.core.i18n import _, use_language
from bot.core.markup import esc
from bot.core.reminders.times import format_days, format_hhmm, parse_days, parse_hhmm
from bot.core.replies import Button, Reply
from bot.core.text import fold
from handlers import results
from handlers.commands import Buttons, Command, Payload
from handlers.requests import payload_id

if TYPE_CHECKING:
    from handlers.conversation import Conversation, Turn

_HOUR = re.compile(r"^(\d{1,2})(?:[:h](\d{2})?)?$")
_DAYS = re.compile(r"^\d{1,2}(?:\s*,\s*\d{1,2})*$")


async def language(turn: Turn) -> list[Reply]:
    choice = fold(turn.args).strip()
    if choice not in ("vi", "en"):
        return [
            Reply(
                [_("Chọn ngôn ngữ:")],
                buttons=[[Button("Tiếng Việt", LANGUAGE.build("vi")), Button("English", LANGUAGE.build("en"))]],
            )
        ]
    if turn.user is None:
        await turn.ctx.storage.upsert_user(turn.req.account, language=choice, active=True)
    else:
        await turn.ctx.storage.upsert_user(turn.req.account, language=choice)
    with use_language(choice):
        return [Reply([_("Đã chuyển sang tiếng Việt.")])]


async def reminders(turn: Turn) -> list[Reply]:
    """/nhacnho — show; "/nhacnho 7,3,1" lead days; "/nhacnho 8:30" hour; "/nhacnho tat N" mute task N;
    "/nhacnho bat N" unmute; "/nhacnho macdinh" back to the defaults."""
    st, settings = turn.ctx.storage, turn.ctx.settings
    args = turn.args.strip()
    folded = fold(args)
    user = turn.user
    if user is None:
        return [Reply([_("Tài khoản của bạn chưa tham gia.")])]
    rhythm = digest_rhythm(folded)
    if rhythm is not None:
        if not user.role.oversees_units and not turn.is_admin:
            return [Reply([_("Báo cáo tổng hợp dành cho lãnh đạo.")])]
        await st.set_digest_rhythm(user.address, rhythm)
    elif folded in ("macdinh", "mac dinh", "default", "reset"):
        await st.set_reminder_prefs(user.address, reset=True)
    elif _DAYS.match(args):
        days = parse_days(args)
        if any(d > 60 for d in days):
            return [Reply([_("Số ngày nhắc trước phải từ 0 đến 60.")])]
        await st.set_reminder_prefs(user.address, remind_days=days)
    elif (m := _HOUR.match(args)) and args:
        try:
            at = parse_hhmm(f"{m.group(1)}:{m.group(2) or 0}")
        except ValueError:
            return [Reply([_("Giờ không hợp lệ. Ví dụ: /nhacnho 8:30")])]
        await st.set_reminder_prefs(user.address, remind_at=at)
    elif folded.split(" ")[0] in ("tat", "off", "bat", "on") and (task_id := payload_id(folded.split(" ")[-1])):
        muted = set(user.muted)
        if folded.startswith(("tat", "off")):
            muted.add(task_id)
        else:
            muted.discard(task_id)
        await st.set_reminder_prefs(user.address, muted=sorted(muted))
    elif args:
        return [Reply([_("Không hiểu cài đặt “{args}”.").format(args=esc(args[:100])), *reminder_help()])]
    user = await st.user(user.address) or user
    shown_days = format_days(user.remind_days or settings.remind_days)
    hour = format_hhmm(user.remind_at) if user.remind_at else settings.nhacviec_remind_at
    blocks = [
        "<b>" + _("Cài đặt nhắc việc") + "</b>",
        _("Nhắc trước: {days} ngày, lúc {hour}.").format(days=esc(shown_days), hour=esc(hour)),
    ]
    if user.muted:
        blocks.append(_("Đã tắt nhắc cho các việc số: {ids}").format(ids=", ".join(map(str, user.muted))))
    buttons: list[list[Button]] = []
    if user.role.oversees_units:
        names = digest_rhythm_names()
        blocks.append(_("Báo cáo tổng hợp: {rhythm}.").format(rhythm=names[user.digest or "daily"]))
        buttons = [
            [Button(names[r], DIGEST.build(r)) for r in ("daily", "weekly", "off") if r != (user.digest or "daily")]
        ]
    return [Reply(blocks + reminder_help(manager=bool(buttons)), buttons=buttons)]


_RHYTHMS = {
    "daily": ("hangngay", "hang ngay", "ngay", "daily", "moi ngay"),
    "weekly": ("hangtuan", "hang tuan", "tuan", "weekly", "thu hai", "thu 2", "moi tuan"),
    "off": ("tat", "off", "khong", "ngung"),
}


_DIGEST = re.compile(r"^(?:bao ?cao|tong ?hop|digest)\s+(.+)$")


def digest_rhythm(folded: str) -> str | None:
    """ "baocao hangtuan" / "tổng hợp tắt" / "digest daily" → "weekly" / "off" / "daily"; else None."""
    match = _DIGEST.match(folded.strip())
    if not match:
        return None
    rest = match.group(1).strip()
    for rhythm, words in _RHYTHMS.items():
        if rest in words:
            return rhythm
    return None


def digest_rhythm_names() -> dict[str, str]:
    return {
        "daily": _("hằng ngày (thứ Hai đến thứ Sáu)"),
        "weekly": _("hằng tuần (thứ Hai)"),
        "off": _("tắt"),
    }


async def digest_button(turn: Turn, rhythm: str) -> list[Reply]:
    """A press of "hằng ngày / hằng tuần / tắt" under /nhacnho."""
    if rhythm not in _RHYTHMS:
        return [Reply([_("Nút này đã hết hiệu lực.")])]
    turn.args = {"daily": "baocao hangngay", "weekly": "baocao hangtuan", "off": "baocao tat"}[rhythm]
    return await reminders(turn)


def reminder_help(*, manager: bool = False) -> list[str]:
    lines = [
        _("Đổi số ngày: /nhacnho 7,3,1,0 — đổi giờ: /nhacnho 8:30"),
        _("Tắt nhắc một việc: /nhacnho tat SỐ — bật lại: /nhacnho bat SỐ — mặc định: /nhacnho macdinh"),
    ]
    if manager:
        lines.append(_("Báo cáo tổng hợp: /nhacnho baocao hangngay | hangtuan | tat"))
    return lines


async def link_group(turn: Turn) -> list[Reply]:
    """/lienket TÊN CƠ QUAN in a group: that agency's reminders go to the group too."""
    if turn.req.chat_type != "group":
        return [Reply([_("Lệnh /lienket dùng trong nhóm chat.")])]
    actor = results.Actor(turn.req.account, turn.user, turn.is_admin)
    if not turn.is_admin and not (turn.user and turn.user.role.oversees_units):  # said before the name is read
        return [Reply([_("Chỉ quản trị viên hoặc lãnh đạo mới liên kết được nhóm.")])]
    directory = await turn.ctx.directory()
    name = turn.args.strip()
    if not name:
        if turn.user and turn.user.agency_id is not None:
            agency_id = turn.user.agency_id
        else:
            return [Reply([_("Hãy ghi tên cơ quan: /lienket TÊN CƠ QUAN")])]
    else:
        hit = directory.resolve(name, asker_id=turn.user.agency_id if turn.user else None)
        if hit.agency_id is None:
            tips = (
                [_("Có phải: {names}?").format(names=esc("; ".join(hit.suggestions)))]
                if hit.suggestions
                else []
            )
            return [Reply([_("Không tìm thấy cơ quan “{name}”.").format(name=esc(name[:200])), *tips])]
        agency_id = hit.agency_id
    try:  # the gate decides (the line above only words an officer's refusal early)
        await results.authorize(turn.ctx, actor, Action.LINK_GROUP, Target(frozenset({agency_id})))
    except UserError as exc:
        return [Reply([esc(str(exc))])]
    await turn.ctx.storage.link_chat(turn.req.chat, agency_id, by=turn.req.account)
    return [
        Reply(
            [
                _("Đã liên kết nhóm này với {agency}. Nhắc việc của cơ quan sẽ được gửi vào nhóm.").format(
                    agency=f"<b>{esc(directory.full_name(agency_id))}</b>"
                )
            ]
        )
    ]


LANGUAGE = Payload("lang", ("language",))
DIGEST = Payload("dg", ("rhythm",))


async def _language_button(turn: Turn, conv: Conversation, rest: str) -> list[Reply]:
    turn.args = rest
    return await language(turn)


COMMANDS = (
    Command("nhacnho", lambda t, c: reminders(t), lambda: _("Cài đặt nhắc việc của tôi"), ("reminders", "remind")),
    Command(
        "lienket",
        lambda t, c: link_group(t),
        lambda: _("Liên kết nhóm chat với cơ quan"),
        ("link",),
        Role.MANAGER,
    ),
    Command("lang", lambda t, c: language(t), lambda: _("Đổi ngôn ngữ (vi/en)"), ("ngonngu", "language"), None),
)
BUTTONS = (
    Buttons(LANGUAGE, _language_button, public=True),
    Buttons(DIGEST, lambda t, c, rest: digest_button(t, rest)),
)
