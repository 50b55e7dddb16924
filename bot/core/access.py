"""The one authorization gate (issue 23): may this account do this to this task?

Every path that changes a task or an occurrence, or hands out a report — the chat buttons and
commands on every channel, the console, the command line — asks `decide` and acts only on an
allowed decision. Pure: the caller gives who acts (`Subject`), what (`Action`) and on what
(`Target`: the agencies leading the task, who marked it done, who asked for the extension) and
the directory's `units_of`; no I/O, no clock.

The rules (the README's "Who may do what" table is `access_table()` and a test keeps them equal):

- Only an active account acts. A pending account (asked to join, not yet approved) and a removed
  one (deleted, or rejected) act on nothing — so a wait or a button left from before the removal
  stores nothing.
- The scope is `visible_agencies`: an officer's own agency, a manager's agency and every unit
  under it. A task is in scope when one of its lead agencies is.
- Officers record work (done, in progress, a note, a file) and ask for extensions in scope, and
  undo only a result they marked themselves.
- Managers do all of that in scope, undo anyone's result there, decide extensions there (never
  their own request) and export their scope's reports.
- Admins (role admin, NHACVIEC_ADMINS, the command line) do everything everywhere, and alone
  archive and restore plans; nobody decides their own extension request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.core.domain import Role, TaskView, visible_agencies
from bot.core.i18n import _


class Action(StrEnum):
    DONE = "done"
    UNDO = "undo"
    IN_PROGRESS = "in_progress"
    NOTE = "note"
    FILE = "file"
    EXTENSION_REQUEST = "extension_request"
    EXTENSION_APPROVE = "extension_approve"
    EXTENSION_REJECT = "extension_reject"
    EXPORT = "export"  # a report of an agency: /xuat, /baocao, `nhacviec export`
    LINK_GROUP = "link_group"  # /lienket: the agency's reminders go to a group
    ARCHIVE = "archive"
    RESTORE = "restore"


class Standing(StrEnum):
    """Where an account stands: approved and acting, asked and waiting, or gone."""

    ACTIVE = "active"
    PENDING = "pending"
    REMOVED = "removed"


class Reason(StrEnum):
    """Why an action is refused (`refusal` gives its sentence)."""

    NOT_MEMBER = "not_member"  # pending
    REMOVED = "removed"
    NO_AGENCY = "no_agency"
    OUT_OF_SCOPE = "out_of_scope"
    MANAGERS_ONLY = "managers_only"
    ADMINS_ONLY = "admins_only"
    NOT_YOURS = "not_yours"  # undo of someone else's result
    OWN_REQUEST = "own_request"  # deciding one's own extension


# What each role may do inside its scope; admins may do every action everywhere.
OFFICER_ACTIONS = frozenset(
    {Action.DONE, Action.UNDO, Action.IN_PROGRESS, Action.NOTE, Action.FILE, Action.EXTENSION_REQUEST}
)
MANAGER_ACTIONS = OFFICER_ACTIONS | {
    Action.EXTENSION_APPROVE,
    Action.EXTENSION_REJECT,
    Action.EXPORT,
    Action.LINK_GROUP,
}
ADMIN_ONLY_ACTIONS = frozenset({Action.ARCHIVE, Action.RESTORE})
DECISIONS = frozenset({Action.EXTENSION_APPROVE, Action.EXTENSION_REJECT})


@dataclass(frozen=True)
class Subject:
    """Who acts. `admin`: role admin, an address in NHACVIEC_ADMINS, or the command line."""

    address: str
    role: Role | None
    agency_id: int | None
    standing: Standing
    admin: bool = False


def standing_of(*, known: bool, approved: bool, active: bool) -> Standing:
    """Where an account stands from its record: approved acts; asked and not yet decided waits;
    no record (deleted) or rejected is gone."""
    if known and approved:
        return Standing.ACTIVE
    if known and active:
        return Standing.PENDING
    return Standing.REMOVED


@dataclass(frozen=True)
class Target:
    """What is acted on: a task (its lead agencies) or, for an export, an agency (`lead_ids` is
    it); who marked the result done (undo) and who asked for the extension (its decision). A plan
    (archive, restore) is a target with no leads."""

    lead_ids: frozenset[int] = frozenset()
    done_by: str | None = None
    requested_by: str | None = None


def task_target(task: TaskView, **more: str | None) -> Target:
    """The gate's view of a task: its lead agencies (and who marked it done, who asked)."""
    leads = task.lead_ids or ((task.lead_id,) if task.lead_id is not None else ())
    return Target(frozenset(leads), **more)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason | None = None

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


def _refuse(reason: Reason) -> Decision:
    return Decision(False, reason)


