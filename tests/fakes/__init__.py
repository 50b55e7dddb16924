"""Stand-in Bot API servers (Telegram, Zalo) that the end-to-end tests run on 127.0.0.1."""

from .telegram_api import FakeTelegramAPI, RateLimits, RecordedCall, fast_request, shared_ssl_context
from .zalo_api import FakeZaloAPI

__all__ = [
    "FakeTelegramAPI",
    "FakeZaloAPI",
    "RateLimits",
    "RecordedCall",
    "fast_request",
    "shared_ssl_context",
]
