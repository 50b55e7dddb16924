"""The reminder tick: plan (pure) → claim in the database → send → record the outcome.

Never miss, never repeat:
- the planner derives every reminder from the data with a stable key (bot.core.reminders.planner);
- a key is claimed once (INSERT … ON CONFLICT DO NOTHING) *before* sending, so two workers or a
  restart cannot both send it;
- the outcome is recorded: delivered, failed (taken again after `CLAIM_TIMEOUT`, at most
  `MAX_ATTEMPTS` times) or dead (403: the account blocked the bot and is marked inactive);
- a claim whose sender died mid-send is stale after `CLAIM_TIMEOUT` and retried once by
  whichever worker sees it first. That is the one window where a message can go out twice (sent,
  then the process was killed before it recorded "delivered").
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import datetime, time, timedelta
from typing import Any

from bot.core.domain import Role, visible_agencies
from bot.core.i18n import use_language
from bot.core.markup import plain_text
from bot.core.reminders.messages import reminder_blocks
from bot.core.reminders.planner import (
    PlannedReminder,
    Recipient,
    group_for_delivery,
    plan_reminders,
)
from bot.settings import parse_days, parse_hhmm
from handlers.context import AppContext
from handlers.ports import DeliveryError, Outbox
from handlers.replies import Reply

log = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=5)
MAX_ATTEMPTS = 5
SEND_CONCURRENCY = 30  # the channel's rate limiter keeps within Telegram's limits
WORKER = f"{socket.gethostname()}:{os.getpid()}"


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


class Ticker:
    """Runs ticks for a long-lived process: a full pass at start, hourly and after failures;
    in between only what became due since the previous tick (the planner's `since`)."""

    FULL_PASS_EVERY = timedelta(hours=1)

    def __init__(self, ctx: AppContext, sender: Outbox) -> None:
        self.ctx, self.sender = ctx, sender
        self.last_now: datetime | None = None
        self.last_full: datetime | None = None

    async def tick(self) -> dict[str, Any]:
        now = self.ctx.now()
        retry = await self.ctx.storage.retryable_keys(
            now, stale_after=CLAIM_TIMEOUT, max_attempts=MAX_ATTEMPTS
        )
        full = (
            self.last_now is None
            or self.last_full is None
            or now - self.last_full >= self.FULL_PASS_EVERY
            or now < self.last_now  # the clock went back
            or bool(retry)
        )
        report = await run_tick(
            self.ctx, sender=self.sender, since=None if full else self.last_now, now=now, retry=retry
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
    retry: set[str] | None = None,
) -> dict[str, Any]:
    """One tick. `sender=None` with dry_run lists what would be sent and claims nothing.

    `since=None` is a full pass: every reminder still inside the catch-up horizon is derived and
    checked against the log (start-up, hourly, retries). With `since`, only those that became due
    after it.
    """
    now = now or ctx.now()
    people = await recipients(ctx)
    languages = {p.address: p.language for p in people}
    planned = plan_reminders(
        await ctx.all_tasks(), people, now=now, config=ctx.settings.planner_config(), since=since
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

    won = await ctx.storage.claim_many(
        [(r.key, r.recipient, r.occurrence_id, r.lead) for r in fresh], now=now, worker=WORKER
    )
    # Stale claims (a sender died) and transient failures: exactly one worker retakes each.
    if since is not None:
        retry = set()
    elif retry is None:  # the Ticker has already asked; a one-off tick asks here
        retry = await ctx.storage.retryable_keys(now, stale_after=CLAIM_TIMEOUT, max_attempts=MAX_ATTEMPTS)
    for key in retry & existing:
        r = by_key[key]
        if await ctx.storage.claim(
            key,
            recipient=r.recipient,
            occurrence_id=r.occurrence_id,
            lead=r.lead,
            now=now,
            worker=WORKER,
            stale_after=CLAIM_TIMEOUT,
            max_attempts=MAX_ATTEMPTS,
        ):
            won.add(key)
    claimed = [by_key[k] for k in by_key if k in won]
    deliveries = group_for_delivery(claimed, now=now)
    report = {
        "now": now.isoformat(),
        "reminders": [_describe(d, now, languages) for d in deliveries],
        "claimed": len(won),
    }
    if sender is None:
        return report

    semaphore = asyncio.Semaphore(SEND_CONCURRENCY)
    sent = failed = 0

    async def deliver(delivery) -> None:  # type: ignore[no-untyped-def]
        nonlocal sent, failed
        keys = delivery.keys
        async with semaphore:
            try:
                with use_language(languages.get(delivery.recipient, "vi")):
                    reply = Reply(reminder_blocks(delivery, now.astimezone(ctx.settings.tz).date()))
                await sender.send(delivery.recipient, reply)
            except DeliveryError as exc:
                failed += 1
                if exc.blocked:
                    await ctx.storage.deactivate(delivery.recipient)
                await ctx.storage.finish_claims(
                    keys, ok=False, now=ctx.now(), error=str(exc), final=exc.blocked
                )
                log.warning("reminder to %s failed: %s", delivery.recipient, exc)
                return
            except Exception as exc:
                failed += 1
                await ctx.storage.finish_claims(keys, ok=False, now=ctx.now(), error=repr(exc))
                log.exception("reminder to %s failed", delivery.recipient)
                return
            await ctx.storage.finish_claims(keys, ok=True, now=ctx.now())
            sent += 1

    await asyncio.gather(*(deliver(d) for d in deliveries))
    report.update(sent=sent, failed=failed)
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


async def run_digests(ctx: AppContext, *, sender: Outbox) -> int:
    """Managers' digest, Monday–Friday at NHACVIEC_DIGEST_AT, once per manager and day (claimed like a reminder)."""
    from handlers.digest import digest_replies

    now = ctx.now()
    if now.weekday() >= 5 or now.time() < ctx.settings.digest_at:
        return 0
    count = 0
    for user in await ctx.storage.users():
        if (
            not (user.approved and user.active and Role(user.role).oversees_units)
            or user.agency_id is None
        ):
            continue
        if not sender.can_send(user.address):
            continue
        rhythm = user.digest or "daily"  # /nhacnho: daily, weekly (Monday) or off
        if rhythm == "off" or (rhythm == "weekly" and now.weekday() != 0):
            continue
        key = f"digest:{now.date().isoformat()}:{user.address}"
        if not await ctx.storage.claim(
            key,
            recipient=user.address,
            occurrence_id=None,
            lead="digest",
            now=now,
            worker=WORKER,
            stale_after=CLAIM_TIMEOUT,
            max_attempts=MAX_ATTEMPTS,
        ):
            continue
        try:
            with use_language(user.language):
                replies = await digest_replies(ctx, user.agency_id, today=now.date(), with_chart=False)
            for reply in replies:
                await sender.send(user.address, reply)
        except DeliveryError as exc:
            if exc.blocked:
                await ctx.storage.deactivate(user.address)
            await ctx.storage.finish_claim(key, ok=False, now=ctx.now(), error=str(exc), final=exc.blocked)
            continue
        await ctx.storage.finish_claim(key, ok=True, now=ctx.now())
        count += 1
    return count
