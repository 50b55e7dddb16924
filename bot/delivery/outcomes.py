"""How a send that did not go through is recorded — one rule for reminders and digests alike."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.address import Address
from bot.core.reminders.backoff import Backoff
from bot.delivery.ports import DeliveryError
from storage import Storage


async def record_failure(
    storage: Storage,
    keys: list[str],
    recipient: Address,
    error: DeliveryError,
    *,
    tries: int,
    worker: str,
    backoff: Backoff,
    now: datetime,
) -> None:
    """403 is final and the account is marked inactive; an unknown outcome waits a full step (the
    cap) before its one resend — a burst of timeouts is over by then, never a tight loop; anything
    else waits the backoff for `tries` (or the server's retry_after)."""
    if error.blocked:
        await storage.deactivate(recipient)
    pause = backoff.cap if error.unknown else backoff.delay(tries, error.retry_after)
    await storage.finish_claims(
        keys,
        ok=False,
        now=now,
        error=str(error),
        final=error.blocked,
        unknown=error.unknown,
        worker=worker,
        retry_at=now + timedelta(seconds=pause),
    )
