"""Telegram's side of webhook mode with several workers behind a load balancer (issue 30).

`Deliveries` POSTs updates (made by `FakeTelegramAPI.make_user_update`) to the workers' webhook
URLs with the secret header, as Telegram does through a balancer: to one worker, to several (a
retry that reached another worker: the same update twice), or to the next in turn. An update is
delivered once a worker answers 2xx; a refused connection, a 5xx or a timeout moves it to the
next worker after a short pause (Telegram retries; a balancer skips a dead upstream), so a
killed worker loses nothing that was not acknowledged.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import httpx

TELEGRAM_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Deliveries:
    def __init__(self, urls: list[str], secret: str, *, header: str = TELEGRAM_HEADER, timeout: float = 5.0) -> None:
        self.urls, self.secret, self.header = list(urls), secret, header
        self.http = httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=200))
        self.alive = [True] * len(urls)  # what the balancer believes (a dead worker is skipped)
        self._turn = itertools.count()
        self.posts = 0
        self.refused = 0  # POSTs that failed (connection refused, 5xx, timeout) and were sent on

    async def close(self) -> None:
        await self.http.aclose()

    async def post(self, update: dict[str, Any], worker: int) -> int:
        """One POST; its status (0 when the connection failed)."""
        self.posts += 1
        try:
            answer = await self.http.post(self.urls[worker], json=update, headers={self.header: self.secret})
        except httpx.HTTPError:
            return 0
        return answer.status_code

    async def deliver(self, update: dict[str, Any], to: int | None = None, *, within: float = 30.0) -> int:
        """Deliver to worker `to` (default: the next in turn), else to the others: the worker that took it."""
        first = next(self._turn) % len(self.urls) if to is None else to
        order = [first, *(i for i in range(len(self.urls)) if i != first)]
        deadline = time.monotonic() + within
        while True:
            for worker in order:
                if not self.alive[worker] and worker != to:
                    continue
                status = await self.post(update, worker)
                if 200 <= status < 300:
                    return worker
                self.refused += 1
            if time.monotonic() > deadline:
                raise TimeoutError(f"no worker took update {update.get('update_id')}")
            await asyncio.sleep(0.05)

    async def to_all(self, update: dict[str, Any]) -> list[int]:
        """The same update to every worker at once (Telegram's retry reaching another worker)."""
        return list(await asyncio.gather(*(self.post(update, i) for i in range(len(self.urls)))))
