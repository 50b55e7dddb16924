"""One tick's sending: claim a window → re-check → send → record the outcome, window by window
(steps 2, 3, 5 and 6 of the argument in `bot.delivery.tick`)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.core.address import Address
from bot.core.i18n import use_language
from bot.core.reminders.messages import reminder_blocks
from bot.core.reminders.planner import Delivery, PlannedReminder, group_for_delivery
from bot.core.replies import Reply
from bot.delivery.context import DeliveryContext
from bot.delivery.outcomes import record_failure
from bot.delivery.ports import DeliveryError, Dispatch
from bot.delivery.reports import ReminderMessage, TickReport
from storage.delivery_log import NewClaim
from storage.leases import Lease

log = logging.getLogger(__name__)

SEND_CONCURRENCY = 30  # sends in flight at once; the channel's rate limiter keeps within Telegram's limits


@dataclass
class SendRound:
    """The reminders of one tick, claimed and sent under `lease`.

    `attempts` holds, for each retaken key, the sends it has had (a failed one's backoff grows
    with it); `languages` each recipient's language.
    """

    dctx: DeliveryContext
    sender: Dispatch | None  # None: claim only (nothing is sent)
    now: datetime
    lease: Lease
    stopping: asyncio.Event
    languages: dict[Address, str]
    attempts: dict[str, int]
    report: TickReport = field(init=False)

    def __post_init__(self) -> None:
        self.report = TickReport(self.now)
        self.today: date = self.now.astimezone(self.dctx.config.tz).date()
        self.semaphore = asyncio.Semaphore(SEND_CONCURRENCY)

    async def run(self, fresh: list[PlannedReminder], retakes: list[PlannedReminder]) -> TickReport:
        """Claim and send `fresh` (new keys) and `retakes` (keys to take over) in windows of what
        the slowest channel sends in NHACVIEC_SEND_WINDOW_SECONDS: at most one window is claimed
        but not yet recorded at any moment."""
        retake_keys = {r.key for r in retakes}
        order = group_for_delivery([*fresh, *retakes], now=self.now)
        size = self.dctx.config.send_window_seconds
        window = self.sender.window(size) if self.sender is not None else SEND_CONCURRENCY
        for start in range(0, len(order), window):
            if self.stopping.is_set() or (self.sender is not None and not self.lease.alive()):
                break
            claimed, won = await self._claim(order[start : start + window], retake_keys)
            if self.sender is not None:
                await self._send_window(self.sender, claimed, set(won))
        return self.report

    async def _claim(self, batch: list[Delivery], retake_keys: set[str]) -> tuple[list[Delivery], set[str]]:
        """Claim one window's keys (new ones inserted, retakes taken over); what was won, as messages."""
        storage, worker = self.dctx.storage, self.lease.worker
        reminders = [r for d in batch for r in d.reminders]
        new = [NewClaim(r.key, r.recipient, r.occurrence_id, r.lead) for r in reminders if r.key not in retake_keys]
        won = await storage.claim_many(new, now=self.now, worker=worker)
        won |= await storage.retake([r.key for r in reminders if r.key in retake_keys], now=self.now, worker=worker)
        claimed = group_for_delivery([r for r in reminders if r.key in won], now=self.now)
        self.report.claimed += len(won)
        # `now` is local (DeliveryContext.now()): its date is the day the message speaks of.
        self.report.reminders.extend(
            ReminderMessage.of(d, self.now.date(), self.languages.get(d.recipient, "vi")) for d in claimed
        )
        return claimed, won

    async def _send_window(self, sender: Dispatch, claimed: list[Delivery], pending: set[str]) -> None:
        """Send one window's messages at once; whatever is still `pending` at the end (stopping,
        or this worker's lease lapsed) is released for anyone to take."""
        try:
            results = await asyncio.gather(*(self._deliver(sender, d, pending) for d in claimed), return_exceptions=True)
            for result in results:
                if isinstance(result, asyncio.CancelledError):
                    raise result
                if isinstance(result, BaseException):
                    log.error("recording a reminder failed: %r", result)
        finally:
            if pending:
                storage = self.dctx.storage
                await asyncio.shield(storage.release_claims(sorted(pending), worker=self.lease.worker, now=self.dctx.now()))

    async def _deliver(self, sender: Dispatch, delivery: Delivery, pending: set[str]) -> None:
        """Send one message and record its outcome. Its keys leave `pending` only once the
        outcome is recorded."""
        async with self.semaphore:
            if self.stopping.is_set() or not self.lease.alive():
                return  # still pending: released after the window
            checked = await self._recheck(delivery, pending)
            if checked is None:
                return
            keys = checked.keys
            error = await self._send(sender, checked, pending)
            storage, worker = self.dctx.storage, self.lease.worker
            if error is None:
                # Shielded: once sent, "delivered" must be recorded even if the tick is cancelled.
                await asyncio.shield(storage.finish_claims(keys, ok=True, now=self.dctx.now(), worker=worker))
                self.report.sent += 1
            else:
                self.report.failed += 1
                tries = max(self.attempts.get(k, 1) for k in keys)
                await record_failure(
                    storage,
                    keys,
                    checked.recipient,
                    error,
                    tries=tries,
                    worker=worker,
                    backoff=self.dctx.config.backoff,
                    now=self.dctx.now(),
                )
                log.warning("reminder to %s failed: %s", checked.recipient, error)
            pending.difference_update(keys)

    async def _recheck(self, delivery: Delivery, pending: set[str]) -> Delivery | None:
        """Read the occurrences and the recipient again: drop what must not go out any more."""
        open_ids, people = await self.dctx.storage.deliverable(
            (r.occurrence_id for r in delivery.reminders), [delivery.recipient]
        )
        muted = people.get(delivery.recipient)
        keep = tuple(
            r for r in delivery.reminders if muted is not None and r.occurrence_id in open_ids and r.task.id not in muted
        )
        gone = [r.key for r in delivery.reminders if r not in keep]
        if gone:
            await self.dctx.storage.drop_claims(gone, worker=self.lease.worker)
            pending.difference_update(gone)
            log.info("not reminding %s: done, removed or muted since the claim", delivery.recipient)
        if not keep:
            return None
        if len(keep) != len(delivery.reminders):
            return Delivery(delivery.recipient, keep, delivery.is_catchup)
        return delivery

    async def _send(self, sender: Dispatch, delivery: Delivery, pending: set[str]) -> DeliveryError | None:
        """Send one message: None when it went, else why not. Cancelled mid-send (the stop's grace
        period ran out), it may have gone out: recorded as unknown, then the cancellation goes on."""
        try:
            with use_language(self.languages.get(delivery.recipient, "vi")):
                reply = Reply(reminder_blocks(delivery, self.today))
            await sender.send(delivery.recipient, reply)
        except DeliveryError as exc:
            return exc
        except asyncio.CancelledError:
            now = self.dctx.now()
            stopped = self.dctx.storage.finish_claims(
                delivery.keys,
                ok=False,
                now=now,
                error="stopped while sending",
                unknown=True,
                worker=self.lease.worker,
                retry_at=now + timedelta(seconds=self.dctx.config.backoff.cap),
            )
            await asyncio.shield(stopped)
            pending.difference_update(delivery.keys)
            raise
        except Exception as exc:
            log.exception("reminder to %s failed", delivery.recipient)
            return DeliveryError(repr(exc))
        return None
