"""/kehoach (admins): the plans, with a button to archive each one (or restore an archived one).

An archived plan sends no reminders or nags and leaves answers and digests unless a question
asks for it ("kể cả kế hoạch đã lưu trữ"); nothing of it is deleted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.access import Action, Target
from bot.core.domain import Role, UserError
from bot.core.i18n import _
from bot.core.markup import esc
from bot.core.replies import Button, Reply
from handlers.commands import Buttons, Command, Payload
from handlers.conversation import ask_to_confirm
from handlers.requests import payload_id
from handlers.results import Actor, authorize

if TYPE_CHECKING:
    from handlers.conversation import Conversation, Turn

LIST_LIMIT = 20
PLAN = Payload("plan", ("action", "plan_id"))


async def plans(turn: Turn) -> list[Reply]:
    if not turn.is_admin:
        return [Reply([_("Chỉ quản trị viên mới quản lý được các kế hoạch.")])]
    found = await turn.ctx.storage.plans()
    if not found:
        return [Reply([_("Chưa có kế hoạch nào. Gửi tệp kế hoạch bằng /import.")])]
    blocks = ["<b>" + _("Các kế hoạch") + "</b>"]
    buttons: list[list[Button]] = []
    for plan in found[:LIST_LIMIT]:
        years = plan.years
        state = _("đã lưu trữ") if plan.archived else _("đang theo dõi")
        blocks.append(
            f"#{plan.id} <b>{esc(plan.label)}</b>"
            + (f" ({years})" if years else "")
            + f" — {state} — "
            + _("{tasks} nhiệm vụ, {open} hạn chưa xong").format(tasks=plan.tasks, open=plan.open_occurrences)
        )
        if plan.archived:
            buttons.append([Button(_("Khôi phục {plan}").format(plan=plan.label[:40]), PLAN.build("r", plan.id))])
        else:
            buttons.append([Button(_("Lưu trữ {plan}").format(plan=plan.label[:40]), PLAN.build("a", plan.id))])
    if len(found) > LIST_LIMIT:
        blocks.append(_("… và {count} kế hoạch khác (nhacviec plan list)").format(count=len(found) - LIST_LIMIT))
    return [Reply(blocks, buttons=buttons)]


async def on_plan_button(turn: Turn, conv: Conversation, payload: str) -> list[Reply]:
    action, _sep, ref = payload.partition(":")
    archive = action == "a"
    try:  # the gate: archiving and restoring are the admins'
        await authorize(
            turn.ctx, Actor(turn.req.account, turn.user, turn.is_admin), Action.ARCHIVE if archive else Action.RESTORE, Target()
        )
    except UserError as exc:
        return [Reply([esc(str(exc))])]
    found = await turn.ctx.storage.find_plans(ref) if payload_id(ref) is not None else []
    if action not in ("a", "r") or not found:
        return [Reply([_("Nút này đã hết hiệu lực.")])]
    plan = found[0]
    archive = action == "a"
    label = f"<b>{esc(plan.label)}</b>"
    if plan.archived == archive:  # an old button: the plan is already so
        already = _("Kế hoạch {plan} đã được lưu trữ trước đó.") if archive else _("Kế hoạch {plan} đang được theo dõi.")
        return [Reply([already.format(plan=label)])]
    if not turn.confirmed:
        summary = (
            _("Lưu trữ kế hoạch {plan}: {open} hạn chưa xong sẽ không còn được nhắc. Đồng ý?")
            if archive
            else _("Khôi phục kế hoạch {plan}: {open} hạn chưa xong sẽ được nhắc lại. Đồng ý?")
        )
        return await ask_to_confirm(
            turn, conv, summary.format(plan=label, open=plan.open_occurrences), PLAN.build(action, plan.id)
        )
    changed = await turn.ctx.storage.set_plan_archived(
        plan.id, archived=archive, by=turn.req.account, at=turn.ctx.clock()
    )
    if archive:
        text = (
            _("Đã lưu trữ kế hoạch {plan}: không còn nhắc việc.")
            if changed
            else _("Kế hoạch {plan} đã được lưu trữ trước đó.")
        )
    else:
        text = _("Đã khôi phục kế hoạch {plan}.") if changed else _("Kế hoạch {plan} đang được theo dõi.")
    return [Reply([text.format(plan=label)])]


COMMANDS = (
    Command(
        "kehoach",
        lambda t, c: plans(t),
        lambda: _("Các kế hoạch: lưu trữ, khôi phục (quản trị)"),
        ("plans",),
        Role.ADMIN,
    ),
)
BUTTONS = (Buttons(PLAN, on_plan_button),)
