"""Logging for the entry points: one line per record, no traceback, no secret, no flood.

Operators read these lines in `docker logs` or journald; a traceback there is noise and may
carry data. An exception is written as one line (its type, message and where it was raised),
and every line goes through the redaction of `bot.core.redact`. The same line repeated (a
flood of refused webhook calls, an outage's failed sends, "Too many open files") is written
`RateLimit.burst` times a minute, then once more with how many were left out (issue 30: 1,100
idle connections used to write 41 MB of one error).
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from types import TracebackType

from bot.core.redact import Redactor, install

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class OneLineFormatter(logging.Formatter):
    """`… failed | ValueError: bad value (at tick.py:123)` instead of a traceback, secrets masked."""

    def __init__(self, fmt: str, redact: Redactor) -> None:
        super().__init__(fmt)
        self.redact = redact

    def formatException(self, ei: _ExcInfo) -> str:
        _type, exc, tb = ei
        if exc is None:
            return ""
        where = ""
        frames = traceback.extract_tb(tb) if tb is not None else []
        if frames:
            last = frames[-1]
            where = f" (at {last.filename.rsplit('/', 1)[-1]}:{last.lineno})"
        message = str(exc).splitlines()[0] if str(exc) else ""
        return f"| {type(exc).__name__}: {message}{where}"

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return self.redact(text.replace("\n| ", " | "))

    def formatStack(self, stack_info: str) -> str:
        return ""


class RateLimit(logging.Filter):
    """At most `burst` records of one kind (logger, level, message template) per `window`
    seconds; the first one after a pause says how many were left out."""

    MAX_KINDS = 2000

    def __init__(self, burst: int = 20, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.burst, self.window, self.clock = burst, window, clock
        self._seen: dict[tuple[str, int, str], list[float]] = {}  # kind → [window start, written, left out]

    def filter(self, record: logging.LogRecord) -> bool:
        kind = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        state = self._seen.get(kind)
        if state is None or now - state[0] >= self.window:
            left_out = int(state[2]) if state is not None else 0
            if len(self._seen) >= self.MAX_KINDS:
                self._seen.clear()
            self._seen[kind] = [now, 1, 0]
            if left_out:
                record.msg = f"{record.msg} ({left_out} similar lines left out)"
            return True
        if state[1] < self.burst:
            state[1] += 1
            return True
        state[2] += 1
        return False


def configure(level: str, redact: Redactor) -> None:
    """Root logging at `level` (NHACVIEC_LOG_LEVEL), one line per record, secrets masked, floods cut."""
    logging.basicConfig(level=level.upper() if level else "WARNING", format=FORMAT)
    limit = RateLimit()
    for handler in logging.getLogger().handlers:
        handler.setFormatter(OneLineFormatter(FORMAT, redact))
        handler.addFilter(limit)
    install(redact)
