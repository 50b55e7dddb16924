"""Results with evidence, shared by the chat and the command line (issue 17).

- Marking an occurrence done takes an optional note and an optional report file (on Telegram its
  file id, name and size are kept; on the command line the path's name and size).
- A result can be undone within `UNDO_WINDOW` (24 hours) by the one who marked it, or by a
  manager/admin of the task's lead agency; after that it stands.
- "Đang thực hiện" (in progress, with an optional note) is a fact of an open occurrence: it keeps
  its reminders and shows in answers and digests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.access import Action, Subject, Target, decide, refusal, standing_of
from bot.core.access import task_target as task_target  # the gate's view of a task, used from here
from bot.core.address import Address
from bot.core.domain import OccurrenceStatus, OccurrenceView, TaskView, UserError, visible_agencies
from bot.core.i18n import _
from handlers.context import AppContext
from storage.users import UserRecord

UNDO_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Actor:
    """Who acts: an account (with its record, when it has one), or an admin (CLI, NHACVIEC_ADMINS)."""

    address: Address
    user: UserRecord | None = None
    is_admin: bool = False

    @property
    def subject(self) -> Subject:
        """The actor as the gate (`bot.core.access`) sees it."""
        user = self.user
        standing = standing_of(
            known=self.is_admin or user is not None,
            approved=self.is_admin or (user is not None and user.approved),
            active=user is not None and user.active,
        )
        return Subject(
            str(self.address),
            user.role if user else None,
            user.agency_id if user else None,
            standing,
            admin=self.is_admin,
        )


async def authorize(ctx: AppContext, actor: Actor, action: Action, target: Target) -> None:
    """The gate, for every path: raises UserError with the refusal's sentence."""
    directory = await ctx.directory()
    decision = decide(actor.subject, action, target, directory.descendants)
    if not decision.allowed:
        raise UserError(refusal(decision.reason, action))


async def authorized_occurrence(
    ctx: AppContext, occurrence_id: int, actor: Actor, action: Action
) -> tuple[TaskView, OccurrenceView]:
    """The task and occurrence `actor` may do `action` to (raises UserError otherwise)."""
    found = await ctx.storage.occurrence(occurrence_id)
    if found is None:
        raise UserError(_("Không có việc (kỳ hạn) số {id}.").format(id=occurrence_id))
    task, occ = found
    done_by = None
    if action is Action.UNDO:
        result = await ctx.storage.result(occurrence_id)
        done_by = result.done_by if result else None
    await authorize(ctx, actor, action, task_target(task, done_by=done_by))
    return task, occ


async def scope_of(ctx: AppContext, actor: Actor) -> set[int] | None:
    """Agencies whose work the actor may record (None: all)."""
    if actor.is_admin:
        return None
    if actor.user is None or actor.user.agency_id is None or not actor.user.approved:
        return set()
    directory = await ctx.directory()
    return visible_agencies(actor.user.role, actor.user.agency_id, directory.descendants)


async def open_occurrences(
    ctx: AppContext, actor: Actor, *, days: int, reports: bool = True
) -> list[tuple[TaskView, OccurrenceView]] | None:
    """The open occurrences the actor works on (overdue ones, then those due within `days`), by due
    date — what the /xong, /dangthuchien and /giahan menus offer. With `reports`, continuous work's
    open reporting occurrences of periods already begun come after them (/giahan leaves them out:
    they have no deadline to move). None: the actor has no agency."""
    scope = await scope_of(ctx, actor)
    if scope is not None and not scope:
        return None
    tasks = await ctx.all_tasks() if scope is None else await ctx.tasks_for_agencies(scope)
    today = ctx.today()
    horizon = today + timedelta(days=days)
    live = [task for task in tasks if not task.plan_archived]
    items = sorted(
        (
            (occ.due, task.id, task, occ)
            for task in live
            for occ in task.occurrences
            if occ.status == OccurrenceStatus.OPEN and occ.due <= horizon
        ),
        key=lambda x: (x[0], x[1]),
    )
    ongoing = sorted(
        (
            (occ.due, task.id, task, occ)
            for task in (live if reports else ())
            for occ in task.reports
            if occ.status == OccurrenceStatus.OPEN and occ.period_start is not None and occ.period_start <= today
        ),
        key=lambda x: (x[0], x[1]),
    )
    return [(task, occ) for _due, _id, task, occ in (*items, *ongoing)]


async def _task_of(ctx: AppContext, occurrence_id: int, actor: Actor, action: Action) -> TaskView:
    task, _occ = await authorized_occurrence(ctx, occurrence_id, actor, action)
    return task


async def mark_done(
    ctx: AppContext,
    occurrence_id: int,
    actor: Actor,
    *,
    note: str | None = None,
    file_id: str | None = None,
    file_name: str | None = None,
    file_size: int | None = None,
) -> tuple[TaskView, bool]:
    """Record the result; (task, False) when it was already done (then a note/file is added to it)."""
    action = Action.FILE if file_id else Action.NOTE if note else Action.DONE
    task = await _task_of(ctx, occurrence_id, actor, action)
    changed = await ctx.storage.record_result(
        occurrence_id,
        by=actor.address,
        at=ctx.clock(),
        note=note,
        file_id=file_id,
        file_name=file_name,
        file_size=file_size,
    )
    if not changed and (note or file_id):
        await ctx.storage.attach_result(
            occurrence_id, note=note, file_id=file_id, file_name=file_name, file_size=file_size
        )
    return task, changed


async def undo_done(ctx: AppContext, occurrence_id: int, actor: Actor, *, check_only: bool = False) -> TaskView:
    """Undo a result within 24 hours, by its marker or a manager of the lead agency (raises UserError);
    `check_only`: only whether it may be undone (before asking to confirm)."""
    task = await _task_of(ctx, occurrence_id, actor, Action.UNDO)
    result = await ctx.storage.result(occurrence_id)
    if result is None or result.status != OccurrenceStatus.DONE.value:
        raise UserError(_("Việc này chưa được đánh dấu xong."))
    if result.done_at is not None and ctx.clock() - result.done_at > UNDO_WINDOW:
        raise UserError(_("Đã quá 24 giờ kể từ khi đánh dấu xong: không hoàn tác được nữa."))
    if not check_only:
        await ctx.storage.undo_result(occurrence_id)
    return task


async def mark_in_progress(ctx: AppContext, occurrence_id: int, actor: Actor, *, note: str | None) -> TaskView:
    task = await _task_of(ctx, occurrence_id, actor, Action.NOTE if note else Action.IN_PROGRESS)
    if not await ctx.storage.record_progress(occurrence_id, by=actor.address, at=ctx.clock(), note=note):
        raise UserError(_("Việc này đã xong."))
    return task


def recent_results(
    tasks: list[TaskView], actor: Actor, now: datetime, units_of: Callable[[int], set[int]]
) -> list[tuple[TaskView, int]]:
    """(task, occurrence id) of results still inside the undo window that this actor may undo."""
    since = (now - UNDO_WINDOW).date()
    found = []
    subject = actor.subject
    for task in tasks:
        for occ in (*task.occurrences, *task.reports):
            if occ.status == OccurrenceStatus.DONE and occ.done_at is not None and occ.done_at >= since:
                if decide(subject, Action.UNDO, task_target(task, done_by=occ.done_by), units_of):
                    found.append((task, occ.id))
    return found
