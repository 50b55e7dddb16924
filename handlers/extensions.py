"""Extensions ("xin gia hạn"): an officer asks for a new due date with a reason; the managers of
the task's lead agency get the request with buttons; approval moves that occurrence's due date
(the first date and the decision are kept, reminders follow the new date because a claim key
names the due date); rejection asks the manager for a reason and tells the officer.

Who decides: a manager (or admin) whose agency is a lead of the task or above it, or an admin
of the deployment. With no such manager the request goes to the admins.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from bot.core.access import Action, decide
from bot.core.address import Address
from bot.core.domain import OccurrenceStatus, TaskView, UserError
from bot.core.i18n import _, use_language
from bot.core.markup import esc
from bot.core.replies import Button, Reply
from bot.core.results import APPROVE_EXTENSION, REJECT_EXTENSION, parse_extension
from bot.core.text import fold
from handlers import results
from handlers.commands import Buttons, Command, Payload, Wait
from handlers.conversation import ask_to_confirm
from handlers.requests import payload_id
from handlers.results_chat import fresh, stamp
from storage.results import ExtensionRecord

if TYPE_CHECKING:
    from handlers.conversation import Conversation, Turn

WAITS = (Wait.EXT_DATE, Wait.EXT_REASON, Wait.EXT_REJECT)
CHOOSE = Payload("ext")
APPROVE = Payload(APPROVE_EXTENSION)  # the data is spelled once, in bot.core.results (the pending list builds it too)
REJECT = Payload(REJECT_EXTENSION)
MENU_LIMIT = 10
_ASK_EXTENSION = {"xin gia han", "gia han", "toi muon xin gia han", "xin gia han thoi han"}


def asks_for_extension(text: str) -> bool:
    """ "xin gia hạn" typed in words opens the same menu as /giahan."""
    return fold(text).strip(" .!?") in _ASK_EXTENSION


def _actor(turn: Turn) -> results.Actor:
    return results.Actor(turn.req.account, turn.user, turn.is_admin)


async def menu(turn: Turn) -> list[Reply]:
    """/giahan (or "xin gia hạn"): open occurrences of my agency, each with a button."""
    items = await results.open_occurrences(turn.ctx, _actor(turn), days=62, reports=False)
    if items is None:
        return [Reply([_("Tài khoản của bạn chưa gắn với cơ quan nào.")])]
    if not items:
        return [Reply([_("Không có việc nào đang mở để xin gia hạn.")])]
    blocks = ["<b>" + _("Chọn việc cần xin gia hạn:") + "</b>"]
    buttons = []
    for n, (task, occ) in enumerate(items[:MENU_LIMIT], 1):
        blocks.append(f"{n}. {occ.due:%d/%m/%Y} — {esc(task.title)}")
        buttons.append([Button(f"⏳ {task.title[:40]}", CHOOSE.build(occ.id))])
    return [Reply(blocks, buttons=buttons)]


async def chosen(turn: Turn, conv: Conversation, payload: str) -> list[Reply]:
    ref = payload_id(payload)
    if ref is None:
        return [Reply([_("Nút này đã hết hiệu lực.")])]
    found = await turn.ctx.storage.occurrence(ref)
    if found is None or found[1].status != OccurrenceStatus.OPEN:
        return [Reply([_("Việc này không còn mở.")])]
    try:  # a copied /giahan button of another agency's task asks nothing (issue 23)
        await results.authorize(turn.ctx, _actor(turn), Action.EXTENSION_REQUEST, results.task_target(found[0]))
    except UserError as exc:
        return [Reply([esc(str(exc))])]
    if found[1].is_report:
        return [Reply([_("Việc thường xuyên không có thời hạn nên không cần gia hạn.")])]
    await conv.state.wait_for(turn.req.account, Wait.EXT_DATE, stamp(turn, ref))
    return [
        Reply(
            [
                _("Hạn hiện tại: {due}. Gõ ngày hạn mới và lý do, ví dụ: {example}").format(
                    due=f"{found[1].due:%d/%m/%Y}",
                    example=esc((found[1].due + timedelta(days=14)).strftime("%d/%m/%Y"))
                    + " "
                    + _("chờ số liệu của Sở Tài chính"),
                )
            ]
        )
    ]


async def _deciders(turn: Turn, task: TaskView) -> list[tuple[Address, str]]:
    """Those the gate lets decide the request by their agency (managers/admins over one of the
    task's leads), else the deployment's admins: (address, language)."""
    directory = await turn.ctx.directory()
    target = results.task_target(task, requested_by=str(turn.req.account))
    found: dict[Address, str] = {}
    for user in await turn.ctx.storage.users():
        if not user.active or user.agency_id is None or user.agency_id not in directory:
            continue
        subject = results.Actor(user.address, user, False).subject  # by agency, not as an admin of all
        if decide(subject, Action.EXTENSION_APPROVE, target, directory.descendants):
            found[user.address] = user.language
    if not found:
        languages = {u.address: u.language for u in await turn.ctx.storage.users()}
        found = {a: languages.get(a, "vi") for a in turn.ctx.settings.admins if a != turn.req.account}
    return list(found.items())


async def typed(turn: Turn, conv: Conversation, waiting: tuple[str, Any]) -> list[Reply] | None:
    """The new date and reason (or a manager's reason to reject); None when the wait is over."""
    what, data = waiting
    ref = fresh(turn, data)
    if not isinstance(ref, int):
        await conv.state.stop_waiting(turn.req.account)
        return None
    if what == Wait.EXT_REJECT:
        return await _rejected_with_reason(turn, conv, ref)
    found = await turn.ctx.storage.occurrence(ref)
    if found is None:
        await conv.state.stop_waiting(turn.req.account)
        return [Reply([_("Việc này không còn trong kế hoạch.")])]
    task, occ = found
    try:  # asked again: the account may have been removed or moved since the wait began
        await results.authorize(turn.ctx, _actor(turn), Action.EXTENSION_REQUEST, results.task_target(task))
    except UserError as exc:
        await conv.state.stop_waiting(turn.req.account)
        return [Reply([esc(str(exc))])]
    if what == Wait.EXT_REASON:  # the date came in the message before; this one is the reason
        new_due = date.fromisoformat(str(data[2])) if isinstance(data, (list, tuple)) and len(data) == 3 else None
        reason = turn.req.text.strip()
        if new_due is None:
            await conv.state.stop_waiting(turn.req.account)
            return None
        if not reason:
            return [Reply([_("Hãy gõ lý do xin gia hạn (hoặc /huy).")])]
    else:
        parsed = parse_extension(turn.req.text, today=turn.ctx.today())
        if parsed is None:
            example = max(occ.due, turn.ctx.today()) + timedelta(days=14)
            return [
                Reply(
                    [
                        _("Chưa thấy ngày hạn mới. Gõ ví dụ: {date} chờ số liệu (hoặc /huy).").format(
                            date=f"{example:%d/%m/%Y}"
                        )
                    ]
                )
            ]
        new_due, reason = parsed
        if new_due <= occ.due:
            return [Reply([_("Hạn mới phải sau hạn hiện tại ({due}).").format(due=f"{occ.due:%d/%m/%Y}")])]
        if not reason:  # the reason may come in the next message
            await conv.state.wait_for(turn.req.account, Wait.EXT_REASON, [*stamp(turn, ref), new_due.isoformat()])
            return [
                Reply(
                    [
                        _("Hạn mới: {date}. Gõ lý do xin gia hạn trong tin nhắn tiếp theo (hoặc /huy).").format(
                            date=f"{new_due:%d/%m/%Y}"
                        )
                    ]
                )
            ]
    await conv.state.stop_waiting(turn.req.account)
    ext = await turn.ctx.storage.request_extension(
        occ.id, by=turn.req.account, at=turn.ctx.clock(), new_due=new_due, reason=reason
    )
    who = esc(turn.req.display_name or (turn.user.name if turn.user else "") or turn.req.account)
    replies = []
    for address, language in await _deciders(turn, task):
        with use_language(language):
            replies.append(
                Reply(
                    [
                        _("⏳ <b>Xin gia hạn</b>: {title} — {lead}").format(
                            title=f"<b>{esc(task.title)}</b>", lead=esc(task.lead)
                        ),
                        _("Hạn {old} → {new}. Lý do: {reason}. Người đề nghị: {who}").format(
                            old=f"{occ.due:%d/%m/%Y}", new=f"{new_due:%d/%m/%Y}", reason=esc(reason), who=who
                        ),
                    ],
                    buttons=[[Button(_("Đồng ý"), APPROVE.build(ext.id)), Button(_("Từ chối"), REJECT.build(ext.id))]],
                    to=address,
                )
            )
    if not replies:
        return [Reply([_("Chưa có lãnh đạo hay quản trị viên nào để duyệt đề nghị gia hạn.")])]
    mine = Reply(
        [
            _("Đã gửi đề nghị gia hạn {title} đến {new} cho lãnh đạo. Bạn sẽ nhận được kết quả ở đây.").format(
                title=f"<b>{esc(task.title)}</b>", new=f"{new_due:%d/%m/%Y}"
            )
        ]
    )
    return [mine, *replies]


async def _refused_decision(turn: Turn, ext: ExtensionRecord, action: Action) -> list[Reply] | None:
    """The gate's refusal of deciding `ext`, or None when this account may decide it."""
    found = await turn.ctx.storage.occurrence(ext.occurrence_id)
    if found is None:
        return [Reply([_("Việc này không còn trong kế hoạch.")])]
    target = results.task_target(found[0], requested_by=str(ext.requested_by))
    try:
        await results.authorize(turn.ctx, _actor(turn), action, target)
    except UserError as exc:
        return [Reply([esc(str(exc))])]
    return None


async def decide_extension(turn: Turn, conv: Conversation, *, approve: bool, payload: str) -> list[Reply]:
    ext = await turn.ctx.storage.extension(ref) if (ref := payload_id(payload)) is not None else None
    if ext is None:
        return [Reply([_("Nút này đã hết hiệu lực.")])]
    if ext.status != "pending":
        return [Reply([_("Đề nghị này đã được xử lý.")])]
    refused = await _refused_decision(turn, ext, Action.EXTENSION_APPROVE if approve else Action.EXTENSION_REJECT)
    if refused is not None:
        return refused
    if approve and not turn.confirmed:
        found = await turn.ctx.storage.occurrence(ext.occurrence_id)
        summary = _("Đồng ý gia hạn {title}: hạn {old} → {new}?").format(
            title=f"<b>{esc(found[0].title)}</b>" if found else "—",
            old=f"{ext.old_due:%d/%m/%Y}",
            new=f"{ext.new_due:%d/%m/%Y}",
        )
        return await ask_to_confirm(turn, conv, summary, APPROVE.build(ext.id))
    if not approve:
        await conv.state.wait_for(turn.req.account, Wait.EXT_REJECT, stamp(turn, ext.id))
        return [Reply([_("Gõ lý do từ chối (người đề nghị sẽ nhận được):")])]
    try:
        decided = await turn.ctx.storage.decide_extension(ext.id, approve=True, by=turn.req.account, at=turn.ctx.clock())
    except ValueError:
        return [Reply([_("Việc này đã có một kỳ hạn vào ngày {date}: không gia hạn được.").format(date=f"{ext.new_due:%d/%m/%Y}")])]
    if decided is None:
        return [Reply([_("Đề nghị này đã được xử lý.")])]
    return await _tell(turn, decided, approved=True)


async def _rejected_with_reason(turn: Turn, conv: Conversation, ext_id: int) -> list[Reply]:
    ext = await turn.ctx.storage.extension(ext_id)
    if ext is None:
        await conv.state.stop_waiting(turn.req.account)
        return [Reply([_("Nút này đã hết hiệu lực.")])]
    refused = await _refused_decision(turn, ext, Action.EXTENSION_REJECT)
    if refused is not None:  # removed or demoted since pressing Từ chối: the reason is not stored
        await conv.state.stop_waiting(turn.req.account)
        return refused
    reason = turn.req.text.strip()
    pending = await turn.ctx.storage.extension(ext_id)
    refused = (
        await _refused_decision(turn, pending, Action.EXTENSION_REJECT)
        if pending is not None
        else [Reply([_("Đề nghị này đã được xử lý.")])]
    )
    if refused is not None:  # removed or demoted since the wait began: the gate's sentence
        await conv.state.stop_waiting(turn.req.account)
        return refused
    if not reason:
        return [Reply([_("Gõ lý do từ chối (người đề nghị sẽ nhận được):")])]
    await conv.state.stop_waiting(turn.req.account)
    decided = await turn.ctx.storage.decide_extension(
        ext_id, approve=False, by=turn.req.account, at=turn.ctx.clock(), note=reason
    )
    if decided is None:
        return [Reply([_("Đề nghị này đã được xử lý.")])]
    return await _tell(turn, decided, approved=False)


async def _tell(turn: Turn, ext: ExtensionRecord, *, approved: bool) -> list[Reply]:
    found = await turn.ctx.storage.occurrence(ext.occurrence_id)
    title = f"<b>{esc(found[0].title)}</b>" if found else "—"
    requester = await turn.ctx.storage.user(ext.requested_by)
    with use_language(requester.language if requester else "vi"):
        if approved:
            note = _("✅ Đề nghị gia hạn {title} đã được đồng ý: hạn mới {new} (hạn cũ {old}).").format(
                title=title, new=f"{ext.new_due:%d/%m/%Y}", old=f"{ext.old_due:%d/%m/%Y}"
            )
        else:
            note = _("❌ Đề nghị gia hạn {title} không được đồng ý. Lý do: {reason}").format(
                title=title, reason=esc(ext.decision_note or "")
            )
    mine = (
        _("Đã đồng ý gia hạn {title} đến {new}.").format(title=title, new=f"{ext.new_due:%d/%m/%Y}")
        if approved
        else _("Đã từ chối đề nghị gia hạn {title}.").format(title=title)
    )
    return [Reply([mine]), Reply([note], to=ext.requested_by)]


COMMANDS = (
    Command(
        "giahan",
        lambda t, c: menu(t),
        lambda: _("Xin gia hạn một việc"),
        ("extend", "extension"),
    ),
)
BUTTONS = (
    Buttons(CHOOSE, chosen),
    Buttons(APPROVE, lambda t, c, rest: decide_extension(t, c, approve=True, payload=rest)),
    Buttons(REJECT, lambda t, c, rest: decide_extension(t, c, approve=False, payload=rest)),
)
