"""Managers' digest: the four national-tracking states per unit, overdue and due-soon lists, a
chart — composed for one agency (/baocao, `nhacviec digest`) and sent to every manager on working
days (`run_digests`), claimed like a reminder so each goes out once per manager and day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.core.access import Action, Subject, decide, standing_of, task_target
from bot.core.domain import Role, UserError
from bot.core.i18n import _, ngettext, use_language
from bot.core.markup import esc, plain_text
from bot.core.reminders.digest import Digest, build_digest, digest_blocks, digest_json
from bot.core.replies import Button, Reply
from bot.core.results import extension_decisions
from bot.delivery.context import DeliveryContext
from bot.delivery.outcomes import record_failure
from bot.delivery.ports import DeliveryError, Dispatch
from bot.delivery.reports import AgencyDigest, DigestReport
from storage.cache import ReadCache
from storage.leases import Lease
from storage.results import ExtensionRecord
from storage.users import UserRecord

DIGEST_PREFIX = "digest:"  # claim keys of digests: "digest:2022-06-27:telegram:1"
PENDING_LIMIT = 10  # pending extension requests listed (with buttons) in one digest


async def digest_of(
    cache: ReadCache,
    scope: set[int] | None,
    *,
    today: date,
    period: tuple[date, date] | None = None,
    plan_id: int | None = None,
) -> Digest:
    """The digest of a scope (an agency with its units; None: every agency), archived plans left
    out, optionally one plan's tasks and the occurrences due in `period` — the one selection the
    chat digest, `nhacviec digest`, the managers' digest and the dashboard count with `build_digest`."""
    directory = await cache.directory()
    tasks = await cache.all_tasks() if scope is None else await cache.tasks_for_agencies(scope)
    tasks = [t for t in tasks if not t.plan_archived and (plan_id is None or t.plan_id == plan_id)]
    if scope is None:
        scope = {i for t in tasks for i in (*t.lead_ids, *t.partner_ids)} | {
            t.lead_id for t in tasks if t.lead_id is not None
        }
    names = {i: directory.full_name(i) for i in scope}
    return build_digest(tasks, agency_ids=set(scope), unit_names=names, today=today, period=period)


async def agency_digest(cache: ReadCache, agency_id: int, today: date) -> tuple[Digest, str]:
    """The digest of an agency and every unit under it, with the agency's full name."""
    directory = await cache.directory()
    digest = await digest_of(cache, directory.descendants(agency_id), today=today)
    return digest, directory.full_name(agency_id)


@dataclass(frozen=True)
class PendingExtension:
    """An extension request waiting for a decision, with what a manager needs to decide it."""

    request: ExtensionRecord
    title: str
    lead: str
    who: str  # the requester's name (or address)


async def pending_extensions(
    cache: ReadCache, scope: set[int], decider: Subject | None = None
) -> list[PendingExtension]:
    """The pending extension requests of tasks led by an agency of `scope`, oldest first; with a
    `decider`, only those the gate (`bot.core.access.decide`) lets them decide — the rule their
    Đồng ý / Từ chối buttons are decided by, so the list and the buttons agree."""
    pending = await cache.storage.pending_extensions()
    if not pending or not scope:
        return []
    units_of = (await cache.directory()).descendants
    tasks = {
        occ.id: task
        for task in await cache.tasks_for_agencies(scope)
        if set(task.lead_ids or ((task.lead_id,) if task.lead_id is not None else ())) & scope
        for occ in task.occurrences
    }
    names: dict[str, str] = {}
    found = []
    for request in pending:
        task = tasks.get(request.occurrence_id)
        if task is None:
            continue
        target = task_target(task, requested_by=str(request.requested_by))
        if decider is not None and not decide(decider, Action.EXTENSION_APPROVE, target, units_of):
            continue
        if request.requested_by not in names:
            user = await cache.storage.user(request.requested_by)
            names[request.requested_by] = (user.name if user else "") or request.requested_by
        found.append(PendingExtension(request, task.title, task.lead, names[request.requested_by]))
    return found


def pending_reply(pending: list[PendingExtension], *, limit: int = PENDING_LIMIT) -> Reply:
    """The list of pending requests, each with its Đồng ý / Từ chối buttons (the same decisions as
    the push the managers got when it was asked)."""
    blocks = [
        "<b>"
        + ngettext(
            "⏳ {n} đề nghị gia hạn chờ duyệt:", "⏳ {n} đề nghị gia hạn chờ duyệt:", len(pending)
        ).format(n=len(pending))
        + "</b>"
    ]
    buttons = []
    for n, item in enumerate(pending[:limit], 1):
        ext = item.request
        blocks.append(
            _("{n}. {title} — {lead}: hạn {old} → {new}. Lý do: {reason}. Người đề nghị: {who}").format(
                n=n,
                title=f"<b>{esc(item.title)}</b>",
                lead=esc(item.lead),
                old=f"{ext.old_due:%d/%m/%Y}",
                new=f"{ext.new_due:%d/%m/%Y}",
                reason=esc(ext.reason),
                who=esc(item.who),
            )
        )
        approve, reject = extension_decisions(ext.id)
        short = item.title[:30]
        buttons.append(
            [
                Button(_("Đồng ý: {title}").format(title=short), approve),
                Button(_("Từ chối: {title}").format(title=short), reject),
            ]
        )
    if len(pending) > limit:
        more = len(pending) - limit
        blocks.append(ngettext("… và {n} đề nghị khác", "… và {n} đề nghị khác", more).format(n=more))
    return Reply(blocks, buttons=buttons)


