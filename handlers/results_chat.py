"""Results in the chat: /xong with a note or a report file, /chuaxong (undo), /dangthuchien.

After a result is recorded the bot waits for one more message from that account: a text is the
result's note, a document (Telegram) its report file, the caption of which is the note. A
document sent with the /xong command itself is kept until a task is chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.core.access import Action
from bot.core.domain import TaskView, UserError
from bot.core.i18n import _, ngettext
from bot.core.markup import esc
from bot.core.replies import Button, Reply
from bot.core.results import due_label
from handlers import results
from handlers.commands import Buttons, Command, Payload, Wait
from handlers.conversation import ask_to_confirm
from handlers.requests import payload_id
from handlers.tasks_cmds import DONE, done_menu

if TYPE_CHECKING:
    from handlers.conversation import Conversation, Turn

WAITS = (Wait.DONE_EVIDENCE, Wait.PROGRESS_NOTE)
UNDO = Payload("undo")
PROGRESS = Payload("prog")
MENU_LIMIT = 10
EVIDENCE_WINDOW = 15 * 60  # seconds: a later message is a message of its own, not the note


def stamp(turn: Turn, ref: object) -> list[object]:
    """What is remembered while waiting for a follow-up: the reference and when (plain JSON values)."""
    return [ref, turn.ctx.clock().timestamp()]


def fresh(turn: Turn, data: object) -> object | None:
    """The reference of a follow-up still inside EVIDENCE_WINDOW, else None."""
    if not isinstance(data, (list, tuple)) or len(data) < 2:
        return None
    ref, since = data[0], data[1]
    return ref if turn.ctx.clock().timestamp() - float(since) <= EVIDENCE_WINDOW else None


def _actor(turn: Turn) -> results.Actor:
    return results.Actor(turn.req.account, turn.user, turn.is_admin)


def _file(turn: Turn) -> dict[str, Any] | None:
    req = turn.req
    if req.file_name is None:
        return None
    return {"file_id": req.file_id, "file_name": req.file_name, "file_size": req.file_size}


def _title(task: TaskView) -> str:
    return f"<b>{esc(task.title)}</b>"


async def done_with_file(turn: Turn, conv: Conversation) -> list[Reply]:
    """A document sent with /xong: choose the task it reports on."""
    if turn.req.channel != "telegram" or turn.req.file_id is None:
        return [Reply([_("Kênh này chưa nhận tệp báo cáo; hãy gửi ghi chú bằng chữ.")])]
    await conv.state.wait_for(turn.req.account, Wait.DONE_FILE, stamp(turn, _file(turn)))
    return await done_menu(turn)


async def on_done_button(turn: Turn, conv: Conversation, payload: str) -> list[Reply]:
    ref = payload_id(payload)
    if ref is None:
        return [Reply([_("Nút này đã hết hiệu lực.")])]
    waiting = await conv.state.waiting(turn.req.account)
    attached = fresh(turn, waiting[1]) if waiting and waiting[0] == Wait.DONE_FILE else None
    if not isinstance(attached, dict):
        attached = None
    try:
        task, changed = await results.mark_done(turn.ctx, ref, _actor(turn), **(attached or {}))
    except UserError as exc:
        return [Reply([esc(str(exc))])]
    await conv.state.stop_waiting(turn.req.account)
    found = await turn.ctx.storage.occurrence(ref)
    due = due_label(found[1]) if found else ""
    if not changed and not attached:
        return [Reply([_("Việc này đã được đánh dấu xong trước đó.")])]
    blocks = [_("Đã ghi nhận hoàn thành: {title} ({due}).").format(title=_title(task), due=due)]
    if attached:
        blocks.append(_("Đã lưu tệp báo cáo {name}.").format(name=f"<i>{esc(attached['file_name'])}</i>"))
    else:
        await conv.state.wait_for(turn.req.account, Wait.DONE_EVIDENCE, stamp(turn, ref))
        blocks.append(_("Nếu có, gửi ghi chú kết quả hoặc tệp báo cáo ngay trong tin nhắn tiếp theo."))
    return [Reply(blocks, buttons=[[Button(_("Hoàn tác"), UNDO.build(ref))]])]


async def evidence(turn: Turn, conv: Conversation, waiting: tuple[str, Any]) -> list[Reply] | None:
    """The message after a result or a progress mark: its note (and, for a result, its file).
    None when the wait is over (EVIDENCE_WINDOW): the message is then handled as any other."""
    what, data = waiting
    await conv.state.stop_waiting(turn.req.account)
    occurrence_id = fresh(turn, data)
    if not isinstance(occurrence_id, int):
        return None
    note = turn.req.text.strip() or None
    action = Action.FILE if turn.req.file_name is not None else Action.NOTE
    try:  # the account may have been removed or moved since the wait began: nothing is stored then
        await results.authorized_occurrence(turn.ctx, occurrence_id, _actor(turn), action)
    except UserError as exc:
        return [Reply([esc(str(exc))])]
    if what == Wait.PROGRESS_NOTE:
        if not note:
            return [Reply([_("Chưa có ghi chú tiến độ.")])]
        await turn.ctx.storage.record_progress(occurrence_id, by=turn.req.account, at=turn.ctx.clock(), note=note)
        return [Reply([_("Đã lưu ghi chú tiến độ.")])]
    file = _file(turn) if turn.req.file_id else None
    if turn.req.file_name is not None and file is None:
        return [Reply([_("Kênh này chưa nhận tệp báo cáo; hãy gửi ghi chú bằng chữ.")])]
    if not await turn.ctx.storage.attach_result(occurrence_id, note=note, **(file or {})):
        return [Reply([_("Việc này không còn ở trạng thái đã xong.")])]
    if file:
        return [Reply([_("Đã lưu tệp báo cáo {name}.").format(name=f"<i>{esc(file['file_name'])}</i>")])]
    return [Reply([_("Đã lưu ghi chú kết quả.")])]


async def undo_menu(turn: Turn) -> list[Reply]:
    """/chuaxong: the results of the last 24 hours this account may undo, each with a button."""
    scope = await results.scope_of(turn.ctx, _actor(turn))
    tasks = (
        await turn.ctx.all_tasks() if scope is None else await turn.ctx.tasks_for_agencies(scope)
    )
    directory = await turn.ctx.directory()
    found = results.recent_results(list(tasks), _actor(turn), turn.ctx.now(), directory.descendants)
    if not found:
        return [Reply([_("Không có việc nào được đánh dấu xong trong 24 giờ qua để hoàn tác.")])]
    blocks = ["<b>" + _("Chọn việc cần hoàn tác (trở lại chưa xong):") + "</b>"]
    buttons = []
    for n, (task, occ_id) in enumerate(found[:MENU_LIMIT], 1):
        blocks.append(f"{n}. {esc(task.title)}")
        buttons.append([Button(f"↩️ {task.title[:40]}", UNDO.build(occ_id))])
    return [Reply(blocks, buttons=buttons)]


async def on_undo_button(turn: Turn, conv: Conversation, payload: str) -> list[Reply]:
    ref = payload_id(payload)
    if ref is None:
        return [Reply([_("Nút này đã hết hiệu lực.")])]
    if not turn.confirmed:
        try:  # an old button (nothing to undo any more) or someone else's result: said at once
            task = await results.undo_done(turn.ctx, ref, _actor(turn), check_only=True)
        except UserError as exc:
            return [Reply([esc(str(exc))])]
        found = await turn.ctx.storage.occurrence(ref)
        await conv.state.stop_waiting(turn.req.account)
        summary = _("Hoàn tác kết quả của {title} ({due}): việc trở lại chưa xong. Đồng ý?").format(
            title=_title(task), due=due_label(found[1]) if found else ""
        )
        return await ask_to_confirm(turn, conv, summary, UNDO.build(ref))
    try:
        task = await results.undo_done(turn.ctx, ref, _actor(turn))
    except UserError as exc:
        return [Reply([esc(str(exc))])]
    return [Reply([_("Đã hoàn tác: {title} trở lại chưa xong.").format(title=_title(task))])]


async def progress_menu(turn: Turn) -> list[Reply]:
    """/dangthuchien: open occurrences (overdue first, then the next 30 days), each with a button."""
    items = await results.open_occurrences(turn.ctx, _actor(turn), days=31)
    if items is None:
        return [Reply([_("Tài khoản của bạn chưa gắn với cơ quan nào.")])]
    if not items:
        return [Reply([_("Không có việc nào đang mở trong 30 ngày tới.")])]
    blocks = ["<b>" + _("Chọn việc đang thực hiện:") + "</b>"]
    buttons = []
    for n, (task, occ) in enumerate(items[:MENU_LIMIT], 1):
        mark = " 🔄" if occ.in_progress else ""
        blocks.append(f"{n}. {due_label(occ)} — {esc(task.title)}{mark}")
        buttons.append([Button(f"🔄 {task.title[:40]}", PROGRESS.build(occ.id))])
    if len(items) > MENU_LIMIT:
        rest = len(items) - MENU_LIMIT
        blocks.append(ngettext("… và {n} việc khác", "… và {n} việc khác", rest).format(n=rest))
    return [Reply(blocks, buttons=buttons)]


async def on_progress_button(turn: Turn, conv: Conversation, payload: str) -> list[Reply]:
    ref = payload_id(payload)
    if ref is None:
        return [Reply([_("Nút này đã hết hiệu lực.")])]
    try:
        task = await results.mark_in_progress(turn.ctx, ref, _actor(turn), note=None)
    except UserError as exc:
        return [Reply([esc(str(exc))])]
    await conv.state.wait_for(turn.req.account, Wait.PROGRESS_NOTE, stamp(turn, ref))
    return [
        Reply(
            [
                _("Đã ghi nhận đang thực hiện: {title}.").format(title=_title(task)),
                _("Nếu có, gửi ghi chú tiến độ ngay trong tin nhắn tiếp theo."),
            ]
        )
    ]


COMMANDS = (
    Command(
        "dangthuchien",
        lambda t, c: progress_menu(t),
        lambda: _("Báo một việc đang thực hiện"),
        ("dang", "progress"),
    ),
    Command(
        "chuaxong",
        lambda t, c: undo_menu(t),
        lambda: _("Hoàn tác việc đã đánh dấu xong (24 giờ)"),
        ("undone", "hoantac"),
    ),
)
BUTTONS = (
    Buttons(DONE, on_done_button),
    Buttons(UNDO, on_undo_button),
    Buttons(PROGRESS, on_progress_button),
)
