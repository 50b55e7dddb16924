"""Task commands: questions, /viec, /quahan, /sapden, /xong (mark done) and /baocao."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from bot.core.access import Action, Target
from bot.core.domain import Role, UserError
from bot.core.i18n import _, ngettext
from bot.core.lang.agencies import fold_aligned
from bot.core.markup import esc
from bot.core.replies import Button, Reply
from bot.core.results import due_label
from bot.delivery.digests import digest_replies
from handlers import results
from handlers.ask import ask
from handlers.commands import Buttons, Command, Payload
from handlers.conversation import CHOICE_TTL

if TYPE_CHECKING:
    from handlers.conversation import Conversation, Turn

DONE_MENU_LIMIT = 10
DONE = Payload("done")  # pressed: handlers.results_chat
SUGGEST = Payload("sg", ("token",))


def _asker(turn: Turn) -> int | None:
    return turn.user.agency_id if turn.user else None


async def question(turn: Turn, text: str | None = None) -> list[Reply]:
    """The answer; an agency name not found with a closest one is a proposal ("Có phải: …?"):
    "có" asks the same question of that agency, "không" asks for the name again."""
    typed = text or turn.req.text
    result, blocks = await ask(turn.ctx, typed, asker_id=_asker(turn), today=turn.ctx.today())
    suggestions, asked = result.get("suggestions") or [], result.get("agency_asked")
    if not suggestions or not asked:
        return [Reply(blocks)]
    name = str(suggestions[0])
    start = fold_aligned(typed).find(fold_aligned(str(asked)))
    fixed = typed[:start] + name + typed[start + len(str(asked)) :] if start >= 0 else name
    token = secrets.token_hex(4)
    await turn.ctx.storage.set_conversation(
        f"suggest:{token}", {"account": turn.req.account, "text": fixed}, expires_at=turn.ctx.clock() + CHOICE_TTL
    )
    buttons = [[Button(_("Có — {name}").format(name=name[:40]), SUGGEST.build(token)), Button(_("Không"), SUGGEST.build("no"))]]
    return [Reply(blocks, buttons=buttons, proposal=True)]


async def on_suggestion(turn: Turn, conv: Conversation, token: str) -> list[Reply]:
    found = (
        await turn.ctx.storage.conversation(f"suggest:{token}", now=turn.ctx.clock())
        if token.isascii() and token.isalnum() and token != "no"
        else None
    )
    if token == "no":
        return [Reply([_("Vâng. Hãy gõ lại câu hỏi với tên đầy đủ của cơ quan.")])]
    if not found or found.get("account") != turn.req.account:
        return [Reply([_("Danh sách này đã cũ; chưa làm gì cả. Hãy gõ lại lệnh hoặc câu hỏi.")])]
    return await question(turn, str(found["text"]))


async def my_tasks(turn: Turn, *, status: str | None) -> list[Reply]:
    if _asker(turn) is None and not turn.args:
        return [
            Reply(
                [
                    _(
                        "Tài khoản của bạn chưa gắn với cơ quan nào. Hãy hỏi kèm tên cơ quan, ví dụ: “Sở Tư pháp tháng này”."
                    )
                ]
            )
        ]
    _result, blocks = await ask(
        turn.ctx, turn.args, asker_id=_asker(turn), today=turn.ctx.today(), status=status or "open"
    )
    return [Reply(blocks)]


async def done_menu(turn: Turn) -> list[Reply]:
    """Open occurrences of my agency (overdue first, then the next ones), each with a button."""
    items = await results.open_occurrences(
        turn.ctx, results.Actor(turn.req.account, turn.user, turn.is_admin), days=31
    )
    if items is None:
        return [Reply([_("Tài khoản của bạn chưa gắn với cơ quan nào.")])]
    if not items:
        return [Reply([_("Không có việc nào đang mở trong 30 ngày tới.")])]
    blocks = ["<b>" + _("Chọn việc đã xong:") + "</b>"]
    buttons = []
    for n, (task, occ) in enumerate(items[:DONE_MENU_LIMIT], 1):
        blocks.append(f"{n}. {due_label(occ)} — {esc(task.title)}")
        buttons.append([Button(f"✅ {task.title[:40]}", DONE.build(occ.id))])
    if len(items) > DONE_MENU_LIMIT:
        blocks.append(
            ngettext("… và {n} việc khác", "… và {n} việc khác", len(items) - DONE_MENU_LIMIT).format(
                n=len(items) - DONE_MENU_LIMIT
            )
        )
    return [Reply(blocks, buttons=buttons)]


async def report_command(turn: Turn) -> list[Reply]:
    if not turn.is_admin and (turn.user is None or not turn.user.role.oversees_units):
        return [Reply([_("Báo cáo tổng hợp dành cho lãnh đạo.")])]
    agency_id = turn.user.agency_id if turn.user else None
    if turn.args:
        directory = await turn.ctx.directory()
        agency_id = directory.resolve(turn.args).agency_id
        if agency_id is None:
            return [Reply([_("Không tìm thấy cơ quan “{name}”.").format(name=esc(turn.args[:200]))])]
    if agency_id is None:
        return [Reply([_("Hãy ghi tên cơ quan: /baocao TÊN CƠ QUAN")])]
    try:  # a manager reports on their agency and the units under it (the gate, as /xuat)
        actor = results.Actor(turn.req.account, turn.user, turn.is_admin)
        await results.authorize(turn.ctx, actor, Action.EXPORT, Target(frozenset({agency_id})))
    except UserError as exc:
        return [Reply([esc(str(exc))])]
    # the pending extension requests listed: those the gate lets this account decide, as their buttons
    return await digest_replies(
        turn.ctx.cache, agency_id, today=turn.ctx.today(), with_chart=True, decider=actor.subject
    )


COMMANDS = (
    Command("viec", lambda t, c: my_tasks(t, status=None), lambda: _("Việc của tôi"), ("tasks", "mytasks")),
    Command("quahan", lambda t, c: my_tasks(t, status="overdue"), lambda: _("Việc quá hạn"), ("overdue",)),
    Command(
        "sapden",
        lambda t, c: my_tasks(t, status="due_soon"),
        lambda: _("Việc sắp đến hạn (7 ngày tới)"),
        ("soon", "duesoon"),
    ),
    Command("xong", lambda t, c: done_menu(t), lambda: _("Đánh dấu một việc đã xong"), ("done",)),
    Command(
        "baocao",
        lambda t, c: report_command(t),
        lambda: _("Báo cáo tổng hợp (lãnh đạo)"),
        ("report", "digest"),
        Role.MANAGER,
    ),
)
BUTTONS = (Buttons(SUGGEST, on_suggestion),)
