"""The managers' dashboard as plain values (issue 29); the web floor (`bot/web`) only renders them.

Decisions written down here:

- **Who may look.** An approved, active account with an agency, or an admin (NHACVIEC_ADMINS or
  role admin). A link (`/web`, `nhacviec web link`) is made only for such an account, and every
  page asks again: an account removed or blocked after its login sees nothing more.
- **Scope is the reports' scope** (`visible_agencies`, as /baocao and /xuat): a manager sees their
  agency and every unit under it; an admin sees every agency; an officer sees their own agency's
  tasks only — what /viec shows them — as a one-row overview, without the Excel report (which,
  like /xuat, is for managers).
- **The counts are the digest's**: every page counts with `bot.delivery.digests.digest_of` (which is
  `build_digest`), for the same scope and day, so the overview's numbers equal /baocao's and
  `nhacviec digest --json`'s; a unit's row is the digest of that unit alone, which is the same
  row. A task counts for its first lead, as in the digest and the report.
- **Filters**: a plan, a period (occurrences due between two dates) and, for the lists, one of the
  four states. Archived plans are left out of counts and lists, as in the digest; the plans page
  lists them too, marked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.core.address import Address
from bot.core.domain import OccurrenceStatus, OccurrenceView, Role, TaskView, UserError, visible_agencies
from bot.core.i18n import _
from bot.core.markup import esc
from bot.core.reminders.digest import STATES, Digest, StateCounts, occurrence_state
from bot.core.replies import Reply
from bot.delivery.digests import digest_of
from handlers.commands import Command
from handlers.context import AppContext
from handlers.export import REPORT_FORMATS, build_report, file_name
from storage.plans import PlanRecord
from storage.results import ExtensionRecord, ResultRecord
from storage.web_logins import LINK_TTL, LinkState, Redeemed

if TYPE_CHECKING:
    from handlers.conversation import Turn

@dataclass(frozen=True)
class Viewer:
    """Who is looking, and what they may see."""

    address: Address
    name: str
    role: Role
    agency_id: int | None
    agency: str  # its full name ("" for an admin without an agency)
    language: str
    scope: frozenset[int] | None  # None: every agency (an admin)

    def sees(self, agency_id: int | None) -> bool:
        return self.scope is None or (agency_id is not None and agency_id in self.scope)

    def sees_task(self, task: TaskView) -> bool:
        leads = task.lead_ids or ((task.lead_id,) if task.lead_id is not None else ())
        return self.scope is None or any(self.sees(i) for i in (*leads, *task.partner_ids))

    @property
    def gets_reports(self) -> bool:
        return self.role.oversees_units and self.agency_id is not None


async def viewer_of(ctx: AppContext, address: Address) -> Viewer | None:
    """The viewer an account is now, or None when it may not look (unknown, not approved, blocked,
    no agency)."""
    user = await ctx.storage.user(address)
    directory = await ctx.directory()
    admin = address in ctx.settings.admins or bool(
        user and user.approved and user.active and user.role == Role.ADMIN
    )
    language = user.language if user else "vi"
    name = (user.name if user else "") or address
    agency_id = user.agency_id if user and user.agency_id in directory else None
    agency = directory.full_name(agency_id) if agency_id is not None else ""
    if admin:
        return Viewer(address, name, Role.ADMIN, agency_id, agency, language, None)
    if user is None or not (user.approved and user.active) or agency_id is None:
        return None
    scope = visible_agencies(user.role, agency_id, directory.descendants)
    return Viewer(address, name, user.role, agency_id, agency, language, frozenset(scope))


# -- logging in ---------------------------------------------------------------------------------


async def login_link(ctx: AppContext, address: Address, *, base: str | None) -> str:
    """A single-use link valid 10 minutes for `address`; UserError (a sentence) when it may not have one."""
    if not base:
        raise UserError(
            _("Trang tổng hợp chưa được bật: quản trị viên đặt NHACVIEC_WEB_PORT và NHACVIEC_WEB_URL.")
        )
    if await viewer_of(ctx, address) is None:
        raise UserError(_("Tài khoản {account} chưa được duyệt vào cơ quan nào.").format(account=address))
    token = await ctx.storage.web.create_link(address, now=ctx.now(), ttl=LINK_TTL)
    return f"{base.rstrip('/')}/login/{token}"


async def redeem_link(ctx: AppContext, token: str) -> Redeemed | LinkState:
    """Use a link: the new session, or why it cannot be used (unknown, used, expired, or its
    account may no longer look — then it counts as unknown)."""
    if not token or len(token) > 100:
        return LinkState(known=False, used=False, expired=False)
    redeemed = await ctx.storage.web.redeem(token, now=ctx.now())
    if redeemed is None:
        return await ctx.storage.web.link_state(token, now=ctx.now())
    if await viewer_of(ctx, redeemed.address) is None:
        await ctx.storage.web.end_session(redeemed.session_token)
        return LinkState(known=False, used=False, expired=False)
    return redeemed


async def link_state(ctx: AppContext, token: str) -> LinkState:
    """Whether a link can still be used (its page shows the button only then)."""
    if not token or len(token) > 100:
        return LinkState(known=False, used=False, expired=False)
    return await ctx.storage.web.link_state(token, now=ctx.now())


async def logout(ctx: AppContext, cookie: str | None) -> None:
    if cookie and len(cookie) <= 100:
        await ctx.storage.web.end_session(cookie)


async def session_viewer(ctx: AppContext, cookie: str | None) -> Viewer | None:
    """The viewer of a session cookie, asked afresh on every page."""
    if not cookie or len(cookie) > 100:
        return None
    session = await ctx.storage.web.session(cookie, now=ctx.now())
    return await viewer_of(ctx, session.address) if session else None


async def web_command(turn: Turn) -> list[Reply]:
    """/web: a link to the dashboard, in a private chat only (a link in a group logs in whoever taps it)."""
    if turn.req.chat_type == "group":
        return [Reply([_("Liên kết đăng nhập chỉ gửi trong tin nhắn riêng: hãy nhắn /web riêng cho bot.")])]
    try:
        link = await login_link(turn.ctx, turn.req.account, base=turn.ctx.settings.web_base_url)
    except UserError as exc:
        return [Reply([esc(str(exc))])]
    minutes = int(LINK_TTL.total_seconds() // 60)
    return [
        Reply(
            [
                _("🔗 Trang tổng hợp của bạn (dùng một lần, trong {minutes} phút):").format(minutes=minutes),
                esc(link),
                _("Đừng chuyển liên kết này cho người khác: ai mở nó sẽ xem được với quyền của bạn."),
            ]
        )
    ]


# -- what the pages show --------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the viewer narrowed the pages to; None is "all"."""

    plan_id: int | None = None
    start: date | None = None
    end: date | None = None
    state: str | None = None  # one of STATES (the lists only; counts always show the four)

    @property
    def period(self) -> tuple[date, date] | None:
        if self.start is None and self.end is None:
            return None
        return (self.start or date.min, self.end or date.max)

    def keeps(self, occ: OccurrenceView, state: str) -> bool:
        period = self.period
        in_period = period is None or period[0] <= occ.due <= period[1]
        return in_period and (self.state is None or state == self.state)