def decide(subject: Subject, action: Action, target: Target, units_of: Callable[[int], set[int]]) -> Decision:
    """May `subject` do `action` to `target`? `units_of(id)`: that agency and every unit under it."""
    if action in DECISIONS and target.requested_by is not None and target.requested_by == subject.address:
        return _refuse(Reason.OWN_REQUEST)
    if subject.admin:
        return ALLOWED
    if subject.standing is Standing.REMOVED:
        return _refuse(Reason.REMOVED)
    if subject.standing is Standing.PENDING or subject.role is None:
        return _refuse(Reason.NOT_MEMBER)
    if action in ADMIN_ONLY_ACTIONS:
        return _refuse(Reason.ADMINS_ONLY)
    allowed = MANAGER_ACTIONS if subject.role.oversees_units else OFFICER_ACTIONS
    if action not in allowed:
        return _refuse(Reason.MANAGERS_ONLY)
    if subject.agency_id is None:
        return _refuse(Reason.NO_AGENCY)
    scope = visible_agencies(subject.role, subject.agency_id, units_of)
    if not scope & target.lead_ids:
        return _refuse(Reason.OUT_OF_SCOPE)
    if action is Action.UNDO and not subject.role.oversees_units and target.done_by != subject.address:
        return _refuse(Reason.NOT_YOURS)
    return ALLOWED


def refusal(reason: Reason | None, action: Action | None = None) -> str:
    """The one sentence a refused account reads."""
    if reason is Reason.REMOVED:
        return _("Tài khoản của bạn không còn trong Nhắc Việc. Hãy liên hệ quản trị viên.")
    if reason is Reason.NOT_MEMBER:
        return _("Yêu cầu tham gia của bạn đang chờ quản trị viên duyệt.")
    if reason is Reason.NO_AGENCY:
        return _("Tài khoản của bạn chưa gắn với cơ quan nào.")
    if reason is Reason.ADMINS_ONLY:
        if action in ADMIN_ONLY_ACTIONS:
            return _("Chỉ quản trị viên mới quản lý được các kế hoạch.")
        return _("Chỉ quản trị viên mới làm được việc này.")
    if reason is Reason.NOT_YOURS:
        return _("Chỉ người đã đánh dấu xong hoặc lãnh đạo mới hoàn tác được.")
    if reason is Reason.OWN_REQUEST:
        return _("Không ai tự duyệt đề nghị gia hạn của chính mình.")
    if action is Action.LINK_GROUP:
        if reason is Reason.MANAGERS_ONLY:
            return _("Chỉ quản trị viên hoặc lãnh đạo mới liên kết được nhóm.")
        return _("Lãnh đạo chỉ liên kết được nhóm với cơ quan của mình hoặc đơn vị trực thuộc.")
    if action is Action.EXPORT:
        if reason is Reason.MANAGERS_ONLY:
            return _("Báo cáo tổng hợp dành cho lãnh đạo (vai trò manager).")
        return _("Lãnh đạo chỉ xuất được báo cáo của cơ quan mình hoặc đơn vị trực thuộc.")
    if action in DECISIONS:
        return _("Chỉ lãnh đạo của đơn vị chủ trì mới duyệt được đề nghị gia hạn.")
    if action is Action.EXTENSION_REQUEST:
        return _("Chỉ cán bộ của đơn vị chủ trì hoặc lãnh đạo mới xin gia hạn được việc này.")
    return _("Chỉ cán bộ của đơn vị chủ trì hoặc lãnh đạo mới đánh dấu được việc này.")


# -- the table the README shows ------------------------------------------------------------------

ROLES = ("officer", "manager", "admin")
SCOPES = ("in_scope", "out_of_scope")
YES, NO, OWN = "yes", "no", "own"


def access_table() -> dict[tuple[str, str, Action], str]:
    """(role, scope, action) → "yes", "no" or "own" (only on one's own result), for an active
    account: the README's table (pending and removed accounts: "no" everywhere)."""
    units = {1: {1, 2}, 2: {2}, 3: {3}}

    def units_of(agency_id: int) -> set[int]:
        return units.get(agency_id, {agency_id})

    me, other = "telegram:1", "telegram:2"
    table = {}
    for role in ROLES:
        subject = Subject(me, Role(role), 1, Standing.ACTIVE, admin=role == "admin")
        for scope in SCOPES:
            leads = frozenset({1}) if scope == "in_scope" else frozenset({3})
            for action in Action:
                theirs = decide(subject, action, Target(leads, done_by=other, requested_by=other), units_of)
                mine = decide(subject, action, Target(leads, done_by=me), units_of)
                table[(role, scope, action)] = YES if theirs else OWN if mine else NO
    return table
