"""The reminder tick: plan (pure) → claim a small window → re-check → send → record the outcome.

Never miss, at most twice — the argument, step by step:

1. *Derived, keyed.* The planner (bot.core.reminders.planner) derives every reminder from the data
   with a stable key (occurrence, recipient, lead). A key stays *current* while the planner
   returns it: until the next lead time supersedes it, it leaves the 7-day catch-up window, or
   its occurrence is done. Every full pass (start-up, hourly, whenever something is retryable)
   re-derives all current keys, so a lost tick or a dead process loses nothing.
2. *Claimed before sent.* A key is claimed once (INSERT … ON CONFLICT DO NOTHING, or a
   conditional UPDATE for a retake) before sending; two workers or a restart cannot both hold
   it. Claims are taken in windows of `Outbox.window(send_window_seconds)` deliveries (a few
   seconds of the slowest channel's rate), so at any moment at most one window is claimed but
   not yet recorded.
3. *Owned by a live worker.* Every claim names its worker; a worker renews its lease
   (`Lease`, every lease/4) while it runs. A claim is taken over only when its worker's lease has
   lapsed (the worker died, or stopped and dropped its lease), within lease × 1.25 (the lease
   plus one poll). The owner never sends when its own lease has lapsed, and records outcomes
   only on claims it still holds (`finish_claims(worker=…)`), so a live owner and a taker never
   both send. A takeover is not a failed attempt. (Leases compare the workers' clocks: hosts
   must agree to well within the lease, as NTP does.)
4. *Retried while current.* A transient failure (5xx, network, 429) is recorded `failed` with
   `next_at` from the backoff (bot.core.reminders.backoff: 10 s doubling to 300 s, or the server's
   retry_after) and retaken after it — as long as the key is current (1.) and it is still the
   local day on which the key was first claimed. Then it is `expired`. Never after a fixed count.
   403 is `dead` (final) and the account is marked inactive.
5. *Re-checked.* Just before each send the occurrence (still open, task not removed) and the
   recipient (still approved and active, task not muted) are read again; if not, the claim is
   dropped and nothing goes out.
6. *Copies.* A message can go out twice only when a send's outcome is unknown:
   - a timeout or a connection cut after the request left (`DeliveryError.unknown`): recorded
     `unknown`, resent at most once, a full backoff step (the cap, 300 s) later, never at once;
     the channels never retry such a send inside one send (they retry only what surely did not
     arrive: refused connections, a full pool, 5xx) — at most 2 copies. If the resend is unknown
     too, the reminder stays `unknown`: at-most-twice wins over never-miss only when both tries
     left and neither was answered;
   - a worker killed between the API accepting a message and its "delivered" being recorded:
     the taker resends it. Per kill, at most the sends in flight at that moment (bounded by
     `SEND_CONCURRENCY` and by the window of 2.) can be repeated — measured: 0–1 for a kill in
     a 300-reminder batch, ≤ 3 over five kills (README).
   A clean stop (SIGTERM) stops claiming, lets in-flight sends finish and be recorded (bounded
   by `NHACVIEC_STOP_SECONDS`; "delivered" is recorded shielded from cancellation), releases the
   unsent claims and drops its lease: no copies.

Never miss: every reminder that is current is, at every full pass, either delivered, held by
a live worker that is sending it, waiting for its backoff, or retakeable — a crash, a stop, an
outage, a lapsed lease or a lost tick only move it between these, and a full pass runs at start,
hourly and whenever something is retryable (polled every lease/4). It is given up only when it
stops mattering (superseded, out of the window, done, its day over), on 403, or after two
unknown outcomes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from typing import Any

from bot.core.domain import Role, visible_agencies
from bot.core.i18n import use_language
from bot.core.markup import plain_text
from bot.core.reminders.backoff import Backoff
from bot.core.reminders.messages import reminder_blocks
from bot.core.reminders.planner import (
    Delivery,
    PlannedReminder,
    PlannerConfig,
    Recipient,
    group_for_delivery,
    plan_reminders,
)
from bot.core.reminders.workdays import WorkCalendar
from bot.settings import Settings, parse_days, parse_hhmm
from handlers.context import AppContext
from handlers.ports import DeliveryError, Outbox
from handlers.replies import Reply

log = logging.getLogger(__name__)

SEND_CONCURRENCY = 30  # the channel's rate limiter keeps within Telegram's limits


def new_worker_id() -> str:
    """host:pid:random — unique even when a restarted process gets the same pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


WORKER = new_worker_id()


