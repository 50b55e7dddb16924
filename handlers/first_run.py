"""A newcomer's first session on the console: the sample plan (/demo) and the console user's agency.

`nhacviec run` with no token opens the console chat; `--as AGENCY --role ROLE` make its user a
member of that agency (created when the directory does not know it yet), so /viec, /quahan and
/xong answer as they would for an officer. /demo loads `bot/core/demo` dated around today.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.address import Address
from bot.core.demo import DEMO_FILE, DEMO_ISSUER, DEMO_PLAN, DEMO_QUESTIONS, demo_plan
from bot.core.domain import Role, UserError
from bot.core.i18n import _, ngettext
from bot.core.importing.options import ImportOptions
from bot.core.markup import esc
from bot.core.replies import Reply
from bot.core.text import fold
from handlers.commands import Buttons, Command, Payload
from handlers.context import AppContext
from handlers.conversation import ask_to_confirm
from handlers.importing import parse_file, save_parsed

if TYPE_CHECKING:
    from handlers.conversation import Conversation, Turn


class UnknownRole(ValueError):
    pass


class UnknownAgency(UserError):
    """`--as` named no agency of the directory: refused with the closest names, never created."""


async def console_user(
    ctx: AppContext, address: Address, *, agency: str | None, role: str | None
) -> str | None:
    """Make the console's account an approved user of `agency` with `role`; the agency's full name.

    `agency` is read by the questions' matcher (no diacritics, abbreviations: "so tu phap",
    "STP"); a name it does not know is refused with the closest ones. `role` None keeps an
    existing account's role (a new one is an admin)."""
    existing = await ctx.storage.user(address)
    try:
        chosen = Role(role) if role is not None else (existing.role if existing else Role.ADMIN)
    except ValueError as exc:
        raise UnknownRole(role) from exc
    agency_id = existing.agency_id if existing is not None and agency is None and role is None else None
    if agency:
        directory = await ctx.directory()
        hit = directory.resolve(agency, qualified=True)
        agency_id = hit.agency_id
        if agency_id is None or hit.ambiguous:
            if len(directory) == 0:
                raise UnknownAgency(
                    _("Chưa có cơ quan nào trong cơ sở dữ liệu: chạy nhacviec run --console, gõ /demo hoặc /import, rồi chạy lại với --as.")
                )
            closest = hit.suggestions[:3]
            message = _("Không tìm thấy cơ quan “{name}”; không tạo cơ quan mới.").format(name=agency.strip()[:200])
            if closest:
                message += " " + _("Có phải: {names}?").format(names="; ".join(closest))
            raise UnknownAgency(message)
    await ctx.storage.upsert_user(
        address, agency_id=agency_id, role=chosen, approved=True, active=True, name=str(address).partition(":")[2]
    )
    if agency_id is None:
        return None
    directory = await ctx.directory()
    return directory.full_name(agency_id)


async def load_demo(turn: Turn, conv: Conversation) -> list[Reply]:
    """/demo (console only): import the sample plan, dated around today, and suggest questions."""
    if turn.req.channel != "console":
        return [Reply([_("Lệnh /demo chỉ dùng trên console (nhacviec run khi chưa có token).")])]
    ctx = turn.ctx
    if fold(turn.args).strip() in ("xoa", "bo", "remove", "delete"):
        if not turn.confirmed and await sample_warning(ctx) is not None:
            summary = _("Xoá kế hoạch mẫu {plan} cùng mọi nhiệm vụ, kết quả và nhắc việc của nó. Đồng ý?")
            return await ask_to_confirm(turn, conv, summary.format(plan=esc(DEMO_PLAN)), DEMO.build("xoa"))
        removed = await ctx.storage.remove_sample_plans(DEMO_PLAN, DEMO_FILE)
        if not removed:
            return [Reply([_("Không có kế hoạch mẫu nào để xoá.")])]
        return [Reply([_("Đã xoá kế hoạch mẫu {plan} và các nhiệm vụ của nó.").format(plan=esc(DEMO_PLAN))])]
    today = ctx.today()
    options = ImportOptions(today=today, issuer=DEMO_ISSUER, plan=DEMO_PLAN, year=today.year)
    parsed = await parse_file(ctx, demo_plan(today), DEMO_FILE, options)
    report = await save_parsed(ctx, parsed, options)
    n = len(parsed.tasks)
    blocks = [
        ngettext(
            "Đã nạp kế hoạch mẫu {plan}: {n} nhiệm vụ, hạn quanh ngày {today}.",
            "Đã nạp kế hoạch mẫu {plan}: {n} nhiệm vụ, hạn quanh ngày {today}.",
            n,
        ).format(plan=esc(DEMO_PLAN), n=n, today=today.strftime("%d/%m/%Y")),
        _("Thử hỏi:"),
        *[f"• {esc(q)}" for q in DEMO_QUESTIONS],
        _("hoặc gõ /viec, /quahan, /sapden, /xong."),
    ]
    if turn.user is None or turn.user.agency_id is None:
        blocks.append(_("(Chạy nhacviec run --as \"Sở Tư pháp\" để là cán bộ của sở đó.)"))
    if not report.result.created:
        blocks.insert(1, _("(Kế hoạch mẫu đã có: các hạn được cập nhật theo hôm nay.)"))
    blocks.append(_("Trước khi dùng cơ sở dữ liệu này cho cơ quan thật: /demo xoa (bỏ kế hoạch mẫu)."))
    return [Reply(blocks)]


async def sample_warning(ctx: AppContext) -> str | None:
    """`nhacviec run` on real channels with the sample still loaded: its tasks would be reminded."""
    if not await ctx.storage.sample_plans(DEMO_PLAN, DEMO_FILE):
        return None
    return _(
        "Cảnh báo: kế hoạch mẫu {plan} của /demo còn trong cơ sở dữ liệu và sẽ được nhắc như việc thật; xoá bằng /demo xoa trên console."
    ).format(plan=DEMO_PLAN)


def _role_label(role: str) -> str:
    try:
        return Role(role).label
    except ValueError:
        return role


def first_words(has_tasks: bool, agency: str | None, role: str) -> str:
    """What the console prints under its title: who you are, and where to start."""
    who = (
        _("Bạn là {role} của {agency}.").format(role=_role_label(role), agency=agency)
        if agency
        else _("Bạn là {role} (chưa gắn cơ quan; chạy với --as \"TÊN CƠ QUAN\").").format(role=_role_label(role))
    )
    if has_tasks:
        return who + " " + _("Hỏi về việc của một cơ quan, hoặc gõ /help.")
    return who + " " + _("Chưa có kế hoạch nào: gõ /demo để nạp kế hoạch mẫu, hoặc /import ĐƯỜNG-DẪN-TỆP.")


DEMO = Payload("demo", ("action",))


async def _demo_button(turn: Turn, conv: Conversation, rest: str) -> list[Reply]:
    turn.args = rest
    return await load_demo(turn, conv)


COMMANDS = (Command("demo", load_demo, None, ("mau",), None),)
BUTTONS = (Buttons(DEMO, _demo_button, public=True),)