async def digest_replies(
    cache: ReadCache, agency_id: int, *, today: date, with_chart: bool, decider: Subject | None = None
) -> list[Reply]:
    """The digest as messages: its text, the pending extension requests of its agency that
    `decider` (who reads it) may decide by the gate, with their buttons, and (when asked and it
    can be drawn) its chart. Without a `decider`, every pending request of the agency."""
    digest, label = await agency_digest(cache, agency_id, today)
    replies = [Reply(digest_blocks(digest, agency_label=label, today=today))]
    scope = (await cache.directory()).descendants(agency_id)
    pending = await pending_extensions(cache, scope, decider)
    if pending:
        replies.append(pending_reply(pending))
    if with_chart:
        # Imported here: matplotlib takes about a second to load, and only /baocao draws a chart
        # (a bot that never draws one starts — and sends its first reminders — that much sooner).
        from bot.core.reminders.chart import digest_chart_png

        try:
            title = _("Biểu đồ tình hình thực hiện — {agency}").format(agency=esc(label))
            replies.append(Reply([title], photo=digest_chart_png(digest)))
        except Exception:
            pass  # the text stands on its own
    return replies


async def digest_report(cache: ReadCache, *, agency: str | None, today: date) -> DigestReport:
    """`nhacviec digest`: one agency, or every top-level agency."""
    directory = await cache.directory()
    if agency:
        hit = directory.resolve(agency)
        if hit.agency_id is None:
            raise UserError(_("Không tìm thấy cơ quan “{name}”.").format(name=agency))
        ids = [hit.agency_id]
    else:
        ids = [a.id for a in await cache.storage.agencies() if a.parent_id is None]
    found = []
    for agency_id in ids:
        digest, label = await agency_digest(cache, agency_id, today)
        text = plain_text("\n".join(digest_blocks(digest, agency_label=label, today=today)))
        found.append(AgencyDigest(label, digest_json(digest), text))
    return DigestReport(today, found, single=bool(agency))


async def run_digests(dctx: DeliveryContext, *, sender: Dispatch, lease: Lease | None = None) -> int:
    """Managers' digest on working days (Monday–Friday, not on public holidays when
    NHACVIEC_WORKING_DAYS=on) at NHACVIEC_DIGEST_AT, once per manager and day (claimed like a
    reminder, retried with the same backoff while the day lasts). How many went out."""
    now = dctx.now()
    calendar = dctx.config.calendar(now)
    if now.weekday() >= 5 or (calendar is not None and not calendar.is_working(now.date())):
        return 0
    if now.time() < dctx.config.digest_at:
        return 0
    async with dctx.held_lease(lease) as held:
        return await _send_digests(dctx, sender, now, held)


async def _send_digests(dctx: DeliveryContext, sender: Dispatch, now: datetime, lease: Lease) -> int:
    storage = dctx.storage
    prefix = f"{DIGEST_PREFIX}{now.date().isoformat()}:"
    users = await storage.users()
    existing = await storage.claimed_keys(prefix + u.address for u in users)
    retry = await storage.retryable(now) if existing else {}
    count = 0
    for user in users:
        if not _wants_digest(user, now) or not sender.can_send(user.address) or not lease.alive():
            continue
        key = prefix + user.address
        if key in existing and key not in retry:
            continue  # sent (or being sent) today
        if not await storage.claim(
            key, recipient=user.address, occurrence_id=None, lead="digest", now=now, worker=lease.worker
        ):
            continue
        if await _send_digest(dctx, sender, user, key, lease, today=now.date()):
            count += 1
    return count


def _reader(user: UserRecord) -> Subject:
    """A digest's reader as the gate sees them when they press its buttons (an admin by role)."""
    standing = standing_of(known=True, approved=user.approved, active=user.active)
    return Subject(str(user.address), user.role, user.agency_id, standing, admin=user.role is Role.ADMIN)


def _wants_digest(user: UserRecord, now: datetime) -> bool:
    """An approved, active manager or admin of an agency whose rhythm (/nhacnho: daily, weekly on
    Mondays, or off) includes today."""
    if not (user.approved and user.active and user.role.oversees_units) or user.agency_id is None:
        return False
    rhythm = user.digest or "daily"
    return rhythm != "off" and (rhythm != "weekly" or now.weekday() == 0)


async def _send_digest(
    dctx: DeliveryContext, sender: Dispatch, user: UserRecord, key: str, lease: Lease, *, today: date
) -> bool:
    """Send one claimed digest and record the outcome; True when it went out."""
    assert user.agency_id is not None
    try:
        with use_language(user.language):
            replies = await digest_replies(
                dctx.cache, user.agency_id, today=today, with_chart=False, decider=_reader(user)
            )
        for reply in replies:
            await sender.send(user.address, reply)
    except DeliveryError as exc:
        await record_failure(
            dctx.storage,
            [key],
            user.address,
            exc,
            tries=1,
            worker=lease.worker,
            backoff=dctx.config.backoff,
            now=dctx.now(),
        )
        return False
    await dctx.storage.finish_claims([key], ok=True, now=dctx.now(), worker=lease.worker)
    return True
