"""The reminder tick: plan (pure) → claim a small window → re-check → send → record the outcome.

The tick plans and triages retries here; `bot.delivery.sending.SendRound` claims, re-checks,
sends and records; `storage.leases.Lease` is the worker's lease.

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
   (`Lease`, every lease/4, and on SQLite inside every write transaction) while it runs. A
   claim is taken over only when its worker's lease has lapsed (the worker died, or stopped and
   dropped its lease), within lease × 1.25 (the lease plus one poll). The owner never sends when its own lease has lapsed, and records outcomes
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
     `sending.SEND_CONCURRENCY` and by the window of 2.) can be repeated — measured: 0–1 for a
     kill in a 300-reminder batch, ≤ 3 over five kills (README).
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
from datetime import datetime, timedelta

from bot.core.reminders.planner import PlannedReminder, group_for_delivery, plan_reminders
from bot.delivery.context import DeliveryContext
from bot.delivery.digests import DIGEST_PREFIX
from bot.delivery.ports import Dispatch
from bot.delivery.recipients import recipients
from bot.delivery.reports import ReminderMessage, TickReport
from bot.delivery.sending import SendRound
from storage.delivery_log import RetryInfo
from storage.leases import Lease


class Ticker:
    """Runs ticks for a long-lived process: a full pass at start, hourly, when something is
    retryable (a failed send whose backoff passed, a dead worker's claim); in between only what
    became due since the previous tick (the planner's `since`). `poll()` is cheap and may run
    every few seconds: it plans only every NHACVIEC_TICK_SECONDS unless something is retryable."""

    FULL_PASS_EVERY = timedelta(hours=1)

    def __init__(self, dctx: DeliveryContext, sender: Dispatch, lease: Lease | None = None) -> None:
        self.dctx, self.sender = dctx, sender
        self.lease = lease
        self.stopping = asyncio.Event()
        self.last_now: datetime | None = None
        self.last_full: datetime | None = None

    async def _retryable(self, now: datetime) -> dict[str, RetryInfo]:
        """Retryable reminder claims this process can send (digests are retried by run_digests)."""
        found = await self.dctx.storage.retryable(now)
        return {k: v for k, v in found.items() if not k.startswith(DIGEST_PREFIX) and self.sender.can_send(v.recipient)}

    async def poll(self) -> TickReport | None:
        """A tick if one is due (the interval passed, or something is retryable), else None."""
        now = self.dctx.now()
        interval = timedelta(seconds=self.dctx.config.tick_seconds)
        if self.last_now is not None and self.last_now <= now < self.last_now + interval:
            if not await self._retryable(now):
                return None
        return await self.tick()

    async def tick(self) -> TickReport:
        now = self.dctx.now()
        retry = await self._retryable(now)
        full = (
            self.last_now is None
            or self.last_full is None
            or now - self.last_full >= self.FULL_PASS_EVERY
            or now < self.last_now  # the clock went back
            or bool(retry)
        )
        report = await run_tick(
            self.dctx,
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
    dctx: DeliveryContext,
    *,
    sender: Dispatch | None,
    dry_run: bool = False,
    since: datetime | None = None,
    now: datetime | None = None,
    retry: dict[str, RetryInfo] | None = None,
    lease: Lease | None = None,
    stopping: asyncio.Event | None = None,
) -> TickReport:
    """One tick. `sender=None` with dry_run lists what would be sent and claims nothing.

    `since=None` is a full pass: every reminder still inside the catch-up horizon is derived and
    checked against the log (start-up, hourly, retries). With `since`, only those that became due
    after it. Without a `lease` (a one-off `nhacviec remind`), the tick takes a lease of its own
    for its duration and ends it after.
    """
    now = now or dctx.now()
    people = await recipients(dctx.storage, await dctx.cache.directory())
    languages = {p.address: p.language for p in people}
    tasks = await dctx.cache.all_tasks()
    # Planning is pure and CPU-bound (~0.4 s for 200,000 occurrences): in a thread, the event loop
    # keeps answering webhooks and questions meanwhile (issue 30).
    planned = await asyncio.to_thread(
        plan_reminders, tasks, people, now=now, config=dctx.config.planner_at(now), since=since
    )
    if sender is not None:
        planned = [r for r in planned if sender.can_send(r.recipient)]
    by_key = {r.key: r for r in planned}
    existing = await dctx.storage.claimed_keys(by_key)
    fresh = [r for r in planned if r.key not in existing]
    if dry_run:
        report = TickReport(now, dry_run=True)
        for delivery in group_for_delivery(fresh, now=now):
            report.reminders.append(ReminderMessage.of(delivery, now.date(), languages.get(delivery.recipient, "vi")))
        return report
    if since is not None:
        retry = {}
    elif retry is None:  # the Ticker has already asked; a one-off tick asks here
        retry = {k: v for k, v in (await dctx.storage.retryable(now)).items() if not k.startswith(DIGEST_PREFIX)}
    retakes, attempts = await _retakes(dctx, sender, now, by_key, retry, full=since is None)
    async with dctx.held_lease(lease) as held:
        sending = SendRound(dctx, sender, now, held, stopping or asyncio.Event(), languages, attempts)
        return await sending.run(fresh, retakes)


async def _retakes(
    dctx: DeliveryContext,
    sender: Dispatch | None,
    now: datetime,
    planned: dict[str, PlannedReminder],
    retry: dict[str, RetryInfo],
    *,
    full: bool,
) -> tuple[list[PlannedReminder], dict[str, int]]:
    """Claims another worker left (crashed, stopped) or that failed and whose pause is over: those
    still current are retaken, with the sends each has had; on a full pass the others expire."""
    today = now.astimezone(dctx.config.tz).date()
    retakes: list[PlannedReminder] = []
    tried: dict[str, int] = {}
    expired: list[str] = []
    for key, info in retry.items():
        r = planned.get(key)
        if r is not None and (info.status == "claimed" or info.first_at.astimezone(dctx.config.tz).date() == today):
            retakes.append(r)
            tried[key] = info.attempts + (0 if info.status in ("claimed", "released") else 1)
        elif full and (sender is None or sender.can_send(info.recipient)):
            expired.append(key)
    if expired:
        await dctx.storage.expire_claims(expired, now=now)
    return retakes, tried