def parse_filters(params: Mapping[str, str]) -> Filters:
    """Filters from a page's query (forgiving: a value that does not parse is left out)."""

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(params.get(name, "").strip()[:10])
        except ValueError:
            return None

    plan = params.get("plan", "").strip()
    state = params.get("state", "").strip()
    start, end = day("from"), day("to")
    if start and end and start > end:
        start, end = end, start
    return Filters(
        plan_id=int(plan) if plan.isdigit() and len(plan) < 10 else None,
        start=start,
        end=end,
        state=state if state in STATES else None,
    )


@dataclass(frozen=True)
class PlanRow:
    """A plan as the viewer sees it: counts inside their scope only."""

    plan: PlanRecord
    tasks: int
    occurrences: int
    open: int
    overdue: int


@dataclass
class Overview:
    viewer: Viewer
    today: date
    label: str
    digest: Digest


def scope_label(viewer: Viewer) -> str:
    if viewer.scope is None:
        return _("Tất cả cơ quan")
    return viewer.agency


async def plans_of(ctx: AppContext, viewer: Viewer) -> list[PlanRow]:
    """Every plan with tasks in the viewer's scope (archived ones too), newest import first."""
    tasks = await _scope_tasks(ctx, viewer)
    today = ctx.today()
    counts: dict[int, list[int]] = {}
    for task in tasks:
        if task.plan_id is None:
            continue
        row = counts.setdefault(task.plan_id, [0, 0, 0, 0])
        row[0] += 1
        for occ in task.occurrences:
            row[1] += 1
            if occ.status != OccurrenceStatus.DONE:
                row[2] += 1
                row[3] += occ.due < today
    return [PlanRow(p, *counts[p.id]) for p in await ctx.storage.plans() if p.id in counts]


async def plan_choices(ctx: AppContext, viewer: Viewer) -> list[tuple[int, str]]:
    """The plans the filter offers: those with live tasks in the viewer's scope, by label
    (from the in-memory tasks: no query)."""
    found: dict[int, str] = {}
    for task in await _scope_tasks(ctx, viewer):
        if task.plan_id is not None and not task.plan_archived and task.plan_id not in found:
            found[task.plan_id] = task.plan or f"#{task.plan_id}"
    return sorted(found.items(), key=lambda item: item[1])


async def _scope_tasks(ctx: AppContext, viewer: Viewer) -> list[TaskView]:
    return await ctx.all_tasks() if viewer.scope is None else await ctx.tasks_for_agencies(set(viewer.scope))