def _hour(value: str | None) -> time | None:
    """A user's /nhacnho hour; a stored value that no longer parses means the default."""
    try:
        return parse_hhmm(value) if value else None
    except ValueError:
        return None


def _days(value: str | None) -> tuple[int, ...] | None:
    try:
        return (parse_days(value) or None) if value else None
    except ValueError:
        return None


async def recipients(ctx: AppContext) -> list[Recipient]:
    """Approved, active accounts (officers: their agency; managers/admins: it and its units) and linked groups."""
    directory = await ctx.directory()
    found: list[Recipient] = []
    for user in await ctx.storage.users():
        if not (user.approved and user.active) or user.agency_id is None or user.agency_id not in directory:
            continue
        scope = visible_agencies(user.role, user.agency_id, directory.descendants)
        found.append(
            Recipient(
                address=user.address,
                agency_ids=frozenset(scope),
                remind_days=_days(user.remind_days),
                remind_at=_hour(user.remind_at),
                muted_task_ids=frozenset(user.muted),
                language=user.language,
                wants_digest=Role(user.role).oversees_units,
            )
        )
    for link in await ctx.storage.chat_links():
        if link.agency_id in directory:
            found.append(
                Recipient(address=link.address, agency_ids=frozenset(directory.descendants(link.agency_id)))
            )
    return found


_CALENDARS: dict[tuple[int, ...], WorkCalendar] = {}


def work_calendar(settings: Settings, around: datetime) -> WorkCalendar | None:
    """Weekends and Vietnamese public holidays (Tết included) from the `holidays` package;
    None when NHACVIEC_WORKING_DAYS=off (calendar days)."""
    if not settings.working_days:
        return None
    years = (around.year - 1, around.year, around.year + 1)
    calendar = _CALENDARS.get(years)
    if calendar is None:
        import holidays

        calendar = _CALENDARS[years] = WorkCalendar.of(holidays.country_holidays("VN", years=years))
    return calendar


def planner_config(settings: Settings, now: datetime) -> PlannerConfig:
    return settings.planner_config(calendar=work_calendar(settings, now))


async def record_failure(
    ctx: AppContext,
    keys: list[str],
    recipient: str,
    error: DeliveryError,
    *,
    tries: int,
    worker: str,
    schedule: Backoff,
) -> None:
    """Record a send that did not go through (reminders and digests alike): 403 is final and the
    account is marked inactive; an unknown outcome waits a full step (the cap) before its one
    resend — a burst of timeouts is over by then, never a tight loop; anything else waits the
    backoff for `tries` (or the server's retry_after)."""
    if error.blocked:
        await ctx.storage.deactivate(recipient)
    pause = schedule.cap if error.unknown else schedule.delay(tries, error.retry_after)
    await ctx.storage.finish_claims(
        keys,
        ok=False,
        now=ctx.now(),
        error=str(error),
        final=error.blocked,
        unknown=error.unknown,
        worker=worker,
        retry_at=ctx.now() + timedelta(seconds=pause),
    )


def backoff(settings: Settings) -> Backoff:
    first, cap = settings.retry_schedule
    return Backoff(first=first, cap=cap)


class Lease:
    """This worker's lease in the database, renewed by `run` every lease/4 (its heartbeat).

    `alive()` is False once the last renewal that went through is older than the lease: then
    other workers may already have taken this worker's claims, so it must not send them.
    """

    def __init__(self, ctx: AppContext, worker: str | None = None, seconds: float | None = None) -> None:
        self.ctx = ctx
        self.worker = worker or new_worker_id()
        self.seconds = seconds if seconds is not None else ctx.settings.nhacviec_lease_seconds
        self.valid_until: datetime | None = None

    @property
    def length(self) -> timedelta:
        return timedelta(seconds=self.seconds)

    async def beat(self) -> None:
        now = self.ctx.now()
        await self.ctx.storage.heartbeat(self.worker, now=now, lease=self.length)
        self.valid_until = now + self.length
        self.ctx.storage.hold_lease(self.worker, self.length, self.ctx.now)

    def alive(self) -> bool:
        """Whether the lease certainly still holds (with a margin: stop sending a little before
        others may take over). On SQLite any write of this process renews it too."""
        until = self.valid_until
        if until is None:
            return False
        other = self.ctx.storage.lease_valid.get(self.worker)
        if other is not None and other > until:
            until = other
        return self.ctx.now() < until - self.length / 8

    async def run(self, stop: asyncio.Event) -> None:
        """Renew until `stop` is set; a failed renewal is logged and tried again soon."""
        while not stop.is_set():
            try:
                await self.beat()
            except Exception:
                log.exception("could not renew the worker lease")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.seconds / 4)
            except TimeoutError:
                pass

    async def end(self) -> None:
        """A clean stop: the lease ends now, so nobody waits for it to lapse."""
        self.ctx.storage.let_go_lease(self.worker)
        await self.ctx.storage.drop_worker(self.worker, now=self.ctx.now())
        self.valid_until = None


