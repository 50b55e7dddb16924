"""Pushed updates handled exactly once and in order, whichever worker received them (issue 30).

Several `nhacviec run` processes behind a load balancer share one database. A webhook keeps
each update in the inbox (`storage.inbox`) before answering 200 (`InboxWorker.keep`); this
worker then handles it — or another one does — through the inbox alone:

1. *Kept before acknowledged.* An update is acknowledged only once it is stored, so a worker
   that dies after the 200 loses nothing: its update is in the database.
2. *A repeat is dropped.* The update's own id is unique per channel: a second delivery (to this
   worker or another) is acknowledged and never handled again.
3. *One worker per chat, in order.* A worker handles a chat's updates only while it holds the
   chat's claim, one update at a time, by `update_id` (Telegram) or message time (Zalo). A free
   chat is claimed in the transaction that stores its update; a chat stored here while another
   worker holds it is left to that worker, which finds it before it lets the claim go (see
   `storage.inbox`).
4. *Taken over within seconds.* A claim belongs to this worker's lease (issue 15). When a worker
   dies, its lease lapses (lease × 1.25 at most, 10–12 s by default) and every worker's sweep
   (every `sweep_seconds`) takes its chats over; a clean stop lets them go at once.
5. *Marked handled right after the turn.* The handled mark is a transaction of its own, right
   after the turn's replies were sent: `storage.inbox.finish` marks the update (and drops its
   payload) and, in the same transaction, reads the chat's next update or lets the chat go.

What is *not* in the handled mark's transaction: the turn's own writes (each is the short
transaction it is in polling mode — an import, a result, a conversation step) and the replies
(network calls). So an update runs twice only when its worker dies (or loses its lease) during
its turn: after the turn's writes or sends, before the mark. Per kill that is at most the turns
in flight at that moment (≤ `CONCURRENCY`, one per chat), and the turn that runs again finds
the conversation's state as the first left it. An update whose chat was taken over from dead
workers `MAX_TAKEOVERS` times while it was first in line is given up (logged): an update that
kills every worker that reads it must not kill them all in turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from handlers.context import AppContext
from storage.inbox import PURGE_BATCH, Backlog, Pending

log = logging.getLogger(__name__)

Handle = Callable[[dict[str, Any]], Awaitable[None]]


class NotAnUpdate(ValueError):
    """Pushed JSON that is not an update of the channel (the webhook answers 400)."""


@dataclass(frozen=True)
class WebhookEndpoint:
    """What a channel in webhook mode gives the web server: where updates are pushed, the header
    carrying the secret, and `accept(update)`, which keeps the update here — True for a new one,
    False for a repeat; `NotAnUpdate` for JSON that is not an update; anything else when it could
    not be stored (the webhook answers 503, the sender retries)."""

    channel: str
    path: str
    secret_header: str
    secret: str
    accept: Callable[[dict[str, Any]], Awaitable[bool]]

CONCURRENCY = 16  # chats handled at once by one worker (one turn each)
MAX_TAKEOVERS = 3
PURGE_EVERY = 300.0  # seconds between purges of handled keys past storage.inbox.KEEP
PURGE_BATCHES = 40  # at most this many batches (of storage.inbox.PURGE_BATCH rows) a purge


class WorkerLease(Protocol):
    """This worker's lease as the inbox needs it (`storage.leases.Lease`)."""

    worker: str
    seconds: float

    def alive(self) -> bool:
        """Whether the lease certainly still holds (others cannot have taken our chats)."""


