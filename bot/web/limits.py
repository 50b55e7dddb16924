"""How often one client may try login links: a sliding window per address, in memory.

Link tokens are 256-bit random, so guessing one is hopeless; the limit keeps a client from
hammering the database with tries (and a leaked-link scanner from trying a list). It is per
process: behind several workers each keeps its own, which still bounds every client.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MAX_CLIENTS = 10_000  # past this many addresses tracked, the oldest are forgotten


class RateLimit:
    """At most `limit` tries per `seconds` for each key (a client address)."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.seconds, self.clock = limit, seconds, clock
        self._tries: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count a try; False when the key already used its tries in the window."""
        now = self.clock()
        tries = self._tries.pop(key, None) or deque()
        while tries and tries[0] <= now - self.seconds:
            tries.popleft()
        allowed = len(tries) < self.limit
        if allowed:
            tries.append(now)
        self._tries[key] = tries  # re-inserted last: the dict is oldest-first
        while len(self._tries) > MAX_CLIENTS:
            self._tries.pop(next(iter(self._tries)))
        return allowed