class Ticker:
    """Runs ticks for a long-lived process: a full pass at start, hourly, when something is
    retryable (a failed send whose backoff passed, a dead worker's claim); in between only what
    became due since the previous tick (the planner's `since`). `poll()` is cheap and may run
    every few seconds: it plans only every NHACVIEC_TICK_SECONDS unless something is retryable."""

    FULL_PASS_EVERY = timedelta(hours=1)

    def __init__(self, ctx: AppContext, sender: Outbox, lease: Lease | None = None) -> None:
        self.ctx, self.sender = ctx, sender
        self.lease = lease
        self.stopping = asyncio.Event()
        self.last_now: datetime | None = None
        self.last_full: datetime | None = None

    async def _retryable(self, now: datetime) -> dict:
        """Retryable reminder claims this process can send (digests are retried by run_digests)."""
        found = await self.ctx.storage.retryable(now)
        return {
            k: v
            for k, v in found.items()
            if not k.startswith("digest:") and self.sender.can_send(v.recipient)
        }

    async def poll(self) -> dict[str, Any] | None:
        """A tick if one is due (the interval passed, or something is retryable), else None."""
        now = self.ctx.now()
        interval = timedelta(seconds=self.ctx.settings.nhacviec_tick_seconds)
        if self.last_now is not None and self.last_now <= now < self.last_now + interval:
            if not await self._retryable(now):
                return None
        return await self.tick()

    async def tick(self) -> dict[str, Any]:
        now = self.ctx.now()
        retry = await self._retryable(now)
        full = (
            self.last_now is None
            or self.last_full is None
            or now - self.last_full >= self.FULL_PASS_EVERY
            or now < self.last_now  # the clock went back
            or bool(retry)
        )
        report = await run_tick(
            self.ctx,
            sender=self.sender,
            since=None if full else self.last_now,
            now=now,
            retry=retry,
            lease=self.lease,
            stopping=self.stopping,
        )
        self.last_now = now
        if full:
            self.last_full = now
        return report


async def run_tick(
    ctx: AppContext,
    *,
    sender: Outbox | None,
    dry_run: bool = False,
    since: datetime | None = None,
    now: datetime | None = None,
    retry: dict | None = None,
    lease: Lease | None = None,
    stopping: asyncio.Event | None = None,
) -> dict[str, Any]:
    """One tick. `sender=None` with dry_run lists what would be sent and claims nothing.

    `since=None` is a full pass: every reminder still inside the catch-up horizon is derived and
    checked against the log (start-up, hourly, retries). With `since`, only those that became due
    after it. Without a `lease` (a one-off `nhacviec remind`), the tick takes a lease of its own
    for its duration and ends it after.
    """
    now = now or ctx.now()
    people = await recipients(ctx)
    languages = {p.address: p.language for p in people}
    # Planning is pure and CPU-bound (~0.4 s for 200,000 occurrences): in a thread, the event
    # loop keeps answering webhooks and questions meanwhile (issue 30).
    planned = await asyncio.to_thread(
        plan_reminders, await ctx.all_tasks(), people, now=now, config=planner_config(ctx.settings, now), since=since
    )
    if sender is not None:
        planned = [r for r in planned if sender.can_send(r.recipient)]
    by_key = {r.key: r for r in planned}
    existing = await ctx.storage.claimed_keys(by_key)
    fresh = [r for r in planned if r.key not in existing]
    if dry_run:
        deliveries = group_for_delivery(fresh, now=now)
        return {
            "now": now.isoformat(),
            "reminders": [_describe(d, now, languages) for d in deliveries],
            "claimed": 0,
        }

    # Claims another worker left (crashed, stopped) or that failed and whose pause is over.
    if since is not None:
        retry = {}
    elif retry is None:  # the Ticker has already asked; a one-off tick asks here
        retry = {k: v for k, v in (await ctx.storage.retryable(now)).items() if not k.startswith("digest:")}
    today = now.astimezone(ctx.settings.tz).date()
    retakes: list[PlannedReminder] = []
    tried: dict[str, int] = {}
    expired: list[str] = []
    for key, info in retry.items():
        r = by_key.get(key)
        current = r is not None and (
            info.status == "claimed" or info.first_at.astimezone(ctx.settings.tz).date() == today
        )
        if current:
            retakes.append(r)  # type: ignore[arg-type]
            tried[key] = info.attempts + (0 if info.status in ("claimed", "released") else 1)
        elif since is None and (sender is None or sender.can_send(info.recipient)):
            expired.append(key)
    if expired:
        await ctx.storage.expire_claims(expired, now=now)

    async with held_lease(ctx, lease) as lease:
        return await _claim_and_send(
            ctx, sender, now, fresh, retakes, tried, lease, stopping or asyncio.Event(), languages
        )


