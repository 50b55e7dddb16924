"""Logging for the entry points: one line per record, no traceback, no secret.

Operators read these lines in `docker logs` or journald; a traceback there is noise and may
carry data. An exception is written as one line (its type, message and where it was raised),
and every line goes through the redaction of `bot.core.redact`.
"""

from __future__ import annotations

import logging
import traceback
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


def configure(level: str, redact: Redactor) -> None:
    """Root logging at `level` (NHACVIEC_LOG_LEVEL), one line per record, secrets masked."""
    logging.basicConfig(level=level.upper() if level else "WARNING", format=FORMAT)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(OneLineFormatter(FORMAT, redact))
    install(redact)
