"""Is this worker ready to take updates? What `/readyz` answers (issue 30).

Ready means the two things every worker needs and a restart or a balancer can act on: the
database answers (within `TIMEOUT`) and its migrations are the ones this code expects (a worker
of a newer or older version must not take traffic against the wrong tables). The channels'
state — whether Telegram's or Zalo's API answered lately — and the inbox's backlog are reported
beside, never counted: a Telegram outage is every worker's at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from handlers.context import AppContext
from handlers.inbox import InboxWorker

TIMEOUT = 3.0  # seconds the database gets to answer a readiness check

ChannelStates = Callable[[], dict[str, dict[str, Any]]]


async def readiness(
    ctx: AppContext, *, channels: ChannelStates | None = None, inbox: InboxWorker | None = None
) -> tuple[bool, dict[str, Any]]:
    """(ready, details): details name the database, the migrations, the channels, the backlog."""
    details: dict[str, Any] = {}
    if inbox is not None:
        details["worker"] = inbox.worker
    ready = False
    try:
        async with asyncio.timeout(TIMEOUT):
            current, expected = await ctx.storage.schema_revisions()
            details["database"] = "ok"
            details["migrations"] = {"database": current, "code": expected}
            ready = current == expected
            if inbox is not None:
                backlog = await inbox.backlog()
                oldest = (ctx.now() - backlog.oldest).total_seconds() if backlog.oldest else 0.0
                details["inbox"] = {"pending": backlog.pending, "oldest_seconds": round(max(oldest, 0.0), 1)}
    except TimeoutError:
        details["database"] = f"no answer within {TIMEOUT:.0f} s"
    except Exception as exc:
        details["database"] = "unreachable: " + (str(exc).splitlines() or [type(exc).__name__])[0][:200]
    if channels is not None:
        details["channels"] = channels()
    return ready, details