@contextlib.asynccontextmanager
async def held_lease(ctx: AppContext, lease: Lease | None) -> AsyncIterator[Lease]:
    """The long-running process's lease, or (a one-off `nhacviec remind`) a lease of its own,
    renewed in the background while the tick runs and ended after it."""
    if lease is not None:
        yield lease
        return
    own = Lease(ctx)
    await own.beat()
    stop = asyncio.Event()
    beating = asyncio.create_task(own.run(stop))
    try:
        yield own
    finally:
        stop.set()
        await beating
        await own.end()


async def _claim_and_send(
    ctx: AppContext,
    sender: Outbox | None,
    now: datetime,
    fresh: list[PlannedReminder],
    retakes: list[PlannedReminder],
    attempts: dict[str, int],
    lease: Lease,
    stopping: asyncio.Event,
    languages: dict[str, str],
) -> dict[str, Any]:
    storage = ctx.storage
    retake_keys = {r.key for r in retakes}
    order = group_for_delivery([*fresh, *retakes], now=now)
    sized = getattr(sender, "window", None)
    window = sized(ctx.settings.nhacviec_send_window_seconds) if sized is not None else SEND_CONCURRENCY
    schedule = backoff(ctx.settings)
    report: dict[str, Any] = {"now": now.isoformat(), "reminders": [], "claimed": 0, "sent": 0, "failed": 0}
    semaphore = asyncio.Semaphore(SEND_CONCURRENCY)
    today = now.astimezone(ctx.settings.tz).date()

    async def recheck(delivery: Delivery, pending: set[str]) -> Delivery | None:
        """Read the occurrences and the recipient again: drop what must not go out any more."""
        open_ids, people = await storage.deliverable(
            (r.occurrence_id for r in delivery.reminders), [delivery.recipient]
        )
        muted = people.get(delivery.recipient)
        keep = tuple(
            r
            for r in delivery.reminders
            if muted is not None and r.occurrence_id in open_ids and r.task.id not in muted
        )
        gone = [r.key for r in delivery.reminders if r not in keep]
        if gone:
            await storage.drop_claims(gone, worker=lease.worker)
            pending.difference_update(gone)
            log.info("not reminding %s: done, removed or muted since the claim", delivery.recipient)
        if not keep:
            return None
        if len(keep) != len(delivery.reminders):
            return Delivery(delivery.recipient, keep, delivery.is_catchup)
        return delivery

    async def deliver(delivery: Delivery, pending: set[str]) -> None:
        """Send one message and record its outcome. Its keys leave `pending` only once the
        outcome is recorded; whatever is still pending at the end of the window is released."""
        async with semaphore:
            if stopping.is_set() or not lease.alive():
                return  # still pending: released below
            checked = await recheck(delivery, pending)
            if checked is None:
                return
            keys = checked.keys
            tries = max(attempts.get(k, 1) for k in keys)
            error: DeliveryError | None = None
            try:
                with use_language(languages.get(checked.recipient, "vi")):
                    reply = Reply(reminder_blocks(checked, today))
                await sender.send(checked.recipient, reply)  # type: ignore[union-attr]
            except DeliveryError as exc:
                error = exc
            except asyncio.CancelledError:
                # Stopped mid-send (the grace period ran out): it may have gone out.
                await asyncio.shield(
                    storage.finish_claims(
                        keys,
                        ok=False,
                        now=ctx.now(),
                        error="stopped while sending",
                        unknown=True,
                        worker=lease.worker,
                        retry_at=ctx.now() + timedelta(seconds=schedule.cap),
                    )
                )
                pending.difference_update(keys)
                raise
            except Exception as exc:
                log.exception("reminder to %s failed", checked.recipient)
                error = DeliveryError(repr(exc))
            if error is None:
                # Shielded: once sent, "delivered" must be recorded even if the tick is cancelled.
                await asyncio.shield(storage.finish_claims(keys, ok=True, now=ctx.now(), worker=lease.worker))
                report["sent"] += 1
            else:
                report["failed"] += 1
                await record_failure(
                    ctx, keys, checked.recipient, error, tries=tries, worker=lease.worker, schedule=schedule
                )
                log.warning("reminder to %s failed: %s", checked.recipient, error)
            pending.difference_update(keys)

    for start in range(0, len(order), window):
        if stopping.is_set() or (sender is not None and not lease.alive()):
            break
        batch = order[start : start + window]
        reminders = [r for d in batch for r in d.reminders]
        new = [r for r in reminders if r.key not in retake_keys]
        won = await storage.claim_many(
            [(r.key, r.recipient, r.occurrence_id, r.lead) for r in new], now=now, worker=lease.worker
        )
        won |= await storage.retake(
            [r.key for r in reminders if r.key in retake_keys], now=now, worker=lease.worker
        )
        claimed = group_for_delivery([r for r in reminders if r.key in won], now=now)
        report["claimed"] += len(won)
        report["reminders"].extend(_describe(d, now, languages) for d in claimed)
        if sender is None:
            continue
        pending = set(won)
        try:
            results = await asyncio.gather(*(deliver(d, pending) for d in claimed), return_exceptions=True)
            for result in results:
                if isinstance(result, asyncio.CancelledError):
                    raise result
                if isinstance(result, BaseException):
                    log.error("recording a reminder failed: %r", result)
        finally:
            if pending:  # not sent: stopping, or this worker's lease lapsed
                await asyncio.shield(
                    storage.release_claims(sorted(pending), worker=lease.worker, now=ctx.now())
                )
    return report


