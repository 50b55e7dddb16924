"""Secrets never leave the process: one redaction rule for log lines, stderr, replies and stored errors.

A proxy's error page may quote the request URL (`/bot<token>/getMe`), lower-cased or
URL-encoded; a traceback may carry a database URL with its password. `Redactor` replaces every
known secret — as written, in any case, and URL-encoded — and, for a bot token `id:secret`, its
secret part on its own. `RedactingFilter` applies it to every record a logging handler emits,
(a formatter that renders tracebacks redacts what it writes: `bot.logs`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "<REDACTED>"
_MIN_SECRET = 6  # shorter strings would mask ordinary words


class Redactor:
    """`redact(text)` → the text with every secret replaced by `<REDACTED>`."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        self.secrets = frozenset(s.strip() for s in secrets if s and s.strip())
        forms: set[str] = set()
        for secret in secrets:
            secret = (secret or "").strip()
            if len(secret) < _MIN_SECRET:
                continue
            parts = [secret]
            head, sep, tail = secret.partition(":")
            if sep and head.isdigit() and len(tail) >= _MIN_SECRET:
                parts.append(tail)  # a bot token's secret half, quoted without its id
            for part in parts:
                forms.update({part, quote(part, safe=""), quote_plus(part)})
        ordered = sorted(forms, key=len, reverse=True)  # longest first: the whole before its half
        self._pattern = re.compile("|".join(re.escape(f) for f in ordered), re.IGNORECASE) if ordered else None

    def including(self, secrets: Iterable[str | None]) -> Redactor:
        """This redactor with more secrets (a second bot token in the same process)."""
        return Redactor([*self.secrets, *secrets])

    def __call__(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)


class RedactingFilter(logging.Filter):
    """On a handler: the record's message and traceback are redacted before they are written."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_text:  # a traceback formatted earlier; the formatter redacts its own output
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install(redact: Redactor, logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of `logger` (default: the root logger), once each; a
    handler that has one already learns the new secrets too."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        _add(handler, redact)


def install_on_loggers(redact: Redactor, names: Iterable[str]) -> None:
    """The same on loggers (their own records, whatever handler writes them: e.g. pytest's)."""
    for name in names:
        _add(logging.getLogger(name), redact)


def _add(target: logging.Filterer, redact: Redactor) -> None:
    for existing in target.filters:
        if isinstance(existing, RedactingFilter):
            existing.redact = existing.redact.including(redact.secrets)
            return
    target.addFilter(RedactingFilter(redact))
