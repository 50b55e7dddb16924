"""What the delivery engine runs on: storage (with its read cache), its config and a clock."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime

from bot.delivery.config import DeliveryConfig
from storage import Storage
from storage.cache import ReadCache
from storage.leases import Lease


@dataclass
class DeliveryContext:
    """Built once by whoever runs the engine (`nhacviec run`, `nhacviec remind`, a test).

    `clock` gives the current time (any zone; injected, so tests control time); `cache` is the
    in-memory copy of the directory and the tasks, shared with the handlers when they run in
    the same process.
    """

    storage: Storage
    config: DeliveryConfig
    clock: Callable[[], datetime]
    cache: ReadCache

    def now(self) -> datetime:
        """The current time in the deployment's timezone."""
        return self.clock().astimezone(self.config.tz)

    def today(self) -> date:
        return self.now().date()

    def lease(self, worker: str | None = None, *, seconds: float | None = None) -> Lease:
        """A lease for `worker` (a new worker id when None), NHACVIEC_LEASE_SECONDS long unless told."""
        length = seconds if seconds is not None else self.config.lease_seconds
        return self.storage.lease(worker, seconds=length, clock=self.now)

    @contextlib.asynccontextmanager
    async def held_lease(self, lease: Lease | None) -> AsyncIterator[Lease]:
        """The long-running process's lease, or (a one-off `nhacviec remind`) a lease of its own,
        renewed in the background while the work runs and ended after it."""
        if lease is not None:
            yield lease
            return
        own = self.lease()
        await own.beat()
        stop = asyncio.Event()
        beating = asyncio.create_task(own.run(stop))
        try:
            yield own
        finally:
            stop.set()
            await beating
            await own.end()