def _describe(delivery, now: datetime, languages: dict[str, str]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    with use_language(languages.get(delivery.recipient, "vi")):
        text = plain_text("\n".join(reminder_blocks(delivery, now.date())))  # `now` is local (ctx.now())
    return {
        "to": delivery.recipient,
        "catchup": delivery.is_catchup,
        "keys": delivery.keys,
        "items": [_item(r) for r in delivery.reminders],
        "text": text,
    }


def _item(r: PlannedReminder) -> dict[str, Any]:
    return {
        "task": r.task.title,
        "lead": r.task.lead,
        "due": r.due.isoformat(),
        "lead_time": r.lead,
        "days_left": r.days_left,
        "scheduled_at": r.scheduled_at.isoformat(),
    }


async def run_digests(ctx: AppContext, *, sender: Outbox, lease: Lease | None = None) -> int:
    """Managers' digest on working days (Monday–Friday, not on public holidays when
    NHACVIEC_WORKING_DAYS=on) at NHACVIEC_DIGEST_AT, once per manager and day (claimed like a
    reminder, retried with the same backoff while the day lasts)."""

    now = ctx.now()
    calendar = work_calendar(ctx.settings, now)
    if now.weekday() >= 5 or (calendar is not None and not calendar.is_working(now.date())):
        return 0
    if now.time() < ctx.settings.digest_at:
        return 0
    async with held_lease(ctx, lease) as held:
        return await _send_digests(ctx, sender, now, held)


async def _send_digests(ctx: AppContext, sender: Outbox, now: datetime, lease: Lease) -> int:
    from handlers.digest import digest_replies

    schedule = backoff(ctx.settings)
    count = 0
    prefix = f"digest:{now.date().isoformat()}:"
    users = await ctx.storage.users()
    existing = await ctx.storage.claimed_keys(prefix + u.address for u in users)
    retry = await ctx.storage.retryable(now) if existing else {}
    for user in users:
        if (
            not (user.approved and user.active and Role(user.role).oversees_units)
            or user.agency_id is None
        ):
            continue
        if not sender.can_send(user.address) or not lease.alive():
            continue
        rhythm = user.digest or "daily"  # /nhacnho: daily, weekly (Monday) or off
        if rhythm == "off" or (rhythm == "weekly" and now.weekday() != 0):
            continue
        key = prefix + user.address
        if key in existing and key not in retry:
            continue  # sent (or being sent) today
        if not await ctx.storage.claim(
            key, recipient=user.address, occurrence_id=None, lead="digest", now=now, worker=lease.worker
        ):
            continue
        try:
            with use_language(user.language):
                replies = await digest_replies(ctx, user.agency_id, today=now.date(), with_chart=False)
            for reply in replies:
                await sender.send(user.address, reply)
        except DeliveryError as exc:
            await record_failure(ctx, [key], user.address, exc, tries=1, worker=lease.worker, schedule=schedule)
            continue
        await ctx.storage.finish_claims([key], ok=True, now=ctx.now(), worker=lease.worker)
        count += 1
    return count