async def overview(ctx: AppContext, viewer: Viewer, filters: Filters) -> Overview:
    digest = await digest_of(
        ctx.cache, _scope(viewer), today=ctx.today(), period=filters.period, plan_id=filters.plan_id
    )
    return Overview(viewer, ctx.today(), scope_label(viewer), digest)


def _scope(viewer: Viewer) -> set[int] | None:
    return None if viewer.scope is None else set(viewer.scope)


@dataclass(frozen=True)
class Row:
    """One occurrence in a list: the task, its due date and its state today."""

    task: TaskView
    occurrence: OccurrenceView
    state: str
    days_left: int
    unit: str
    unit_id: int | None


@dataclass
class UnitPage:
    unit_id: int
    name: str
    counts: StateCounts
    rows: list[Row]
    without_deadline: int


async def unit_page(ctx: AppContext, viewer: Viewer, unit_id: int, filters: Filters) -> UnitPage | None:
    """One unit's occurrences (the tasks it leads first), or None when it is not the viewer's."""
    directory = await ctx.directory()
    if unit_id not in directory or not viewer.sees(unit_id):
        return None
    today = ctx.today()
    digest = await digest_of(ctx.cache, {unit_id}, today=today, period=filters.period, plan_id=filters.plan_id)
    name = directory.full_name(unit_id)
    rows = []
    for task in await ctx.tasks_for_agencies({unit_id}):
        if task.lead_id != unit_id or task.plan_archived:
            continue
        if filters.plan_id is not None and task.plan_id != filters.plan_id:
            continue
        for occ in task.occurrences:
            state = occurrence_state(occ.status, occ.due, occ.done_at, today)
            if filters.keeps(occ, state):
                rows.append(Row(task, occ, state, (occ.due - today).days, name, unit_id))
    rows.sort(key=lambda r: (r.occurrence.due, r.task.id, r.occurrence.id))
    return UnitPage(unit_id, name, digest.total, rows, digest.without_deadline)


async def due_list(ctx: AppContext, viewer: Viewer, filters: Filters, *, overdue: bool) -> list[Row]:
    """The digest's overdue list (most late first), or its next-7-days list (soonest first)."""
    digest = await digest_of(
        ctx.cache, _scope(viewer), today=ctx.today(), period=filters.period, plan_id=filters.plan_id
    )
    items = digest.overdue if overdue else digest.due_soon
    today = ctx.today()
    rows = []
    for item in items:
        occ = item.occurrence or next(o for o in item.task.occurrences if o.id == item.occurrence_id)
        state = occurrence_state(occ.status, occ.due, occ.done_at, today)
        if filters.state is None or state == filters.state:
            rows.append(Row(item.task, occ, state, item.days_left, item.unit, item.task.lead_id))
    return rows


@dataclass
class TaskPage:
    row: Row
    result: ResultRecord | None
    extensions: list[ExtensionRecord]
    people: dict[str, str]  # address → display name

    def person(self, address: str | None) -> str:
        return (self.people.get(address) or address or "") if address else ""


async def task_page(ctx: AppContext, viewer: Viewer, occurrence_id: int) -> TaskPage | None:
    """One occurrence with its evidence and extension history, or None (unknown, or not the viewer's)."""
    found = await ctx.storage.occurrence(occurrence_id)
    if found is None or not viewer.sees_task(found[0]):
        return None
    task, occ = found
    directory = await ctx.directory()
    today = ctx.today()
    state = occurrence_state(occ.status, occ.due, occ.done_at, today)
    unit = directory.full_name(task.lead_id) if task.lead_id is not None else task.lead
    people: dict[str, str] = {u.address: u.name or u.address for u in await ctx.storage.users()}
    return TaskPage(
        Row(task, occ, state, (occ.due - today).days, unit or task.lead, task.lead_id),
        await ctx.storage.result(occurrence_id),
        await ctx.storage.extensions(occurrence_id),
        people,
    )


@dataclass(frozen=True)
class ReportFile:
    name: str
    media_type: str
    content: bytes


async def report_file(
    ctx: AppContext, viewer: Viewer, agency_id: int, filters: Filters, fmt: str
) -> ReportFile | None:
    """The report of an agency in the viewer's scope (managers and admins), or None."""
    form = REPORT_FORMATS.get(fmt)
    directory = await ctx.directory()
    if form is None or agency_id not in directory or not viewer.sees(agency_id) or not viewer.role.oversees_units:
        return None
    data = await build_report(
        ctx, agency_id, today=ctx.today(), start=filters.start, end=filters.end, plan_id=filters.plan_id
    )
    return ReportFile(file_name(data, form.extension), form.media_type, form.build(data))


COMMANDS = (
    Command(
        "web",
        lambda t, c: web_command(t),
        lambda: _("Trang tổng hợp trên trình duyệt (liên kết dùng một lần)"),
        ("trang", "dashboard"),
    ),
)
