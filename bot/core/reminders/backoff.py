"""How long to wait before trying a failed send again — one rule for every send path.

Pure: no clock, no sleeping; callers pass the attempt number and get seconds back.

Production schedule (`Backoff()`): 10 s, 20 s, 40 s, 80 s, 160 s, then every 300 s (the cap)
for as long as the reminder is current. A server's `retry_after` (429) is honoured when it is
longer. After a 30-minute outage a reminder is therefore retried at most 300 s after the API
recovered: "within one backoff step of recovery".

Reaching the Bot API at start-up or while long-polling (`Backoff.reconnect()`): 0.5 s doubling
to 30 s, so a server that is down is never polled in a tight loop.

Inside one send (`Backoff.quick()`), a channel retries only failures where the request never
reached the server (connect errors, a full pool): 0.25 s then 0.5 s, then it gives up and the
tick's own schedule takes over. Anything that may have been delivered is never retried there.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    first: float = 10.0  # seconds before the first retry
    factor: float = 2.0
    cap: float = 300.0  # never longer between tries
    tries: int | None = None  # None: unbounded (the tick's rule decides when to stop)

    @classmethod
    def reconnect(cls) -> Backoff:
        """Reaching a Bot API at start-up or while polling for updates: 0.5 s doubling to 30 s."""
        return cls(first=0.5, factor=2.0, cap=30.0)

    @classmethod
    def quick(cls) -> Backoff:
        """Retries inside one send: two short pauses for requests that never left."""
        return cls(first=0.25, factor=2.0, cap=2.0, tries=2)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1 = the first try failed)."""
        base = min(self.cap, self.first * self.factor ** max(attempt - 1, 0))
        if retry_after is not None and retry_after > base:
            return float(retry_after)
        return base

    def gives_up(self, attempt: int) -> bool:
        """True when `attempt` failed tries are all this schedule allows."""
        return self.tries is not None and attempt > self.tries

    def scaled(self, factor: float) -> Backoff:
        """The same shape, every pause times `factor` (tests run a 30-minute outage in seconds)."""
        return Backoff(self.first * factor, self.factor, self.cap * factor, self.tries)