class InboxWorker:
    """Stores what the webhooks receive and drains the inbox for this process."""

    def __init__(
        self,
        ctx: AppContext,
        lease: WorkerLease,
        *,
        concurrency: int = CONCURRENCY,
        sweep_seconds: float | None = None,
    ) -> None:
        self.ctx, self.lease = ctx, lease
        self.handlers: dict[str, Handle] = {}
        self.sweep_seconds = sweep_seconds or max(0.1, min(1.0, lease.seconds / 4))
        self._slots = asyncio.Semaphore(concurrency)
        self._wanted: set[str] = set()  # chats stored here: tried at once, before the next sweep
        self._held: set[str] = set()  # of those, the ones claimed for this worker as they were stored
        self._wake = asyncio.Event()
        self._active: dict[str, asyncio.Task[None]] = {}
        self._stopping = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._last_purge = 0.0
        self.handled = 0  # updates this worker handled (the benchmark and /readyz report it)

    @property
    def worker(self) -> str:
        return self.lease.worker

    def add_channel(self, name: str, handle: Handle) -> None:
        """`handle(payload)` runs one stored update of channel `name` to the end of its turn."""
        self.handlers[name] = handle

    # -- the webhooks' side ---------------------------------------------------------------------

    async def keep(self, channel: str, key: str, chat: str, seq: int, payload: dict[str, Any]) -> bool:
        """Store an update before the webhook acknowledges it; False for a repeat (dropped).
        Raises what storage raises: the webhook then answers 503 and the sender tries again."""
        kept = await self.ctx.storage.inbox.keep(channel, key, chat, seq, payload, now=self.ctx.now(), worker=self.worker)
        if kept.new:
            if kept.held:
                self._held.add(chat)  # claimed with the update: no claim transaction needed
            self._wanted.add(chat)
            self._wake.set()
        return kept.new

    async def backlog(self) -> Backlog:
        return await self.ctx.storage.inbox.backlog()

    # -- draining -------------------------------------------------------------------------------

    async def start(self) -> None:
        self._stopping.clear()
        self._runner = asyncio.create_task(self._run(), name="inbox")

    async def _run(self) -> None:
        next_sweep = 0.0
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, next_sweep - time.monotonic())):
                    await self._wake.wait()
            self._wake.clear()
            if self._stopping.is_set():
                break
            chats, self._wanted = self._wanted, set()
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + self.sweep_seconds
                chats |= await self._sweep()
            for chat in chats:
                if chat not in self._active and chat.partition(":")[0] in self.handlers:
                    task = asyncio.create_task(self._drain(chat), name=f"inbox {chat}")
                    self._active[chat] = task
                    task.add_done_callback(functools.partial(self._forget, chat))

    def _forget(self, chat: str, _task: asyncio.Task[None]) -> None:
        self._active.pop(chat, None)

    async def _sweep(self) -> set[str]:
        """Chats no live worker holds (a dead worker's, or stored by a worker that died at
        once), and ours that a failure interrupted; handled keys past their time are purged."""
        inbox = self.ctx.storage.inbox
        try:
            found = set(await inbox.waiting_chats(now=self.ctx.now(), worker=self.worker))
            if time.monotonic() - self._last_purge >= PURGE_EVERY:
                self._last_purge = time.monotonic()
                await self._purge()
        except Exception as exc:  # the database is down: try again at the next sweep
            log.warning("inbox sweep failed: %s", exc)
            return set()
        return found

    async def _purge(self) -> None:
        """Forget handled keys older than two days, a short transaction a batch: at 200 updates a
        second that is 60,000 rows every five minutes, well under 40 batches of 5,000."""
        inbox = self.ctx.storage.inbox
        for _batch in range(PURGE_BATCHES):
            if await inbox.purge(now=self.ctx.now()) < PURGE_BATCH:
                return

    async def _drain(self, chat: str) -> None:
        """Hold `chat`, handle its updates one by one in order, let it go when none is left."""
        inbox = self.ctx.storage.inbox
        async with self._slots:
            try:
                pending: list[Pending] | None = None
                if chat in self._held:
                    self._held.discard(chat)
                    pending = await inbox.pending(chat, limit=1)
                if not pending:
                    claimed = await inbox.claim(chat, worker=self.worker, now=self.ctx.now(), limit=1)
                    if claimed is None:
                        return  # another live worker holds it and will find what was stored
                    if claimed.taken_over:
                        log.info("inbox: took %s over from a worker whose lease lapsed", chat)
                    pending = claimed.updates
                while pending and not self._stopping.is_set():
                    if not self.lease.alive():
                        log.warning("inbox: the worker lease is in doubt; leaving %s to others", chat)
                        return
                    outcome = await self._handle(pending[0])
                    pending = await inbox.finish(
                        pending[0].id, chat=chat, worker=self.worker, now=self.ctx.now(), limit=1, outcome=outcome
                    )
                    if pending is None:
                        log.warning("inbox: %s was taken over while this worker handled it", chat)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # storage failed: the claim stays ours and the sweep retries
                log.warning("inbox: could not handle %s: %s", chat, exc)

    async def _handle(self, update: Pending) -> str | None:
        """Run one update's turn; the outcome recorded beside the handled mark (None: handled)."""
        if update.takeovers > MAX_TAKEOVERS:
            log.error(
                "inbox: gave up %s update %s: its workers died %d times while handling it",
                update.channel,
                update.key,
                update.takeovers,
            )
            return "gave up"
        try:
            await self.handlers[update.channel](update.payload)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("inbox: %s update %s failed", update.channel, update.key)
            return "failed"
        self.handled += 1
        return None

    async def stop(self, grace: float) -> None:
        """No new chats; turns in hand get `grace` seconds to finish and be marked; then this
        worker's chats are let go, so the other workers take them at once."""
        self._stopping.set()
        self._wake.set()
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await self._runner
        active = list(self._active.values())
        if active:
            _done, late = await asyncio.wait(active, timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=5)
        try:
            await self.ctx.storage.inbox.release(worker=self.worker)
        except Exception as exc:
            log.warning("inbox: could not let this worker's chats go: %s", exc)
