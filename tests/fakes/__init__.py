"""Stand-in Bot API servers (Telegram, Zalo) that the end-to-end tests run on 127.0.0.1."""

from .telegram_api import FakeTelegramAPI, RateLimits, RecordedCall

__all__ = ["FakeTelegramAPI", "RateLimits", "RecordedCall"]
